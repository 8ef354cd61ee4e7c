import DragomanDialectKit
import DragomanStore
import Foundation

/// Where a backend is, parsed once from its base URL: the address to connect to, the `Host`
/// header, whether TLS is spoken, and the context path every request path goes under.
package struct UpstreamAddress: Sendable, Equatable {
    package let host: String
    package let port: Int
    package let tls: Bool
    package let hostHeader: String
    /// The base URL's path, as written (`/kpns`), or empty.
    package let basePath: String

    /// `nil` unless `baseURL` is an `http://` or `https://` URL with a host.
    package init?(baseURL: String) {
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

    package init(host: String, port: Int, tls: Bool, hostHeader: String, basePath: String) {
        self.host = host
        self.port = port
        self.tls = tls
        self.hostHeader = hostHeader
        self.basePath = basePath
    }
}
