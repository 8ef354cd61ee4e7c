import DragomanCore
package import DragomanDialectKit

extension DialectID {
    /// HCL Volt MX Engagement Services audience members.
    package static let voltMXAudience = DialectID(rawValue: "voltmx-audience")
}

extension VoltMXAudienceDialect {
    /// Basic (Volt MX's Gateway filter) and form-login sessions; `reconciliationKey` chooses
    /// the unique attribute (`email` or `mobileNumber`).
    static let registration = DialectRegistration(
        id: .voltMXAudience,
        defaultSchemes: [.basic, .session],
        optionKeys: ["reconciliationKey"],
        configure: { (section: ConfigSection, data: inout DialectData) throws(ConfigurationError) in
            if let key = try section.choice("reconciliationKey", ReconciliationKey.self) { data[ReconciliationKey.self] = key }
        },
        make: { data in VoltMXAudienceDialect(reconciliationKey: data[ReconciliationKey.self] ?? .email) },
        backend: { VoltMXAudienceDialect() }
    )
}

extension DialectRegistration {
    /// Volt MX audience members, for the gateway's registry.
    package static let voltMXAudience = VoltMXAudienceDialect.registration
}
