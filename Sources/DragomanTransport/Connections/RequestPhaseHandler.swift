import DragomanDialectKit
import DragomanStore
import HTTPTypes
package import NIOCore
import NIOHTTP1
package import NIOHTTPTypes

/// Sits behind the HTTP/1 codec and tells the connection's ``ConnectionGuard`` where each
/// request stands (head read, end read, response started, response sent), and turns the
/// codec's parse errors into answers in the caller's dialect (414, 431, 400) instead of
/// Hummingbird's bare 400.
package final class RequestPhaseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPRequestPart
    package typealias InboundOut = HTTPRequestPart
    package typealias OutboundIn = HTTPResponsePart
    package typealias OutboundOut = HTTPResponsePart

    private let guardian: ConnectionGuard

    package init(guardian: ConnectionGuard) {
        self.guardian = guardian
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            guardian.headReceived(target: Substring(head.path ?? "/"))
            context.fireChannelRead(data)
        case .body:
            context.fireChannelRead(data)
        case .end:
            context.fireChannelRead(data)
            guardian.requestEnded()
        }
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let failure: GatewayFailure =
            switch parseError {
            case .headerOverflow: guardian.overflowFailure
            default: .malformedBody("the request is not valid HTTP/1.1")
            }
        guardian.parserFailed(failure)
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            guardian.responseStarted(closing: head.headerFields[.connection]?.lowercased() == "close")
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard guardian.closesAfterResponse else {
                context.write(data, promise: promise)
                guardian.responseEnded()
                return
            }
            // The connection closes after this response: only once it is written.
            let written = promise ?? context.eventLoop.makePromise()
            context.write(data, promise: written)
            written.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { [guardian] _ in
                guardian.responseEnded()
            }
        }
    }
}
