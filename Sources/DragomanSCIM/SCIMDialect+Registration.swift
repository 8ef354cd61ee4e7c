import DragomanCore
package import DragomanDialectKit

extension SCIMDialect {
    /// `Authorization: Bearer` with an API key, what Okta's and Entra ID's "secret token"
    /// sends; the configuration may add Basic.
    static let registration = DialectRegistration(
        id: .scim,
        defaultSchemes: [.bearer],
        fields: [.scimResource],
        optionKeys: ["groupMapping"],
        configure: { (section: ConfigSection, data: inout DialectData) throws(ConfigurationError) in
            data[SCIMGroupMapping.self] = try SCIMGroupMapping.read(try section.section("groupMapping"), fields: data[FieldTable.self] ?? .standard)
        },
        make: { data in SCIMDialect(groupMapping: data[SCIMGroupMapping.self]) },
        backend: { SCIMDialect() },
        addRoutes: { router, _ in SCIMDiscovery.addRoutes(to: router) }
    )
}

extension DialectRegistration {
    /// SCIM 2.0's Users, for the gateway's registry.
    package static let scim = SCIMDialect.registration
}
