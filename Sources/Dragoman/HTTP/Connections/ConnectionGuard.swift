import DragomanCore
import DragomanDialectKit
import Logging
import NIOCore

/// The first handler of every connection, on the raw bytes: enforces the timeouts of
/// ``ConnectionLimits``, admits the connection through the ``ConnectionRegistry``, and closes
/// every refused connection cleanly.
///
/// It learns where each request stands from ``RequestPhaseHandler``, which sits behind the
/// HTTP/1 codec. When it gives up on a request it answers where an answer is still possible
/// (408, 414, 431, 503, in the caller's dialect when the path is known), half-closes, reads and
/// drops whatever the client still sends for ``ConnectionLimits/lingerTimeout`` (so the client
/// reads the answer instead of a reset), and closes. One timer per connection, rescheduled lazily.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private let limits: ConnectionLimits
    private let registry: ConnectionRegistry
    /// What this connection tells the registry it is doing.
    private let slot = ConnectionRegistry.Slot()
    private let responder: EdgeResponder
    private let logger: Logger

    /// Request heads read, response heads written and response ends written, on this connection.
    private var requestHeads = 0
    private var responseHeads = 0
    private var responseEnds = 0
    /// Bytes of a request arrived whose end was not read yet.
    private var inRequest = false
    /// The current request's head was parsed.
    private var headerDone = false
    /// When the current request's first byte arrived.
    private var requestStart = NIODeadline.now()
    /// Since when the connection has had nothing to do (no request, nothing owed).
    private var idleSince = NIODeadline.now()
    /// Whether the connection has been counted in (at activation, or when added to an active one).
    private var admitted = false
    /// Since when the pipeline has asked for bytes the client has not sent.
    private var readWanted: NIODeadline?
    /// Since when the socket has been too full to write to.
    private var unwritableSince: NIODeadline?
    /// How long the current request's first line is so far (for 414).
    private var requestLineLength = 0
    /// The line itself, kept only while the head is incomplete (for the path of an answer).
    private var requestLine: [UInt8] = []
    /// The request line's part of the read being decoded, while it is decoded.
    private var lineInFlight: ByteBuffer?
    private var requestLineComplete = false
    /// The current request's target, once its head was parsed.
    private var target: Substring?
    /// The connection answers its current response and then closes.
    private(set) var closesAfterResponse = false
    private var lingerUntil: NIODeadline?
    private var inputClosed = false
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    /// This handler's own place in the pipeline, for the reports that come from behind the codec.
    private var context: ChannelHandlerContext?

    init(limits: ConnectionLimits, registry: ConnectionRegistry, responder: EdgeResponder, logger: Logger) {
        self.limits = limits
        self.registry = registry
        self.responder = responder
        self.logger = logger
    }

    private var id: ObjectIdentifier { ObjectIdentifier(self) }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // Behind TLS the guard joins after the handshake, when the channel is already active.
        if context.channel.isActive { admit(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if !admitted { admit(context: context) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        registry.remove(id)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        readWanted = nil
        if lingerUntil != nil { return }  // dropped: the answer is out, the connection closing
        let buffer = unwrapInboundIn(data)
        if !inRequest, buffer.readableBytes > 0 {
            inRequest = true
            headerDone = false
            requestStart = .now()
            requestLineLength = 0
            requestLine = []  // no capacity kept: an idle connection holds no buffer
            requestLineComplete = false
            target = nil
        }
        // The part of this buffer that is request line, as a slice (no copy) while the decoder
        // runs; copied only if the head stays incomplete, for an answer in the right dialect.
        if inRequest, !headerDone, !requestLineComplete {
            let view = buffer.readableBytesView
            let newline = view.firstIndex(of: UInt8(ascii: "\n"))
            let count = newline.map { $0 - view.startIndex } ?? view.count
            requestLineLength += count
            requestLineComplete = newline != nil
            lineInFlight = buffer.getSlice(at: buffer.readerIndex, length: count)
            if requestLineLength > limits.maxRequestLineBytes {
                refuse(.uriTooLong(limit: limits.maxRequestLineBytes), context: context)
                return
            }
        }
        context.fireChannelRead(data)
        if let line = lineInFlight, !headerDone {
            requestLine.append(contentsOf: line.readableBytesView.prefix(max(0, limits.maxRequestLineBytes - requestLine.count)))
        }
        lineInFlight = nil
        armTimer(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if lingerUntil != nil {
            context.read()  // keep draining what the client sends until it stops or time is up
            return
        }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The server is shutting down: a connection that only lingers has nothing left to say.
        if event is ChannelShouldQuiesceEvent, lingerUntil != nil {
            context.close(promise: nil)
            return
        }
        if case .some(.inputClosed) = event as? ChannelEvent {
            inputClosed = true
            if lingerUntil != nil {
                context.close(promise: nil)
                return
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        unwritableSince = context.channel.isWritable ? nil : .now()
        armTimer(context: context)
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if readWanted == nil {
            readWanted = .now()
            if inRequest, headerDone { armTimer(context: context) }
        }
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard lingerUntil == nil else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        context.write(data, promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // The HTTP layer half-closes after its last response: linger instead, or close at once
        // when the client is gone already.
        if mode == .output {
            if inputClosed {
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
    func headReceived(target: Substring) {
        guard let context else { return }
        requestHeads += 1
        if !inRequest {  // a pipelined request whose bytes came with the previous one
            inRequest = true
            requestStart = .now()
        }
        headerDone = true
        self.target = target
        slot.set(.busy, since: .now())
        armTimer(context: context)
    }

    /// A request's last part was read.
    func requestEnded() {
        guard let context else { return }
        inRequest = false
        settleIfIdle(context: context)
    }

    /// A response head was written; `closing` when it says `Connection: close`.
    func responseStarted(closing: Bool) {
        responseHeads += 1
        if closing { closesAfterResponse = true }
    }

    /// A response's last part was written (when the connection closes after it: and flushed).
    func responseEnded() {
        guard let context else { return }
        responseEnds += 1
        if closesAfterResponse {
            halfCloseAndLinger(context: context)
            return
        }
        settleIfIdle(context: context)
    }

    /// The HTTP decoder refused the request.
    func parserFailed(_ failure: GatewayFailure) {
        guard let context else { return }
        refuse(failure, context: context)
    }

    /// What a header overflow means: before the request line ended, the line is too long (414);
    /// after it, the header block is (431).
    var overflowFailure: GatewayFailure {
        requestLineComplete ? .headersTooLarge : .uriTooLong(limit: limits.maxRequestLineBytes)
    }

    // MARK: Admission, refusal, lingering

    private func admit(context: ChannelHandlerContext) {
        admitted = true
        idleSince = .now()
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        switch registry.admit(id, slot: slot, channel: context.channel, address: address, now: idleSince) {
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
        guard lingerUntil == nil else { return }
        let owed = headerDone ? requestHeads - 1 : requestHeads
        let answerable = responseHeads == owed && responseEnds == owed
        logger.info("Request refused by the connection guard", metadata: ["dragoman.failure": .string(failure.summary)])
        if answerable {
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
        guard lingerUntil == nil else { return }
        if inputClosed {
            context.close(promise: nil)
            return
        }
        startLinger(context: context)
        context.close(mode: .output, promise: nil)
    }

    private func startLinger(context: ChannelHandlerContext) {
        guard lingerUntil == nil else { return }
        lingerUntil = .now() + limits.lingerTimeout
        slot.set(.waiting, since: .now())
        context.read()
        armTimer(context: context)
    }

    private func settleIfIdle(context: ChannelHandlerContext) {
        guard !inRequest, responseEnds >= requestHeads else { return }
        idleSince = .now()
        slot.set(.waiting, since: idleSince)
        armTimer(context: context)
    }

    // MARK: Timer

    /// When the connection's current phase runs out, or `nil` when it has no limit now.
    private var deadline: NIODeadline? {
        if let lingerUntil { return lingerUntil }
        var earliest: NIODeadline? = unwritableSince.map { $0 + limits.sendTimeout }
        func consider(_ candidate: NIODeadline) {
            if let current = earliest, current <= candidate { return }
            earliest = candidate
        }
        if inRequest {
            if !headerDone {
                consider(requestStart + limits.headerTimeout)
            } else {
                consider(requestStart + limits.requestTimeout)
                if let readWanted { consider(readWanted + limits.bodyTimeout) }
            }
        } else if responseEnds >= requestHeads {
            consider(idleSince + (requestHeads == 0 ? limits.headerTimeout : limits.idleTimeout))
        }
        return earliest
    }

    private func armTimer(context: ChannelHandlerContext) {
        guard let deadline else { return }
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
        guard context.channel.isActive, let deadline else { return }
        let now = NIODeadline.now()
        guard now >= deadline else {
            armTimer(context: context)
            return
        }
        if lingerUntil != nil {
            context.close(promise: nil)
        } else if let unwritableSince, now >= unwritableSince + limits.sendTimeout {
            logger.info("Connection closed: the client does not read its response")
            context.close(promise: nil)
        } else if inRequest {
            refuse(.requestTimeout, context: context)
        } else {
            context.close(promise: nil)  // idle keep-alive, or a connection that never sent a byte
        }
    }

    /// The target of a request line `METHOD TARGET VERSION`, as far as it arrived.
    static func target(ofRequestLine line: [UInt8]) -> Substring? {
        let text = String(decoding: line, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[1].hasPrefix("/") else { return nil }
        return parts[1]
    }
}
