import DragomanCore
package import DragomanDialectKit
import DragomanStore
package import Logging
package import NIOCore

/// The first handler of every connection, on the raw bytes: enforces the timeouts of
/// ``ConnectionLimits``, admits the connection through the ``ConnectionRegistry``, and closes
/// every refused connection cleanly.
///
/// It learns where each request stands from ``RequestPhaseHandler``, which sits behind the
/// HTTP/1 codec. When it gives up on a request it answers where an answer is still possible
/// (408, 414, 431, 503, in the caller's dialect when the path is known), half-closes, reads and
/// drops whatever the client still sends for ``ConnectionLimits/lingerTimeout`` (so the client
/// reads the answer instead of a reset), and closes. One timer per connection, rescheduled lazily.
///
/// The rules live in ``ConnectionGuardState``, a value this handler feeds with what happens and
/// the event loop's time (`eventLoop.now`, so an `EmbeddedEventLoop` drives it by hand); the
/// handler only performs what the state decides on its channel.
package final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = ByteBuffer
    package typealias InboundOut = ByteBuffer
    package typealias OutboundIn = IOData
    package typealias OutboundOut = IOData

    private let limits: ConnectionLimits
    private let registry: ConnectionRegistry
    /// What this connection tells the registry it is doing.
    private let slot = ConnectionRegistry.Slot()
    private let responder: EdgeResponder
    private let logger: Logger

    /// Where the connection stands; set when the handler joins its channel.
    private var state: ConnectionGuardState
    /// Whether the connection has been counted in (at activation, or when added to an active one).
    private var admitted = false
    /// The request line, kept only while the head is incomplete (for the path of an answer).
    private var requestLine: [UInt8] = []
    /// The request line's part of the read being decoded, while it is decoded.
    private var lineInFlight: ByteBuffer?
    /// The current request's target, once its head was parsed.
    private var target: Substring?
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    /// This handler's own place in the pipeline, for the reports that come from behind the codec.
    private var context: ChannelHandlerContext?

    package init(limits: ConnectionLimits, registry: ConnectionRegistry, responder: EdgeResponder, logger: Logger) {
        self.limits = limits
        self.registry = registry
        self.responder = responder
        self.logger = logger
        self.state = ConnectionGuardState(limits: limits, now: .now())
    }

    private var id: ObjectIdentifier { ObjectIdentifier(self) }

    /// The connection answers its current response and then closes.
    package var closesAfterResponse: Bool { state.closesAfterResponse }

    // MARK: Channel events

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        state = ConnectionGuardState(limits: limits, now: context.eventLoop.now)
        // Behind TLS the guard joins after the handshake, when the channel is already active.
        if context.channel.isActive { admit(context: context) }
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    package func channelActive(context: ChannelHandlerContext) {
        if !admitted { admit(context: context) }
        context.fireChannelActive()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        registry.remove(id)
        context.fireChannelInactive()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let wasInRequest = state.inRequest
        // Dropped: the answer is out, the connection closing.
        guard state.bytesArrived(count: buffer.readableBytes, at: context.eventLoop.now) else { return }
        if !wasInRequest, state.inRequest {
            requestLine = []  // no capacity kept: an idle connection holds no buffer
            target = nil
        }
        // The part of this buffer that is request line, as a slice (no copy) while the decoder
        // runs; copied only if the head stays incomplete, for an answer in the right dialect.
        if state.isReadingRequestLine {
            let view = buffer.readableBytesView
            let newline = view.firstIndex(of: UInt8(ascii: "\n"))
            let count = newline.map { $0 - view.startIndex } ?? view.count
            lineInFlight = buffer.getSlice(at: buffer.readerIndex, length: count)
            if state.requestLineArrived(count, newline: newline != nil) {
                refuse(.uriTooLong(limit: limits.maxRequestLineBytes), context: context)
                return
            }
        }
        context.fireChannelRead(data)
        if let line = lineInFlight, !state.headerDone {
            requestLine.append(contentsOf: line.readableBytesView.prefix(max(0, limits.maxRequestLineBytes - requestLine.count)))
        }
        lineInFlight = nil
        armTimer(context: context)
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        if state.isLingering {
            context.read()  // keep draining what the client sends until it stops or time is up
            return
        }
        context.fireChannelReadComplete()
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The server is shutting down: a connection that only lingers has nothing left to say.
        if event is ChannelShouldQuiesceEvent, state.isLingering {
            context.close(promise: nil)
            return
        }
        if case .some(.inputClosed) = event as? ChannelEvent, state.inputClosedByClient() {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        state.writabilityChanged(writable: context.channel.isWritable, at: context.eventLoop.now)
        armTimer(context: context)
        context.fireChannelWritabilityChanged()
    }

    package func read(context: ChannelHandlerContext) {
        if state.readRequested(at: context.eventLoop.now) { armTimer(context: context) }
        context.read()
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !state.isLingering else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        context.write(data, promise: promise)
    }

    package func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // The HTTP layer half-closes after its last response: linger instead, or close at once
        // when the client is gone already.
        if mode == .output {
            if state.inputClosed {
                context.close(mode: .all, promise: promise)
            } else {
                startLinger(context: context)
                context.close(mode: .output, promise: promise)
            }
            return
        }
        context.close(mode: mode, promise: promise)
    }

    // MARK: What the request-phase handler reports

    /// A request's head was parsed.
    package func headReceived(target: Substring) {
        guard let context else { return }
        state.headReceived(at: context.eventLoop.now)
        self.target = target
        slot.set(.busy, since: context.eventLoop.now)
        armTimer(context: context)
    }

    /// A request's last part was read.
    package func requestEnded() {
        guard let context else { return }
        if state.requestEnded(at: context.eventLoop.now) { settle(context: context) }
    }

    /// A response head was written; `closing` when it says `Connection: close`.
    package func responseStarted(closing: Bool) {
        state.responseStarted(closing: closing)
    }

    /// A response's last part was written (when the connection closes after it: and flushed).
    package func responseEnded() {
        guard let context else { return }
        switch state.responseEnded(at: context.eventLoop.now) {
        case .halfCloseAndLinger: halfCloseAndLinger(context: context)
        case .idle: settle(context: context)
        case .none: break
        }
    }

    /// The HTTP decoder refused the request.
    package func parserFailed(_ failure: GatewayFailure) {
        guard let context else { return }
        refuse(failure, context: context)
    }

    /// What a header overflow means: before the request line ended, the line is too long (414);
    /// after it, the header block is (431).
    package var overflowFailure: GatewayFailure { state.overflowFailure }

    // MARK: Admission, refusal, lingering

    private func admit(context: ChannelHandlerContext) {
        admitted = true
        state.admitted(at: context.eventLoop.now)
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        switch registry.admit(id, slot: slot, channel: context.channel, address: address, now: state.idleSince) {
        case .admitted:
            armTimer(context: context)
        case .refusedPerClient, .refusedFull:
            logger.notice("Connection refused: too many connections", metadata: ["dragoman.client": .string(address)])
            answerAndClose(responder.bytes(for: .overloaded(retryAfter: 1), target: nil, allocator: context.channel.allocator), context: context)
        }
    }

    /// Gives up on the current request: answers it when nothing else is being answered, then
    /// closes.
    private func refuse(_ failure: GatewayFailure, context: ChannelHandlerContext) {
        let refusal = state.refusal()
        guard refusal != .none else { return }
        logger.info("Request refused by the connection guard", metadata: ["dragoman.failure": .string(failure.summary)])
        if refusal == .answer {
            let line = target ?? Self.target(ofRequestLine: requestLine + (lineInFlight.map { Array($0.readableBytesView) } ?? []))
            answerAndClose(responder.bytes(for: failure, target: line, allocator: context.channel.allocator), context: context)
        } else {
            halfCloseAndLinger(context: context)
        }
    }

    /// Writes a complete answer of the guard's own, then half-closes and lingers.
    private func answerAndClose(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(bytes)), promise: promise)
        startLinger(context: context)
        promise.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { _ in
            context.close(mode: .output, promise: nil)
        }
    }

    private func halfCloseAndLinger(context: ChannelHandlerContext) {
        guard !state.isLingering else { return }
        if state.inputClosed {
            context.close(promise: nil)
            return
        }
        startLinger(context: context)
        context.close(mode: .output, promise: nil)
    }

    private func startLinger(context: ChannelHandlerContext) {
        guard state.startLinger(at: context.eventLoop.now) else { return }
        slot.set(.waiting, since: context.eventLoop.now)
        context.read()
        armTimer(context: context)
    }

    /// The connection has nothing to do: tell the registry, and time its idleness.
    private func settle(context: ChannelHandlerContext) {
        slot.set(.waiting, since: state.idleSince)
        armTimer(context: context)
    }

    // MARK: Timer

    private func armTimer(context: ChannelHandlerContext) {
        guard let deadline = state.deadline else { return }
        if let timerDeadline, timerDeadline <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            timerDeadline = nil
            fire(context: context)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
        timerDeadline = nil
    }

    private func fire(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        switch state.expiry(at: context.eventLoop.now) {
        case .notYet:
            armTimer(context: context)
        case .close, .closeIdle:
            context.close(promise: nil)
        case .closeUnreadResponse:
            logger.info("Connection closed: the client does not read its response")
            context.close(promise: nil)
        case .refuseRequestTimeout:
            refuse(.requestTimeout, context: context)
        }
    }

    /// The target of a request line `METHOD TARGET VERSION`, as far as it arrived.
    package static func target(ofRequestLine line: [UInt8]) -> Substring? {
        let text = String(decoding: line, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[1].hasPrefix("/") else { return nil }
        return parts[1]
    }
}
