import DragomanTransport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// A route's pipeline as one chain (``MiddlewareChain``), and its steps as Hummingbird router
/// middleware, over real HTTP.
@Suite struct MiddlewareChainTests {
    static let steps = HTTPField.Name("X-Steps")!

    /// Puts its name before the answer's `X-Steps` on the way out, so an answer that went
    /// through a, b and c reads "a,b,c,…"; answers 202 itself when told to.
    struct Step: GatewayMiddleware {
        typealias Context = GatewayRequestContext
        let name: String
        var answers = false

        nonisolated(nonsending) func respond(
            to request: Request, context: Context, next: nonisolated(nonsending) (Request, Context) async throws -> Response
        ) async throws -> Response {
            var response = answers ? Response(status: .accepted) : try await next(request, context)
            response.headers[MiddlewareChainTests.steps] = response.headers[MiddlewareChainTests.steps].map { "\(name),\($0)" } ?? name
            return response
        }
    }

    /// The handler's answer: `X-Steps` starts with "handler".
    static func handler(_ request: Request, _ context: GatewayRequestContext) -> Response {
        Response(status: .ok, headers: [steps: "handler"])
    }

    /// The status and `X-Steps` of a GET answered by `chain`, over real HTTP.
    static func answer(_ chain: MiddlewareChain) async throws -> (status: HTTPResponse.Status, steps: String?) {
        let router = Router(context: GatewayRequestContext.self)
        router.on("/chain", method: .get, responder: chain)
        return try await Application(router: router).test(.live) { client in
            let response = try await client.execute(uri: "/chain", method: .get)
            return (response.status, response.headers[Self.steps])
        }
    }

    @Test func aChainRunsItsStepsInOrderThenItsHandler() async throws {
        let chain = MiddlewareChain(steps: [Step(name: "a"), Step(name: "b"), Step(name: "c")]) { request, context in Self.handler(request, context) }
        let answer = try await Self.answer(chain)
        #expect(answer.status == .ok)
        #expect(answer.steps == "a,b,c,handler")
    }

    @Test func aStepThatAnswersEndsTheChain() async throws {
        let chain = MiddlewareChain(steps: [Step(name: "a"), Step(name: "b", answers: true), Step(name: "c")]) { request, context in
            Self.handler(request, context)
        }
        let answer = try await Self.answer(chain)
        #expect(answer.status == .accepted)
        #expect(answer.steps == "a,b")
    }

    @Test func aChainWithoutStepsIsItsHandler() async throws {
        let answer = try await Self.answer(MiddlewareChain(steps: []) { request, context in Self.handler(request, context) })
        #expect(answer.steps == "handler")
    }

    @Test func aStepIsAlsoHummingbirdRouterMiddleware() async throws {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: Step(name: "outer"))
        router.group().add(middleware: Step(name: "inner")).get("/group") { request, context in Self.handler(request, context) }
        try await Application(router: router).test(.live) { client in
            let response = try await client.execute(uri: "/group", method: .get)
            #expect(response.headers[Self.steps] == "outer,inner,handler")
        }
    }
}
