import DragomanCore
package import DragomanDialectKit

extension DialectID {
    /// DeliverySlip CCC's service users, a ServiceStack service.
    package static let deliverySlipCCC = DialectID(rawValue: "deliveryslip-ccc")
}

extension DeliverySlipCCCDialect {
    /// ServiceStack sessions (`ss-id`, `X-ss-id`), Bearer API keys and API keys as the Basic
    /// user name; `services` lists the known services and their user groups; as an upstream,
    /// `defaults.serviceGuid` names the service for callers that give none. Its own routes:
    /// ServiceStack's auth service, metadata pages and native types.
    static let registration = DialectRegistration(
        id: .deliverySlipCCC,
        defaultSchemes: [.session, .bearer, .basic],
        // ServiceStack's clients send an API key as the Basic user name.
        basicUserNameIsAPIKey: true,
        // The name `session` had before dialects brought their own login.
        upstreamSchemeAliases: ["serviceStackSession": "session"],
        fields: UserField.serviceOptions,
        optionKeys: ["services"],
        configure: { (section: ConfigSection, data: inout DialectData) throws(ConfigurationError) in
            data[ServiceDirectory.self] = try readServices(try section.section("services"))
        },
        make: { data in DeliverySlipCCCDialect(directory: data[ServiceDirectory.self] ?? ServiceDirectory()) },
        backend: { DeliverySlipCCCDialect() },
        backendDefaultKeys: ["serviceGuid"],
        configureBackend: { (defaults: ConfigSection, backend: inout BackendDefaults) throws(ConfigurationError) in
            guard let guid = try defaults.string("serviceGuid") else { return }
            guard let normal = ServiceStack.guid(guid) else { throw ConfigurationError(key: defaults.key("serviceGuid"), problem: "must be a GUID") }
            backend.tenant = normal
        },
        sessionCarriers: ServiceStackAuthWire.carriers,
        addRoutes: { router, signIn in
            ServiceStackAuthController(signIn: signIn).addRoutes(to: router)
            ServiceStackMetadataController(service: CCCTypes.service).addRoutes(to: router)
        }
    )

    /// `services: { <service GUID>: { groups: { <group GUID>: guest | professional } } }`
    static func readServices(_ section: ConfigSection) throws(ConfigurationError) -> ServiceDirectory {
        var services: [String: [String: ServiceOptions.GroupType]] = [:]
        for name in section.values.keys.sorted() {
            guard let serviceID = ServiceStack.guid(name) else {
                throw ConfigurationError(key: section.key(name), problem: "must be named by a service GUID (32 hex digits)")
            }
            let service = try section.section(name)
            try service.allowOnly(["groups"])
            let groups = try service.section("groups")
            var types: [String: ServiceOptions.GroupType] = [:]
            for group in groups.values.keys.sorted() {
                guard let groupID = ServiceStack.guid(group) else {
                    throw ConfigurationError(key: groups.key(group), problem: "must be named by a group GUID (32 hex digits)")
                }
                types[groupID] = try groups.choice(group, ServiceOptions.GroupType.self)
            }
            services[serviceID] = types
        }
        return ServiceDirectory(services: services)
    }
}

extension DialectRegistration {
    /// DeliverySlip CCC's service users, for the gateway's registry.
    package static let deliverySlipCCC = DeliverySlipCCCDialect.registration
}
