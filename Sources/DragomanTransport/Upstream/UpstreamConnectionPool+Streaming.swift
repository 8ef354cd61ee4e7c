import DragomanDialectKit
import DragomanStore
package import NIOCore
package import NIOHTTP1
import NIOPosix

/// The reverse proxy's exchanges: streamed both ways, with one retry of a bodiless request on a
/// reused connection the backend had closed.
extension UpstreamConnectionPool {
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
    package func stream(_ head: HTTPRequestHead, upload: ProxiedRequestBody?, deadline: NIODeadline, idleTimeout: TimeAmount) async throws
        -> UpstreamStreamedAnswer
    {
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
        package let cause: any Error
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
            // has read it all.
            send(upload, length: head.headers.first(name: "content-length").flatMap(Int.init), on: channel)
        }
        do {
            return try await Self.answer(headPromise.futureResult, on: channel)
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

    /// Sends an upload's parts to the backend as the caller sends them, then the request's end,
    /// in a task of its own: its end (or a failure reading the upload, which closes the
    /// connection and so fails the exchange) is the task's. It runs on the connection's event
    /// loop (the caller's too), so that each part's write and the wait for the next part do not
    /// cross threads.
    private func send(_ upload: ProxiedRequestBody, length: Int?, on channel: any Channel) {
        Task(executorPreference: EventLoopExecutor(channel.eventLoop)) {
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
}
