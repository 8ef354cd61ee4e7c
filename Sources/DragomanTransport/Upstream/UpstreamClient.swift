import DragomanCore
package import DragomanDialectKit
import DragomanStore
import Foundation
import HTTPTypes
package import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// Sends requests to one backend: signs them in the configured way, applies the timeouts and
/// the circuit breaker, and turns transport faults into 502, 504 and 503.
///
/// A request is retried once when it cannot have reached the backend (the connection was
/// refused or never made), when the connection broke and the request is safe to repeat (a read,
/// or a create carrying an idempotency key), or after a session expired (401 means not
/// processed). A timed-out request is not retried: the caller's deadline is already spent.
package final class UpstreamClient: Sendable {
    package let configuration: UpstreamConfiguration
    package let pool: UpstreamConnectionPool
    package let breaker: CircuitBreaker
    /// The backend dialect's own login, for `auth.scheme: session`.
    package let signIn: (any BackendSignIn)?
    private let session = NIOLockedValueBox<String?>(nil)

    package init(configuration: UpstreamConfiguration, pool: UpstreamConnectionPool, signIn: (any BackendSignIn)?) {
        self.configuration = configuration
        self.pool = pool
        self.signIn = signIn
        self.breaker = CircuitBreaker(failureThreshold: configuration.breakerFailures, cooldown: configuration.breakerCooldown)
    }

    package func send(_ request: BackendRequest, logger: Logger) async throws(GatewayFailure) -> BackendResponse {
        var request = request
        let record = RequestRecord.current
        if let record { request.headers[RequestRecord.header] = record.requestID }
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            record?.update { facts in
                facts.upstream = configuration.name
                facts.upstreamMilliseconds = Double(elapsed.nanoseconds) / 1e6
            }
        }
        let response = try await RequestRecord.timed(.upstream) { () async throws(GatewayFailure) in try await sendRecorded(request, logger: logger) }
        record?.update { facts in
            facts.upstreamStatus = response.status
            if response.status >= 500 { facts.upstreamError = .serverError }
        }
        return response
    }

    private func sendRecorded(_ request: BackendRequest, logger: Logger) async throws(GatewayFailure) -> BackendResponse {
        if case .rejected(let retryAfter) = breaker.permit() {
            logger.warning("Circuit open; failing fast", metadata: ["dragoman.upstream": "\(configuration.name)"])
            RequestRecord.current?.update { $0.upstreamError = .breakerOpen }
            throw .serviceUnavailable(retryAfter: retryAfter)
        }
        do {
            var response = try await attempt(request, logger: logger)
            if response.status == 401, case .session = configuration.authentication {
                session.withLockedValue { $0 = nil }
                response = try await attempt(request, logger: logger)
            }
            if response.status >= 500 { breaker.recordFailure() } else { breaker.recordSuccess() }
            return response
        } catch {
            breaker.recordFailure()
            logger.warning("Backend request failed", metadata: ["dragoman.upstream": "\(configuration.name)", "dragoman.fault": "\(error)"])
            throw error
        }
    }

    /// One exchange, retried once if the connection could not be made, or broke under a
    /// request that is safe to repeat.
    private func attempt(_ request: BackendRequest, logger: Logger) async throws(GatewayFailure) -> BackendResponse {
        do {
            return try await exchange(request, logger: logger)
        } catch {
            switch error {
            case .unreachable: break
            case .broken where request.isRetrySafe:
                logger.notice(
                    "Connection to the backend broke; retrying a request that is safe to repeat", metadata: ["dragoman.upstream": "\(configuration.name)"])
            default: throw error.recorded
            }
        }
        try? await Task.sleep(for: .milliseconds(100))
        do {
            return try await exchange(request, logger: logger)
        } catch {
            throw error.recorded
        }
    }

    private func exchange(_ request: BackendRequest, logger: Logger) async throws(TransportFault) -> BackendResponse {
        var headers = Self.headers(request, host: pool.address.hostHeader)
        TracePropagation.inject(into: &headers)
        try await sign(&headers, logger: logger)
        return try await execute(request, headers: headers)
    }

    /// The header block sent: `Host`, `Accept`, the content type and length, and the request's own.
    private static func headers(_ request: BackendRequest, host: String) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headers.count + 6)
        headers.add(name: "Host", value: host)
        headers.add(name: "Accept", value: "application/json")
        if let contentType = request.contentType { headers.add(name: "Content-Type", value: contentType) }
        if let body = request.body {
            headers.add(name: "Content-Length", value: String(body.count))
        } else if request.method == .post || request.method == .put || request.method == .patch {
            headers.add(name: "Content-Length", value: "0")
        }
        for field in request.headers { headers.add(name: field.name.rawName, value: field.value) }
        return headers
    }

    /// One exchange through the upstream's connection pool, on the event loop this request
    /// already runs on (its connection's, the task's executor preference).
    private func execute(_ request: BackendRequest, headers: HTTPHeaders) async throws(TransportFault) -> BackendResponse {
        let head = HTTPRequestHead(
            version: .http1_1,
            method: HTTPMethod(rawValue: request.method.rawValue),
            uri: pool.address.basePath + request.path,
            headers: headers
        )
        let deadline = NIODeadline.now() + .milliseconds(Int64(configuration.requestTimeout * 1000))
        do {
            let answer = try await pool.exchange(head, body: request.body.map { ByteBuffer(bytes: $0) }, deadline: deadline)
            var fields = HTTPFields()
            fields.reserveCapacity(answer.head.headers.count)
            for header in answer.head.headers {
                if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
            }
            return BackendResponse(status: Int(answer.head.status.code), headers: fields, body: answer.body.map { Array($0.readableBytesView) } ?? [])
        } catch {
            throw TransportFault(error)
        }
    }

    /// The largest backend answer read (a user, a page of users).
    package static let maxBodyBytes = 4 << 20

    private func sign(_ headers: inout HTTPHeaders, logger: Logger) async throws(TransportFault) {
        switch configuration.authentication {
        case .none:
            break
        case .basic(let user, let password):
            headers.add(name: "Authorization", value: "Basic " + Data("\(user):\(password.exposedValue)".utf8).base64EncodedString())
        case .apiKey(let header, let key):
            headers.add(name: header, value: key.exposedValue)
        case .bearer(let key):
            headers.add(name: "Authorization", value: "Bearer \(key.exposedValue)")
        case .session(let user, let password):
            guard let signIn else { throw TransportFault.refusedLogin }
            headers.add(name: signIn.sessionHeader, value: try await sessionID(signIn, user: user, password: password, logger: logger))
        }
    }

    /// The current session, signing in with the backend dialect's login when there is none.
    private func sessionID(_ signIn: any BackendSignIn, user: String, password: Secret, logger: Logger) async throws(TransportFault) -> String {
        if let id = session.withLockedValue({ $0 }) { return id }
        let login = signIn.request(user: user, password: password)
        let response = try await execute(login, headers: Self.headers(login, host: pool.address.hostHeader))
        guard (200..<300).contains(response.status), let id = signIn.sessionID(in: response) else {
            logger.error("Backend login failed", metadata: ["dragoman.upstream": "\(configuration.name)", "dragoman.status": "\(response.status)"])
            throw TransportFault.refusedLogin
        }
        session.withLockedValue { $0 = id }
        return id
    }
}

/// Why an exchange with a backend produced no answer.
package enum TransportFault: Error {
    /// The connection could not be made: nothing was sent.
    case unreachable(String)
    /// The backend did not answer in time.
    case timeout
    /// The connection broke after the request may have been sent.
    case broken(String)
    /// The backend refused Dragoman's own login.
    case refusedLogin

    package init(_ error: any Error) {
        if let exchange = error as? UpstreamExchangeError {
            switch exchange {
            case .timeout: self = .timeout
            case .closed: self = .broken("the connection closed before the whole answer")
            case .tooLarge: self = .broken("the answer is larger than \(UpstreamClient.maxBodyBytes) bytes")
            case .busy: self = .broken("the connection was busy")
            case .noConnectionFree: self = .unreachable("no connection came free within the connect timeout")
            }
        } else if error is NIOConnectionError {
            self = .unreachable("connection refused")
        } else if let io = error as? IOError, [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(io.errnoCode) {
            // The socket never connected: nothing was sent.
            self = .unreachable("connection refused")
        } else if case .connectTimeout? = error as? ChannelError {
            self = .unreachable("connect timeout")
        } else if case .ioOnClosedChannel? = error as? ChannelError {
            // A pooled connection that closed after it was taken: the request was not written.
            self = .unreachable("the connection closed before the request was sent")
        } else {
            self = .broken("\(type(of: error))")
        }
    }

    /// Why the exchange failed, for the metrics.
    package var kind: UpstreamErrorKind {
        switch self {
        case .unreachable: .unreachable
        case .timeout: .timeout
        case .broken: .broken
        case .refusedLogin: .refusedLogin
        }
    }

    /// The failure to answer with, its kind noted in the request's record.
    package var recorded: GatewayFailure {
        RequestRecord.current?.update { $0.upstreamError = kind }
        return gatewayFailure
    }

    package var gatewayFailure: GatewayFailure {
        switch self {
        case .unreachable(let reason): .badGateway("the backend is unreachable: \(reason)")
        case .timeout: .gatewayTimeout
        case .broken(let reason): .badGateway("the connection to the backend broke: \(reason)")
        case .refusedLogin: .badGateway("the backend refused Dragoman's login")
        }
    }
}
