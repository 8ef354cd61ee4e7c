import DragomanStore
package import NIOCore

/// The bookkeeping of an upstream connection pool, as a value: the open connections, the idle
/// ones by event loop with when each became idle, the exchanges running and those waiting their
/// turn, first come first served. Generic over what a connection and a waiter are, so each rule
/// (the limit, reuse on the caller's loop first, stale idle connections, turns, shutdown) is
/// tested without a socket or a clock; ``UpstreamConnectionPool`` keeps it under a lock and
/// performs what it decides.
package struct UpstreamPoolState<Connection: Equatable, Waiter> {
    /// At most this many exchanges run, and at most this many connections stay open.
    package let maxConnections: Int
    /// Idle connections older than this are closed instead of reused.
    package let idleTimeout: TimeAmount

    /// Idle connections by event loop, oldest first, with when each became idle.
    private var idle: [ObjectIdentifier: [(connection: Connection, since: NIODeadline)]] = [:]
    package private(set) var open = 0
    package private(set) var running = 0
    private var waiters: [(id: UInt64, waiter: Waiter)] = []
    private var nextWaiter: UInt64 = 0
    package private(set) var closed = false

    package init(maxConnections: Int, idleTimeout: TimeAmount) {
        self.maxConnections = max(1, maxConnections)
        self.idleTimeout = idleTimeout
    }

    package var waiting: Int { waiters.count }

    // MARK: Exchanges in turn

    /// An exchange's turn.
    package enum Turn: Equatable {
        /// It runs now (it holds a slot until ``finishExchange()``).
        case now
        /// It waits in line under this id.
        case wait(UInt64)
        case closed
    }

    /// An exchange asks for a slot: it runs now while fewer than the limit run and no one waits;
    /// otherwise it gets a place in the line (see ``enqueue(_:_:)``).
    package mutating func startExchange() -> Turn {
        if closed { return .closed }
        if running < maxConnections, waiters.isEmpty {
            running += 1
            return .now
        }
        nextWaiter += 1
        return .wait(nextWaiter)
    }

    /// The exchange with place `id` waits as `waiter`, unless a slot came free meanwhile.
    package mutating func enqueue(_ id: UInt64, _ waiter: Waiter) -> Turn {
        if closed { return .closed }
        if running < maxConnections, waiters.isEmpty {
            running += 1
            return .now
        }
        waiters.append((id, waiter))
        return .wait(id)
    }

    /// An exchange is over: the first waiter gets its slot (returned, to be resumed), or the
    /// slot is free.
    package mutating func finishExchange() -> Waiter? {
        if !waiters.isEmpty, !closed { return waiters.removeFirst().waiter }
        running -= 1
        return nil
    }

    /// The waiter with place `id`, if it still waits: it gives up (its deadline passed, or it
    /// was cancelled) and is to be failed.
    package mutating func abandonWait(_ id: UInt64) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).waiter
    }

    // MARK: Connections

    /// Where an exchange's connection comes from.
    package struct Take {
        /// An idle connection to use, or `nil`: open a new one (already counted as open; if
        /// opening fails, ``connectFailed()``).
        package var connection: Connection?
        /// Idle connections found stale on the way, to close.
        package var stale: [Connection]
    }

    /// A connection for an exchange on the event loop `loop` (`nil`: the caller is on none):
    /// an idle one on that loop, else a new one while the limit allows, else an idle one on
    /// another loop (past the limit there is one: fewer exchanges run than it). A caller on no
    /// loop takes any idle one. `reuse: false` asks for a new connection unless the limit
    /// leaves none to open.
    package mutating func takeConnection(on loop: ObjectIdentifier?, reuse: Bool, at now: NIODeadline) -> Take {
        var stale: [Connection] = []
        func take(_ key: ObjectIdentifier) -> Connection? {
            guard var list = idle[key] else { return nil }
            while let oldest = list.first, oldest.since + idleTimeout <= now { stale.append(list.removeFirst().connection) }
            let connection = list.popLast()?.connection
            idle[key] = list
            return connection
        }
        if reuse, let loop, let connection = take(loop) { return Take(connection: connection, stale: stale) }
        if (reuse && loop == nil) || open - stale.count >= maxConnections {
            for key in idle.keys {
                if let connection = take(key) { return Take(connection: connection, stale: stale) }
            }
        }
        open += 1
        return Take(connection: nil, stale: stale)
    }

    /// A connection counted by ``takeConnection(on:reuse:at:)`` could not be opened.
    package mutating func connectFailed() {
        open -= 1
    }

    /// A connection finished an exchange; `true` when it is kept idle on its loop for the next
    /// one, `false` when it is to be closed (the pool is shut down, or it closed meanwhile).
    package mutating func giveBack(_ connection: Connection, loop: ObjectIdentifier, isActive: Bool, at now: NIODeadline) -> Bool {
        guard !closed, isActive else { return false }
        idle[loop, default: []].append((connection, now))
        return true
    }

    /// A connection closed: it leaves the count and the idle lists.
    package mutating func forget(_ connection: Connection, loop: ObjectIdentifier) {
        open -= 1
        idle[loop]?.removeAll { $0.connection == connection }
    }

    /// The pool shuts down: the idle connections to close and the waiters to fail; exchanges in
    /// progress finish, and their connections are closed after them.
    package mutating func shutdown() -> (idle: [Connection], waiters: [Waiter]) {
        closed = true
        defer {
            idle = [:]
            waiters = []
        }
        return (idle.values.flatMap { $0.map(\.connection) }, waiters.map(\.waiter))
    }
}

extension UpstreamPoolState: Sendable where Connection: Sendable, Waiter: Sendable {}
