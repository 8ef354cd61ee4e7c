import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

/// A list request: `filter`, `startIndex`, `count`, `attributes` and `excludedAttributes`,
/// from the query (`GET /Users`) or a SearchRequest body (`POST /Users/.search`). `sortBy` is
/// not supported (the service provider configuration says so) and is ignored.
struct SCIMSearch {
    var query: UserListQuery
    var projection: SCIMProjection
    /// The filter as sent.
    var filter: String?

    /// Reads the request; with `filtering`, the filter becomes the query's predicate over users.
    init(_ request: DialectRequest, filtering: Bool = true) throws(GatewayFailure) {
        var filter: String?
        var startIndex = 1
        var count = SCIMPaths.defaultCount
        if request.method == .post {
            guard case .object(let body)? = request.body else {
                throw .protocolError(status: 400, code: "invalidSyntax", detail: "The body must be a SearchRequest object")
            }
            func member(_ name: String) -> JSONValue? { body.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value }
            if let value = member("filter") {
                guard case .string(let text) = value else { throw .protocolError(status: 400, code: "invalidFilter", detail: "filter must be a string") }
                filter = text
            }
            if let value = member("startIndex") { startIndex = try Self.integer(value, "startIndex") }
            if let value = member("count") { count = try Self.integer(value, "count") }
            projection = try SCIMProjection(
                attributes: Self.names(member("attributes"), "attributes"), excluded: Self.names(member("excludedAttributes"), "excludedAttributes"))
        } else {
            filter = request.queryValue("filter")
            if let text = request.queryValue("startIndex") { startIndex = try Self.integer(.string(text), "startIndex") }
            if let text = request.queryValue("count") { count = try Self.integer(.string(text), "count") }
            projection = try SCIMProjection(query: request)
        }
        self.filter = filter
        var predicate: UserPredicate?
        if filtering, let filter, !filter.trimmingCharacters(in: .whitespaces).isEmpty {
            do {
                predicate = try SCIMFilter.parse(filter).predicate()
            } catch {
                throw .protocolError(status: 400, code: "invalidFilter", detail: error.detail)
            }
        }
        // RFC 7644 §3.4.2.4: a startIndex below 1 is 1, a negative count 0; past the most a
        // page holds, the page holds that many.
        query = UserListQuery(
            offset: max(startIndex, 1) - 1, limit: min(max(count, 0), SCIMPaths.maxResults), predicate: predicate)
    }

    private static func integer(_ value: JSONValue, _ name: String) throws(GatewayFailure) -> Int {
        switch value {
        case .integer(let number): return Int(clamping: number)
        case .string(let text):
            if let number = Int(text) { return number }
        default: break
        }
        throw .protocolError(status: 400, code: "invalidValue", detail: "\(name) must be an integer")
    }

    private static func names(_ value: JSONValue?, _ name: String) throws(GatewayFailure) -> [String] {
        switch value {
        case nil, .null?: return []
        case .array(let items)?:
            var names: [String] = []
            for item in items {
                guard case .string(let text) = item else {
                    throw .protocolError(status: 400, code: "invalidValue", detail: "\(name) must be a list of strings")
                }
                names.append(text)
            }
            return names
        case .string(let text)?: return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        default: throw .protocolError(status: 400, code: "invalidValue", detail: "\(name) must be a list of strings")
        }
    }
}
