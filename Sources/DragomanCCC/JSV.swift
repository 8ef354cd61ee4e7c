import DragomanCore
import DragomanDialectKit
import Foundation

/// ServiceStack.Text's JSV format ("JSON without the quotes"): `{name:value,list:[a,b]}`, a
/// string quoted only when it holds one of `"` `,` `{` `}` `[` `]` or a line break (or is empty),
/// with `"` doubled inside quotes; nulls left out.
enum JSV {
    static func write(_ value: JSONValue) -> String {
        var out = ""
        write(value, to: &out)
        return out
    }

    private static func write(_ value: JSONValue, to out: inout String) {
        switch value {
        case .null: break
        case .bool(let flag): out += flag ? "true" : "false"
        case .integer(let number): out += String(number)
        case .number(let number): out += String(number)
        case .string(let text): out += field(text)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                write(item, to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            var first = true
            for key in members.keys.sorted() {
                guard let member = members[key], member != .null else { continue }
                if !first { out += "," }
                first = false
                out += field(key) + ":"
                write(member, to: &out)
            }
            out += "}"
        }
    }

    /// A string as a JSV field: bare, or quoted with `"` doubled.
    static func field(_ text: String) -> String {
        let special: Set<Character> = ["\"", ",", "{", "}", "[", "]", "\r", "\n"]
        guard text.isEmpty || text.contains(where: special.contains) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Parses a JSV document into neutral JSON: every scalar is a string (as the request DTO's
    /// binding converts it), nesting at most ``WireBody/maxDepth`` deep.
    static func parse(_ text: String) throws(GatewayFailure) -> JSONValue {
        var reader = Reader(characters: Array(text.unicodeScalars))
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.atEnd else { throw .malformedBody("the body is not valid JSV: text after the value at offset \(reader.index)") }
        return value
    }

    private struct Reader {
        let characters: [Unicode.Scalar]
        var index = 0

        var atEnd: Bool { index >= characters.count }
        var current: Unicode.Scalar? { atEnd ? nil : characters[index] }

        mutating func skipWhitespace() {
            while let character = current, character.properties.isWhitespace { index += 1 }
        }

        mutating func value(depth: Int) throws(GatewayFailure) -> JSONValue {
            guard depth < WireBody.maxDepth else { throw .malformedBody("the body nests deeper than \(WireBody.maxDepth) levels") }
            switch current {
            case "{": return try object(depth: depth)
            case "[": return try array(depth: depth)
            default: return .string(try scalar())
            }
        }

        mutating func object(depth: Int) throws(GatewayFailure) -> JSONValue {
            index += 1
            var members: [String: JSONValue] = [:]
            skipWhitespace()
            if current == "}" {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                let key = try scalar(stoppingAt: [":"])
                guard current == ":" else { throw .malformedBody("the body is not valid JSV: expected ':' after '\(key.prefix(64))'") }
                index += 1
                members[key] = try value(depth: depth + 1)
                skipWhitespace()
                switch current {
                case ",": index += 1
                case "}":
                    index += 1
                    return .object(members)
                default: throw .malformedBody("the body is not valid JSV: expected ',' or '}' at offset \(index)")
                }
            }
        }

        mutating func array(depth: Int) throws(GatewayFailure) -> JSONValue {
            index += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if current == "]" {
                index += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                switch current {
                case ",": index += 1
                case "]":
                    index += 1
                    return .array(items)
                default: throw .malformedBody("the body is not valid JSV: expected ',' or ']' at offset \(index)")
                }
            }
        }

        /// A bare or quoted string, ending before `,` `}` `]` (and `stoppingAt`).
        mutating func scalar(stoppingAt extra: Set<Unicode.Scalar> = []) throws(GatewayFailure) -> String {
            var text = String.UnicodeScalarView()
            if current == "\"" {
                index += 1
                while true {
                    guard let character = current else { throw .malformedBody("the body is not valid JSV: an unterminated quoted string") }
                    index += 1
                    if character == "\"" {
                        if current == "\"" {
                            text.append("\"")
                            index += 1
                        } else {
                            return String(text)
                        }
                    } else {
                        text.append(character)
                    }
                }
            }
            let stops: Set<Unicode.Scalar> = extra.union([",", "}", "]"])
            while let character = current, !stops.contains(character) {
                text.append(character)
                index += 1
            }
            return String(String(text).trimmingCharacters(in: .whitespaces))
        }
    }
}
