import DragomanDialectKit
import DragomanStore
import Hummingbird
public import HummingbirdCore
package import HummingbirdHTTP2
public import Logging
public import NIOCore
package import NIOHTTP2
import NIOSSL
import NIOTLS

/// The HTTPS child channel: TLS with the current context (``TLSContextBox``), then by ALPN either
/// HTTP/2 (Hummingbird's HTTP/2 channel) or HTTP/1.1 through Dragoman's guarded channel, so an
/// HTTPS connection keeps every timeout and cap of a plain one. A connection that has not
/// finished its handshake within the header timeout is closed.
public struct GatewayTLSChannel: ServerChildChannel, HTTPChannelHandler {
    /// The negotiated protocol's channel value.
    public struct Value: ServerChildChannelValue {
        package let negotiated: EventLoopFuture<NIONegotiatedHTTPVersion<GuardedHTTP1Channel.Value, HTTP2Channel.Value>>
        public let channel: any Channel
    }

    package let contexts: TLSContextBox
    package let http1: GuardedHTTP1Channel
    package let http2: HTTP2Channel
    package let handshakeTimeout: TimeAmount

    public var responder: HTTPChannelHandler.Responder { http1.responder }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture { () throws -> EventLoopFuture<NIONegotiatedHTTPVersion<GuardedHTTP1Channel.Value, HTTP2Channel.Value>> in
            try channel.pipeline.syncOperations.addHandler(HandshakeDeadline(timeout: handshakeTimeout))
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: contexts.context))
            let alpn = NIOTypedApplicationProtocolNegotiationHandler<NIONegotiatedHTTPVersion<GuardedHTTP1Channel.Value, HTTP2Channel.Value>> { result in
                switch result {
                case .negotiated("h2"):
                    return http2.setup(channel: channel, logger: logger).map { .http2($0) }
                case .negotiated("http/1.1"), .fallback:
                    return http1.setup(channel: channel, logger: logger).map { .http1_1($0) }
                case .negotiated:
                    return channel.close().flatMap { channel.eventLoop.makeFailedFuture(NIOHTTP2Errors.invalidALPNToken()) }
                }
            }
            try channel.pipeline.syncOperations.addHandler(alpn)
            return alpn.protocolNegotiationResult
        }.map { Value(negotiated: $0, channel: channel) }
    }

    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http1_1(let connection): await http1.handle(value: connection, logger: logger)
            case .http2(let connection): await http2.handle(value: connection, logger: logger)
            }
        } catch {
            logger.debug("TLS connection ended before a protocol was agreed", metadata: ["dragoman.error": "\(type(of: error))"])
        }
    }
}

/// Closes a connection whose TLS handshake has not completed in time (a client that opens a
/// socket and says nothing), then leaves the pipeline.
package final class HandshakeDeadline: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = NIOAny
    package let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    package init(timeout: TimeAmount) { self.timeout = timeout }

    package func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    package func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            timer?.cancel()
            timer = nil
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func arm(_ context: ChannelHandlerContext) {
        guard timer == nil else { return }
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }
}

extension HTTPServerBuilder {
    /// HTTPS: TLS, then HTTP/2 or guarded HTTP/1.1 by ALPN, both answered by `responder`
    /// (the application's own per-request closure is not used).
    package static func guardedHTTPS(
        limits: ConnectionLimits, edge: EdgeResponder, contexts: TLSContextBox, answering responder: @escaping HTTPChannelHandler.Responder
    ) -> HTTPServerBuilder {
        let registry = ConnectionRegistry(limits: limits)
        return .init { _ in
            GatewayTLSChannel(
                contexts: contexts,
                http1: GuardedHTTP1Channel(responder: responder, limits: limits, registry: registry, edge: edge, secure: true),
                http2: HTTP2Channel(responder: responder, configuration: .init(idleTimeout: .nanoseconds(limits.idleTimeout.nanoseconds))),
                handshakeTimeout: limits.headerTimeout
            )
        }
    }
}
