import Foundation
import NIOConcurrencyHelpers

/// Counts failed authentications per client address and per principal name in a sliding
/// window; once either reaches ``maxFailures`` further attempts are refused until the window
/// has moved on.
final class FailureThrottle: Sendable {
    let maxFailures: Int
    let window: TimeInterval
    private let failures = NIOLockedValueBox([String: [Date]]())

    init(maxFailures: Int, window: TimeInterval) {
        self.maxFailures = maxFailures
        self.window = window
    }

    /// Seconds until `client` (and `principal`, if named) may try again, or `nil` if it may now.
    func retryAfter(client: String, principal: String?, now: Date = Date()) -> Int? {
        let keys = Self.keys(client: client, principal: principal)
        return failures.withLockedValue { failures in
            var wait: TimeInterval = 0
            for key in keys {
                let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
                failures[key] = recent.isEmpty ? nil : recent
                if recent.count >= maxFailures, let oldest = recent.first {
                    wait = max(wait, window - now.timeIntervalSince(oldest))
                }
            }
            return wait > 0 ? max(1, Int(wait.rounded(.up))) : nil
        }
    }

    func recordFailure(client: String, principal: String?, now: Date = Date()) {
        let keys = Self.keys(client: client, principal: principal)
        failures.withLockedValue { failures in
            if failures.count > 100_000 { failures = failures.filter { $0.value.contains { now.timeIntervalSince($0) < window } } }
            for key in keys { failures[key, default: []].append(now) }
        }
    }

    private static func keys(client: String, principal: String?) -> [String] {
        ["client:\(client)"] + (principal.map { ["principal:\($0)"] } ?? [])
    }
}
