import DragomanCore
import Foundation

/// ServiceStack conventions the CCC API inherits: GUID forms, JSON dates, property labels.
enum ServiceStack {
    /// A GUID in N form (32 lowercase hex digits), from N, D (dashed) or braced input.
    static func guid(_ text: String) -> String? {
        var digits = text.trimmingCharacters(in: .whitespaces)
        if digits.hasPrefix("{") && digits.hasSuffix("}") { digits = String(digits.dropFirst().dropLast()) }
        if digits.count == 36 {
            let dashes = [8, 13, 18, 23].map { digits.index(digits.startIndex, offsetBy: $0) }
            guard dashes.allSatisfy({ digits[$0] == "-" }) else { return nil }
            digits.removeAll { $0 == "-" }
        }
        guard digits.count == 32, digits.allSatisfy(\.isHexDigit) else { return nil }
        return digits.lowercased()
    }

    /// The UUID a N-form GUID stands for.
    static func uuid(fromGUID n: String) -> UUID? {
        guard n.count == 32 else { return nil }
        var text = n
        for offset in [8, 13, 18, 23] { text.insert("-", at: text.index(text.startIndex, offsetBy: offset)) }
        return UUID(uuidString: text)
    }

    /// ServiceStack.Text's default date form, `/Date(milliseconds)/`.
    static func date(_ date: Date) -> String {
        "/Date(\(Int64((date.timeIntervalSince1970 * 1000).rounded())))/"
    }

    /// The label FluentValidation shows for a property: `EmailAddress` → `Email Address`.
    static func label(_ property: String) -> String {
        var label = ""
        for (index, character) in property.enumerated() {
            if index > 0, character.isUppercase, !(label.last?.isUppercase ?? false) { label.append(" ") }
            label.append(character)
        }
        return label
    }

    /// A JSONP callback name ServiceStack would accept.
    static func isSafeCallback(_ name: String) -> Bool {
        guard let first = name.first, name.count <= 128, first.isLetter || first == "_" || first == "$" else { return false }
        return name.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || "_$.".contains($0) }
    }
}

/// The realm a CCC service's users are unique within.
enum CCCRealm {
    static func realm(service: String) -> String { "ccc:\(service)" }
}
