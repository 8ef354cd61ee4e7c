import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import HTTPTypes
import Logging

/// Runs keyed creates at most once per principal and key: the first request runs and its
/// response is recorded; a retry with the same request gets the recorded response; the same key
/// with another request, or while the first still runs, is refused.
///
/// Responses below 500 are recorded (success, validation errors and duplicates are answers);
/// 5xx responses release the key, so the client's retry runs again. That is safe: a local
/// create that failed stored nothing, and a forwarded one carries the same backend key.
struct IdempotentCreate: Sendable {
    let store: any IdempotencyStore
    /// How long a recorded response is replayed, in seconds.
    let retention: TimeInterval
    /// How long a claim holds the key when its request never finishes, in seconds.
    let lease: TimeInterval

    func run(
        key: String,
        scope: String,
        fingerprint: String,
        convention: IdempotencyConvention,
        logger: Logger,
        recover: (UUID) async -> DialectResponse,
        operation: (IdempotencyClaim) async -> DialectResponse
    ) async throws(GatewayFailure) -> DialectResponse {
        let now = Date()
        let request = IdempotencyRequest(scope: scope, key: key, fingerprint: fingerprint, leaseUntil: now.addingTimeInterval(lease))
        let outcome: IdempotencyOutcome
        do {
            outcome = try await store.claim(request, now: now)
        } catch {
            throw .service(.storeFailure(String(describing: error)))
        }
        switch outcome {
        case .replay(let recorded):
            logger.info("Replayed an idempotent create")
            RequestRecord.current?.update { $0.idempotency = .replay }
            var response = DialectResponse(recorded)
            if convention.marksReplays { response.headers[IdempotencyConvention.replayed] = "true" }
            return response
        case .mismatch:
            RequestRecord.current?.update { $0.idempotency = .mismatch }
            throw .idempotencyKeyMismatch(header: convention.header.rawName)
        case .inFlight:
            RequestRecord.current?.update { $0.idempotency = .inFlight }
            throw .idempotencyKeyInFlight(header: convention.header.rawName)
        case .committed(let claim, let user):
            // The first attempt stored its user and died (or is recording its answer): answer
            // with that user, as the first attempt would have.
            logger.info("Answered an idempotent create from the user its first attempt stored")
            let response = await recover(user)
            await record(response, claim: claim, logger: logger)
            return response
        case .claimed(let claim):
            let response = await operation(claim)
            await record(response, claim: claim, logger: logger)
            return response
        }
    }

    private func record(_ response: DialectResponse, claim: IdempotencyClaim, logger: Logger) async {
        do {
            if response.status.code < 500 {
                try await store.complete(claim, response: RecordedResponse(response), expiresAt: Date().addingTimeInterval(retention))
            } else {
                try await store.release(claim)
            }
        } catch {
            // The create itself stands; only its replay record is lost. Say so, and answer.
            logger.error("Could not record an idempotent response", metadata: ["dragoman.error": "\(error)"])
        }
    }

    /// The key Dragoman sends a backend for a caller's key: derived, so a retry by the caller
    /// (to any instance) reaches the backend with the same key, and scoped, so two principals'
    /// equal keys stay apart at the backend.
    static func backendKey(scope: String, key: String) -> String {
        "dgm-" + SecretDigest.sha256Hex("\(scope)\u{0}\(key)").prefix(48)
    }
}

extension RecordedResponse {
    init(_ response: DialectResponse) {
        self.init(
            status: Int(response.status.code),
            headers: response.headers.map { HeaderField(name: $0.name.rawName, value: $0.value) },
            body: response.body
        )
    }
}

extension DialectResponse {
    init(_ recorded: RecordedResponse) {
        var headers = HTTPFields()
        for field in recorded.headers {
            if let name = HTTPField.Name(field.name) { headers.append(HTTPField(name: name, value: field.value)) }
        }
        self.init(status: HTTPResponse.Status(code: recorded.status), headers: headers, body: recorded.body)
    }
}
