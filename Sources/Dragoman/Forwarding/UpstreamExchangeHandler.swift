import DragomanDialectKit
import NIOCore
import NIOHTTP1

/// What the pool writes to an upstream connection: the start of an exchange, or a part or the
/// end of a streamed upload that follows its head.
enum UpstreamOutbound: Sendable {
    case exchange(UpstreamExchange)
    case uploadPart(ByteBuffer)
    case uploadEnd
}

/// A request for one exchange on an upstream connection, and where its answer goes.
struct UpstreamExchange: Sendable {
    let head: HTTPRequestHead
    /// The whole body, or `nil` (none, or one that follows as ``UpstreamOutbound/uploadPart(_:)``).
    let body: ByteBuffer?
    /// Whether the body follows in parts and an ``UpstreamOutbound/uploadEnd``; otherwise the
    /// request ends with `body`.
    let uploadFollows: Bool
    /// When the answer (a streamed one's head) must have arrived; past it the exchange fails
    /// with `timeout` and the connection is closed.
    let deadline: NIODeadline
    let delivery: UpstreamDelivery
}

/// How an exchange's answer is handed over.
enum UpstreamDelivery: Sendable {
    /// Whole, once it has all arrived.
    case whole(EventLoopPromise<UpstreamAnswer>)
    /// Head first, the body as it arrives (all of it at once when it arrived with the head);
    /// `done` completes when the exchange is over with whether the connection can be reused.
    /// The body's reads may be `idleTimeout` apart at most.
    case streamed(head: EventLoopPromise<UpstreamStreamedAnswer>, done: EventLoopPromise<Bool>, idleTimeout: TimeAmount)
}

/// A backend's complete answer to one exchange.
struct UpstreamAnswer: Sendable {
    let head: HTTPResponseHead
    let body: ByteBuffer?
}

/// A backend's answer as the reverse proxy streams it on.
struct UpstreamStreamedAnswer: Sendable {
    /// The body: whole when it had arrived by the time the head was handed over, else a stream.
    enum Body: Sendable {
        case complete(ByteBuffer?)
        case streaming(UpstreamResponseBody)
    }
    let head: HTTPResponseHead
    let body: Body
}

/// The body of a streamed answer, read with back-pressure: the connection reads from the
/// backend only while fewer than a few parts wait here. Abandoning it closes the connection.
typealias UpstreamResponseBody = NIOThrowingAsyncSequenceProducer<
    ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, UpstreamBodyDemand
>

/// Why an exchange on an upstream connection ended without an answer.
enum UpstreamExchangeError: Error, Equatable {
    /// The deadline passed before the whole answer arrived (for a streamed one: its head, or
    /// the next part of its body within the idle timeout).
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
/// where AsyncHTTPClient flushes the head on its own first), or the head and then the parts of
/// a streamed upload as they come. It collects a whole answer up to a size limit, or hands a
/// streamed one over head first and its body as it arrives, reading from the backend only as
/// fast as the body is consumed. It skips interim (1xx) answers, fails the exchange when its
/// deadline (or a streamed body's idle timeout) passes, the connection closes or the pipeline
/// reports an error, and closes a connection that sends anything between exchanges.
final class UpstreamExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = UpstreamOutbound
    typealias OutboundOut = HTTPClientRequestPart

    /// The exchange in progress.
    private struct Pending {
        let delivery: UpstreamDelivery
        let generation: UInt64
        var timer: Scheduled<Void>
        var head: HTTPResponseHead?
        var body: ByteBuffer?
        /// An interim (1xx) head was read; its end is not the answer's.
        var interim = false
        /// The request's end was written.
        var requestEnded: Bool
        /// A streamed answer's head was handed over; its body goes to `source`, if any.
        var handedOver = false
        var source: UpstreamResponseBody.Source?
        /// When a streamed answer's body last had a part.
        var lastRead: NIODeadline = .now()
    }

    private let maxBodyBytes: Int
    private var pending: Pending?
    private var generation: UInt64 = 0
    private var context: ChannelHandlerContext?
    /// The consumer of a streamed body has enough parts: the connection's reads wait.
    private var paused = false
    private var readHeld = false

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .exchange(let exchange):
            start(exchange, context: context, promise: promise)
        case .uploadPart(let part):
            guard let exchange = pending, !exchange.requestEnded else {
                promise?.fail(UpstreamExchangeError.closed)
                return
            }
            context.write(wrapOutboundOut(.body(.byteBuffer(part))), promise: promise)
        case .uploadEnd:
            guard var exchange = pending, !exchange.requestEnded else {
                promise?.fail(UpstreamExchangeError.closed)
                return
            }
            exchange.requestEnded = true
            pending = exchange
            context.write(wrapOutboundOut(.end(nil)), promise: promise)
        }
    }

    private func start(_ exchange: UpstreamExchange, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        guard pending == nil else {
            Self.fail(exchange.delivery, UpstreamExchangeError.busy)
            promise?.fail(UpstreamExchangeError.busy)
            return
        }
        generation &+= 1
        let generation = self.generation
        let timer = timer(at: exchange.deadline, generation: generation, context: context)
        pending = Pending(delivery: exchange.delivery, generation: generation, timer: timer, requestEnded: !exchange.uploadFollows)
        paused = false
        if exchange.uploadFollows {
            context.writeAndFlush(wrapOutboundOut(.head(exchange.head)), promise: promise)
            return
        }
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
            if let source = exchange.source {
                exchange.lastRead = .now()
                pending = exchange
                if case .stopProducing = source.yield(part) { paused = true }
                return
            }
            if case .whole = exchange.delivery, (exchange.body?.readableBytes ?? 0) + part.readableBytes > maxBodyBytes {
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
            paused = false
            exchange.timer.cancel()
            switch exchange.delivery {
            case .whole(let promise):
                promise.succeed(UpstreamAnswer(head: head, body: exchange.body))
            case .streamed(let headPromise, let done, _):
                // A backend that answered before it read the whole upload leaves the connection
                // in the middle of a request: it is closed, not reused. The connection goes back
                // to the pool before the answer's end is handed over, so that the next exchange
                // of the same caller finds it.
                let reusable = exchange.requestEnded && head.isKeepAlive
                if !reusable { context.close(promise: nil) }
                done.succeed(reusable)
                if let source = exchange.source {
                    source.finish()
                } else {
                    headPromise.succeed(UpstreamStreamedAnswer(head: head, body: .complete(exchange.body)))
                }
            }
        }
    }

    /// A streamed answer's head goes to its reader once the reads at hand are handled: a small
    /// body that came with it goes along whole, a larger one follows as a stream.
    func channelReadComplete(context: ChannelHandlerContext) {
        defer { context.fireChannelReadComplete() }
        guard var exchange = pending, !exchange.handedOver, let head = exchange.head, !exchange.interim,
            case .streamed(let headPromise, _, let idleTimeout) = exchange.delivery
        else { return }
        let demand = UpstreamBodyDemand(handler: NIOLoopBound(self, eventLoop: context.eventLoop), generation: exchange.generation)
        let stream = UpstreamResponseBody.makeSequence(
            elementType: ByteBuffer.self, failureType: (any Error).self,
            backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8), finishOnDeinit: false, delegate: demand
        )
        exchange.handedOver = true
        exchange.source = stream.source
        exchange.lastRead = .now()
        // From here the body's idle timeout bounds the wait, not the deadline for the head.
        exchange.timer.cancel()
        exchange.timer = timer(at: exchange.lastRead + idleTimeout, generation: exchange.generation, context: context)
        if let early = exchange.body {
            exchange.body = nil
            if case .stopProducing = stream.source.yield(early) { paused = true }
        }
        pending = exchange
        headPromise.succeed(UpstreamStreamedAnswer(head: head, body: .streaming(stream.sequence)))
    }

    func read(context: ChannelHandlerContext) {
        if paused {
            readHeld = true
        } else {
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(UpstreamExchangeError.closed, context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error, context: context)
    }

    /// The streamed body's reader wants more: reads resume.
    fileprivate func resumeReading(_ generation: UInt64) {
        guard pending?.generation == generation, paused else { return }
        paused = false
        if readHeld, let context {
            readHeld = false
            context.read()
        }
    }

    /// The streamed body's reader is gone before its end: the rest of the answer is unwanted,
    /// and the connection, in the middle of it, is closed.
    fileprivate func readerGone(_ generation: UInt64) {
        guard pending?.generation == generation, let context else { return }
        fail(UpstreamExchangeError.closed, context: context)
    }

    /// Checks the exchange of `generation` at `deadline` (see ``timerFired(_:)``).
    private func timer(at deadline: NIODeadline, generation: UInt64, context: ChannelHandlerContext) -> Scheduled<Void> {
        context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in timerFired(generation) }
    }

    /// The exchange's deadline, or a streamed body's idle timeout, may have passed.
    private func timerFired(_ generation: UInt64) {
        guard var exchange = pending, exchange.generation == generation, let context else { return }
        guard exchange.handedOver, case .streamed(_, _, let idleTimeout) = exchange.delivery else {
            return fail(UpstreamExchangeError.timeout, context: context)
        }
        let now = NIODeadline.now()
        // A paused body waits for its reader, not for the backend.
        if paused { exchange.lastRead = now }
        guard exchange.lastRead + idleTimeout <= now else {
            exchange.timer = timer(at: exchange.lastRead + idleTimeout, generation: generation, context: context)
            pending = exchange
            return
        }
        fail(UpstreamExchangeError.timeout, context: context)
    }

    /// Fails the exchange in progress, if any, and closes the connection: what is left of a
    /// failed exchange on it cannot be told from the next answer.
    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        if let exchange = pending {
            pending = nil
            paused = false
            exchange.timer.cancel()
            if let source = exchange.source {
                source.finish(error)
                if case .streamed(_, let done, _) = exchange.delivery { done.succeed(false) }
            } else {
                Self.fail(exchange.delivery, error)
            }
        }
        if readHeld {
            readHeld = false
            context.read()
        }
        context.close(promise: nil)
    }

    private static func fail(_ delivery: UpstreamDelivery, _ error: any Error) {
        switch delivery {
        case .whole(let promise):
            promise.fail(error)
        case .streamed(let head, let done, _):
            head.fail(error)
            done.succeed(false)
        }
    }
}

/// Tells an upstream connection that its streamed body's reader wants more, or is gone.
struct UpstreamBodyDemand: NIOAsyncSequenceProducerDelegate {
    let handler: NIOLoopBound<UpstreamExchangeHandler>
    let generation: UInt64

    func produceMore() {
        let (handler, generation) = (self.handler, self.generation)
        handler.eventLoop.execute { handler.value.resumeReading(generation) }
    }

    func didTerminate() {
        let (handler, generation) = (self.handler, self.generation)
        handler.eventLoop.execute { handler.value.readerGone(generation) }
    }
}
