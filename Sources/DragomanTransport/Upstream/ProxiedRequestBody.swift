import DragomanDialectKit
import DragomanStore
import Hummingbird
package import HummingbirdCore
import NIOConcurrencyHelpers
package import NIOCore

/// A caller's request body as the reverse proxy hands it to its upstream connection pool, which
/// reads it in a task of its own. Hummingbird reads whatever is left of the body once the response is sent;
/// two readers at once trap in NIO (found by bench/run: a backend that answers before it has
/// read the upload left the client task waiting in `next()` while Hummingbird drained the body).
/// So the proxy ``close()``s the body before its response ends: close waits for a read in
/// progress to return, and every later read ends the stream.
package final class ProxiedRequestBody: AsyncSequence, Sendable {
    package typealias Element = ByteBuffer

    /// Whether the client task may read, is reading, is being closed (with the waiting
    /// `close()` calls), or is done.
    private enum State {
        case idle
        case reading
        case closing([CheckedContinuation<Void, Never>])
        case closed
    }

    private let base: HummingbirdCore.RequestBody
    private let state = NIOLockedValueBox(State.idle)

    package init(_ base: HummingbirdCore.RequestBody) {
        self.base = base
    }

    /// The client task's iterator: reads the caller's body while the body is open.
    package struct AsyncIterator: AsyncIteratorProtocol {
        package let body: ProxiedRequestBody
        package var base: HummingbirdCore.RequestBody.AsyncIterator

        /// `@concurrent`, as Hummingbird's own iterator is: it is sent to that iterator's `next()`.
        @concurrent package mutating func next() async throws -> ByteBuffer? {
            guard body.beginRead() else { return nil }
            defer { body.endRead() }
            return try await base.next()
        }
    }

    package func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self, base: base.makeAsyncIterator()) }

    /// Whether a read may go ahead (the body is not closed); marks it as in progress.
    private func beginRead() -> Bool {
        state.withLockedValue { state -> Bool in
            guard case .idle = state else { return false }
            state = .reading
            return true
        }
    }

    /// Marks a read as over, letting a waiting ``close()`` return.
    private func endRead() {
        let waiting = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            switch state {
            case .closing(let waiting):
                state = .closed
                return waiting
            default:
                state = .idle
                return []
            }
        }
        for waiter in waiting { waiter.resume() }
    }

    /// Ends the body for the client: returns once no read is in progress; reads after it get
    /// the end of the stream.
    package func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLockedValue { state -> Bool in
                switch state {
                case .idle, .closed:
                    state = .closed
                    return true
                case .reading:
                    state = .closing([continuation])
                    return false
                case .closing(let waiting):
                    state = .closing(waiting + [continuation])
                    return false
                }
            }
            if done { continuation.resume() }
        }
    }
}
