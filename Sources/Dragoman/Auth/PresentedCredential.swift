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
    static func find(_ scheme: AuthScheme, in headers: HTTPFields, apiKeyHeader: HTTPField.Name) -> PresentedCredential? {
        switch scheme {
        case .basic:
            guard let value = authorization(headers, scheme: "basic") else { return nil }
            guard let data = Data(base64Encoded: value), let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else { return .malformed }
            let user = String(text[..<colon])
            let password = String(text[text.index(after: colon)...])
            if user.isEmpty { return .malformed }
            return password.isEmpty ? .apiKey(user) : .password(user: user, password: password)
        case .bearer:
            guard let value = authorization(headers, scheme: "bearer") else { return nil }
            return value.isEmpty ? .malformed : .apiKey(value)
        case .apiKey:
            guard let value = headers[apiKeyHeader] else { return nil }
            let key = String(value.trimmingOWS)
            return key.isEmpty ? .malformed : .apiKey(key)
        case .session:
            guard let id = SessionCookies.sessionID(in: headers) else { return nil }
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

/// The cookies and headers sessions travel in.
enum SessionCookies {
    /// Form login's cookie.
    static let formCookie = "dragoman-session"
    /// ServiceStack's temporary and permanent session cookies.
    static let temporary = "ss-id"
    static let permanent = "ss-pid"
    /// The headers that carry the same ids where cookies are awkward.
    static let temporaryHeader = "X-ss-id"
    static let permanentHeader = "X-ss-pid"
    static let options = "ss-opt"
    static let csrfCookie = "dragoman-csrf"

    /// The first session id found: `X-ss-id`, `X-ss-pid` headers, then the cookies.
    static func sessionID(in headers: HTTPFields) -> String? {
        for name in [temporaryHeader, permanentHeader] {
            if let value = headers[HTTPField.Name(name)!] { return String(value.trimmingOWS) }
        }
        let cookies = cookieValues(headers)
        for name in [formCookie, temporary, permanent] {
            if let value = cookies[name] { return value }
        }
        return nil
    }

    /// Every cookie the request sends, by name (the first of a repeated name wins).
    static func cookieValues(_ headers: HTTPFields) -> [String: String] {
        var values: [String: String] = [:]
        for field in headers[values: .cookie] {
            for pair in field.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let name = String(parts[0].trimmingOWS)
                if values[name] == nil { values[name] = String(parts[1].trimmingOWS) }
            }
        }
        return values
    }
}
