import DragomanDialectKit
import DragomanStore
import DragomanTransport
public import ServiceLifecycle
import Synchronization

/// Whether the gateway is draining: set when a graceful shutdown begins, so `/health/ready`
/// answers 503 while in-flight requests finish and load balancers stop sending new ones.
public final class GatewayLifecycle: Sendable {
    private let draining = Atomic(false)

    public init() {}

    public var isDraining: Bool { draining.load(ordering: .relaxed) }

    public func beginDraining() {
        draining.store(true, ordering: .relaxed)
    }

    /// A service to run after the application in the process's service group: the group
    /// signals services in reverse order, so this one hears of the shutdown first and marks
    /// the gateway draining before the server stops taking requests.
    public var drainSignal: some Service { DrainSignal(lifecycle: self) }
}

/// Waits for graceful shutdown, then marks the gateway draining.
struct DrainSignal: Service {
    let lifecycle: GatewayLifecycle

    func run() async throws {
        try? await gracefulShutdown()
        lifecycle.beginDraining()
    }
}
