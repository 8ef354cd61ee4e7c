import DragomanDialectKit
import DragomanStore
package import Foundation
import NIOConcurrencyHelpers

/// A circuit breaker for one backend. After ``failureThreshold`` consecutive failures it opens
/// and fails fast for ``cooldown``; then one request is let through as a probe: success closes
/// it, failure opens it again.
package final class CircuitBreaker: Sendable {
    package enum State: Equatable {
        case closed(failures: Int)
        case open(until: Date)
        case halfOpen

        /// The state's name, as readiness reports it.
        package var name: String {
            switch self {
            case .closed: "closed"
            case .open: "open"
            case .halfOpen: "halfOpen"
            }
        }
    }

    /// Whether a request may go to the backend now.
    package enum Permit: Equatable {
        case allowed
        case rejected(retryAfter: Int)
    }

    package let failureThreshold: Int
    package let cooldown: TimeInterval
    private let state = NIOLockedValueBox(State.closed(failures: 0))

    package init(failureThreshold: Int, cooldown: TimeInterval) {
        self.failureThreshold = failureThreshold
        self.cooldown = cooldown
    }

    package var current: State { state.withLockedValue { $0 } }

    package func permit(now: Date = Date()) -> Permit {
        state.withLockedValue { state in
            switch state {
            case .closed:
                return .allowed
            case .open(let until) where now >= until:
                state = .halfOpen
                return .allowed
            case .open(let until):
                return .rejected(retryAfter: max(1, Int(until.timeIntervalSince(now).rounded(.up))))
            case .halfOpen:
                return .rejected(retryAfter: 1)
            }
        }
    }

    package func recordSuccess() {
        state.withLockedValue { $0 = .closed(failures: 0) }
    }

    package func recordFailure(now: Date = Date()) {
        state.withLockedValue { state in
            switch state {
            case .halfOpen:
                state = .open(until: now.addingTimeInterval(cooldown))
            case .closed(let failures):
                state = failures + 1 >= failureThreshold ? .open(until: now.addingTimeInterval(cooldown)) : .closed(failures: failures + 1)
            case .open:
                break
            }
        }
    }
}
