import DragomanTransport
import NIOCore
import Testing

/// The pool's bookkeeping without sockets: connections are plain values, loops are ids, times
/// are given by hand.
@Suite struct UpstreamPoolStateTests {
    /// A connection, by name.
    struct Connection: Equatable {
        let name: String
    }

    typealias State = UpstreamPoolState<Connection, String>

    final class Loop: Sendable {}
    static let loopA = ObjectIdentifier(Loop.a)
    static let loopB = ObjectIdentifier(Loop.b)
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    @Test func exchangesRunUpToTheLimitAndTheRestWaitInLine() {
        var state = State(maxConnections: 2, idleTimeout: .seconds(60))
        let turn = state.startExchange()
        #expect(turn == .now)
        let turnAgain = state.startExchange()
        #expect(turnAgain == .now)
        let third = state.startExchange()
        #expect(third == .wait(1))
        let queued = state.enqueue(1, "third")
        #expect(queued == .wait(1))
        let fourth = state.startExchange()
        #expect(fourth == .wait(2), "a slot does not jump the line")
        let queuedAgain = state.enqueue(2, "fourth")
        #expect(queuedAgain == .wait(2))
        let next = state.finishExchange()
        #expect(next == "third", "first come, first served")
        let nextAgain = state.finishExchange()
        #expect(nextAgain == "fourth")
        #expect(state.running == 2, "each finished exchange's slot went to a waiter")
        let nextThird = state.finishExchange()
        #expect(nextThird == nil)
        #expect(state.running == 1)
    }

    @Test func aWaiterMayGiveUpOnlyWhileItWaits() {
        var state = State(maxConnections: 1, idleTimeout: .seconds(60))
        _ = state.startExchange()
        _ = state.startExchange()
        _ = state.enqueue(1, "late")
        let abandoned = state.abandonWait(1)
        #expect(abandoned == "late")
        let abandonedAgain = state.abandonWait(1)
        #expect(abandonedAgain == nil)
        let next = state.finishExchange()
        #expect(next == nil)
        #expect(state.running == 0)
    }

    @Test func aSlotFreedBeforeTheWaiterQueuedIsTakenAtOnce() {
        var state = State(maxConnections: 1, idleTimeout: .seconds(60))
        _ = state.startExchange()
        let turn = state.startExchange()
        #expect(turn == .wait(1))
        _ = state.finishExchange()
        let queued = state.enqueue(1, "lucky")
        #expect(queued == .now)
        #expect(state.waiting == 0)
    }

    @Test func anIdleConnectionOnTheCallersLoopIsReusedFirst() {
        var state = State(maxConnections: 4, idleTimeout: .seconds(60))
        _ = state.takeConnection(on: Self.loopA, reuse: true, at: Self.start)
        _ = state.takeConnection(on: Self.loopB, reuse: true, at: Self.start)
        let kept = state.giveBack(Connection(name: "a"), loop: Self.loopA, isActive: true, at: Self.at(1))
        #expect(kept)
        let keptAgain = state.giveBack(Connection(name: "b"), loop: Self.loopB, isActive: true, at: Self.at(1))
        #expect(keptAgain)
        let take = state.takeConnection(on: Self.loopB, reuse: true, at: Self.at(2))
        #expect(take.connection == Connection(name: "b"))
        let fresh = state.takeConnection(on: Self.loopB, reuse: true, at: Self.at(2))
        #expect(fresh.connection == nil, "under the limit a new one is opened on the caller's loop")
        #expect(state.open == 3)
    }

    @Test func atTheLimitAnIdleConnectionOnAnotherLoopIsTaken() {
        var state = State(maxConnections: 1, idleTimeout: .seconds(60))
        _ = state.takeConnection(on: Self.loopA, reuse: true, at: Self.start)
        _ = state.giveBack(Connection(name: "a"), loop: Self.loopA, isActive: true, at: Self.start)
        let take = state.takeConnection(on: Self.loopB, reuse: true, at: Self.at(1))
        #expect(take.connection == Connection(name: "a"))
        #expect(state.open == 1)
    }

    @Test func aCallerOnNoLoopTakesAnyIdleConnection() {
        var state = State(maxConnections: 4, idleTimeout: .seconds(60))
        _ = state.takeConnection(on: Self.loopA, reuse: true, at: Self.start)
        _ = state.giveBack(Connection(name: "a"), loop: Self.loopA, isActive: true, at: Self.start)
        let take = state.takeConnection(on: nil, reuse: true, at: Self.at(1))
        #expect(take.connection == Connection(name: "a"))
    }

    @Test func idleConnectionsPastTheIdleTimeoutAreClosedNotReused() {
        var state = State(maxConnections: 4, idleTimeout: .seconds(60))
        _ = state.takeConnection(on: Self.loopA, reuse: true, at: Self.start)
        _ = state.takeConnection(on: Self.loopA, reuse: true, at: Self.start)
        _ = state.giveBack(Connection(name: "old"), loop: Self.loopA, isActive: true, at: Self.start)
        _ = state.giveBack(Connection(name: "recent"), loop: Self.loopA, isActive: true, at: Self.at(30))
        let take = state.takeConnection(on: Self.loopA, reuse: true, at: Self.at(60))
        #expect(take.connection == Connection(name: "recent"))
        #expect(take.stale == [Connection(name: "old")])
    }

    @Test func askingForANewConnectionOpensOneUnlessTheLimitLeavesNone() {
        var state = State(maxConnections: 1, idleTimeout: .seconds(60))
        _ = state.takeConnection(on: Self.loopA, reuse: true, at: Self.start)
        _ = state.giveBack(Connection(name: "a"), loop: Self.loopA, isActive: true, at: Self.start)
        let take = state.takeConnection(on: Self.loopA, reuse: false, at: Self.at(1))
        #expect(take.connection == Connection(name: "a"))
        var roomy = State(maxConnections: 2, idleTimeout: .seconds(60))
        _ = roomy.takeConnection(on: Self.loopA, reuse: true, at: Self.start)
        _ = roomy.giveBack(Connection(name: "a"), loop: Self.loopA, isActive: true, at: Self.start)
        let takeAgain = roomy.takeConnection(on: Self.loopA, reuse: false, at: Self.at(1))
        #expect(takeAgain.connection == nil)
        #expect(roomy.open == 2)
    }

    @Test func aConnectionThatCouldNotBeOpenedOrThatClosedLeavesTheCount() {
        var state = State(maxConnections: 2, idleTimeout: .seconds(60))
        _ = state.takeConnection(on: Self.loopA, reuse: true, at: Self.start)
        state.connectFailed()
        #expect(state.open == 0)
        _ = state.takeConnection(on: Self.loopA, reuse: true, at: Self.start)
        _ = state.giveBack(Connection(name: "a"), loop: Self.loopA, isActive: true, at: Self.start)
        state.forget(Connection(name: "a"), loop: Self.loopA)
        #expect(state.open == 0)
        let take = state.takeConnection(on: Self.loopA, reuse: true, at: Self.at(1))
        #expect(take.connection == nil, "a closed idle connection is not handed out")
    }

    @Test func aClosedConnectionIsNotKept() {
        var state = State(maxConnections: 2, idleTimeout: .seconds(60))
        let kept = state.giveBack(Connection(name: "gone"), loop: Self.loopA, isActive: false, at: Self.start)
        #expect(!kept)
    }

    @Test func shuttingDownHandsOverTheIdleConnectionsAndWaitersAndRefusesWhatFollows() {
        var state = State(maxConnections: 1, idleTimeout: .seconds(60))
        _ = state.takeConnection(on: Self.loopA, reuse: true, at: Self.start)
        _ = state.giveBack(Connection(name: "a"), loop: Self.loopA, isActive: true, at: Self.start)
        _ = state.startExchange()
        _ = state.startExchange()
        _ = state.enqueue(1, "waiting")
        let (idle, waiters) = state.shutdown()
        #expect(idle == [Connection(name: "a")] && waiters == ["waiting"])
        let turn = state.startExchange()
        #expect(turn == .closed)
        let kept = state.giveBack(Connection(name: "b"), loop: Self.loopA, isActive: true, at: Self.start)
        #expect(!kept)
        let next = state.finishExchange()
        #expect(next == nil, "no waiter is resumed after shutdown")
    }
}

extension UpstreamPoolStateTests.Loop {
    static let a = UpstreamPoolStateTests.Loop()
    static let b = UpstreamPoolStateTests.Loop()
}
