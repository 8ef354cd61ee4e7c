import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A plain TCP connection on loopback for tests that must misbehave as no HTTP client library
/// would: send half a request, stall, open hundreds of connections from another loopback
/// address. Blocking calls run on GCD threads, never on Swift's cooperative pool, so an
/// in-process gateway keeps running while a test waits.
final class RawConnection: @unchecked Sendable {
    private let fd: Int32

    /// Connects to `127.0.0.1:port` from the loopback address `source` (any of 127.0.0.0/8),
    /// off the cooperative pool.
    /// With `sending`, the bytes go out in the same step as the connect, so a loaded machine
    /// cannot delay them past a short header timeout.
    static func open(port: Int, host: String = "127.0.0.1", source: String = "127.0.0.1", sending first: String? = nil) async throws -> RawConnection {
        try await offCooperativePool {
            let connection = try RawConnection(port: port, host: host, source: source)
            if let first { try connection.sendNow(Array(first.utf8)) }
            return connection
        }
    }

    private init(port: Int, host: String, source: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawConnectionError.failed("socket") }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &remote.sin_addr)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, connected == 0 else {
            Glibc.close(fd)
            throw RawConnectionError.failed("connect: errno \(errno)")
        }
    }

    deinit { Glibc.close(fd) }

    /// Sends `text` (or as much as the socket takes; a stalled peer makes it return early).
    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) async throws {
        try await offCooperativePool { try self.sendNow(bytes) }
    }

    /// Sends on the calling thread: GCD threads only.
    private func sendNow(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { throw RawConnectionError.failed("send: errno \(errno)") }
            offset += sent
        }
    }

    /// Reads until the peer closes or `timeout` passes; says which.
    func readUntilClosed(timeout: TimeInterval) async -> (text: String, closed: Bool) {
        await blockingRead(timeout: timeout, untilClosed: true)
    }

    /// Reads whatever arrives within `timeout` (stops at the first pause after some bytes).
    func readAvailable(timeout: TimeInterval) async -> (text: String, closed: Bool) {
        await blockingRead(timeout: timeout, untilClosed: false)
    }

    private func blockingRead(timeout: TimeInterval, untilClosed: Bool) async -> (text: String, closed: Bool) {
        (try? await offCooperativePool {
            let deadline = Date().addingTimeInterval(timeout)
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while Date() < deadline {
                var poller = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
                let wait = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
                if poll(&poller, 1, min(wait, untilClosed || received.isEmpty ? wait : 200)) <= 0 {
                    if !untilClosed && !received.isEmpty { break }
                    continue
                }
                let count = recv(self.fd, &buffer, buffer.count, 0)
                if count <= 0 { return (String(decoding: received, as: UTF8.self), true) }
                received.append(contentsOf: buffer[..<count])
            }
            return (String(decoding: received, as: UTF8.self), false)
        }) ?? ("", true)
    }

}

enum RawConnectionError: Error {
    case failed(String)
}

/// How many file descriptors the process `pid` has open.
func openDescriptors(of pid: Int32) -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
}
