import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import HTTPTypes

/// A credential a request presents for one scheme. Finding one means the scheme recognised the
/// request, and so decides it, even when the credential turns out to be malformed or wrong.
enum PresentedCredential: Sendable {
    case password(user: String, password: String)
    case apiKey(String)
    case session(id: String)
    /// Recognisably meant for the scheme, but unreadable (bad Base64, no colon…).
    case malformed

    /// The credential `headers` present for `scheme`, or `nil` if it has none.
    static func find(
        _ scheme: AuthScheme, in headers: HTTPFields, apiKeyHeader: HTTPField.Name, basicUserNameIsAPIKey: Bool = false, carriers: SessionCarriers
    ) -> PresentedCredential? {
        switch scheme {
        case .basic:
            guard let value = authorization(headers, scheme: "basic") else { return nil }
            guard let data = Data(base64Encoded: value), let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else { return .malformed }
            let user = String(text[..<colon])
            let password = String(text[text.index(after: colon)...])
            if user.isEmpty { return .malformed }
            return password.isEmpty && basicUserNameIsAPIKey ? .apiKey(user) : .password(user: user, password: password)
        case .bearer:
            guard let value = authorization(headers, scheme: "bearer") else { return nil }
            return value.isEmpty ? .malformed : .apiKey(value)
        case .apiKey:
            guard let value = headers[apiKeyHeader] else { return nil }
            let key = String(value.trimmingOWS)
            return key.isEmpty ? .malformed : .apiKey(key)
        case .session:
            guard let id = carriers.sessionID(in: headers) else { return nil }
            return id.isEmpty ? .malformed : .session(id: id)
        }
    }

    /// The parameter of `Authorization: <scheme> <parameter>`, scheme compared case-insensitively.
    private static func authorization(_ headers: HTTPFields, scheme: String) -> String? {
        guard let header = headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard let first = parts.first, first.lowercased() == scheme else { return nil }
        return parts.count > 1 ? String(parts[1].trimmingOWS) : ""
    }
}
