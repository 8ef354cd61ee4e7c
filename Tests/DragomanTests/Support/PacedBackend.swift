import NIOCore
import NIOPosix
import Synchronization

/// A backend on a loopback socket that answers every request with one endless body, written
/// only while its socket takes more (on the event loop, as writability changes): so the bytes
/// it has written are the bytes the kernel and its reader have taken, and a test can see how
/// much a reader that stops reading lets through. (Hummingbird's response writer is no good
/// for this: a writer task that loops can yield many parts before the event loop marks the
/// channel unwritable, more the busier the machine.)
final class PacedBackend: Sendable {
    private let channel: any Channel
    private let counter: Counter
    var port: Int { channel.localAddress!.port! }
    /// Bytes of body written so far, over all connections.
    var written: Int { counter.bytes.load(ordering: .relaxed) }

    /// Counts the bytes written, shared by the connections' handlers.
    final class Counter: Sendable {
        let bytes = Atomic<Int>(0)
    }

    init(partSize: Int = 64 << 10) async throws {
        let counter = Counter()
        self.counter = counter
        channel = try await LoopbackServer.bind { _ in Handler(counter: counter, partSize: partSize) }
    }

    func close() async {
        try? await channel.close()
    }

    /// Answers once the request's head is in, then writes parts while the channel is writable.
    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let counter: Counter
        let part: ByteBuffer
        var answering = false
        var received = ""

        init(counter: Counter, partSize: Int) {
            self.counter = counter
            self.part = ByteBuffer(repeating: 0x61, count: partSize)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += String(buffer: unwrapInboundIn(data))
            guard !answering, received.contains("\r\n\r\n") else { return }
            answering = true
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: \(1 << 40)\r\n\r\n"
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: head)), promise: nil)
            writeWhileWritable(context: context)
        }

        func channelWritabilityChanged(context: ChannelHandlerContext) {
            if answering { writeWhileWritable(context: context) }
            context.fireChannelWritabilityChanged()
        }

        private func writeWhileWritable(context: ChannelHandlerContext) {
            while context.channel.isActive, context.channel.isWritable {
                context.writeAndFlush(wrapOutboundOut(part), promise: nil)
                counter.bytes.add(part.readableBytes, ordering: .relaxed)
            }
        }
    }
}
