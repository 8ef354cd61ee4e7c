import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A backend on a loopback socket that speaks raw HTTP/1.1 from a script: for the tests of the
/// upstream connection pool, which need to see what arrives in each read, how many connections
/// are opened and held at once, and answers no real server gives (interim answers, answers too
/// large, silence, a close after every answer).
final class ScriptedBackend: Sendable {
    /// One request as it arrived.
    struct Received: Sendable {
        let text: String
        /// The bytes of the first read of the request.
        let firstRead: String
        let connection: Int
    }

    /// What to do with a request: the raw answer (`nil`: say nothing), a delay first, and
    /// whether to close the connection after it.
    struct Reply: Sendable {
        var raw: String?
        var delay: TimeAmount = .zero
        var close = false
        /// Further bytes of the answer, each sent its delay after the one before (`close` waits
        /// for the last).
        var more: [(delay: TimeAmount, raw: String)] = []

        static func ok(_ body: String = "{}", headers: String = "") -> Reply {
            Reply(raw: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\(headers)\r\n\(body)")
        }
    }

    private struct Counts {
        var accepted = 0
        var open = 0
        var mostOpen = 0
        var received: [Received] = []
    }

    private let counts = NIOLockedValueBox(Counts())
    private let channel: any Channel
    var port: Int { channel.localAddress!.port! }

    /// Connections accepted so far, the most open at once, and the requests received.
    var accepted: Int { counts.withLockedValue { $0.accepted } }
    var mostOpen: Int { counts.withLockedValue { $0.mostOpen } }
    var received: [Received] { counts.withLockedValue { $0.received } }

    init(_ script: @escaping @Sendable (Received) -> Reply) async throws {
        let counts = self.counts
        channel = try await LoopbackServer.bind { child in
            let number = counts.withLockedValue { counts in
                counts.accepted += 1
                counts.open += 1
                counts.mostOpen = max(counts.mostOpen, counts.open)
                return counts.accepted
            }
            child.closeFuture.whenComplete { _ in counts.withLockedValue { $0.open -= 1 } }
            return Handler(connection: number, counts: counts, script: script)
        }
    }

    func close() async {
        try? await channel.close()
    }

    /// Splits the bytes of a connection into requests (a head, and a body of its
    /// Content-Length) and answers each from the script.
    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let connection: Int
        let counts: NIOLockedValueBox<Counts>
        let script: @Sendable (Received) -> Reply
        var buffer = ""
        var firstRead: String?

        init(connection: Int, counts: NIOLockedValueBox<Counts>, script: @escaping @Sendable (Received) -> Reply) {
            self.connection = connection
            self.counts = counts
            self.script = script
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: unwrapInboundIn(data))
            if firstRead == nil { firstRead = text }
            buffer += text
            while let end = buffer.range(of: "\r\n\r\n") {
                let head = buffer[..<end.lowerBound]
                let length =
                    head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                let total = buffer.distance(from: buffer.startIndex, to: end.upperBound) + length
                guard buffer.utf8.count >= total else { return }
                let request = String(buffer.prefix(total))
                buffer = String(buffer.dropFirst(total))
                let received = Received(text: request, firstRead: firstRead ?? "", connection: connection)
                firstRead = nil
                counts.withLockedValue { $0.received.append(received) }
                let reply = script(received)
                let loop = context.eventLoop.assumeIsolated()
                var elapsed = reply.delay
                loop.scheduleTask(in: elapsed) {
                    if let raw = reply.raw { context.writeAndFlush(NIOAny(ByteBuffer(string: raw)), promise: nil) }
                }
                for part in reply.more {
                    elapsed = elapsed + part.delay
                    loop.scheduleTask(in: elapsed) { context.writeAndFlush(NIOAny(ByteBuffer(string: part.raw)), promise: nil) }
                }
                if reply.close { loop.scheduleTask(in: elapsed) { context.close(promise: nil) } }
            }
        }
    }
}
