public import Hummingbird
public import NIOCore

/// The request context of every Dragoman route: Hummingbird's core context plus the client's
/// address, which throttling and logs need.
public struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address, or `unknown`.
    var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }
}
