package import DragomanDialectKit
import DragomanStore
import Foundation
package import NIOSSL

/// `upstreams.<name>.tls`: for an `https://` backend, the CA bundle its certificate is checked
/// against (instead of the system's roots) and the client certificate and key Dragoman
/// presents (mutual TLS). All PEM files; the hostname is always verified.
public struct UpstreamTLS: Sendable, Equatable {
    public var caBundle: String?
    public var certificate: String?
    public var key: String?

    public init(caBundle: String? = nil, certificate: String? = nil, key: String? = nil) {
        self.caBundle = caBundle
        self.certificate = certificate
        self.key = key
    }

    /// The client TLS configuration; problems are named under `key` (`upstreams.<name>.tls`).
    package func configuration(key section: String) throws(ConfigurationError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caBundle {
            do {
                let roots = try NIOSSLCertificate.fromPEMFile(caBundle)
                guard !roots.isEmpty else { throw ConfigurationError(key: section + "caBundle", problem: "holds no certificate: \(caBundle)") }
                configuration.trustRoots = .certificates(roots)
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw ConfigurationError(key: section + "caBundle", problem: "cannot be read as PEM certificates: \(caBundle) (\(error))")
            }
        }
        switch (certificate, key) {
        case (nil, nil):
            break
        case (let certificate?, let key?):
            do {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            } catch {
                throw ConfigurationError(key: section + "certificate", problem: "cannot be read as a PEM certificate chain: \(certificate) (\(error))")
            }
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            } catch {
                throw ConfigurationError(key: section + "key", problem: "cannot be read as a PEM private key: \(key) (\(error))")
            }
        case (nil, _):
            throw ConfigurationError(key: section + "certificate", problem: "is required with a client key")
        case (_, nil):
            throw ConfigurationError(key: section + "key", problem: "is required with a client certificate")
        }
        return configuration
    }
}
