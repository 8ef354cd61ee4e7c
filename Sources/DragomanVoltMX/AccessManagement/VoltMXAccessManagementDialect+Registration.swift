import DragomanCore
package import DragomanDialectKit

extension DialectID {
    /// Volt MX Foundry access management users.
    package static let voltMXAccessManagement = DialectID(rawValue: "voltmx-accessmgmt")
}

extension VoltMXAccessManagementDialect {
    /// Basic and form-login sessions, as the Volt MX console's API.
    static let registration = DialectRegistration(
        id: .voltMXAccessManagement,
        defaultSchemes: [.basic, .session],
        make: { _ in VoltMXAccessManagementDialect() },
        backend: { VoltMXAccessManagementDialect() }
    )
}

extension DialectRegistration {
    /// Volt MX access-management users, for the gateway's registry.
    package static let voltMXAccessManagement = VoltMXAccessManagementDialect.registration
}
