import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Hummingbird
import Synchronization

/// The gateway's responder: every request goes to the router current when it arrives. A reload
/// swaps in a new router at once; requests already running finish on the one they started
/// with, and no connection is touched.
final class SwappableResponder: HTTPResponder, Sendable {
    typealias Context = GatewayRequestContext
    private let current: Mutex<GatewayResponder>

    init(_ responder: GatewayResponder) {
        current = Mutex(responder)
    }

    func swap(to responder: GatewayResponder) {
        current.withLock { $0 = responder }
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        let responder = current.withLock { $0 }
        return try await responder.respond(to: request, context: context)
    }
}
