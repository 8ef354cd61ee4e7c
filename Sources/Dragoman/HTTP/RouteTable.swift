import DragomanDialectKit
import DragomanStore
import DragomanTransport
import HTTPTypes

/// Which dialect owns a path, and which methods the path has: for answers given before (or
/// instead of) the router, such as 405, 408, 414 and 431, so that they too come in the
/// caller's dialect.
struct RouteTable: Sendable {
    /// One dialect route as path segments; a segment starting with `:` matches any one segment.
    private struct Entry: Sendable {
        var dialect: any UserDialect
        var method: HTTPRequest.Method
        var segments: [Substring]
        /// Whether the route is an operation (not the pattern of names the dialect refuses).
        var isOperation: Bool
    }

    private let entries: [Entry]

    init(dialects: [any UserDialect]) {
        entries = dialects.flatMap { dialect in
            dialect.routes.map {
                Entry(dialect: dialect, method: $0.method, segments: $0.path.split(separator: "/"), isOperation: $0.operation != .unknownOperation)
            }
        }
    }

    /// The dialect whose routes include `path`, whatever the method.
    func dialect(for path: Substring) -> (any UserDialect)? {
        let segments = path.split(separator: "/")
        return entries.first { Self.matches($0.segments, segments) }?.dialect
    }

    /// The methods `path` has, in route order, or an empty list when no dialect route has it.
    func methods(for path: Substring) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        var methods: [HTTPRequest.Method] = []
        for entry in entries where entry.isOperation && Self.matches(entry.segments, segments) && !methods.contains(entry.method) {
            methods.append(entry.method)
        }
        return methods
    }

    private static func matches(_ pattern: [Substring], _ segments: [Substring]) -> Bool {
        guard pattern.count == segments.count else { return false }
        return zip(pattern, segments).allSatisfy { $0.first == ":" || $0 == $1 }
    }
}
