import Synchronization

/// What one request did, gathered as it passes the pipeline (dialect, operation, route,
/// principal, upstream exchange) for its access-log line. Bound to the request's task as
/// ``current``, so the steps that learn something record it without passing it along.
final class RequestRecord: Sendable {
    /// The request's id: the caller's `X-Request-Id` when well-formed, else one minted.
    let requestID: String
    private let facts = Mutex(Facts())

    struct Facts: Sendable {
        var dialect: String?
        var operation: String?
        var principal: String?
        var upstream: String?
        var upstreamStatus: Int?
        var upstreamMilliseconds: Double?
    }

    @TaskLocal static var current: RequestRecord?

    init(requestID: String) {
        self.requestID = requestID
    }

    var snapshot: Facts { facts.withLock { $0 } }

    func update(_ change: (inout Facts) -> Void) {
        facts.withLock { change(&$0) }
    }

    /// The caller's id if it is well-formed (1–128 characters of letters, digits and `._:-`),
    /// else `minted` (Hummingbird's own id for the request, 32 hex digits).
    static func requestID(from header: String?, minted: String) -> String {
        if let header, (1...128).contains(header.utf8.count),
            header.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2E || $0 == 0x5F || $0 == 0x3A || $0 == 0x2D })
        {
            return header
        }
        return minted
    }
}
