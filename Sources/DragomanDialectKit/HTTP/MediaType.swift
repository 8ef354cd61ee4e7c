import Foundation

/// A parsed `Content-Type` value: type, subtype and parameters, lowercased.
package struct MediaType: Sendable, Equatable {
    package var type: String
    package var subtype: String
    package var parameters: [String: String]

    package init?(_ header: String) {
        let parts = header.split(separator: ";").map { String($0.trimmingOWS) }
        guard let essence = parts.first else { return nil }
        let pieces = essence.lowercased().split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count == 2, !pieces[0].isEmpty, !pieces[1].isEmpty else { return nil }
        type = String(pieces[0])
        subtype = String(pieces[1])
        var parameters: [String: String] = [:]
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            var value = pair[1].trimmingOWS
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = value.dropFirst().dropLast() }
            parameters[pair[0].trimmingOWS.lowercased()] = value.lowercased()
        }
        self.parameters = parameters
    }

    /// `application/json` or any `application/*+json`.
    package var isJSON: Bool { type == "application" && (subtype == "json" || subtype.hasSuffix("+json")) }
    package var isForm: Bool { type == "application" && subtype == "x-www-form-urlencoded" }
    /// No charset, or UTF-8.
    package var hasUTF8Charset: Bool {
        guard let charset = parameters["charset"] else { return true }
        return charset == "utf-8" || charset == "utf8"
    }
}
