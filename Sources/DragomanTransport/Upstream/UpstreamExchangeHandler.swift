import DragomanDialectKit
import DragomanStore
package import NIOCore
package import NIOHTTP1

/// What the pool writes to an upstream connection: the start of an exchange, or a part or the
/// end of a streamed upload that follows its head.
package enum UpstreamOutbound: Sendable {
    case exchange(UpstreamExchange)
    case uploadPart(ByteBuffer)
    case uploadEnd
}

/// A request for one exchange on an upstream connection, and where its answer goes.
package struct UpstreamExchange: Sendable {
    package let head: HTTPRequestHead
    /// The whole body, or `nil` (none, or one that follows as ``UpstreamOutbound/uploadPart(_:)``).
    package let body: ByteBuffer?
    /// Whether the body follows in parts and an ``UpstreamOutbound/uploadEnd``; otherwise the
    /// request ends with `body`.
    package let uploadFollows: Bool
    /// When the answer (a streamed one's head) must have arrived; past it the exchange fails
    /// with `timeout` and the connection is closed.
    package let deadline: NIODeadline
    package let delivery: UpstreamDelivery

    package init(head: HTTPRequestHead, body: ByteBuffer? = nil, uploadFollows: Bool, deadline: NIODeadline, delivery: UpstreamDelivery) {
        self.head = head
        self.body = body
        self.uploadFollows = uploadFollows
        self.deadline = deadline
        self.delivery = delivery
    }
}

/// How an exchange's answer is handed over.
package enum UpstreamDelivery: Sendable {
    /// Whole, once it has all arrived.
    case whole(EventLoopPromise<UpstreamAnswer>)
    /// Head first, the body as it arrives (all of it at once when it arrived with the head);
    /// `done` completes when the exchange is over with whether the connection can be reused.
    /// The body's reads may be `idleTimeout` apart at most.
    case streamed(head: EventLoopPromise<UpstreamStreamedAnswer>, done: EventLoopPromise<Bool>, idleTimeout: TimeAmount)
}

/// A backend's complete answer to one exchange.
package struct UpstreamAnswer: Sendable {
    package let head: HTTPResponseHead
    package let body: ByteBuffer?

    package init(head: HTTPResponseHead, body: ByteBuffer? = nil) {
        self.head = head
        self.body = body
    }
}

/// A backend's answer as the reverse proxy streams it on.
package struct UpstreamStreamedAnswer: Sendable {
    /// The body: whole when it had arrived by the time the head was handed over, else a stream.
    package enum Body: Sendable {
        case complete(ByteBuffer?)
        case streaming(UpstreamResponseBody)
    }
    package let head: HTTPResponseHead
    package let body: Body

    package init(head: HTTPResponseHead, body: Body) {
        self.head = head
        self.body = body
    }
}

/// The body of a streamed answer, read with back-pressure: the connection reads from the
/// backend only while fewer than a few parts wait here. Abandoning it closes the connection.
package typealias UpstreamResponseBody = NIOThrowingAsyncSequenceProducer<
    ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, UpstreamBodyDemand
>

/// Why an exchange on an upstream connection ended without an answer.
package enum UpstreamExchangeError: Error, Equatable {
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
///
/// The rules live in ``UpstreamExchangeState``; this handler holds what cannot be a value (the
/// exchange's promises, the body's stream, the timer) and performs what the state decides, with
/// the event loop's clock (`eventLoop.now`, so an `EmbeddedEventLoop` drives it by hand).
package final class UpstreamExchangeHandler: ChannelDuplexHandler {
    package typealias InboundIn = HTTPClientResponsePart
    package typealias OutboundIn = UpstreamOutbound
    package typealias OutboundOut = HTTPClientRequestPart

    private var state: UpstreamExchangeState
    /// Where the exchange in progress delivers its answer.
    private var delivery: UpstreamDelivery?
    /// A streamed answer's body, once its head was handed over.
    private var source: UpstreamResponseBody.Source?
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    package init(maxBodyBytes: Int) {
        self.state = UpstreamExchangeState(maxBodyBytes: maxBodyBytes)
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .exchange(let exchange):
            start(exchange, context: context, promise: promise)
        case .uploadPart(let part):
            guard state.acceptsUpload else {
                promise?.fail(UpstreamExchangeError.closed)
                return
            }
            context.write(wrapOutboundOut(.body(.byteBuffer(part))), promise: promise)
        case .uploadEnd:
            guard state.uploadEnded() else {
                promise?.fail(UpstreamExchangeError.closed)
                return
            }
            context.write(wrapOutboundOut(.end(nil)), promise: promise)
        }
    }

    private func start(_ exchange: UpstreamExchange, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        let kind: UpstreamExchangeState.Kind =
            switch exchange.delivery {
            case .whole: .whole
            case .streamed(_, _, let idleTimeout): .streamed(idleTimeout: idleTimeout)
            }
        guard state.start(kind, uploadFollows: exchange.uploadFollows, at: context.eventLoop.now) else {
            Self.fail(exchange.delivery, UpstreamExchangeError.busy)
            promise?.fail(UpstreamExchangeError.busy)
            return
        }
        delivery = exchange.delivery
        source = nil
        schedule(at: exchange.deadline, context: context)
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

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            perform(state.headReceived(head), context: context)
        case .body(let part):
            perform(state.bodyReceived(part, at: context.eventLoop.now), context: context)
        case .end:
            finish(state.endReceived(), context: context)
        }
    }

    private func perform(_ action: UpstreamExchangeState.ReadAction, context: ChannelHandlerContext) {
        switch action {
        case .none: break
        case .closeConnection: context.close(promise: nil)
        case .fail(let error): fail(error, context: context)
        case .yield(let part):
            if let source, case .stopProducing = source.yield(part) { state.readerFull() }
        }
    }

    private func finish(_ action: UpstreamExchangeState.EndAction, context: ChannelHandlerContext) {
        switch action {
        case .none: return
        case .closeConnection: return context.close(promise: nil)
        case .fail(let error): return fail(error, context: context)
        case .whole(let head, let body):
            let delivery = takeExchange()
            if case .whole(let promise) = delivery { promise.succeed(UpstreamAnswer(head: head, body: body)) }
        case .streamed(let head, let body, let handedOver, let reusable):
            let source = self.source
            guard case .streamed(let headPromise, let done, _) = takeExchange() else { return }
            // The connection goes back to the pool before the answer's end is handed over, so
            // that the next exchange of the same caller finds it.
            if !reusable { context.close(promise: nil) }
            done.succeed(reusable)
            if handedOver {
                source?.finish()
            } else {
                headPromise.succeed(UpstreamStreamedAnswer(head: head, body: .complete(body)))
            }
        }
    }

    /// The exchange's delivery, with its timer and stream let go.
    private func takeExchange() -> UpstreamDelivery? {
        timer?.cancel()
        timer = nil
        source = nil
        defer { delivery = nil }
        return delivery
    }

    /// A streamed answer's head goes to its reader once the reads at hand are handled: a small
    /// body that came with it goes along whole, a larger one follows as a stream.
    package func channelReadComplete(context: ChannelHandlerContext) {
        defer { context.fireChannelReadComplete() }
        guard case .streamed(let headPromise, _, _) = delivery, let handOver = state.readsHandled(at: context.eventLoop.now) else { return }
        let demand = UpstreamBodyDemand(handler: NIOLoopBound(self, eventLoop: context.eventLoop), generation: state.generation)
        let stream = UpstreamResponseBody.makeSequence(
            elementType: ByteBuffer.self,
            failureType: (any Error).self,
            backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8),
            finishOnDeinit: false,
            delegate: demand
        )
        source = stream.source
        schedule(at: handOver.idleDeadline, context: context)
        if let early = handOver.early, case .stopProducing = stream.source.yield(early) { state.readerFull() }
        headPromise.succeed(UpstreamStreamedAnswer(head: handOver.head, body: .streaming(stream.sequence)))
    }

    package func read(context: ChannelHandlerContext) {
        if state.readRequested() { context.read() }
    }

    package func channelInactive(context: ChannelHandlerContext) {
        fail(UpstreamExchangeError.closed, context: context)
        context.fireChannelInactive()
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error, context: context)
    }

    /// The streamed body's reader wants more: reads resume.
    fileprivate func resumeReading(_ generation: UInt64) {
        if state.readerWantsMore(generation), let context { context.read() }
    }

    /// The streamed body's reader is gone before its end: the rest of the answer is unwanted,
    /// and the connection, in the middle of it, is closed.
    fileprivate func readerGone(_ generation: UInt64) {
        guard state.readerLeft(generation), let context else { return }
        fail(UpstreamExchangeError.closed, context: context)
    }

    /// (Re)arms the exchange's timer for `deadline` (see ``timerFired(_:)``).
    private func schedule(at deadline: NIODeadline, context: ChannelHandlerContext) {
        timer?.cancel()
        let generation = state.generation
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in timerFired(generation) }
    }

    /// The exchange's deadline, or a streamed body's idle timeout, may have passed.
    private func timerFired(_ generation: UInt64) {
        guard let context else { return }
        switch state.timerFired(generation, at: context.eventLoop.now) {
        case .ignore: return
        case .timeout: fail(UpstreamExchangeError.timeout, context: context)
        case .checkAgain(let deadline): schedule(at: deadline, context: context)
        }
    }

    /// Fails the exchange in progress, if any, and closes the connection: what is left of a
    /// failed exchange on it cannot be told from the next answer.
    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        let failure = state.fail()
        let source = self.source
        if failure.hadExchange, let delivery = takeExchange() {
            if failure.handedOver {
                source?.finish(error)
                if case .streamed(_, let done, _) = delivery { done.succeed(false) }
            } else {
                Self.fail(delivery, error)
            }
        }
        if failure.releaseRead { context.read() }
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
package struct UpstreamBodyDemand: NIOAsyncSequenceProducerDelegate {
    package let handler: NIOLoopBound<UpstreamExchangeHandler>
    package let generation: UInt64

    package func produceMore() {
        let (handler, generation) = (self.handler, self.generation)
        handler.eventLoop.execute { handler.value.resumeReading(generation) }
    }

    package func didTerminate() {
        let (handler, generation) = (self.handler, self.generation)
        handler.eventLoop.execute { handler.value.readerGone(generation) }
    }

    package init(handler: NIOLoopBound<UpstreamExchangeHandler>, generation: UInt64) {
        self.handler = handler
        self.generation = generation
    }
}
