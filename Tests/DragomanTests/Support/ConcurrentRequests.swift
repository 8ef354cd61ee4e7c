import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Sends many requests at once to a live gateway, each on its own pooled connection, and
/// returns their status codes in the order the requests were made.
///
/// HummingbirdTesting's `.ahc` client cannot be configured: it keeps eight connections and
/// gives a waiting request at most its 10 s connect timeout to get one, which twenty-four
/// concurrent creates on a 2-core machine busy with the whole parallel suite once exceeded
/// (`getConnectionFromPoolTimeout`). This client opens one connection per request and waits
/// up to a minute, so only the gateway's answers decide a test.
enum ConcurrentRequests {
    /// A request: method, path and JSON body.
    struct Request: Sendable {
        var method: HTTPMethod = .POST
        var path: String
        var body: String?
    }

    static func statuses(port: Int, _ requests: [Request]) async throws -> [UInt] {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(requests.count, 1)
        configuration.timeout.connect = .seconds(60)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let statuses = try await withThrowingTaskGroup(of: (Int, UInt).self) { group in
                for (index, request) in requests.enumerated() {
                    group.addTask {
                        var outgoing = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(request.path)")
                        outgoing.method = request.method
                        if let body = request.body {
                            outgoing.headers.add(name: "Content-Type", value: "application/json")
                            outgoing.body = .bytes(ByteBuffer(string: body))
                        }
                        let response = try await http.execute(outgoing, timeout: .seconds(60))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        return (index, response.status.code)
                    }
                }
                var statuses = [UInt](repeating: 0, count: requests.count)
                for try await (index, status) in group { statuses[index] = status }
                return statuses
            }
            try await http.shutdown()
            return statuses
        } catch {
            try? await http.shutdown()
            throw error
        }
    }
}
