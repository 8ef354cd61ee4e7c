/// The secure-messaging services the gateway knows, with their user groups. When it is empty,
/// any service id and any group id is accepted and a group's type cannot be checked.
public struct ServiceDirectory: Sendable, Equatable {
    /// Service id (32 lowercase hex digits) → group id (same form) → group type.
    public var services: [String: [String: ServiceOptions.GroupType]]

    public init(services: [String: [String: ServiceOptions.GroupType]] = [:]) {
        self.services = services
    }

    /// Whether only listed services are accepted.
    public var isRestricted: Bool { !services.isEmpty }
}
