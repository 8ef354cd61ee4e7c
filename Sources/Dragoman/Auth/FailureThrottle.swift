import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import NIOConcurrencyHelpers

/// Slows down password and key guessing without locking the rightful owner out.
///
/// Failures are counted per client address *and* claimed principal together: an attacker who
/// keeps guessing alice's password from one address is slowed, while alice, signing in from
/// her own address, is not. The first ``maxFailures`` failures of a pair are free; each further
/// one makes the pair wait twice as long as the one before (``firstBackoff``, by default 1 s,
/// then 2 s, 4 s, … up to ``maxBackoff``). A pair's count is forgotten after ``window`` seconds without a failure, or at
/// once when the pair authenticates. One address guessing many principals (password spraying)
/// or many API keys is counted as well, per address alone, with ``sprayFactor`` times the
/// allowance; that slows only that address.
final class FailureThrottle: Sendable {
    let maxFailures: Int
    let window: TimeInterval
    let maxBackoff: TimeInterval
    /// The wait after the failure that uses up the allowance; each further failure doubles it.
    let firstBackoff: TimeInterval
    /// How many times `maxFailures` one address may fail across all principals before it is slowed.
    static let sprayFactor = 5

    /// A key's failures: how many, the last one, and until when the key must wait.
    private struct Record {
        var count = 0
        var last = Date.distantPast
        var blockedUntil = Date.distantPast
    }

    private let records = NIOLockedValueBox([String: Record]())

    init(maxFailures: Int, window: TimeInterval, maxBackoff: TimeInterval = 900, firstBackoff: TimeInterval = 1) {
        self.maxFailures = maxFailures
        self.window = window
        self.maxBackoff = maxBackoff
        self.firstBackoff = min(firstBackoff, maxBackoff)
    }

    /// Seconds until `client` may try `principal` again, or `nil` if it may now. With no
    /// failure on record (the usual case) it answers at once, without the client's address.
    func retryAfter(client: @autoclosure () -> String, principal: String?, now: Date = Date()) -> Int? {
        records.withLockedValue { records in
            guard !records.isEmpty else { return nil }
            let wait =
                Self.keys(client: client(), principal: principal)
                .compactMap { records[$0.key]?.blockedUntil.timeIntervalSince(now) }
                .max() ?? 0
            return wait > 0 ? max(1, Int(wait.rounded(.up))) : nil
        }
    }

    func recordFailure(client: String, principal: String?, now: Date = Date()) {
        records.withLockedValue { records in
            if records.count > 100_000 { records = records.filter { now.timeIntervalSince($0.value.last) < window || $0.value.blockedUntil > now } }
            for (key, allowance) in Self.keys(client: client, principal: principal).map({ ($0.key, $0.spray ? maxFailures * Self.sprayFactor : maxFailures) }) {
                var record = records[key] ?? Record()
                if now.timeIntervalSince(record.last) >= window, record.blockedUntil <= now { record = Record() }
                record.count += 1
                record.last = now
                if record.count >= allowance {
                    let exponent = min(record.count - allowance, 30)
                    record.blockedUntil = now.addingTimeInterval(min(maxBackoff, firstBackoff * pow(2, Double(exponent))))
                }
                records[key] = record
            }
        }
    }

    /// The pair authenticated: its count starts again (the address's spraying count does not).
    func recordSuccess(client: @autoclosure () -> String, principal: String) {
        records.withLockedValue { records in
            guard !records.isEmpty else { return }
            records.removeValue(forKey: Self.pairKey(client: client(), principal: principal))
        }
    }

    private static func pairKey(client: String, principal: String) -> String { "pair:\(client)\u{1F}\(principal)" }

    /// The pair (or, with no principal named, the address's key guesses) and the address alone.
    private static func keys(client: String, principal: String?) -> [(key: String, spray: Bool)] {
        [(pairKey(client: client, principal: principal ?? "\u{0}key"), false), ("client:\(client)", true)]
    }
}
