import DragomanDialectKit
import DragomanStore
import Hummingbird
public import HummingbirdCore
public import Logging
public import NIOCore
import NIOHTTP1
public import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 child channel with Dragoman's ``ConnectionGuard`` in front of the codec
/// and a ``RequestPhaseHandler`` behind it: the same pipeline as `HTTP1Channel` (with its
/// connection-state handler for graceful shutdown), plus timeouts,
/// connection caps, clean closes and dialect-shaped answers to requests the codec refuses.
public struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    public typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    public let responder: HTTPChannelHandler.Responder
    package let limits: ConnectionLimits
    package let registry: ConnectionRegistry
    package let edge: EdgeResponder
    /// Behind TLS: requests carry the `https` scheme.
    package let secure: Bool

    package init(
        responder: @escaping HTTPChannelHandler.Responder, limits: ConnectionLimits, registry: ConnectionRegistry, edge: EdgeResponder, secure: Bool = false
    ) {
        self.responder = responder
        self.limits = limits
        self.registry = registry
        self.edge = edge
        self.secure = secure
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.syncOptions?.setOption(ChannelOptions.recvAllocator, value: ConnectionLimits.receiveAllocator)
            let guardian = ConnectionGuard(limits: limits, registry: registry, responder: edge, logger: logger)
            try channel.pipeline.syncOperations.addHandler(guardian)
            var decoderLimits = NIOHTTPDecoderLimitConfiguration()
            decoderLimits.maxHeaderFieldSize = limits.maxHeaderBytes
            decoderLimits.maxHeaderListSize = limits.maxHeaderBytes
            decoderLimits.maxHeaderFieldCount = limits.maxHeaderCount
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: decoderLimits
            )
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: secure))
            try channel.pipeline.syncOperations.addHandler(RequestPhaseHandler(guardian: guardian))
            // Hummingbird's own handler, for graceful shutdown: it closes idle connections when the
            // server quiesces (timeouts are the guard's, so it gets none).
            try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    public func handle(value asyncChannel: Value, logger: Logger) async {
        // The connection's requests are handled on its own event loop (``EventLoopExecutor``).
        await withTaskExecutorPreference(EventLoopExecutor(asyncChannel.channel.eventLoop)) {
            await handleHTTP(asyncChannel: asyncChannel, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with Dragoman's connection guard, answered by `responder` (the application's own
    /// per-request closure is not used).
    package static func guardedHTTP1(limits: ConnectionLimits, edge: EdgeResponder, answering responder: @escaping HTTPChannelHandler.Responder)
        -> HTTPServerBuilder
    {
        let registry = ConnectionRegistry(limits: limits)
        return .init { _ in
            GuardedHTTP1Channel(responder: responder, limits: limits, registry: registry, edge: edge)
        }
    }
}
