import DragomanCore

extension DialectID {
    /// The Telness Connect API's users.
    public static let telnessConnect = DialectID(rawValue: "telness-connect")
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
