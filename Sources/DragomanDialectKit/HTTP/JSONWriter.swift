package import DragomanCore

/// Writes JSON straight into bytes, for the documents and answers written on every request (the
/// stored user, the common dialect answers, forwarded bodies), where Foundation's `JSONEncoder`
/// cost a tenth of a create (issue 10's profile).
///
/// Its output is byte for byte what ``WireJSON/encoder`` writes for the same value (`sortedKeys`,
/// `withoutEscapingSlashes`): keys in the order of their UTF-8 bytes, the same escapes, integral
/// doubles without a fraction. Objects written field by field (``key(_:)``) must be given their
/// keys in that order; ``value(_:)`` sorts a ``JSONValue`` object itself. Tests hold both
/// properties against `JSONEncoder`.
package struct JSONWriter {
    package private(set) var bytes: [UInt8] = []
    /// Whether the next key or array element needs a comma before it.
    private var needsComma = false

    package init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// An object whose fields `body` writes.
    package mutating func object(_ body: (inout JSONWriter) -> Void) {
        open(UInt8(ascii: "{"))
        body(&self)
        close(UInt8(ascii: "}"))
    }

    /// An array of `elements`, each written by `element`.
    package mutating func array<Elements: Sequence>(_ elements: Elements, each element: (inout JSONWriter, Elements.Element) -> Void) {
        open(UInt8(ascii: "["))
        for item in elements { element(&self, item) }
        close(UInt8(ascii: "]"))
    }

    /// An object's key; the value written next is its value.
    package mutating func key(_ name: String) {
        separate()
        quoted(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    package mutating func string(_ text: String) {
        separate()
        quoted(text)
        needsComma = true
    }

    package mutating func integer(_ number: Int64) {
        separate()
        appendDecimal(number)
        needsComma = true
    }

    package mutating func bool(_ flag: Bool) {
        separate()
        bytes.append(contentsOf: flag ? Self.trueBytes : Self.falseBytes)
        needsComma = true
    }

    package mutating func null() {
        separate()
        bytes.append(contentsOf: Self.nullBytes)
        needsComma = true
    }

    /// A double as `JSONEncoder` writes it: the shortest form that reads back the same, without
    /// `.0` when it is integral (`1`, `-0`, `1.5`, `1e+21`).
    package mutating func double(_ number: Double) {
        separate()
        var text = number.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
        needsComma = true
    }

    /// Any neutral value; an object's keys sorted.
    package mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .integer(let number): integer(number)
        case .number(let number): double(number)
        case .string(let text): string(text)
        case .array(let elements):
            array(elements) { writer, element in writer.value(element) }
        case .object(let fields):
            object { writer in
                for (name, element) in fields.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                    writer.field(name, element)
                }
            }
        }
    }

    // MARK: - Optional fields (left out when `nil`, as `encodeIfPresent` does)

    package mutating func field(_ name: String, _ text: String?) {
        guard let text else { return }
        key(name)
        string(text)
    }

    package mutating func field(_ name: String, _ flag: Bool?) {
        guard let flag else { return }
        key(name)
        bool(flag)
    }

    package mutating func field(_ name: String, _ number: Double?) {
        guard let number else { return }
        key(name)
        double(number)
    }

    package mutating func field(_ name: String, _ number: Int64?) {
        guard let number else { return }
        key(name)
        integer(number)
    }

    package mutating func field(_ name: String, _ numbers: [Int64]?) {
        field(name, numbers) { writer, number in writer.integer(number) }
    }

    package mutating func field(_ name: String, _ strings: [String]?) {
        field(name, strings) { writer, text in writer.string(text) }
    }

    /// The field `name` holding an array of `elements`, each written by `element`.
    package mutating func field<Elements: Sequence>(_ name: String, _ elements: Elements?, each element: (inout JSONWriter, Elements.Element) -> Void) {
        guard let elements else { return }
        key(name)
        array(elements, each: element)
    }

    /// The field `name` holding an object whose fields `body` writes.
    package mutating func field(_ name: String, object body: (inout JSONWriter) -> Void) {
        key(name)
        object(body)
    }

    package mutating func field(_ name: String, _ value: JSONValue?) {
        guard let value else { return }
        key(name)
        self.value(value)
    }

    package mutating func field(_ name: String, _ object: [String: JSONValue]?) {
        guard let object else { return }
        key(name)
        value(.object(object))
    }

    // MARK: - Bytes

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    private static let nullBytes = Array("null".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        needsComma = false
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        needsComma = true
    }

    private mutating func appendDecimal(_ number: Int64) {
        if number >= 0, number < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(number))
        } else {
            bytes.append(contentsOf: String(number).utf8)
        }
    }

    /// `text` in quotes, escaped as `JSONEncoder` escapes: `"` and `\`, the control characters
    /// (`\b \f \n \r \t`, others as `\u00xx`); everything else, `/` and non-ASCII included, as is.
    private mutating func quoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                start = index + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                default:
                    bytes.append(contentsOf: [
                        UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), Self.hexDigits[Int(byte >> 4)], Self.hexDigits[Int(byte & 0xF)],
                    ])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// A wire type that writes itself with a ``JSONWriter``, byte for byte as `JSONEncoder` would
/// encode it, so the answers written on every request skip Foundation's coders.
package protocol JSONWritable {
    func write(to writer: inout JSONWriter)
}

extension JSONWritable {
    /// The value as JSON bytes.
    package var jsonBytes: [UInt8] {
        var writer = JSONWriter()
        write(to: &writer)
        return writer.bytes
    }
}

extension JSONValue: JSONWritable {
    package func write(to writer: inout JSONWriter) {
        writer.value(self)
    }
}
