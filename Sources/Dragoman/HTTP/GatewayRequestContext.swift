import DragomanDialectKit
import DragomanStore
import DragomanTransport
public import Hummingbird
public import NIOCore

/// The request context of every Dragoman route: Hummingbird's core context, the client's
/// address (throttling and logs need it) and, on a dialect route, what the pipeline has learnt
/// of the request so far.
public struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The dialect route's state, set by ``DialectMiddleware``.
    var dialectRoute: DialectRouteState?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The request's id (``RequestRecord``). Hummingbird's own `id` reads a logger entry
    /// (`hb.request.id`) that Dragoman's connections do not make (``ConnectionResponder``).
    public var id: String { RequestRecord.current?.requestID ?? "unknown" }

    /// The client's IP address, or `unknown`.
    var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }
}
