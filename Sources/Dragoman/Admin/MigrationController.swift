import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// `GET /__dragoman/migration`: the live migration bridge's state for operators, per migrating
/// dialect route: the stage and plan, this instance's comparisons by result, the fields that
/// differed (counts and the latest few examples), the outbox (shared by every instance on the
/// store: counts and the oldest entries, never a secret), and how many users live on and are
/// held by each side. Only principals with the `admin` role may read it: 401 without
/// credentials, 403 for any other principal.
struct MigrationController: Sendable {
    let monitor: MigrationMonitor
    let chain: AuthChain
    let store: any GatewayStore

    static let path = "/__dragoman/migration"
    /// Every scheme but a dialect's own: Basic, an API key in `X-API-Key`, a Bearer key, a session.
    static let policy = AuthPolicy(schemes: [.basic, .apiKey, .bearer, .session])
    /// The outbox entries shown per route.
    static let entriesShown = 20

    func addRoutes(to router: Router<GatewayRequestContext>) {
        router.get(RouterPath(Self.path)) { request, context in
            RequestRecord.current?.update { $0.operation = "admin" }
            return await self.answer(request, context: context)
        }
    }

    private func answer(_ request: Request, context: GatewayRequestContext) async -> Response {
        do {
            let principal = try await chain.authenticate(request.headers, client: context.clientAddress, policy: Self.policy, logger: context.logger)
            guard let principal, principal.isAdmin else {
                return Self.json(.forbidden, #"{"error":"forbidden","detail":"this route needs a principal with the admin role"}"#)
            }
        } catch {
            var response = Self.json(.unauthorized, #"{"error":"unauthorized","detail":"sign in as a principal with the admin role"}"#)
            if case .unauthenticated(let challenges, _) = error {
                for challenge in challenges { response.headers.append(HTTPField(name: .wwwAuthenticate, value: challenge)) }
            }
            return response
        }
        do {
            return Self.json(.ok, try await report())
        } catch {
            context.logger.error("Could not read the migration state", metadata: ["dragoman.error": "\(error)"])
            return Self.json(.serviceUnavailable, #"{"error":"unavailable","detail":"the store did not answer"}"#)
        }
    }

    /// The report's JSON.
    func report() async throws -> String {
        let routes = monitor.routes
        let counts = try await store.outboxCounts()
        let residence = try await store.residence()
        var entries: [String: [OutboxEntry]] = [:]
        for route in routes { entries[route.id] = try await store.outboxEntries(dialect: route.id, limit: Self.entriesShown) }
        var writer = JSONWriter(capacity: 2048)
        writer.object { writer in
            writer.field(
                "dialects",
                object: { writer in
                    for route in routes {
                        writer.field(
                            route.id,
                            object: { writer in
                                Self.write(
                                    route, tally: monitor.tally(route.id), outbox: counts[route.id] ?? OutboxCounts(), entries: entries[route.id] ?? [],
                                    residence: residence, to: &writer)
                            })
                    }
                })
        }
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    private static func write(
        _ route: MigrationRoute, tally: MigrationMonitor.Tally, outbox: OutboxCounts, entries: [OutboxEntry], residence: [String: Residence],
        to writer: inout JSONWriter
    ) {
        let plan = route.plan
        writer.field("stage", plan.stage.rawValue)
        writer.field("primary", route.primaryName)
        writer.field("candidate", route.candidateName)
        writer.field("percent", Int64(plan.percent))
        writer.field("principals", plan.principals)
        writer.field("mirrorWrites", plan.mirrorWrites)
        writer.field("ignore", plan.ignore)
        writer.field(
            "comparisons",
            object: { writer in
                for result in ["same", "different", "candidate_error", "dropped"] { writer.field(result, Int64(tally.results[result] ?? 0)) }
            })
        writer.field(
            "differences",
            object: { writer in
                for (field, counted) in tally.fields.sorted(by: { $0.key < $1.key }) {
                    writer.field(
                        field,
                        object: { writer in
                            writer.field("count", Int64(counted.count))
                            writer.field("examples", counted.examples) { writer, example in
                                writer.object { writer in
                                    writer.field("user", example.user.text(uppercase: false))
                                    writer.field("primary", example.primary)
                                    writer.field("candidate", example.candidate)
                                }
                            }
                        })
                }
            })
        writer.field(
            "outbox",
            object: { writer in
                writer.field("pending", Int64(outbox.pending))
                writer.field("failed", Int64(outbox.failed))
                writer.field("entries", entries) { writer, entry in
                    writer.object { writer in
                        writer.field("seq", entry.seq)
                        writer.field("operation", entry.operation)
                        writer.field("upstream", entry.upstream)
                        writer.field("user", entry.user.text(uppercase: false))
                        writer.field("attempts", Int64(entry.attempts))
                        writer.field("state", entry.failed ? "failed" : "pending")
                        writer.field("lastError", entry.lastError)
                        writer.field("createdAt", RFC3339.format(entry.createdAt))
                        writer.field("nextAt", entry.failed ? nil : RFC3339.format(entry.nextAt))
                    }
                }
            })
        writer.field(
            "users",
            object: { writer in
                for name in [route.primaryName, route.candidateName] {
                    let counted = residence[name] ?? Residence()
                    writer.field(
                        name,
                        object: { writer in
                            writer.field("living", Int64(counted.living))
                            writer.field("held", Int64(counted.held))
                        })
                }
            })
    }

    private static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
