package import HTTPTypes

/// Dragoman's own cookies: form login's session and its CSRF token.
package enum SessionCookies {
    /// Form login's cookie.
    package static let formCookie = "dragoman-session"
    package static let csrfCookie = "dragoman-csrf"

    /// Every cookie the request sends, by name (the first of a repeated name wins).
    package static func cookieValues(_ headers: HTTPFields) -> [String: String] {
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
package struct SessionCarriers: Sendable, Equatable {
    package var headers: [String] = []
    package var cookies: [String] = []
    /// Where a client gets such a session, as parameters of the session scheme's
    /// `WWW-Authenticate` challenge (`login="/login"`).
    package var logins: [String] = []

    /// Form login's cookie alone.
    package static let formLogin = SessionCarriers(cookies: [SessionCookies.formCookie], logins: [#"login="/login""#])

    /// These carriers, then `other`'s.
    package func merging(_ other: SessionCarriers) -> SessionCarriers {
        SessionCarriers(
            headers: headers + other.headers.filter { !headers.contains($0) },
            cookies: cookies + other.cookies.filter { !cookies.contains($0) },
            logins: logins + other.logins.filter { !logins.contains($0) }
        )
    }

    /// The first session id found: the headers in order, then the cookies.
    package func sessionID(in fields: HTTPFields) -> String? {
        for name in headers {
            if let name = HTTPField.Name(name), let value = fields[name] { return String(value.trimmingOWS) }
        }
        let values = SessionCookies.cookieValues(fields)
        for name in cookies {
            if let value = values[name] { return value }
        }
        return nil
    }

    package init(headers: [String] = [], cookies: [String] = [], logins: [String] = []) {
        self.headers = headers
        self.cookies = cookies
        self.logins = logins
    }
}
