import DragomanTransport
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// The upstream exchange handler on an `EmbeddedChannel` whose clock is moved by hand: the
/// request goes out with one flush, answers are delivered, and deadlines and idle timeouts fail
/// the exchange to the nanosecond, with no wall time waited.
@Suite struct UpstreamExchangeHandlerTests {
    static func connection() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(UpstreamExchangeHandler(maxBodyBytes: 1024))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        return channel
    }

    static func exchange(on channel: EmbeddedChannel, deadline: TimeAmount, delivery: UpstreamDelivery) throws {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/users/1")
        let exchange = UpstreamExchange(
            head: head, body: nil, uploadFollows: false, deadline: channel.embeddedEventLoop.now + deadline, delivery: delivery
        )
        try channel.writeOutbound(UpstreamOutbound.exchange(exchange))
    }

    @Test func aRequestGoesOutAndItsWholeAnswerComesBack() throws {
        let channel = try Self.connection()
        let answer = channel.eventLoop.makePromise(of: UpstreamAnswer.self)
        try Self.exchange(on: channel, deadline: .seconds(10), delivery: .whole(answer))
        guard case .head(let head)? = try channel.readOutbound(as: HTTPClientRequestPart.self) else { throw Failure.noHead }
        #expect(head.uri == "/users/1")
        guard case .end? = try channel.readOutbound(as: HTTPClientRequestPart.self) else { throw Failure.noEnd }
        try channel.writeInbound(HTTPClientResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        try channel.writeInbound(HTTPClientResponsePart.body(ByteBuffer(string: "{}")))
        try channel.writeInbound(HTTPClientResponsePart.end(nil))
        let received = try answer.futureResult.wait()
        #expect(received.head.status == .ok && received.body == ByteBuffer(string: "{}"))
        #expect(channel.isActive, "the connection is kept for the next exchange")
    }

    @Test func anAnswerLateForItsDeadlineFailsTheExchangeAndClosesTheConnection() throws {
        let channel = try Self.connection()
        let answer = channel.eventLoop.makePromise(of: UpstreamAnswer.self)
        try Self.exchange(on: channel, deadline: .seconds(10), delivery: .whole(answer))
        channel.embeddedEventLoop.advanceTime(by: .seconds(10) - .nanoseconds(1))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .nanoseconds(1))
        #expect(throws: UpstreamExchangeError.timeout) { try answer.futureResult.wait() }
        #expect(!channel.isActive)
    }

    @Test func aStreamedBodyThatStallsPastItsIdleTimeoutFails() throws {
        let channel = try Self.connection()
        let head = channel.eventLoop.makePromise(of: UpstreamStreamedAnswer.self)
        let done = channel.eventLoop.makePromise(of: Bool.self)
        try Self.exchange(on: channel, deadline: .seconds(10), delivery: .streamed(head: head, done: done, idleTimeout: .milliseconds(300)))
        try channel.writeInbound(HTTPClientResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        channel.pipeline.fireChannelReadComplete()
        let answer = try head.futureResult.wait()
        guard case .streaming = answer.body else { throw Failure.notStreamed }
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        try channel.writeInbound(HTTPClientResponsePart.body(ByteBuffer(string: "part")))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(299))
        #expect(channel.isActive, "each part restarts the idle timeout")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
        #expect(try done.futureResult.wait() == false)
    }

    @Test func aBodyWhosePartsComeWithinTheIdleTimeoutOutlastsTheDeadline() throws {
        // The deadline bounds the wait for the head; a body that keeps coming is not cut off.
        let channel = try Self.connection()
        let head = channel.eventLoop.makePromise(of: UpstreamStreamedAnswer.self)
        let done = channel.eventLoop.makePromise(of: Bool.self)
        try Self.exchange(on: channel, deadline: .seconds(1), delivery: .streamed(head: head, done: done, idleTimeout: .milliseconds(500)))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(100))
        try channel.writeInbound(HTTPClientResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        channel.pipeline.fireChannelReadComplete()
        guard case .streaming = try head.futureResult.wait().body else { throw Failure.notStreamed }
        for index in 0..<10 {
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(400))
            try channel.writeInbound(HTTPClientResponsePart.body(ByteBuffer(string: "part\(index),")))
            #expect(channel.isActive, "4 s after the head, past its 1 s deadline, parts 400 ms apart keep it open")
        }
        try channel.writeInbound(HTTPClientResponsePart.end(nil))
        #expect(try done.futureResult.wait() == true)
    }

    @Test func aSecondExchangeWhileOneIsInProgressFailsAsBusy() throws {
        let channel = try Self.connection()
        try Self.exchange(on: channel, deadline: .seconds(10), delivery: .whole(channel.eventLoop.makePromise()))
        let second = channel.eventLoop.makePromise(of: UpstreamAnswer.self)
        #expect(throws: UpstreamExchangeError.busy) { try Self.exchange(on: channel, deadline: .seconds(10), delivery: .whole(second)) }
        #expect(throws: UpstreamExchangeError.busy) { try second.futureResult.wait() }
    }

    @Test func aConnectionThatClosesMidAnswerFailsTheExchange() throws {
        let channel = try Self.connection()
        let answer = channel.eventLoop.makePromise(of: UpstreamAnswer.self)
        try Self.exchange(on: channel, deadline: .seconds(10), delivery: .whole(answer))
        try channel.writeInbound(HTTPClientResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        _ = try channel.finish(acceptAlreadyClosed: true)
        #expect(throws: UpstreamExchangeError.closed) { try answer.futureResult.wait() }
    }

    enum Failure: Error {
        case noHead, noEnd, notStreamed
    }
}
