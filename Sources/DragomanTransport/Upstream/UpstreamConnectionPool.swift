import DragomanDialectKit
import DragomanStore
import NIOConcurrencyHelpers
package import NIOCore
package import NIOHTTP1
import NIOPosix
package import NIOSSL

/// Keep-alive HTTP/1.1 connections to one backend, for the exchanges a forwarding route makes
/// (a translated create, read, update, delete, list or login: small, whole bodies, see
/// ``exchange(_:body:deadline:)``) and for the reverse proxy's (streamed both ways, see
/// ``stream(_:upload:deadline:idleTimeout:)``).
///
/// It replaced AsyncHTTPClient, which cost about a fifth of a forwarded create's CPU (issue 10's
/// profile), most of it in machinery these exchanges do not need, and flushed a request's head
/// on its own before the body, so every create crossed loopback as two packets. Here an exchange
/// runs on the event loop the request already runs on, with a connection opened on that loop
/// when it has none idle, and a whole request is written with one flush.
///
/// At most `maxConnections` exchanges run at once, each on a connection of its own; more wait,
/// first come first served, until one finishes, for at most the connect timeout (then
/// ``UpstreamExchangeError/noConnectionFree``: nothing was sent) or their deadline if that is
/// sooner. At most `maxConnections` connections stay open, idle ones being reused on their own
/// loop first.
package final class UpstreamConnectionPool: Sendable {
    /// The connections and the exchanges waiting for one (the rules are ``UpstreamPoolState``'s).
    private typealias State = UpstreamPoolState<ChannelBox, CheckedContinuation<Void, any Error>>

    package let address: UpstreamAddress
    private let connectTimeout: TimeAmount
    private let maxBodyBytes: Int
    private let tls: NIOSSLContext?
    private let group: any EventLoopGroup
    private let state: NIOLockedValueBox<State>

    package init(
        address: UpstreamAddress,
        tls: TLSConfiguration?,
        connectTimeout: TimeAmount,
        maxConnections: Int,
        maxBodyBytes: Int,
        idleTimeout: TimeAmount = .seconds(60),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        self.address = address
        self.tls = address.tls ? try NIOSSLContext(configuration: tls ?? .makeClientConfiguration()) : nil
        self.connectTimeout = connectTimeout
        self.maxBodyBytes = maxBodyBytes
        self.group = group
        self.state = NIOLockedValueBox(State(maxConnections: maxConnections, idleTimeout: idleTimeout))
    }

    /// Sends `head` and `body` to the backend and returns its whole answer; throws
    /// ``UpstreamExchangeError``, or the connection's own error when it could not be opened.
    package func exchange(_ head: HTTPRequestHead, body: ByteBuffer?, deadline: NIODeadline) async throws -> UpstreamAnswer {
        try await startExchange(deadline: deadline)
        defer { finishExchange() }
        let channel = try await connection(on: MultiThreadedEventLoopGroup.currentEventLoop, deadline: deadline)
        let promise = channel.eventLoop.makePromise(of: UpstreamAnswer.self)
        // A connection that closed after it was taken fails the write before the exchange
        // handler sees it: the write's failure is the exchange's (a second failure is ignored).
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { promise.fail($0) }
        let exchange = UpstreamExchange(head: head, body: body, uploadFollows: false, deadline: deadline, delivery: .whole(promise))
        channel.writeAndFlush(UpstreamOutbound.exchange(exchange), promise: written)
        do {
            let answer = try await Self.answer(promise.futureResult, on: channel)
            if answer.head.isKeepAlive { giveBack(channel) } else { channel.close(promise: nil) }
            return answer
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    /// Closes every idle connection and fails every waiting exchange; exchanges in progress
    /// finish, and their connections are closed after them.
    package func shutdown() async {
        let (idle, waiters) = state.withLockedValue { $0.shutdown() }
        for waiter in waiters { waiter.resume(throwing: UpstreamExchangeError.closed) }
        for box in idle { try? await box.channel.close() }
    }

    /// Open connections (idle or in use), for the tests.
    package var openConnections: Int { state.withLockedValue { $0.open } }

    /// Waits for an exchange's answer; a cancelled request (its caller went away) closes the
    /// connection, which ends the exchange at once instead of at its deadline.
    package static func answer<Answer: Sendable>(_ answer: EventLoopFuture<Answer>, on channel: any Channel) async throws -> Answer {
        try await withTaskCancellationHandler {
            try await answer.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    // MARK: Exchanges in turn

    /// Returns when fewer than `maxConnections` exchanges run; waits its turn otherwise.
    package func startExchange(deadline: NIODeadline) async throws {
        // The common case, a free slot and no one waiting, takes it under one lock, with no
        // continuation; otherwise the exchange gets its place in the line below.
        let id: UInt64
        switch state.withLockedValue({ $0.startExchange() }) {
        case .now: return
        case .closed: throw UpstreamExchangeError.closed
        case .wait(let waiter): id = waiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                switch state.withLockedValue({ $0.enqueue(id, continuation) }) {
                case .now: continuation.resume()
                case .closed: continuation.resume(throwing: UpstreamExchangeError.closed)
                case .wait(let id):
                    let patience = NIODeadline.now() + connectTimeout
                    let (until, error) = patience < deadline ? (patience, UpstreamExchangeError.noConnectionFree) : (deadline, .timeout)
                    group.next().scheduleTask(deadline: until) { self.abandonWait(id, error: error) }
                }
            }
        } onCancel: {
            abandonWait(id, error: CancellationError())
        }
    }

    /// Gives a waiting exchange its turn, or frees the slot.
    package func finishExchange() {
        state.withLockedValue { $0.finishExchange() }?.resume()
    }

    /// Fails a waiting exchange that is still waiting (its deadline passed, or it was cancelled).
    private func abandonWait(_ id: UInt64, error: any Error) {
        state.withLockedValue { $0.abandonWait(id) }?.resume(throwing: error)
    }

    // MARK: Connections

    /// An idle connection on `loop` (the caller's), else a new one there while the limit
    /// allows, else an idle one on another loop. A caller on no event loop takes any idle one.
    /// Connections idle for `idleTimeout` (a minute, as AsyncHTTPClient and nginx's upstream
    /// keep-alive) are closed instead of reused: a backend or a firewall may have dropped them.
    private func connection(on loop: (any EventLoop)?, deadline: NIODeadline) async throws -> any Channel {
        try await connection(on: loop, deadline: deadline, reuse: true).channel
    }

    /// As above, with whether the connection was reused; `reuse: false` opens a new one unless
    /// the limit leaves none to open.
    package func connection(on loop: (any EventLoop)?, deadline: NIODeadline, reuse: Bool) async throws -> (channel: any Channel, reused: Bool) {
        let take = state.withLockedValue { $0.takeConnection(on: loop.map { ObjectIdentifier($0) }, reuse: reuse, at: .now()) }
        for box in take.stale { box.channel.close(promise: nil) }
        let reused = take.connection?.channel
        if let reused {
            if reused.isActive { return (reused, true) }
            // It closed while idle, and its close has not yet been counted.
            return try await connection(on: loop, deadline: deadline, reuse: reuse)
        }
        do {
            return (try await connect(on: loop ?? group.next(), deadline: deadline), false)
        } catch {
            state.withLockedValue { $0.connectFailed() }
            throw error
        }
    }

    private func connect(on loop: any EventLoop, deadline: NIODeadline) async throws -> any Channel {
        let tls = self.tls
        let host = address.host
        let maxBodyBytes = self.maxBodyBytes
        let timeout = min(connectTimeout, max(.milliseconds(1), deadline - .now()))
        let channel = try await ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.recvAllocator, value: ConnectionLimits.receiveAllocator)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        let serverName = host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
                        try pipeline.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(UpstreamExchangeHandler(maxBodyBytes: maxBodyBytes))
                }
            }
            .connect(host: address.host, port: address.port)
            .get()
        // A connection that closes, idle or not, leaves the pool's count.
        channel.closeFuture.whenComplete { _ in self.forget(channel) }
        return channel
    }

    /// Keeps a connection that finished an exchange for the next one on its loop.
    package func giveBack(_ channel: any Channel) {
        let keep = state.withLockedValue {
            $0.giveBack(ChannelBox(channel), loop: ObjectIdentifier(channel.eventLoop), isActive: channel.isActive, at: .now())
        }
        if !keep { channel.close(promise: nil) }
    }

    /// Takes a closed connection out of the count and the idle lists.
    private func forget(_ channel: any Channel) {
        state.withLockedValue { $0.forget(ChannelBox(channel), loop: ObjectIdentifier(channel.eventLoop)) }
    }
}

/// A connection as the pool's state holds it: equal when the channel is the same one.
package struct ChannelBox: Sendable, Equatable {
    package let channel: any Channel

    package init(_ channel: any Channel) {
        self.channel = channel
    }

    package static func == (lhs: ChannelBox, rhs: ChannelBox) -> Bool { lhs.channel === rhs.channel }

    package init(channel: any Channel) {
        self.channel = channel
    }
}
