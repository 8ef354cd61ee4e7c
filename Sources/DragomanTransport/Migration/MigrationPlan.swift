/// A dialect route's migration from its upstream (the primary) to another (the candidate), as
/// `dialects.<id>.migration` configures it; a reload changes it without a restart.
public struct MigrationPlan: Sendable, Equatable {
    /// Where the route's users are answered from.
    public enum Stage: String, Sendable, CaseIterable {
        /// The primary answers; reads are compared with the candidate's answers.
        case shadow
        /// Each user lives on one side; new users go to the candidate by share or principal.
        case split
        /// The candidate answers everything.
        case cutover
    }

    /// The upstream being migrated to.
    public var candidate: String
    public var stage: Stage
    /// In a split, the share (0–100) of new users created on the candidate, by a hash of the
    /// user's email address or user name (the same user always lands on the same side).
    public var percent = 0
    /// In a split, the principals whose new users go to the candidate.
    public var principals: [String] = []
    /// Whether each write is applied to the other side too, through the outbox.
    public var mirrorWrites = false
    /// Canonical fields never compared.
    public var ignore: [String] = []
    /// In `shadow`, the share (0–1) of reads and lists also sent to the candidate and compared;
    /// mirrored writes are always compared.
    public var sample: Double = 1
    /// How often a mirrored write is tried before it is reported failed, and the waits between
    /// tries (doubling from the first, at most the longest), in seconds.
    public var attempts = 20
    public var firstBackoff: Double = 1
    public var maxBackoff: Double = 300

    public init(candidate: String, stage: Stage = .shadow) {
        self.candidate = candidate
        self.stage = stage
    }

    /// Whether this read is one of the sampled share.
    package var samplesThisRead: Bool { sample >= 1 || (sample > 0 && Double.random(in: 0..<1) < sample) }

    /// The wait before try `attempt + 1`, after `attempt` failed tries.
    package func backoff(after attempt: Int) -> Double {
        min(maxBackoff, firstBackoff * Double(1 << min(max(attempt - 1, 0), 30)))
    }

    /// Whether a new user with this key (its email address or user name) is created on the
    /// candidate in a split: FNV-1a, stable across instances and restarts.
    package func placesOnCandidate(key: String?, principal: String?) -> Bool {
        if let principal, principals.contains(principal) { return true }
        guard percent > 0 else { return false }
        guard percent < 100 else { return true }
        guard let key else { return Int.random(in: 0..<100) < percent }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.lowercased().utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int(hash % 100) < percent
    }
}
