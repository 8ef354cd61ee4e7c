import DragomanCore
import DragomanDialectKit
public import Foundation

/// A response as recorded for replay: exactly what the first caller was answered.
public struct RecordedResponse: Sendable, Equatable, Codable {
    public var status: Int
    /// Header fields in order, as name and value pairs.
    public var headers: [HeaderField]
    public var body: [UInt8]

    /// One recorded header field.
    public struct HeaderField: Sendable, Equatable, Codable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(status: Int, headers: [HeaderField], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The header fields as JSON text, the form both engines store them in: an array of
    /// `{"name","value"}` objects, the shape `JSONEncoder` gives them (written by hand: it is
    /// written for every keyed create).
    package var headersJSON: String {
        var writer = JSONWriter(capacity: 64 * max(headers.count, 1))
        writer.array(headers) { writer, field in
            writer.object { writer in
                writer.field("name", field.name)
                writer.field("value", field.value)
            }
        }
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The header fields of ``headersJSON`` (read for every replay); none when the text is not
    /// such an array.
    package static func headers(fromJSON text: String) -> [HeaderField] {
        guard case .array(let elements)? = try? StrictJSONParser.parse(Array(text.utf8), maxDepth: 4) else { return [] }
        var fields: [HeaderField] = []
        fields.reserveCapacity(elements.count)
        for element in elements {
            guard case .object(let object) = element, case .string(let name)? = object["name"], case .string(let value)? = object["value"] else { return [] }
            fields.append(HeaderField(name: name, value: value))
        }
        return fields
    }
}

/// A request that carries an idempotency key, as the store sees it.
public struct IdempotencyRequest: Sendable, Equatable {
    /// Whose key it is: keys are scoped per authenticated principal.
    public var scope: String
    /// The key the client chose.
    public var key: String
    /// The SHA-256 fingerprint of the canonical request.
    public var fingerprint: String
    /// When the claim lapses if its request never finishes (a crashed instance), so the key is
    /// not locked forever.
    public var leaseUntil: Date
    /// The instance that runs the request, so that another can tell when it died.
    public var owner: String

    public init(scope: String, key: String, fingerprint: String, leaseUntil: Date, owner: String = InstanceIdentity.current) {
        self.scope = scope
        self.key = key
        self.fingerprint = fingerprint
        self.leaseUntil = leaseUntil
        self.owner = owner
    }
}

/// The right to run a keyed request; only its holder may record the response.
public struct IdempotencyClaim: Sendable, Equatable {
    public var scope: String
    public var key: String
    /// Unique to this claim, so a holder whose lease lapsed cannot overwrite a newer claim.
    public var token: String
}

/// What claiming a key found.
public enum IdempotencyOutcome: Sendable, Equatable {
    /// The key is new (or its earlier claim lapsed): run the request, then complete or release.
    case claimed(IdempotencyClaim)
    /// The same request already finished: answer this.
    case replay(RecordedResponse)
    /// The key was used with a different request.
    case mismatch
    /// The same request is still running somewhere.
    case inFlight
    /// The same request stored its user (`user`, marked in the insert's transaction) but its
    /// answer was never recorded: its instance died, or it is about to record it. The answer is
    /// the created user's, recorded under `claim`.
    case committed(IdempotencyClaim, user: UUID)
}

/// A stored idempotency record, as both engines read it back.
package struct IdempotencyRecord: Sendable {
    package var fingerprint: String
    package var token: String
    /// `nil` while the request runs.
    package var response: RecordedResponse?
    package var leaseUntil: Date
    package var expiresAt: Date?
    /// The instance running the claim (`nil` in records from before owners were kept).
    package var owner: String? = nil
    /// The user the claimed create stored, once its insert committed.
    package var user: UUID? = nil

    /// A claimed user whose answer was never recorded is kept this long past its lease (a
    /// day), so that a late retry still finds it.
    package static let committedRetention: TimeInterval = 24 * 3600

    /// What a new request for the same key gets, given this record; `nil` means the record is
    /// dead (expired, or a claim whose lease lapsed or whose instance died) and the request may
    /// take the key over.
    package func outcome(for request: IdempotencyRequest, now: Date) -> IdempotencyOutcome? {
        if let response {
            if let expiresAt, expiresAt <= now { return nil }
            return fingerprint == request.fingerprint ? .replay(response) : .mismatch
        }
        if let user {
            // A stored user is never given up: the key stays with the request that made it.
            guard fingerprint == request.fingerprint else { return .mismatch }
            return .committed(IdempotencyClaim(scope: request.scope, key: request.key, token: token), user: user)
        }
        if leaseUntil <= now || !InstanceIdentity.mayBeAlive(owner) { return nil }
        return fingerprint == request.fingerprint ? .inFlight : .mismatch
    }
}

/// Durable idempotency records, shared by every instance using the same store.
///
/// `claim` is atomic: of concurrent claims of one key, from any process, exactly one wins.
public protocol IdempotencyStore: Sendable {
    func claim(_ request: IdempotencyRequest, now: Date) async throws -> IdempotencyOutcome
    /// Records the response of a claimed request, kept for replay until `expiresAt`.
    func complete(_ claim: IdempotencyClaim, response: RecordedResponse, expiresAt: Date) async throws
    /// Gives a claimed key up without a response (the request failed in a way worth retrying).
    func release(_ claim: IdempotencyClaim) async throws
    /// Removes records that expired before `now`, and claims whose lease lapsed; returns how many.
    @discardableResult func deleteExpiredIdempotencyRecords(now: Date) async throws -> Int
}
