import DragomanStore
package import NIOCore
package import NIOHTTP1

/// Where one upstream connection's exchange stands, as a value: which exchange (by generation),
/// what of its answer has arrived, whether a streamed answer was handed over, and whether the
/// connection's reads wait for the body's reader. Each transition takes what happened (and the
/// time it happened at) and says what to do, in the manner of AsyncHTTPClient's state machines;
/// ``UpstreamExchangeHandler`` keeps the promises and the body's stream and performs the actions.
package struct UpstreamExchangeState {
    /// How the answer of the exchange in progress is handed over.
    package enum Kind: Equatable {
        /// Whole, at most `maxBodyBytes` of body.
        case whole
        /// Head first, then the body as it arrives, its parts at most `idleTimeout` apart.
        case streamed(idleTimeout: TimeAmount)
    }

    /// The exchange in progress.
    private struct Exchange {
        package let kind: Kind
        package var head: HTTPResponseHead?
        package var body: ByteBuffer?
        /// An interim (1xx) head was read; its end is not the answer's.
        package var interim = false
        /// The request's end was written.
        package var requestEnded: Bool
        /// A streamed answer's head was handed over; its body now goes to the reader.
        package var handedOver = false
        /// When a streamed answer's body last had a part.
        package var lastRead: NIODeadline
    }

    package let maxBodyBytes: Int
    private var exchange: Exchange?
    /// The exchange's number on this connection: timers and readers of an earlier one are ignored.
    package private(set) var generation: UInt64 = 0
    /// The reader of a streamed body has enough parts: the connection's reads wait.
    package private(set) var paused = false
    /// A read was asked for while paused.
    package private(set) var readHeld = false

    package init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    package var isIdle: Bool { exchange == nil }

    // MARK: Writing the request

    /// Starts an exchange; `false` when one is in progress (the new one fails with `busy`).
    package mutating func start(_ kind: Kind, uploadFollows: Bool, at now: NIODeadline) -> Bool {
        guard exchange == nil else { return false }
        generation &+= 1
        exchange = Exchange(kind: kind, requestEnded: !uploadFollows, lastRead: now)
        paused = false
        return true
    }

    /// Whether a part of a streamed upload may be written now.
    package var acceptsUpload: Bool { exchange.map { !$0.requestEnded } ?? false }

    /// The upload's end; `false` when there is no upload to end (the write fails with `closed`).
    package mutating func uploadEnded() -> Bool {
        guard acceptsUpload else { return false }
        exchange?.requestEnded = true
        return true
    }

    // MARK: Reading the answer

    /// What to do with a part of the backend's answer.
    package enum ReadAction: Equatable {
        /// Nothing more (kept, or skipped).
        case none
        /// Bytes between exchanges answer nothing that was asked: close the connection.
        case closeConnection
        /// Hand this part of a streamed body to its reader.
        case yield(ByteBuffer)
        /// Fail the exchange (and close the connection).
        case fail(UpstreamExchangeError)
    }

    package mutating func headReceived(_ head: HTTPResponseHead) -> ReadAction {
        guard exchange != nil else { return .closeConnection }
        if head.status.code >= 100, head.status.code < 200, head.status != .switchingProtocols {
            exchange?.interim = true
        } else {
            exchange?.head = head
        }
        return .none
    }

    package mutating func bodyReceived(_ part: ByteBuffer, at now: NIODeadline) -> ReadAction {
        // Taken out while it changes, so that appending to its body does not copy the buffer.
        guard var current = exchange.take() else { return .closeConnection }
        defer { exchange = current }
        if current.interim { return .none }
        if current.handedOver {
            current.lastRead = now
            return .yield(part)
        }
        if current.kind == .whole, (current.body?.readableBytes ?? 0) + part.readableBytes > maxBodyBytes { return .fail(.tooLarge) }
        var part = part
        if current.body == nil {
            current.body = part
        } else {
            current.body!.writeBuffer(&part)
        }
        return .none
    }

    /// The reader of a streamed body was handed a part and wants no more for now.
    package mutating func readerFull() {
        paused = true
    }

    /// What the end of an answer means.
    package enum EndAction: Equatable {
        case none
        case closeConnection
        case fail(UpstreamExchangeError)
        /// A whole answer is complete.
        case whole(HTTPResponseHead, ByteBuffer?)
        /// A streamed answer is complete: its reader gets the end (`handedOver`) or the whole
        /// answer at once; `reusable` says whether the connection can serve another exchange
        /// (else it is closed).
        case streamed(HTTPResponseHead, body: ByteBuffer?, handedOver: Bool, reusable: Bool)
    }

    package mutating func endReceived() -> EndAction {
        guard let current = exchange else { return .closeConnection }
        if current.interim {
            exchange?.interim = false
            return .none
        }
        guard let head = current.head else { return .fail(.closed) }
        exchange = nil
        paused = false
        switch current.kind {
        case .whole:
            return .whole(head, current.body)
        case .streamed:
            // A backend that answered before it read the whole upload leaves the connection in
            // the middle of a request: it is closed, not reused.
            return .streamed(head, body: current.body, handedOver: current.handedOver, reusable: current.requestEnded && head.isKeepAlive)
        }
    }

    /// A streamed answer's head to hand over once the reads at hand are handled.
    package struct HandOver: Equatable {
        package let head: HTTPResponseHead
        /// The part of the body that came with the head, for the reader first.
        package let early: ByteBuffer?
        /// From now the body's idle timeout bounds the wait, not the deadline for the head.
        package let idleDeadline: NIODeadline

        package init(head: HTTPResponseHead, early: ByteBuffer? = nil, idleDeadline: NIODeadline) {
            self.head = head
            self.early = early
            self.idleDeadline = idleDeadline
        }
    }

    package mutating func readsHandled(at now: NIODeadline) -> HandOver? {
        guard let current = exchange, !current.handedOver, let head = current.head, !current.interim,
            case .streamed(let idleTimeout) = current.kind
        else { return nil }
        exchange?.handedOver = true
        exchange?.lastRead = now
        exchange?.body = nil
        return HandOver(head: head, early: current.body, idleDeadline: now + idleTimeout)
    }

    // MARK: Back-pressure

    /// The pipeline asks to read; `false` when the read waits for the body's reader.
    package mutating func readRequested() -> Bool {
        guard paused else { return true }
        readHeld = true
        return false
    }

    /// The reader of exchange `generation` wants more; `true` when a held read goes out now.
    package mutating func readerWantsMore(_ generation: UInt64) -> Bool {
        guard exchange != nil, generation == self.generation, paused else { return false }
        paused = false
        guard readHeld else { return false }
        readHeld = false
        return true
    }

    /// Whether the reader of exchange `generation` left before its end matters (it does while
    /// that exchange is in progress: the connection, in the middle of it, is closed).
    package func readerLeft(_ generation: UInt64) -> Bool {
        exchange != nil && generation == self.generation
    }

    // MARK: Time and failure

    /// What the timer of exchange `generation` means when it fires at `now`.
    package enum Expiry: Equatable {
        /// Another exchange's timer, or none in progress.
        case ignore
        case timeout
        /// A streamed body is still within its idle timeout: check again then.
        case checkAgain(at: NIODeadline)
    }

    package mutating func timerFired(_ generation: UInt64, at now: NIODeadline) -> Expiry {
        guard let current = exchange, generation == self.generation else { return .ignore }
        guard current.handedOver, case .streamed(let idleTimeout) = current.kind else { return .timeout }
        // A paused body waits for its reader, not for the backend.
        if paused { exchange?.lastRead = now }
        let lastRead = paused ? now : current.lastRead
        return lastRead + idleTimeout <= now ? .timeout : .checkAgain(at: lastRead + idleTimeout)
    }

    /// How to fail the exchange in progress.
    package struct Failure: Equatable {
        /// There was an exchange, and its head had been handed over (its reader gets the error;
        /// its `done` completes with `false`) or not (its promises fail).
        package let hadExchange: Bool
        package let handedOver: Bool
        /// A read held for the reader goes out now, so the close is seen.
        package let releaseRead: Bool

        package init(hadExchange: Bool, handedOver: Bool, releaseRead: Bool) {
            self.hadExchange = hadExchange
            self.handedOver = handedOver
            self.releaseRead = releaseRead
        }
    }

    /// Ends the exchange in progress, if any, as failed; the connection closes after it.
    package mutating func fail() -> Failure {
        let current = exchange
        exchange = nil
        paused = false
        let release = readHeld
        readHeld = false
        return Failure(hadExchange: current != nil, handedOver: current?.handedOver ?? false, releaseRead: release)
    }
}
