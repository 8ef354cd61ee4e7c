import DragomanTransport
import NIOCore
import NIOHTTP1
import Testing

/// Each transition of an upstream connection's exchange, at times given by hand: no socket, no clock.
@Suite struct UpstreamExchangeStateTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    static let idle = TimeAmount.seconds(5)
    static let ok = HTTPResponseHead(version: .http1_1, status: .ok)

    static func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    static func streamed() -> UpstreamExchangeState {
        var state = UpstreamExchangeState(maxBodyBytes: 16)
        _ = state.start(.streamed(idleTimeout: idle), uploadFollows: false, at: start)
        return state
    }

    @Test func aSecondExchangeOnABusyConnectionIsRefused() {
        var state = UpstreamExchangeState(maxBodyBytes: 16)
        let first = state.start(.whole, uploadFollows: false, at: Self.start)
        let second = state.start(.whole, uploadFollows: false, at: Self.start)
        #expect(first && !second)
        #expect(state.generation == 1)
    }

    @Test func bytesBetweenExchangesCloseTheConnection() {
        var state = UpstreamExchangeState(maxBodyBytes: 16)
        let read = state.headReceived(Self.ok)
        #expect(read == .closeConnection)
        let readAgain = state.bodyReceived(ByteBuffer(string: "x"), at: Self.start)
        #expect(readAgain == .closeConnection)
        let end = state.endReceived()
        #expect(end == .closeConnection)
    }

    @Test func aWholeAnswerIsCollectedAndEndsTheExchange() {
        var state = UpstreamExchangeState(maxBodyBytes: 16)
        _ = state.start(.whole, uploadFollows: false, at: Self.start)
        let read = state.headReceived(Self.ok)
        #expect(read == .none)
        let readAgain = state.bodyReceived(ByteBuffer(string: "hello "), at: Self.start)
        #expect(readAgain == .none)
        let readThird = state.bodyReceived(ByteBuffer(string: "world"), at: Self.start)
        #expect(readThird == .none)
        let end = state.endReceived()
        #expect(end == .whole(Self.ok, ByteBuffer(string: "hello world")))
        #expect(state.isIdle)
    }

    @Test func aWholeAnswerOverTheLimitFails() {
        var state = UpstreamExchangeState(maxBodyBytes: 16)
        _ = state.start(.whole, uploadFollows: false, at: Self.start)
        _ = state.headReceived(Self.ok)
        let read = state.bodyReceived(ByteBuffer(string: "0123456789"), at: Self.start)
        #expect(read == .none)
        let readAgain = state.bodyReceived(ByteBuffer(string: "0123456789"), at: Self.start)
        #expect(readAgain == .fail(.tooLarge))
    }

    @Test func interimAnswersAreSkipped() {
        var state = UpstreamExchangeState(maxBodyBytes: 16)
        _ = state.start(.whole, uploadFollows: false, at: Self.start)
        _ = state.headReceived(HTTPResponseHead(version: .http1_1, status: .continue))
        let read = state.bodyReceived(ByteBuffer(string: "ignored"), at: Self.start)
        #expect(read == .none)
        let end = state.endReceived()
        #expect(end == .none)
        _ = state.headReceived(Self.ok)
        let endAgain = state.endReceived()
        #expect(endAgain == .whole(Self.ok, nil))
    }

    @Test func anEndWithoutAHeadIsAClosedExchange() {
        var state = UpstreamExchangeState(maxBodyBytes: 16)
        _ = state.start(.whole, uploadFollows: false, at: Self.start)
        let end = state.endReceived()
        #expect(end == .fail(.closed))
    }

    @Test func aStreamedHeadIsHandedOverWithTheBodyThatCameWithIt() {
        var state = Self.streamed()
        _ = state.headReceived(Self.ok)
        _ = state.bodyReceived(ByteBuffer(string: "early"), at: Self.start)
        let handOver = state.readsHandled(at: Self.at(1))
        #expect(handOver == .init(head: Self.ok, early: ByteBuffer(string: "early"), idleDeadline: Self.at(1) + Self.idle))
        let handOverAgain = state.readsHandled(at: Self.at(2))
        #expect(handOverAgain == nil, "handed over once")
        let read = state.bodyReceived(ByteBuffer(string: "late"), at: Self.at(2))
        #expect(read == .yield(ByteBuffer(string: "late")))
        let end = state.endReceived()
        #expect(end == .streamed(Self.ok, body: nil, handedOver: true, reusable: true))
    }

    @Test func aWholeAnswerIsNeverHandedOverHeadFirst() {
        var state = UpstreamExchangeState(maxBodyBytes: 16)
        _ = state.start(.whole, uploadFollows: false, at: Self.start)
        _ = state.headReceived(Self.ok)
        let handOver = state.readsHandled(at: Self.start)
        #expect(handOver == nil)
    }

    @Test func anAnswerBeforeTheUploadEndedLeavesTheConnectionUnusable() {
        var state = UpstreamExchangeState(maxBodyBytes: 16)
        _ = state.start(.streamed(idleTimeout: Self.idle), uploadFollows: true, at: Self.start)
        #expect(state.acceptsUpload)
        _ = state.headReceived(Self.ok)
        let end = state.endReceived()
        #expect(end == .streamed(Self.ok, body: nil, handedOver: false, reusable: false))
        let ended = state.uploadEnded()
        #expect(!ended, "no exchange left to end")
    }

    @Test func aConnectionClosingAnswerIsNotReused() {
        var state = Self.streamed()
        var head = Self.ok
        head.headers.add(name: "Connection", value: "close")
        _ = state.headReceived(head)
        let end = state.endReceived()
        #expect(end == .streamed(head, body: nil, handedOver: false, reusable: false))
    }

    @Test func theHeadMustArriveByTheDeadline() {
        var state = Self.streamed()
        let expiry = state.timerFired(state.generation, at: Self.at(10))
        #expect(expiry == .timeout)
    }

    @Test func aStreamedBodyMayPauseUpToItsIdleTimeoutBetweenParts() {
        var state = Self.streamed()
        _ = state.headReceived(Self.ok)
        _ = state.readsHandled(at: Self.start)
        _ = state.bodyReceived(ByteBuffer(string: "a"), at: Self.at(3))
        let expiry = state.timerFired(state.generation, at: Self.at(5))
        #expect(expiry == .checkAgain(at: Self.at(3) + Self.idle))
        let expiryAgain = state.timerFired(state.generation, at: Self.at(8))
        #expect(expiryAgain == .timeout)
    }

    @Test func aBodyWaitingForItsReaderDoesNotTimeOut() {
        var state = Self.streamed()
        _ = state.headReceived(Self.ok)
        _ = state.readsHandled(at: Self.start)
        state.readerFull()
        let readNow = state.readRequested()
        #expect(!readNow && state.readHeld)
        let expiry = state.timerFired(state.generation, at: Self.at(60))
        #expect(expiry == .checkAgain(at: Self.at(60) + Self.idle))
        let released = state.readerWantsMore(state.generation)
        #expect(released && !state.paused)
    }

    @Test func anEarlierExchangesTimerAndReaderAreIgnored() {
        var state = Self.streamed()
        let first = state.generation
        _ = state.headReceived(Self.ok)
        _ = state.endReceived()
        _ = state.start(.whole, uploadFollows: false, at: Self.at(1))
        let expiry = state.timerFired(first, at: Self.at(100))
        #expect(expiry == .ignore)
        #expect(!state.readerLeft(first))
        #expect(state.readerLeft(state.generation))
    }

    @Test func failingReleasesAHeldReadAndEndsTheExchange() {
        var state = Self.streamed()
        _ = state.headReceived(Self.ok)
        _ = state.readsHandled(at: Self.start)
        state.readerFull()
        _ = state.readRequested()
        let failure = state.fail()
        #expect(failure == .init(hadExchange: true, handedOver: true, releaseRead: true))
        #expect(state.isIdle && !state.paused)
        let failureAgain = state.fail()
        #expect(failureAgain == .init(hadExchange: false, handedOver: false, releaseRead: false))
    }
}
