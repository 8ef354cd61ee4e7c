import DragomanDialectKit
import DragomanStore
import Foundation

/// Where a backend is, parsed once from its base URL: the address to connect to, the `Host`
/// header, whether TLS is spoken, and the context path every request path goes under.
struct UpstreamAddress: Sendable, Equatable {
    let host: String
    let port: Int
    let tls: Bool
    let hostHeader: String
    /// The base URL's path, as written (`/kpns`), or empty.
    let basePath: String

    /// `nil` unless `baseURL` is an `http://` or `https://` URL with a host.
    init?(baseURL: String) {
        guard let components = URLComponents(string: baseURL), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { return nil }
        tls = scheme == "https"
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        port = components.port ?? (tls ? 443 : 80)
        let bracketed = self.host.contains(":") ? "[\(self.host)]" : self.host
        hostHeader = components.port == nil ? bracketed : "\(bracketed):\(port)"
        let path = components.percentEncodedPath
        basePath = path.hasSuffix("/") ? String(path.dropLast()) : path
    }
}
