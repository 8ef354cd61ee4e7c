import DragomanDialectKit
import DragomanStore
public import NIOCore

/// The timeouts and caps that keep slow, idle and greedy clients from exhausting the gateway.
/// Every value is configurable under `server.` (see the README); the defaults are nginx's
/// spirit, tightened for an API gateway.
public struct ConnectionLimits: Sendable, Equatable {
    /// A request's header block must arrive within this time from its first byte (or from the
    /// connection's opening); otherwise 408.
    public var headerTimeout: TimeAmount = .seconds(10)
    /// A body must keep arriving: the longest pause between two reads of it; otherwise 408.
    public var bodyTimeout: TimeAmount = .seconds(10)
    /// The whole request, head and body, must arrive within this time; otherwise 408.
    public var requestTimeout: TimeAmount = .seconds(60)
    /// A keep-alive connection with no request in progress is closed after this time.
    public var idleTimeout: TimeAmount = .seconds(30)
    /// A response that the client does not read (the socket stays full) is abandoned, and the
    /// connection closed, after this time.
    public var sendTimeout: TimeAmount = .seconds(30)
    /// After a refusal the gateway half-closes and reads (and drops) what the client still
    /// sends for up to this time, so the client sees the answer rather than a reset.
    public var lingerTimeout: TimeAmount = .seconds(5)
    /// Connections open at once; past it the oldest idle or stalled connection is closed, and
    /// when there is none the new one is answered 503.
    public var maxConnections = 4096
    /// Connections open at once from one client address; past it new ones are answered 503.
    public var maxConnectionsPerClient = 512
    /// The longest request line (method, target, version) read; longer ones get 414.
    public var maxRequestLineBytes = 8192
    /// The largest header block; larger ones get 431.
    public var maxHeaderBytes = 32768
    /// The most header fields in one request; more get 431.
    public var maxHeaderCount = 100

    public init() {}

    /// How much a connection (a caller's, or one to a backend) reads from its socket at once:
    /// NIO's adaptive allocator, which starts at 2 KiB and grows while reads fill it, up to
    /// 256 KiB (NIO's default stops at 64 KiB), so that a large body is read, and passed on, in
    /// a quarter of the reads. Small requests keep small reads.
    package static let receiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 256 * 1024)
}
