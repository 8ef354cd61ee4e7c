import Crypto
import Foundation
import SwiftASN1
import X509

/// A certificate authority made at test time, and certificates it signs, written as PEM files
/// into a temporary folder: for the HTTPS listener, an HTTPS backend and a client certificate.
struct TestCertificates {
    let directory: URL
    private let caKey = P256.Signing.PrivateKey()
    private let caName: DistinguishedName
    let ca: Certificate

    init(name: String = "Dragoman Test CA") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        caName = try DistinguishedName { CommonName(name) }
        let now = Date()
        ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 86400, issuer: caName, subject: caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
            },
            issuerPrivateKey: .init(caKey)
        )
    }

    /// The CA certificate's PEM file.
    func caFile() throws -> String {
        try write("ca-\(UUID().uuidString).pem", try ca.serializeAsPEM().pemString)
    }

    /// A certificate for `localhost` and 127.0.0.1 (server) or a client certificate named
    /// `name` (and 127.0.0.1 unless `loopbackIP` is false): the paths of its PEM certificate and key.
    func issue(_ name: String = "localhost", client: Bool = false, loopbackIP: Bool = true) throws -> (certificate: String, key: String) {
        let key = P256.Signing.PrivateKey()
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 86400, issuer: caName,
            subject: try DistinguishedName { CommonName(name) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                SubjectAlternativeNames([.dnsName(name)] + (loopbackIP ? [.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))] : []))
                try ExtendedKeyUsage([client ? .clientAuth : .serverAuth])
            },
            issuerPrivateKey: .init(caKey)
        )
        let stem = "\(name)-\(UUID().uuidString)"
        return (try write("\(stem).pem", try certificate.serializeAsPEM().pemString), try write("\(stem).key", key.pemRepresentation))
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}
