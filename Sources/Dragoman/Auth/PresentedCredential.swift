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

/// Dragoman's own cookies: form login's session and its CSRF token.
enum SessionCookies {
    /// Form login's cookie.
    static let formCookie = "dragoman-session"
    static let csrfCookie = "dragoman-csrf"

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

/// Where session ids travel: header names and cookie names, in the order they are looked for.
/// Form login's cookie is Dragoman's own; a dialect with a session login of its own registers
/// its carriers (``DialectRegistration/sessionCarriers``), and the session scheme accepts all.
struct SessionCarriers: Sendable, Equatable {
    var headers: [String] = []
    var cookies: [String] = []
    /// Where a client gets such a session, as parameters of the session scheme's
    /// `WWW-Authenticate` challenge (`login="/login"`).
    var logins: [String] = []

    /// Form login's cookie alone.
    static let formLogin = SessionCarriers(cookies: [SessionCookies.formCookie], logins: [#"login="/login""#])

    /// These carriers, then `other`'s.
    func merging(_ other: SessionCarriers) -> SessionCarriers {
        SessionCarriers(
            headers: headers + other.headers.filter { !headers.contains($0) },
            cookies: cookies + other.cookies.filter { !cookies.contains($0) },
            logins: logins + other.logins.filter { !logins.contains($0) }
        )
    }

    /// The first session id found: the headers in order, then the cookies.
    func sessionID(in fields: HTTPFields) -> String? {
        for name in headers {
            if let name = HTTPField.Name(name), let value = fields[name] { return String(value.trimmingOWS) }
        }
        let values = SessionCookies.cookieValues(fields)
        for name in cookies {
            if let value = values[name] { return value }
        }
        return nil
    }
}
