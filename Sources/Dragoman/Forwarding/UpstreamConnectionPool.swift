import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Where a backend is, parsed once from its base URL: the address to connect to, the `Host`
/// header, whether TLS is spoken, and the context path every request path goes under.
struct UpstreamAddress: Sendable, Equatable {
    let host: String
    let port: Int
    let tls: Bool
    let hostHeader: String
    /// The base URL's path, as written (`/kpns`), or empty.
    let basePath: String

    /// `nil` unless `baseURL` is an `http://` or `https://` URL with a host.
    init?(baseURL: String) {
        guard let components = URLComponents(string: baseURL), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { return nil }
        tls = scheme == "https"
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        port = components.port ?? (tls ? 443 : 80)
        let bracketed = self.host.contains(":") ? "[\(self.host)]" : self.host
        hostHeader = components.port == nil ? bracketed : "\(bracketed):\(port)"
        let path = components.percentEncodedPath
        basePath = path.hasSuffix("/") ? String(path.dropLast()) : path
    }
}

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
final class UpstreamConnectionPool: Sendable {
    /// The connections and the exchanges waiting for one.
    private struct State {
        /// Idle connections by event loop, oldest first, with when each became idle.
        var idle: [ObjectIdentifier: [(channel: any Channel, since: NIODeadline)]] = [:]
        var open = 0
        var running = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextWaiter: UInt64 = 0
        var closed = false
    }

    let address: UpstreamAddress
    private let connectTimeout: TimeAmount
    private let maxConnections: Int
    private let maxBodyBytes: Int
    private let idleTimeout: TimeAmount
    private let tls: NIOSSLContext?
    private let group: any EventLoopGroup
    private let state = NIOLockedValueBox(State())

    init(
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
        self.maxConnections = max(1, maxConnections)
        self.maxBodyBytes = maxBodyBytes
        self.idleTimeout = idleTimeout
        self.group = group
    }

    /// Sends `head` and `body` to the backend and returns its whole answer; throws
    /// ``UpstreamExchangeError``, or the connection's own error when it could not be opened.
    func exchange(_ head: HTTPRequestHead, body: ByteBuffer?, deadline: NIODeadline) async throws -> UpstreamAnswer {
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
            // A cancelled request (its caller went away) closes the connection, which ends the
            // exchange at once instead of at its deadline.
            let answer = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                channel.close(promise: nil)
            }
            if answer.head.isKeepAlive { giveBack(channel) } else { channel.close(promise: nil) }
            return answer
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    /// Sends `head` to the backend, then `upload`'s parts as it yields them, and returns the
    /// backend's answer as soon as its head has arrived, its body streaming after it (see
    /// ``UpstreamStreamedAnswer``): the reverse proxy's exchange. The head must arrive by
    /// `deadline`, and each part of the body within `idleTimeout` of the one before while the
    /// body is being read. The exchange holds its place among the `maxConnections` until the
    /// answer's end has arrived or the body's reader went away; its connection is reused only
    /// when the whole upload was sent before the answer ended.
    ///
    /// A request without an upload that finds its reused connection closed by the backend
    /// before an answer began is sent once more on a new one, as nginx does with a cached
    /// upstream connection: nothing of it can have been processed.
    func stream(_ head: HTTPRequestHead, upload: ProxiedRequestBody?, deadline: NIODeadline, idleTimeout: TimeAmount) async throws -> UpstreamStreamedAnswer {
        do {
            return try await streamOnce(head, upload: upload, deadline: deadline, idleTimeout: idleTimeout)
        } catch let stale as StaleConnection {
            guard upload == nil else { throw stale.cause }
        }
        do {
            return try await streamOnce(head, upload: nil, deadline: deadline, idleTimeout: idleTimeout, reuse: false)
        } catch let stale as StaleConnection {
            throw stale.cause
        }
    }

    /// A reused connection that failed before any answer began, with the failure.
    private struct StaleConnection: Error {
        let cause: any Error
    }

    private func streamOnce(
        _ head: HTTPRequestHead, upload: ProxiedRequestBody?, deadline: NIODeadline, idleTimeout: TimeAmount, reuse: Bool = true
    ) async throws -> UpstreamStreamedAnswer {
        try await startExchange(deadline: deadline)
        let channel: any Channel
        let reused: Bool
        do {
            (channel, reused) = try await connection(on: MultiThreadedEventLoopGroup.currentEventLoop, deadline: deadline, reuse: reuse)
        } catch {
            finishExchange()
            throw error
        }
        let loop = channel.eventLoop
        let headPromise = loop.makePromise(of: UpstreamStreamedAnswer.self)
        let done = loop.makePromise(of: Bool.self)
        // The exchange's place and its connection are given back once, when it is over.
        done.futureResult.whenComplete { result in
            if case .success(true) = result { self.giveBack(channel) } else { channel.close(promise: nil) }
            self.finishExchange()
        }
        // A connection that closed after it was taken fails the write before the exchange
        // handler sees it: the write's failure is the exchange's (a second failure is ignored).
        let written = loop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in
            headPromise.fail(error)
            done.succeed(false)
        }
        let exchange = UpstreamExchange(
            head: head, body: nil, uploadFollows: upload != nil, deadline: deadline,
            delivery: .streamed(head: headPromise, done: done, idleTimeout: idleTimeout)
        )
        channel.writeAndFlush(UpstreamOutbound.exchange(exchange), promise: written)
        if let upload {
            // The upload is sent beside the wait for the answer: a backend may answer before it
            // has read it all. Its end (or a failure reading it, which closes the connection and
            // so fails the exchange) is the task's end. It runs on the connection's event loop
            // (the caller's too), so that each part's write and its wait for the next part do
            // not cross threads.
            let length = head.headers.first(name: "content-length").flatMap(Int.init)
            Task(executorPreference: EventLoopExecutor(loop)) {
                do {
                    var sent = 0
                    for try await part in upload {
                        sent += part.readableBytes
                        if let length, sent >= length {
                            // The last part goes with the request's end in one flush: a backend
                            // that answers at once finds the request ended, and the connection
                            // can be reused.
                            channel.write(UpstreamOutbound.uploadPart(part), promise: nil)
                            try await channel.writeAndFlush(UpstreamOutbound.uploadEnd)
                            return
                        }
                        try await channel.writeAndFlush(UpstreamOutbound.uploadPart(part))
                    }
                    // A body shorter than its declared length (its reading was closed) leaves
                    // the backend waiting for the rest: the connection cannot go on.
                    guard length == nil else { throw UpstreamExchangeError.closed }
                    try await channel.writeAndFlush(UpstreamOutbound.uploadEnd)
                } catch {
                    try? await channel.close()
                }
            }
        }
        do {
            // A cancelled request (its caller went away) closes the connection, which ends the
            // exchange at once instead of at its deadline.
            return try await withTaskCancellationHandler {
                try await headPromise.futureResult.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        } catch {
            if reused, Self.isStale(error) { throw StaleConnection(cause: error) }
            throw error
        }
    }

    /// Whether a failure means the connection was closed under the exchange before an answer
    /// began (not a timeout, not a malformed answer).
    private static func isStale(_ error: any Error) -> Bool {
        if let exchange = error as? UpstreamExchangeError { return exchange == .closed }
        if let channel = error as? ChannelError { return channel == .ioOnClosedChannel || channel == .eof }
        return error is IOError
    }

    /// Closes every idle connection and fails every waiting exchange; exchanges in progress
    /// finish, and their connections are closed after them.
    func shutdown() async {
        let (idle, waiters) = state.withLockedValue { state in
            state.closed = true
            defer { state.idle = [:]; state.waiters = [] }
            return (state.idle.values.flatMap { $0.map(\.channel) }, state.waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: UpstreamExchangeError.closed) }
        for channel in idle { try? await channel.close() }
    }

    /// Open connections (idle or in use), for the tests.
    var openConnections: Int { state.withLockedValue { $0.open } }

    // MARK: Exchanges in turn

    /// Returns when fewer than `maxConnections` exchanges run; waits its turn otherwise.
    private func startExchange(deadline: NIODeadline) async throws {
        enum Turn { case now, wait(UInt64), closed }
        // The common case, a free slot and no one waiting, takes it under one lock, with no
        // continuation; otherwise the exchange gets its place in the line below.
        let first = state.withLockedValue { state -> Turn in
            if state.closed { return .closed }
            if state.running < maxConnections, state.waiters.isEmpty {
                state.running += 1
                return .now
            }
            state.nextWaiter += 1
            return .wait(state.nextWaiter)
        }
        let id: UInt64
        switch first {
        case .now: return
        case .closed: throw UpstreamExchangeError.closed
        case .wait(let waiter): id = waiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let turn = state.withLockedValue { state -> Turn in
                    if state.closed { return .closed }
                    if state.running < maxConnections, state.waiters.isEmpty {
                        state.running += 1
                        return .now
                    }
                    state.waiters.append((id, continuation))
                    return .wait(id)
                }
                switch turn {
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
    private func finishExchange() {
        let next = state.withLockedValue { state -> CheckedContinuation<Void, any Error>? in
            if !state.waiters.isEmpty, !state.closed { return state.waiters.removeFirst().continuation }
            state.running -= 1
            return nil
        }
        next?.resume()
    }

    /// Fails a waiting exchange that is still waiting (its deadline passed, or it was cancelled).
    private func abandonWait(_ id: UInt64, error: any Error) {
        let continuation = state.withLockedValue { state -> CheckedContinuation<Void, any Error>? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        continuation?.resume(throwing: error)
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
    private func connection(on loop: (any EventLoop)?, deadline: NIODeadline, reuse: Bool) async throws -> (channel: any Channel, reused: Bool) {
        let (reused, stale) = state.withLockedValue { state -> ((any Channel)?, [any Channel]) in
            let now = NIODeadline.now()
            var stale: [any Channel] = []
            func take(_ key: ObjectIdentifier) -> (any Channel)? {
                guard var list = state.idle[key] else { return nil }
                while let oldest = list.first, oldest.since + idleTimeout <= now { stale.append(list.removeFirst().channel) }
                let channel = list.popLast()?.channel
                state.idle[key] = list
                return channel
            }
            if reuse, let loop, let channel = take(ObjectIdentifier(loop)) { return (channel, stale) }
            // Past the limit there is an idle connection somewhere: fewer exchanges run than it.
            if (reuse && loop == nil) || state.open - stale.count >= maxConnections {
                for key in state.idle.keys {
                    if let channel = take(key) { return (channel, stale) }
                }
            }
            state.open += 1
            return (nil, stale)
        }
        for channel in stale { channel.close(promise: nil) }
        if let reused {
            if reused.isActive { return (reused, true) }
            // It closed while idle, and its close has not yet been counted.
            return try await connection(on: loop, deadline: deadline, reuse: reuse)
        }
        do {
            return (try await connect(on: loop ?? group.next(), deadline: deadline), false)
        } catch {
            state.withLockedValue { $0.open -= 1 }
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
    private func giveBack(_ channel: any Channel) {
        let keep = state.withLockedValue { state -> Bool in
            guard !state.closed, channel.isActive else { return false }
            state.idle[ObjectIdentifier(channel.eventLoop), default: []].append((channel, .now()))
            return true
        }
        if !keep { channel.close(promise: nil) }
    }

    /// Takes a closed connection out of the count and the idle lists.
    private func forget(_ channel: any Channel) {
        state.withLockedValue { state in
            state.open -= 1
            let key = ObjectIdentifier(channel.eventLoop)
            state.idle[key]?.removeAll { $0.channel === channel }
        }
    }
}
