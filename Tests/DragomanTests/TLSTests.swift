import AsyncHTTPClient
import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import HummingbirdTesting
import NIOCore
import NIOSSL
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// HTTPS with certificates made at test time: the listener (HTTP/1.1 and HTTP/2 by ALPN, the
/// connection guard kept, the certificate replaced by a reload), TLS to upstreams with a CA
/// bundle and a client certificate, and `Secure` session cookies.
@Suite struct TLSTests {
    /// An HTTPS gateway for `certificates`' `localhost` certificate.
    static func gateway(
        _ certificates: TestCertificates, http2: Bool = true,
        _ adjust: @escaping (inout GatewayConfiguration) -> Void = { _ in }
    ) throws -> TestGateway {
        let issued = try certificates.issue()
        return TestGateway { configuration in
            configuration.tls = ListenerTLS(
                certificatePath: issued.certificate, keyPath: issued.key, http2: http2)
            adjust(&configuration)
        }
    }

    /// A client that trusts only `caFile`. A refused handshake is retried until the connect
    /// timeout, so a client `expectingRefusal` keeps it short; the others wait long enough for
    /// a handshake on a machine busy with the whole parallel suite (2 s was too short there).
    static func client(trusting caFile: String, http1Only: Bool = false, expectingRefusal: Bool = false) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        if http1Only { configuration.httpVersion = .http1Only }
        configuration.timeout.connect = expectingRefusal ? .seconds(2) : .seconds(30)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Runs `body` with a client trusting `caFile`, and shuts the client down after it.
    static func withClient(
        trusting caFile: String, http1Only: Bool = false, expectingRefusal: Bool = false, _ body: (HTTPClient) async throws -> Void
    ) async throws {
        let client = try Self.client(trusting: caFile, http1Only: http1Only, expectingRefusal: expectingRefusal)
        do {
            try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    static func post(_ client: HTTPClient, _ url: String, _ body: String) async throws
        -> HTTPClientResponse
    {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        return try await client.execute(request, timeout: .seconds(20))
    }

    @Test func anHTTPSRoundTripOverHTTP1AndHTTP2() async throws {
        let certificates = try TestCertificates()
        let caFile = try certificates.caFile()
        try await Self.gateway(certificates).run { test in
            let port = try #require(test.port)
            for http1Only in [true, false] {
                try await Self.withClient(trusting: caFile, http1Only: http1Only) { client in
                    let email = http1Only ? "one@example.com" : "two@example.com"
                    let created = try await Self.post(
                        client, "https://localhost:\(port)/users",
                        #"{"name":"Ada Lovelace","email":"\#(email)"}"#)
                    #expect(created.status == .created)
                    #expect(created.version == (http1Only ? .http1_1 : .http2))
                    let body = try await created.body.collect(upTo: 1 << 20)
                    #expect(String(buffer: body).contains(email))
                }
            }
        }
    }

    @Test func aClientThatDoesNotTrustTheCertificateIsRefused() async throws {
        let certificates = try TestCertificates()
        let stranger = try TestCertificates(name: "Some Other CA")
        try await Self.gateway(certificates).run { test in
            try await Self.withClient(trusting: try stranger.caFile(), expectingRefusal: true) { client in
                await #expect(throws: (any Error).self) {
                    _ = try await Self.post(client, "https://localhost:\(test.port!)/users", Samples.telness)
                }
            }
        }
    }

    @Test func sessionCookiesAreSecureOverTLS() async throws {
        let certificates = try TestCertificates()
        let caFile = try certificates.caFile()
        let gateway = try Self.gateway(certificates) { configuration in
            configuration.principals = [
                Principal(name: "alice", passwordHash: AuthenticationTests.aliceHash, apiKeyHashes: [])
            ]
        }
        try await gateway.run { test in
            try await Self.withClient(trusting: caFile) { client in
                let login = try await Self.post(
                    client, "https://localhost:\(test.port!)/api/auth/credentials",
                    #"{"UserName":"alice","Password":"\#(AuthenticationTests.alicePassword)"}"#)
                #expect(login.status == .ok)
                let cookies = login.headers["set-cookie"]
                #expect(!cookies.isEmpty)
                for cookie in cookies { #expect(cookie.contains("; Secure"), "\(cookie)") }
            }
        }
    }

    @Test func theGuardStillClosesAConnectionThatNeverFinishesItsHandshake() async throws {
        let certificates = try TestCertificates()
        let gateway = try Self.gateway(certificates) {
            $0.connectionLimits.headerTimeout = .milliseconds(500)
        }
        try await gateway.run { test in
            let connection = try await RawConnection.open(port: try #require(test.port))
            let reply = await connection.readUntilClosed(timeout: 10)
            #expect(reply.closed)
        }
    }

    @Test func aReloadServesTheRenewedCertificateToNewConnections() async throws {
        let first = try TestCertificates(name: "First CA")
        let second = try TestCertificates(name: "Second CA")
        let (firstCA, secondCA) = (try first.caFile(), try second.caFile())
        let gateway = try Self.gateway(first)
        let source = ReloadTests.Source(gateway.configuration)
        let reloader = GatewayReloader { try source.read() }
        try await gateway.run(reloader: reloader) { test in
            let url = "https://localhost:\(test.port!)/users"
            // A client of its own for the refused attempt: its pool may still be retrying a
            // connection made before the reload, which would answer the next request with the
            // old certificate (seen once under a loaded machine).
            try await Self.withClient(trusting: secondCA, expectingRefusal: true) { trustsSecond in
                await #expect(throws: (any Error).self) {
                    _ = try await Self.post(trustsSecond, url, Samples.telness)
                }
            }
            let renewed = try second.issue()
            source.change {
                $0.tls = ListenerTLS(certificatePath: renewed.certificate, keyPath: renewed.key)
            }
            #expect(await reloader.reload(trigger: "test") == .applied(needsRestart: []))
            try await Self.withClient(trusting: secondCA) { trustsSecond in
                let created = try await Self.post(trustsSecond, url, Samples.telness)
                #expect(created.status == .created)
                // A key that is not there is refused, and the renewed certificate keeps serving.
                source.change {
                    $0.tls = ListenerTLS(
                        certificatePath: renewed.certificate, keyPath: "/nonexistent/key.pem")
                }
                guard case .refused(let reason) = await reloader.reload(trigger: "test") else {
                    Issue.record("a missing key was accepted")
                    return
                }
                #expect(reason.contains("server.tls.key"))
                try await Self.withClient(trusting: firstCA, expectingRefusal: true) { trustsFirst in
                    await #expect(throws: (any Error).self) {
                        _ = try await Self.post(trustsFirst, url, Samples.telness)
                    }
                }
            }
        }
    }

    @Test func forwardingToAnHTTPSBackendTrustsTheConfiguredCABundle() async throws {
        let certificates = try TestCertificates()
        let caFile = try certificates.caFile()
        try await Self.gateway(certificates).run { back in
            var upstream = ForwardingTests.upstream(port: back.port!, dialect: .telnessConnect)
            upstream.baseURL = "https://localhost:\(back.port!)"
            // Without the bundle the backend's certificate is not trusted: 502.
            try await ForwardingTests.front(.voltMXAudience, upstream).run { front in
                let reply = try await front.post("/api/v1/audience", Samples.audience)
                #expect(reply.status == .badGateway)
            }
            upstream.tls = UpstreamTLS(caBundle: caFile)
            try await ForwardingTests.front(.voltMXAudience, upstream).run { front in
                let reply = try await front.post("/api/v1/audience", Samples.audience)
                #expect(reply.status == .ok, "\(reply.text)")
            }
        }
    }

    @Test func forwardingRefusesAnHTTPSBackendWhoseCertificateNamesAnotherHost() async throws {
        let certificates = try TestCertificates()
        let caFile = try certificates.caFile()
        // Named for backend.example only: NIOSSL also accepts a certificate whose IP address
        // matches the connection's, so the usual test certificate's 127.0.0.1 would pass.
        let other = try certificates.issue("backend.example", loopbackIP: false)
        let backend = TestGateway { configuration in
            configuration.tls = ListenerTLS(certificatePath: other.certificate, keyPath: other.key, http2: false)
        }
        try await backend.run { back in
            // Trusted CA, but the certificate is for backend.example, not localhost: 502.
            var upstream = ForwardingTests.upstream(port: back.port!, dialect: .telnessConnect)
            upstream.baseURL = "https://localhost:\(back.port!)"
            upstream.tls = UpstreamTLS(caBundle: caFile)
            try await ForwardingTests.front(.voltMXAudience, upstream).run { front in
                let reply = try await front.post("/api/v1/audience", Samples.audience)
                #expect(reply.status == .badGateway)
            }
        }
    }

    @Test func aBackendThatDemandsAClientCertificateGetsTheConfiguredOne() async throws {
        let certificates = try TestCertificates()
        let caFile = try certificates.caFile()
        let server = try certificates.issue()
        // A stand-in backend that requires a client certificate signed by the test CA.
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(server.certificate).map {
                .certificate($0)
            },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: server.key, format: .pem))
        )
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        let router = Router()
        router.get("/proxied") { _, _ in "client certificate accepted" }
        let backend = Application(
            router: router, server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await backend.test(.live) { back in
            func proxied(_ upstreamTLS: UpstreamTLS) -> TestGateway {
                TestGateway { configuration in
                    var upstream = UpstreamConfiguration(
                        name: "legacy", baseURL: "https://localhost:\(back.port!)", dialect: .telnessConnect)
                    upstream.tls = upstreamTLS
                    configuration.upstreams = ["legacy": upstream]
                    configuration.proxyUpstream = "legacy"
                }
            }
            try await proxied(UpstreamTLS(caBundle: caFile)).run { front in
                let refused = try await front.get("/proxied")
                #expect(refused.status == .badGateway)
            }
            let client = try certificates.issue("dragoman", client: true)
            try await proxied(
                UpstreamTLS(caBundle: caFile, certificate: client.certificate, key: client.key)
            ).run { front in
                let reply = try await front.get("/proxied")
                #expect(reply.status == .ok)
                #expect(reply.text == "client certificate accepted")
            }
        }
    }

    @Test(arguments: [
        (
            "server:\n  tls:\n    certificate: /nonexistent/cert.pem\n    key: /nonexistent/key.pem\n",
            "server.tls.certificate"
        ),
        ("server:\n  tls:\n    certificate: /nonexistent/cert.pem\n", "server.tls.key"),
        ("server:\n  tls:\n    key: /nonexistent/key.pem\n", "server.tls.certificate"),
        (
            "upstreams:\n  a:\n    baseURL: https://x\n    dialect: telness-connect\n    tls:\n      caBundle: /nonexistent/ca.pem\n",
            "upstreams.a.tls.caBundle"
        ),
        (
            "upstreams:\n  a:\n    baseURL: http://x\n    dialect: telness-connect\n    tls:\n      caBundle: /etc/hostname\n",
            "upstreams.a.tls.caBundle"
        ),
        (
            "upstreams:\n  a:\n    baseURL: https://x\n    dialect: telness-connect\n    tls:\n      certificate: /nonexistent/c.pem\n",
            "upstreams.a.tls.key"
        ),
    ])
    func tlsSettingsThatCannotWorkNameTheirKey(yaml: String, key: String) throws {
        let path = try ConfigurationTests.file(yaml)
        #expect {
            try GatewayConfiguration.load(path: path, environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.key == key
        }
    }

    @Test func tlsSettingsAreRead() throws {
        let certificates = try TestCertificates()
        let server = try certificates.issue()
        let caFile = try certificates.caFile()
        let yaml = """
            server:
              tls:
                certificate: \(server.certificate)
                key: \(server.key)
                http2: false
            upstreams:
              a:
                baseURL: https://backend.example
                dialect: telness-connect
                tls:
                  caBundle: \(caFile)
            """
        let configuration = try GatewayConfiguration.load(
            path: try ConfigurationTests.file(yaml + "\n"), environment: [:])
        #expect(
            configuration.tls
                == ListenerTLS(certificatePath: server.certificate, keyPath: server.key, http2: false))
        #expect(configuration.upstreams["a"]?.tls == UpstreamTLS(caBundle: caFile))
    }
}
