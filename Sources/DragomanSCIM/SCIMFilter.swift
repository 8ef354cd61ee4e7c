import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

/// A SCIM filter (RFC 7644 §3.4.2.2), parsed: comparisons and presence tests on attribute
/// paths, joined by `and`, `or` and `not`, and value filters on multi-valued attributes
/// (`emails[type eq "work" and value co "@example.com"]`).
indirect enum SCIMFilter: Sendable, Equatable {
    case compare(SCIMPath, UserComparison, SCIMFilterValue)
    case present(SCIMPath)
    case and(SCIMFilter, SCIMFilter)
    case or(SCIMFilter, SCIMFilter)
    case not(SCIMFilter)
    /// `attribute[filter]`: some entry of the multi-valued attribute passes the filter, whose
    /// paths name the entry's sub-attributes.
    case valuePath(SCIMPath, SCIMFilter)
}

/// A comparison's literal.
enum SCIMFilterValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
}

/// Why a filter or a path did not parse; `detail` says where.
struct SCIMFilterError: Error, Equatable {
    var detail: String
}

extension SCIMFilter {
    /// The longest filter read, in bytes, and the deepest nesting of parentheses and value
    /// filters: a hostile filter costs no more than this.
    static let maxLength = 4096
    static let maxDepth = 32

    /// Parses `text`.
    static func parse(_ text: String) throws(SCIMFilterError) -> SCIMFilter {
        guard text.utf8.count <= maxLength else { throw SCIMFilterError(detail: "The filter is longer than \(maxLength) bytes") }
        var parser = SCIMFilterParser(text)
        let filter = try parser.parseOr(depth: 0)
        parser.skipSpaces()
        guard parser.atEnd else { throw SCIMFilterError(detail: "Unexpected text at position \(parser.position + 1): '\(parser.remainder(20))'") }
        return filter
    }
}

/// A recursive-descent parser of RFC 7644's filter grammar: `or` binds loosest, then `and`,
/// then `not` and parentheses. Operators and `and`/`or`/`not` are matched ignoring case.
struct SCIMFilterParser {
    private let bytes: [UInt8]
    private(set) var position = 0

    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    var atEnd: Bool { position >= bytes.count }

    func remainder(_ count: Int) -> String {
        String(decoding: bytes[position..<min(bytes.count, position + count)], as: UTF8.self)
    }

    mutating func skipSpaces() {
        while position < bytes.count, bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "\t") { position += 1 }
    }

    mutating func parseOr(depth: Int) throws(SCIMFilterError) -> SCIMFilter {
        var filter = try parseAnd(depth: depth)
        while keyword("or") { filter = .or(filter, try parseAnd(depth: depth)) }
        return filter
    }

    mutating func parseAnd(depth: Int) throws(SCIMFilterError) -> SCIMFilter {
        var filter = try parseUnary(depth: depth)
        while keyword("and") { filter = .and(filter, try parseUnary(depth: depth)) }
        return filter
    }

    mutating func parseUnary(depth: Int) throws(SCIMFilterError) -> SCIMFilter {
        guard depth < SCIMFilter.maxDepth else { throw SCIMFilterError(detail: "The filter nests deeper than \(SCIMFilter.maxDepth) levels") }
        skipSpaces()
        let start = position
        if keyword("not") {
            skipSpaces()
            if peek() == UInt8(ascii: "(") { return .not(try parenthesised(depth: depth + 1)) }
            position = start
        }
        if peek() == UInt8(ascii: "(") { return try parenthesised(depth: depth + 1) }
        let path = try attributePath()
        if peek() == UInt8(ascii: "[") {
            position += 1
            let inner = try parseOr(depth: depth + 1)
            skipSpaces()
            guard peek() == UInt8(ascii: "]") else { throw expected("']'") }
            position += 1
            return .valuePath(path, inner)
        }
        guard space() else { throw expected("an operator after '\(path)'") }
        let word = self.word().lowercased()
        if word == "pr" { return .present(path) }
        guard let comparison = UserComparison(rawValue: word) else {
            throw SCIMFilterError(detail: "Unknown operator '\(word)' at position \(position - word.utf8.count + 1)")
        }
        guard space() else { throw expected("a value after '\(word)'") }
        return .compare(path, comparison, try value())
    }

    private mutating func parenthesised(depth: Int) throws(SCIMFilterError) -> SCIMFilter {
        position += 1
        let inner = try parseOr(depth: depth)
        skipSpaces()
        guard peek() == UInt8(ascii: ")") else { throw expected("')'") }
        position += 1
        return inner
    }

    /// An attribute path: the name characters, `:` and `.` of a URN-qualified path.
    mutating func attributePath() throws(SCIMFilterError) -> SCIMPath {
        let start = position
        while position < bytes.count, Self.isPathByte(bytes[position]) { position += 1 }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard !text.isEmpty, let path = SCIMPath(Substring(text)) else {
            position = start
            throw expected("an attribute path")
        }
        return path
    }

    private static func isPathByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "$")
    }

    /// A literal: a JSON string, `true`, `false`, `null` or a number.
    private mutating func value() throws(SCIMFilterError) -> SCIMFilterValue {
        if peek() == UInt8(ascii: "\"") { return .string(try string()) }
        let word = self.word()
        switch word.lowercased() {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        default:
            guard !word.isEmpty, let number = Double(word), number.isFinite else {
                throw expected("a value (a string in double quotes, a number, true, false or null)")
            }
            return .number(number)
        }
    }

    /// A JSON string literal, escapes decoded.
    private mutating func string() throws(SCIMFilterError) -> String {
        let start = position
        position += 1
        var escaped = false
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                guard case .string(let text)? = try? StrictJSONParser.parse(Array(bytes[start..<position]), maxDepth: 2) else {
                    throw SCIMFilterError(detail: "The string at position \(start + 1) is not a valid JSON string")
                }
                return text
            }
        }
        throw SCIMFilterError(detail: "The string at position \(start + 1) is not closed")
    }

    private mutating func word() -> String {
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: " "), bytes[position] != UInt8(ascii: ")"), bytes[position] != UInt8(ascii: "]") {
            position += 1
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// One or more spaces; whether there were any.
    private mutating func space() -> Bool {
        let start = position
        skipSpaces()
        return position > start
    }

    /// Reads `name` (any case) followed by a space or `(`, if it comes next.
    private mutating func keyword(_ name: String) -> Bool {
        let start = position
        skipSpaces()
        let word = Array(name.utf8)
        guard position + word.count <= bytes.count else {
            position = start
            return false
        }
        for (offset, byte) in word.enumerated() where bytes[position + offset] | 0x20 != byte {
            position = start
            return false
        }
        let after = position + word.count
        guard after < bytes.count, bytes[after] == UInt8(ascii: " ") || bytes[after] == UInt8(ascii: "(") else {
            position = start
            return false
        }
        position = after
        return true
    }

    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private func expected(_ what: String) -> SCIMFilterError {
        SCIMFilterError(detail: atEnd ? "Expected \(what) at the end of the filter" : "Expected \(what) at position \(position + 1)")
    }
}
