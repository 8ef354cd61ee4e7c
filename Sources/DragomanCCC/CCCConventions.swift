import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

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

    /// A JSONP callback name made safe as ServiceStack's `SafeVarRef` makes it: every character
    /// but ASCII letters, digits, `.` and `_` becomes `_`.
    static func safeCallback(_ name: String) -> String {
        String(
            name.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "." || $0 == "_") ? Character($0) : "_" })
    }

    /// `response` as JSONP when `callback` is given: `callback(` + JSON + `)`, `text/javascript`,
    /// and status 200 even for an error (a script tag cannot read a status; the body carries the
    /// `responseStatus`), as ServiceStack answers JSONP.
    static func jsonp(_ response: DialectResponse, callback: String?) -> DialectResponse {
        guard let callback else { return response }
        var wrapped = response
        wrapped.status = .ok
        wrapped.body = Array("\(safeCallback(callback))(".utf8) + response.body + Array(")".utf8)
        wrapped.headers[.contentType] = "text/javascript; charset=utf-8"
        return wrapped
    }
}

/// The realm a CCC service's users are unique within.
enum CCCRealm {
    static func realm(service: String) -> String { "ccc:\(service)" }
}
