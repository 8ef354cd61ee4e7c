package import DragomanDialectKit
import DragomanStore
package import NIOCore

/// Where a guarded connection stands, as a value: the requests and responses it has seen, the
/// phase of the current request, and what it is waiting for since when. Every transition takes
/// the time it happens at and says what the handler must do, so the rules of
/// ``ConnectionLimits`` (which timeout applies when, when a refusal can still be answered, when
/// a connection lingers or closes) are tested without a socket or a clock
/// (``ConnectionGuard`` performs the actions on its channel).
package struct ConnectionGuardState {
    package let limits: ConnectionLimits

    /// Request heads read, response heads written and response ends written, on this connection.
    package private(set) var requestHeads = 0
    package private(set) var responseHeads = 0
    package private(set) var responseEnds = 0
    /// Bytes of a request arrived whose end was not read yet.
    package private(set) var inRequest = false
    /// The current request's head was parsed.
    package private(set) var headerDone = false
    /// When the current request's first byte arrived.
    package private(set) var requestStart: NIODeadline
    /// Since when the connection has had nothing to do (no request, nothing owed).
    package private(set) var idleSince: NIODeadline
    /// Since when the pipeline has asked for bytes the client has not sent.
    package private(set) var readWanted: NIODeadline?
    /// Since when the socket has been too full to write to.
    package private(set) var unwritableSince: NIODeadline?
    /// How long the current request's first line is so far (for 414).
    package private(set) var requestLineLength = 0
    package private(set) var requestLineComplete = false
    /// The connection answers its current response and then closes.
    package private(set) var closesAfterResponse = false
    /// Until when a closing connection drains what the client still sends.
    package private(set) var lingerUntil: NIODeadline?
    /// The client closed its side.
    package private(set) var inputClosed = false

    package init(limits: ConnectionLimits, now: NIODeadline) {
        self.limits = limits
        self.requestStart = now
        self.idleSince = now
    }

    package var isLingering: Bool { lingerUntil != nil }

    /// The connection was counted in: it is idle from now, until its first byte.
    package mutating func admitted(at now: NIODeadline) {
        idleSince = now
    }

    // MARK: Reads

    /// `count` bytes arrived; `false` when they are dropped (the connection only drains). The
    /// first bytes of a request start it (and its header timeout).
    package mutating func bytesArrived(count: Int, at now: NIODeadline) -> Bool {
        readWanted = nil
        guard lingerUntil == nil else { return false }
        if !inRequest, count > 0 {
            inRequest = true
            headerDone = false
            requestStart = now
            requestLineLength = 0
            requestLineComplete = false
        }
        return true
    }

    /// `count` more bytes of the request line arrived (``isReadingRequestLine``), `newline` when
    /// it ends in them; `true` when the line is now over its limit (414).
    package mutating func requestLineArrived(_ count: Int, newline: Bool) -> Bool {
        requestLineLength += count
        requestLineComplete = newline
        return requestLineLength > limits.maxRequestLineBytes
    }

    /// Whether the request line of the current request is still being read.
    package var isReadingRequestLine: Bool { inRequest && !headerDone && !requestLineComplete }

    /// The pipeline asked for more bytes; `true` when that starts a wait that the body timeout
    /// bounds (re-arm the timer).
    package mutating func readRequested(at now: NIODeadline) -> Bool {
        guard readWanted == nil else { return false }
        readWanted = now
        return inRequest && headerDone
    }

    package mutating func writabilityChanged(writable: Bool, at now: NIODeadline) {
        unwritableSince = writable ? nil : now
    }

    /// The client closed its side; `true` when the connection should close now (it only lingered).
    package mutating func inputClosedByClient() -> Bool {
        inputClosed = true
        return lingerUntil != nil
    }

    // MARK: What the request-phase handler reports

    /// A request's head was parsed.
    package mutating func headReceived(at now: NIODeadline) {
        requestHeads += 1
        if !inRequest {  // a pipelined request whose bytes came with the previous one
            inRequest = true
            requestStart = now
        }
        headerDone = true
    }

    /// A request's last part was read; `true` when the connection is now idle.
    package mutating func requestEnded(at now: NIODeadline) -> Bool {
        inRequest = false
        return settleIfIdle(at: now)
    }

    /// A response head was written; `closing` when it says `Connection: close`.
    package mutating func responseStarted(closing: Bool) {
        responseHeads += 1
        if closing { closesAfterResponse = true }
    }

    /// What follows the end of a response.
    package enum ResponseEndAction: Equatable {
        /// The connection closes: half-close and drain (or close at once if the client is gone).
        case halfCloseAndLinger
        /// Nothing is left to do on the connection: it is idle since now.
        case idle
        /// More is in flight.
        case none
    }

    package mutating func responseEnded(at now: NIODeadline) -> ResponseEndAction {
        responseEnds += 1
        if closesAfterResponse { return .halfCloseAndLinger }
        return settleIfIdle(at: now) ? .idle : .none
    }

    private mutating func settleIfIdle(at now: NIODeadline) -> Bool {
        guard !inRequest, responseEnds >= requestHeads else { return false }
        idleSince = now
        return true
    }

    /// What a header overflow means: before the request line ended, the line is too long (414);
    /// after it, the header block is (431).
    package var overflowFailure: GatewayFailure {
        requestLineComplete ? .headersTooLarge : .uriTooLong(limit: limits.maxRequestLineBytes)
    }

    // MARK: Refusing and closing

    /// How the guard gives up on the current request.
    package enum Refusal: Equatable {
        /// Already closing: nothing more.
        case none
        /// Nothing else is being answered: answer the refusal, then half-close and linger.
        case answer
        /// A response is under way: no answer can be added; half-close and linger.
        case halfClose
    }

    package func refusal() -> Refusal {
        guard lingerUntil == nil else { return .none }
        let owed = headerDone ? requestHeads - 1 : requestHeads
        return responseHeads == owed && responseEnds == owed ? .answer : .halfClose
    }

    /// Starts draining until the linger timeout; `false` when it had started already.
    package mutating func startLinger(at now: NIODeadline) -> Bool {
        guard lingerUntil == nil else { return false }
        lingerUntil = now + limits.lingerTimeout
        return true
    }

    // MARK: Time

    /// When the connection's current phase runs out, or `nil` when it has no limit now.
    package var deadline: NIODeadline? {
        if let lingerUntil { return lingerUntil }
        var earliest: NIODeadline? = unwritableSince.map { $0 + limits.sendTimeout }
        func consider(_ candidate: NIODeadline) {
            if let current = earliest, current <= candidate { return }
            earliest = candidate
        }
        if inRequest {
            if !headerDone {
                consider(requestStart + limits.headerTimeout)
            } else {
                consider(requestStart + limits.requestTimeout)
                if let readWanted { consider(readWanted + limits.bodyTimeout) }
            }
        } else if responseEnds >= requestHeads {
            consider(idleSince + (requestHeads == 0 ? limits.headerTimeout : limits.idleTimeout))
        }
        return earliest
    }

    /// What the timer means when it fires at `now`.
    package enum Expiry: Equatable {
        /// Nothing has run out (the deadline moved): arm the timer again.
        case notYet
        /// The linger is over, or the client does not read its response: close.
        case close
        /// The client does not read its response: close, and say why.
        case closeUnreadResponse
        /// The request did not arrive in time: refuse it with 408.
        case refuseRequestTimeout
        /// An idle keep-alive connection, or one that never sent a byte: close quietly.
        case closeIdle
    }

    package func expiry(at now: NIODeadline) -> Expiry {
        guard let deadline, now >= deadline else { return .notYet }
        if lingerUntil != nil { return .close }
        if let unwritableSince, now >= unwritableSince + limits.sendTimeout { return .closeUnreadResponse }
        return inRequest ? .refuseRequestTimeout : .closeIdle
    }
}
