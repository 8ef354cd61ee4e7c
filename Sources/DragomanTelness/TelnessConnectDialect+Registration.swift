import DragomanCore
package import DragomanDialectKit

extension DialectID {
    /// The Telness Connect API's users.
    package static let telnessConnect = DialectID(rawValue: "telness-connect")
}

extension TelnessConnectDialect {
    /// The `X-API-Key` header, as Telness documents.
    static let registration = DialectRegistration(
        id: .telnessConnect,
        defaultSchemes: [.apiKey],
        make: { _ in TelnessConnectDialect() },
        backend: { TelnessConnectDialect() }
    )
}

extension DialectRegistration {
    /// The Telness Connect API's users, for the gateway's registry.
    package static let telnessConnect = TelnessConnectDialect.registration
}
