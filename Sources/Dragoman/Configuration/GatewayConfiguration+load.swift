import DragomanCore
public import Foundation
import Logging

extension GatewayConfiguration {
    /// The configuration file used when none is named.
    public static let defaultPath = "config/dragoman.yaml"

    /// Loads the configuration: the YAML file at `path` (or `DRAGOMAN_CONFIG`, or the default
    /// file), overlaid by `DRAGOMAN_…` environment variables, overlaid by `overrides` (dotted keys
    /// from command-line flags).
    /// - Throws: ``ConfigurationError`` naming the key and what is wrong with it.
    public static func load(
        path: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: [String: String] = [:]
    ) throws(ConfigurationError) -> GatewayConfiguration {
        let file = path ?? environment["DRAGOMAN_CONFIG"] ?? defaultPath
        var tree = ConfigTree.mapping([:])
        if FileManager.default.fileExists(atPath: file) {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw ConfigurationError(key: file, problem: "cannot be read as UTF-8 text")
            }
            tree = try ConfigTree.parse(yaml: text, source: file)
        } else if path != nil || environment["DRAGOMAN_CONFIG"] != nil {
            throw ConfigurationError(key: file, problem: "does not exist")
        }
        tree.overlay(environment: environment)
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            tree.set(key.split(separator: ".").map(String.init), to: value)
        }
        return try GatewayConfiguration(tree: tree)
    }

    /// Reads a merged configuration tree.
    init(tree: ConfigTree) throws(ConfigurationError) {
        self.init()
        let root = try ConfigSection(tree, path: "")
        try root.allowOnly(["server", "store", "security", "log", "dialects"])

        let server = try root.section("server")
        try server.allowOnly(["host", "port", "bodyLimit"])
        if let host = try server.string("host") { self.host = host }
        if let port = try server.int("port", in: 0...65535) { self.port = port }
        if let limit = try server.int("bodyLimit", in: 1...(1 << 30)) { self.bodyLimit = limit }

        let store = try root.section("store")
        try store.allowOnly(["sqlite"])
        let sqlite = try store.section("sqlite")
        try sqlite.allowOnly(["path"])
        if let path = try sqlite.string("path") {
            guard !path.isEmpty else { throw ConfigurationError(key: sqlite.key("path"), problem: "must not be empty") }
            self.storePath = path
        }

        let security = try root.section("security")
        try security.allowOnly(["bcryptCost"])
        if let cost = try security.int("bcryptCost", in: 4...31) { self.bcryptCost = UInt8(cost) }

        let log = try root.section("log")
        try log.allowOnly(["level"])
        if let level = try log.choice("level", Logger.Level.self) { self.logLevel = level }

        let dialects = try root.section("dialects")
        try dialects.allowOnly(Set(DialectID.allCases.map(\.rawValue)))
        for id in DialectID.allCases {
            try readDialect(id, from: try dialects.section(id.rawValue))
        }
    }

    private mutating func readDialect(_ id: DialectID, from section: ConfigSection) throws(ConfigurationError) {
        var known: Set<String> = ["enabled", "mode"]
        if id == .voltMXAudience { known.insert("reconciliationKey") }
        if id == .deliverySlipCCC { known.insert("services") }
        try section.allowOnly(known)
        var settings = DialectSettings()
        if let enabled = try section.bool("enabled") { settings.enabled = enabled }
        if let mode = try section.choice("mode", Mode.self) {
            guard mode == .local else {
                throw ConfigurationError(key: section.key("mode"), problem: "is 'forward', but forwarding to a backend is not available yet; use 'local'")
            }
            settings.mode = mode
        }
        dialects[id] = settings
        if id == .voltMXAudience, let key = try section.choice("reconciliationKey", VoltMXAudienceDialect.ReconciliationKey.self) {
            reconciliationKey = key.rawValue
        }
        if id == .deliverySlipCCC {
            serviceDirectory = try Self.readServices(try section.section("services"))
        }
    }

    /// `services: { <service GUID>: { groups: { <group GUID>: Guest | Professional } } }`
    private static func readServices(_ section: ConfigSection) throws(ConfigurationError) -> ServiceDirectory {
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
