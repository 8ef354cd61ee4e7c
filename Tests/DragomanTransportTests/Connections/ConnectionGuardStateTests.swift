import DragomanDialectKit
import DragomanTransport
import NIOCore
import Testing

/// Each transition of a guarded connection's state, at times given by hand: no socket, no clock.
@Suite struct ConnectionGuardStateTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    static let limits = ConnectionLimits()

    static func at(_ seconds: Double) -> NIODeadline { start + .nanoseconds(Int64(seconds * 1e9)) }

    /// A connection that has read one request's head at `headAt`, whose first byte came at 0.
    static func withHead(at headAt: Double = 0.1) -> ConnectionGuardState {
        var state = ConnectionGuardState(limits: limits, now: start)
        _ = state.bytesArrived(count: 20, at: start)
        _ = state.requestLineArrived(16, newline: true)
        state.headReceived(at: at(headAt))
        return state
    }

    @Test func aNewConnectionMustSendItsFirstRequestWithinTheHeaderTimeout() {
        var state = ConnectionGuardState(limits: Self.limits, now: Self.start)
        state.admitted(at: Self.at(1))
        #expect(state.deadline == Self.at(1) + Self.limits.headerTimeout)
        #expect(state.expiry(at: Self.at(1) + Self.limits.headerTimeout - .nanoseconds(1)) == .notYet)
        #expect(state.expiry(at: Self.at(1) + Self.limits.headerTimeout) == .closeIdle)
    }

    @Test func theFirstByteStartsARequestWhoseHeadHasTheHeaderTimeout() {
        var state = ConnectionGuardState(limits: Self.limits, now: Self.start)
        let passed = state.bytesArrived(count: 5, at: Self.at(3))
        #expect(passed)
        #expect(state.inRequest && state.isReadingRequestLine)
        #expect(state.deadline == Self.at(3) + Self.limits.headerTimeout)
        #expect(state.expiry(at: Self.at(3) + Self.limits.headerTimeout) == .refuseRequestTimeout)
    }

    @Test func anEmptyReadStartsNothing() {
        var state = ConnectionGuardState(limits: Self.limits, now: Self.start)
        let passed = state.bytesArrived(count: 0, at: Self.at(1))
        #expect(passed)
        #expect(!state.inRequest)
    }

    @Test func afterTheHeadTheRequestTimeoutAndAWaitedForBodyBoundTheRequest() {
        var state = Self.withHead()
        #expect(state.deadline == Self.start + Self.limits.requestTimeout)
        let armsBodyTimeout = state.readRequested(at: Self.at(2))
        #expect(armsBodyTimeout)
        #expect(state.deadline == Self.at(2) + Self.limits.bodyTimeout)
        let armsBodyTimeoutAgain = state.readRequested(at: Self.at(3))
        #expect(!armsBodyTimeoutAgain, "a second ask does not restart the wait")
        _ = state.bytesArrived(count: 10, at: Self.at(4))
        #expect(state.deadline == Self.start + Self.limits.requestTimeout, "bytes end the wait")
    }

    @Test func aReadAskedForBeforeTheHeadDoesNotArmTheBodyTimeout() {
        var state = ConnectionGuardState(limits: Self.limits, now: Self.start)
        _ = state.bytesArrived(count: 5, at: Self.start)
        let armsBodyTimeout = state.readRequested(at: Self.at(1))
        #expect(!armsBodyTimeout)
        #expect(state.deadline == Self.start + Self.limits.headerTimeout)
    }

    @Test func aFinishedExchangeLeavesTheConnectionIdleUntilTheIdleTimeout() {
        var state = Self.withHead()
        let idle = state.requestEnded(at: Self.at(1))
        #expect(!idle, "a response is still owed")
        state.responseStarted(closing: false)
        let next = state.responseEnded(at: Self.at(2))
        #expect(next == .idle)
        #expect(state.idleSince == Self.at(2))
        #expect(state.deadline == Self.at(2) + Self.limits.idleTimeout)
        #expect(state.expiry(at: Self.at(2) + Self.limits.idleTimeout) == .closeIdle)
    }

    @Test func aResponseEndedBeforeItsRequestWaitsForTheRequestsEnd() {
        var state = Self.withHead()
        state.responseStarted(closing: false)
        let next = state.responseEnded(at: Self.at(1))
        #expect(next == .none)
        let idle = state.requestEnded(at: Self.at(2))
        #expect(idle)
        #expect(state.idleSince == Self.at(2))
    }

    @Test func aClosingResponseHalfClosesAndLingers() {
        var state = Self.withHead()
        _ = state.requestEnded(at: Self.at(1))
        state.responseStarted(closing: true)
        #expect(state.closesAfterResponse)
        let next = state.responseEnded(at: Self.at(2))
        #expect(next == .halfCloseAndLinger)
        let lingers = state.startLinger(at: Self.at(2))
        #expect(lingers)
        let lingersAgain = state.startLinger(at: Self.at(3))
        #expect(!lingersAgain, "lingering starts once")
        #expect(state.deadline == Self.at(2) + Self.limits.lingerTimeout)
        let passed = state.bytesArrived(count: 100, at: Self.at(3))
        #expect(!passed, "what comes while lingering is dropped")
        #expect(state.expiry(at: Self.at(2) + Self.limits.lingerTimeout) == .close)
    }

    @Test func aTooLongRequestLineIsRefusedWith414AndAHeaderOverflowAfterItWith431() {
        var state = ConnectionGuardState(limits: Self.limits, now: Self.start)
        _ = state.bytesArrived(count: Self.limits.maxRequestLineBytes, at: Self.start)
        let overLimit = state.requestLineArrived(Self.limits.maxRequestLineBytes, newline: false)
        #expect(!overLimit)
        #expect(state.overflowFailure == .uriTooLong(limit: Self.limits.maxRequestLineBytes))
        let overLimitAgain = state.requestLineArrived(1, newline: false)
        #expect(overLimitAgain)
        var complete = Self.withHead()
        complete.responseStarted(closing: false)
        #expect(complete.overflowFailure == .headersTooLarge)
        #expect(!complete.isReadingRequestLine)
    }

    @Test func aRefusalIsAnsweredOnlyWhenNoOtherResponseIsUnderWay() {
        var state = ConnectionGuardState(limits: Self.limits, now: Self.start)
        _ = state.bytesArrived(count: 3, at: Self.start)
        #expect(state.refusal() == .answer, "nothing owed yet")
        state = Self.withHead()
        #expect(state.refusal() == .answer, "the current request is the one refused")
        state.responseStarted(closing: false)
        #expect(state.refusal() == .halfClose, "its response has begun: nothing can be added")
        _ = state.startLinger(at: Self.at(1))
        #expect(state.refusal() == .none, "already closing")
    }

    @Test func aPipelinedHeadStartsItsOwnRequest() {
        var state = Self.withHead()
        _ = state.requestEnded(at: Self.at(1))
        state.responseStarted(closing: false)
        _ = state.responseEnded(at: Self.at(2))
        state.headReceived(at: Self.at(3))
        #expect(state.inRequest && state.requestHeads == 2)
        #expect(state.requestStart == Self.at(3))
        #expect(state.deadline == Self.at(3) + Self.limits.requestTimeout)
    }

    @Test func aClientThatDoesNotReadIsCutOffAtTheSendTimeout() {
        var state = Self.withHead()
        state.responseStarted(closing: false)
        state.writabilityChanged(writable: false, at: Self.at(1))
        #expect(state.deadline == Self.at(1) + Self.limits.sendTimeout)
        #expect(state.expiry(at: Self.at(1) + Self.limits.sendTimeout) == .closeUnreadResponse)
        state.writabilityChanged(writable: true, at: Self.at(2))
        #expect(state.deadline == Self.start + Self.limits.requestTimeout)
    }

    @Test func theClientClosingItsSideClosesALingeringConnectionAtOnce() {
        var state = Self.withHead()
        let closesNow = state.inputClosedByClient()
        #expect(!closesNow)
        #expect(state.inputClosed)
        var lingering = Self.withHead()
        _ = lingering.startLinger(at: Self.at(1))
        let closesNowAgain = lingering.inputClosedByClient()
        #expect(closesNowAgain)
    }

    @Test func aDeadlineThatMovedIsNotAnExpiry() {
        var state = ConnectionGuardState(limits: Self.limits, now: Self.start)
        _ = state.bytesArrived(count: 1, at: Self.at(5))
        #expect(state.expiry(at: Self.start + Self.limits.headerTimeout) == .notYet)
    }
}
