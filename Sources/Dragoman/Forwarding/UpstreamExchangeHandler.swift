import NIOCore
import NIOHTTP1

/// A request for one exchange on an upstream connection, and where its answer goes.
struct UpstreamExchange {
    let head: HTTPRequestHead
    let body: ByteBuffer?
    /// When the answer must have arrived; past it the exchange fails with `timeout` and the
    /// connection is closed.
    let deadline: NIODeadline
    let promise: EventLoopPromise<UpstreamAnswer>
}

/// A backend's complete answer to one exchange.
struct UpstreamAnswer: Sendable {
    let head: HTTPResponseHead
    let body: ByteBuffer?
}

/// Why an exchange on an upstream connection ended without an answer.
enum UpstreamExchangeError: Error, Equatable {
    /// The deadline passed before the whole answer arrived.
    case timeout
    /// The connection closed before the whole answer arrived.
    case closed
    /// The answer's body passed the largest size read.
    case tooLarge
    /// A second exchange was started on a connection that had one in progress.
    case busy
    /// Every connection stayed busy for the whole connect timeout: nothing was sent.
    case noConnectionFree
}

/// The last handler of an upstream connection: one exchange at a time. It writes the request's
/// head, body and end with one flush (one system call and one packet for a small request,
/// where AsyncHTTPClient flushes the head on its own first), collects the answer up to a size
/// limit, skips interim (1xx) answers, fails the exchange when the deadline passes, the
/// connection closes or the pipeline reports an error, and closes a connection that sends
/// anything between exchanges.
final class UpstreamExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = UpstreamExchange
    typealias OutboundOut = HTTPClientRequestPart

    /// The exchange in progress.
    private struct Pending {
        let promise: EventLoopPromise<UpstreamAnswer>
        let timeout: Scheduled<Void>
        var head: HTTPResponseHead?
        var body: ByteBuffer?
        /// An interim (1xx) head was read; its end is not the answer's.
        var interim = false
    }

    private let maxBodyBytes: Int
    private var pending: Pending?

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard pending == nil else {
            exchange.promise.fail(UpstreamExchangeError.busy)
            promise?.fail(UpstreamExchangeError.busy)
            return
        }
        let loop = context.eventLoop.assumeIsolated()
        let timeout = loop.scheduleTask(deadline: exchange.deadline) { [context] in
            self.fail(UpstreamExchangeError.timeout, context: context)
        }
        pending = Pending(promise: exchange.promise, timeout: timeout)
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let body = exchange.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Bytes between exchanges answer nothing that was asked: the connection is in a state
        // the next answer could not be told from, so it is closed (as nginx does).
        guard var exchange = pending else { return context.close(promise: nil) }
        switch unwrapInboundIn(data) {
        case .head(let head):
            if head.status.code >= 100, head.status.code < 200, head.status != .switchingProtocols {
                exchange.interim = true
            } else {
                exchange.head = head
            }
            pending = exchange
        case .body(var part):
            guard !exchange.interim else { return }
            if (exchange.body?.readableBytes ?? 0) + part.readableBytes > maxBodyBytes {
                return fail(UpstreamExchangeError.tooLarge, context: context)
            }
            if exchange.body == nil {
                exchange.body = part
            } else {
                // Release the copy held in `pending`, so the append does not copy the buffer.
                pending = nil
                exchange.body!.writeBuffer(&part)
            }
            pending = exchange
        case .end:
            if exchange.interim {
                exchange.interim = false
                pending = exchange
                return
            }
            guard let head = exchange.head else { return fail(UpstreamExchangeError.closed, context: context) }
            pending = nil
            exchange.timeout.cancel()
            exchange.promise.succeed(UpstreamAnswer(head: head, body: exchange.body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(UpstreamExchangeError.closed, context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error, context: context)
    }

    /// Fails the exchange in progress, if any, and closes the connection: what is left of a
    /// failed exchange on it cannot be told from the next answer.
    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        if let exchange = pending {
            pending = nil
            exchange.timeout.cancel()
            exchange.promise.fail(error)
        }
        context.close(promise: nil)
    }
}
