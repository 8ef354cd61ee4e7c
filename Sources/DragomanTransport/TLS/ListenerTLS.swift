package import DragomanDialectKit
import DragomanStore
import Foundation
package import NIOSSL
import Synchronization

/// `server.tls`: the gateway listens for HTTPS with this certificate chain and key (PEM files),
/// offering HTTP/2 by ALPN unless `http2` is off. Both files are read again at every reload.
public struct ListenerTLS: Sendable, Equatable {
    public var certificatePath: String
    public var keyPath: String
    public var http2 = true

    public init(certificatePath: String, keyPath: String, http2: Bool = true) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.http2 = http2
    }

    /// The server's TLS context, from the files as they are now; the error names the key.
    package func context() throws(ConfigurationError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw ConfigurationError(key: "server.tls.certificate", problem: "cannot be read as a PEM certificate chain: \(certificatePath) (\(error))")
        }
        guard !chain.isEmpty else { throw ConfigurationError(key: "server.tls.certificate", problem: "holds no certificate: \(certificatePath)") }
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw ConfigurationError(key: "server.tls.key", problem: "cannot be read as a PEM private key: \(keyPath) (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = http2 ? ["h2", "http/1.1"] : ["http/1.1"]
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw ConfigurationError(key: "server.tls", problem: "the certificate and key do not make a TLS context (\(error)); do they belong together?")
        }
    }
}

/// The TLS context new connections are set up with; a reload replaces it (a renewed
/// certificate), and connections already open keep theirs.
package final class TLSContextBox: Sendable {
    private let current: Mutex<NIOSSLContext>

    package init(_ context: NIOSSLContext) { current = Mutex(context) }

    package var context: NIOSSLContext { current.withLock { $0 } }

    package func replace(with context: NIOSSLContext) { current.withLock { $0 = context } }
}
