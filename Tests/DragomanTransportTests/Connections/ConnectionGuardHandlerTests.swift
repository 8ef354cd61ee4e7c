import DragomanDialectKit
import DragomanTransport
import Logging
import NIOCore
import NIOEmbedded
import Testing

/// The connection guard on an `EmbeddedChannel` whose event loop's clock is moved by hand:
/// each timeout is shown to hold to the nanosecond, with no wall time waited.
@Suite struct ConnectionGuardHandlerTests {
    /// Records the half-closes the guard asks for instead of closing the embedded channel (which
    /// has no half-closed state), so lingering can be observed.
    final class HalfCloseRecorder: ChannelOutboundHandler {
        typealias OutboundIn = Any
        var halfClosed = false

        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            if mode == .output {
                halfClosed = true
                promise?.succeed(())
            } else {
                context.close(mode: mode, promise: promise)
            }
        }
    }

    /// A guarded, connected embedded channel, and its guard and recorder.
    static func connection(_ limits: ConnectionLimits = ConnectionLimits()) throws -> (EmbeddedChannel, ConnectionGuard, HalfCloseRecorder) {
        let channel = EmbeddedChannel()
        let recorder = HalfCloseRecorder()
        let guardian = ConnectionGuard(
            limits: limits, registry: ConnectionRegistry(limits: limits), responder: .neutral,
            logger: Logger(label: "test")
        )
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.pipeline.syncOperations.addHandler(guardian)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        return (channel, guardian, recorder)
    }

    /// A whole `GET /` read, as the request-phase handler reports it, and its response begun.
    static func requestAnswering(_ channel: EmbeddedChannel, _ guardian: ConnectionGuard, closing: Bool = false) throws {
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n"))
        guardian.headReceived(target: "/")
        guardian.requestEnded()
        guardian.responseStarted(closing: closing)
    }

    /// Moves the clock to a nanosecond before `timeout` and then to it, and says whether the
    /// connection was open just before and closed just after.
    static func closes(_ channel: EmbeddedChannel, at timeout: TimeAmount) -> Bool {
        channel.embeddedEventLoop.advanceTime(by: timeout - .nanoseconds(1))
        let openBefore = channel.isActive
        channel.embeddedEventLoop.advanceTime(by: .nanoseconds(1))
        return openBefore && !channel.isActive
    }

    static func answer(_ channel: EmbeddedChannel) throws -> String? {
        guard let data = try channel.readOutbound(as: IOData.self), case .byteBuffer(let buffer) = data else { return nil }
        return String(buffer: buffer)
    }

    @Test func aConnectionThatSendsNothingIsClosedAtTheHeaderTimeout() throws {
        let limits = ConnectionLimits()
        let (channel, _, _) = try Self.connection(limits)
        #expect(Self.closes(channel, at: limits.headerTimeout))
        #expect(try Self.answer(channel) == nil, "a connection that never sent a byte gets no answer")
    }

    @Test func aHeadThatDoesNotArriveInTimeIs408ThenTheConnectionLingersAndCloses() throws {
        let limits = ConnectionLimits()
        let (channel, _, recorder) = try Self.connection(limits)
        try channel.writeInbound(ByteBuffer(string: "GET /health HTTP/1.1\r\nHost: x\r\n"))
        _ = try channel.readInbound(as: ByteBuffer.self)
        channel.embeddedEventLoop.advanceTime(by: limits.headerTimeout)
        let answer = try #require(try Self.answer(channel))
        #expect(answer.hasPrefix("HTTP/1.1 408 "))
        #expect(answer.contains("Connection: close"))
        #expect(recorder.halfClosed)
        #expect(channel.isActive, "it drains what the client still sends")
        try channel.writeInbound(ByteBuffer(string: "late bytes"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil, "dropped, not decoded")
        channel.embeddedEventLoop.advanceTime(by: limits.lingerTimeout)
        #expect(!channel.isActive)
    }

    @Test func aRequestLineOverTheLimitIs414AtOnce() throws {
        var limits = ConnectionLimits()
        limits.maxRequestLineBytes = 64
        let (channel, _, recorder) = try Self.connection(limits)
        try channel.writeInbound(ByteBuffer(string: "GET /" + String(repeating: "a", count: 100)))
        let answer = try #require(try Self.answer(channel))
        #expect(answer.hasPrefix("HTTP/1.1 414 "))
        #expect(recorder.halfClosed)
    }

    @Test func anIdleKeepAliveConnectionIsClosedAtTheIdleTimeout() throws {
        let limits = ConnectionLimits()
        let (channel, guardian, _) = try Self.connection(limits)
        try Self.requestAnswering(channel, guardian)
        guardian.responseEnded()
        #expect(Self.closes(channel, at: limits.idleTimeout))
    }

    @Test func aBodyThatStopsIs408AtTheBodyTimeout() throws {
        var limits = ConnectionLimits()
        limits.bodyTimeout = .seconds(3)
        let (channel, guardian, _) = try Self.connection(limits)
        try channel.writeInbound(ByteBuffer(string: "POST /users HTTP/1.1\r\nContent-Length: 10\r\n\r\n12"))
        guardian.headReceived(target: "/users")
        channel.read()  // the pipeline asks for the rest of the body
        channel.embeddedEventLoop.advanceTime(by: limits.bodyTimeout - .nanoseconds(1))
        #expect(try Self.answer(channel) == nil)
        channel.embeddedEventLoop.advanceTime(by: .nanoseconds(1))
        #expect(try Self.answer(channel)?.hasPrefix("HTTP/1.1 408 ") == true)
    }

    @Test func aClientThatDoesNotReadItsResponseIsDroppedAtTheSendTimeout() throws {
        let limits = ConnectionLimits()
        let (channel, guardian, _) = try Self.connection(limits)
        try Self.requestAnswering(channel, guardian)
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(Self.closes(channel, at: limits.sendTimeout))
    }

    @Test func aClosingResponseEndsInALingerThatTheClientsCloseCutsShort() throws {
        let (channel, guardian, recorder) = try Self.connection()
        try Self.requestAnswering(channel, guardian, closing: true)
        guardian.responseEnded()
        #expect(recorder.halfClosed && channel.isActive)
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(!channel.isActive)
    }
}
