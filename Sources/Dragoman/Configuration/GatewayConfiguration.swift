public import DragomanCore
import Foundation
public import Logging

/// Everything Dragoman is configured with. Built from `config/dragoman.yaml`, then environment
/// variables, then command-line flags, each overriding the one before (see the README).
public struct GatewayConfiguration: Sendable {
    /// How a dialect's requests are answered.
    public enum Mode: String, Sendable, CaseIterable {
        /// From Dragoman's own store.
        case local
        /// By a backend (not yet available).
        case forward
    }

    /// One dialect's settings.
    public struct DialectSettings: Sendable, Equatable {
        public var enabled = true
        public var mode = Mode.local
    }

    public var host = "127.0.0.1"
    public var port = 8080
    /// The largest request body accepted, in bytes.
    public var bodyLimit = 1_048_576
    public var storePath = "./data/dragoman.sqlite"
    public var bcryptCost: UInt8 = 10
    public var logLevel: Logger.Level = .info
    public var dialects: [DialectID: DialectSettings] = Dictionary(uniqueKeysWithValues: DialectID.allCases.map { ($0, DialectSettings()) })
    public var reconciliationKey = "email"
    public var serviceDirectory = ServiceDirectory()

    public init() {}

    /// The dialects to mount, in a fixed order.
    var enabledDialects: [any UserDialect] {
        var result: [any UserDialect] = []
        for id in DialectID.allCases where dialects[id]?.enabled ?? true {
            switch id {
            case .voltMXAudience:
                result.append(VoltMXAudienceDialect(reconciliationKey: .init(rawValue: reconciliationKey) ?? .email))
            case .voltMXAccessManagement: result.append(VoltMXAccessManagementDialect())
            case .telnessConnect: result.append(TelnessConnectDialect())
            case .deliverySlipCCC: result.append(DeliverySlipCCCDialect())
            }
        }
        return result
    }
}
