import NIOCore
import NIOPosix

/// The listening socket of the tests' raw NIO backends: bound on loopback to a free port, each
/// accepted connection given the handler `makeHandler` makes for it (on its event loop).
enum LoopbackServer {
    static func bind(_ makeHandler: @escaping @Sendable (any Channel) -> any ChannelHandler) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(makeHandler(child))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }
}
