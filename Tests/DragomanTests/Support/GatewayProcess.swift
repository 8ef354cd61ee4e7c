import AsyncHTTPClient
import DragomanTransport
import Foundation
import HummingbirdBcrypt
import NIOCore

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// The real `dragoman` executable, started in `directory` on a port it picks, killed with SIGKILL.
///
/// Each process listens on a loopback address of its own (`127.0.0.2`–`127.0.0.254`), not on
/// `127.0.0.1`: once a process stops listening, an HTTP client still retrying its queued
/// requests would otherwise reach whichever in-process test gateway of a parallel suite was
/// next given the freed port, and count that gateway's 201 as the process's.
struct GatewayProcess: Sendable {
    static let apiKey = "dgm_crash_test_key"
    static let password = "process-Pa55word"
    let process: ChildProcess
    let host = "127.0.0.\(Int.random(in: 2...254))"
    let port: Int
    /// Where the process's output goes.
    let logFile: URL?

    init(directory: URL, storePath: String) throws {
        try self.init(directory: directory, arguments: ["--store-path", storePath])
    }

    /// Starts the process from a GCD thread: waiting for it to listen blocks, and must not hold
    /// one of Swift's cooperative threads while in-process gateways of other tests need them.
    static func start(directory: URL, arguments: [String], environment: [String: String] = [:]) async throws -> GatewayProcess {
        try await offCooperativePool { try GatewayProcess(directory: directory, arguments: arguments, environment: environment) }
    }

    static func start(directory: URL, storePath: String) async throws -> GatewayProcess {
        try await start(directory: directory, arguments: ["--store-path", storePath])
    }

    /// Starts `dragoman serve` with `arguments` and, beside the defaults, a principal
    /// `crashtest` whose API key and password hash come from the environment.
    init(directory: URL, arguments: [String], environment: [String: String] = [:]) throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dragoman")
        let log = directory.appendingPathComponent("dragoman-\(UUID().uuidString).log")
        logFile = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        // No config file in `directory`: the defaults, plus a principal whose key comes from the environment.
        process = try ChildProcess(
            executable.path,
            arguments: ["serve", "--host", host, "--port", "0"] + arguments,
            environment: [
                "DRAGOMAN_SECURITY__BCRYPTCOST": "4", "PATH": "/usr/bin:/bin",
                "DRAGOMAN_PRINCIPALS__CRASHTEST__APIKEYS": APIKey.digest(Self.apiKey),
                "DRAGOMAN_PRINCIPALS__CRASHTEST__PASSWORDHASH": Self.passwordHash,
            ].merging(environment) { _, new in new },
            directory: directory.path,
            output: .file(log.path)
        )
        var seen = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning {
            seen = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = seen.range(of: #"listening on 127\.0\.0\.\d+:(\d+)"#, options: .regularExpression) {
                port = Int(seen[range].split(separator: ":").last ?? "") ?? 0
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.send(SIGTERM)
        throw GatewayProcessError(output: seen)
    }

    func kill() {
        process.send(SIGKILL)
        process.waitForExit()
    }

    /// A Telness-style create, signed with the process principal's API key.
    func post(_ path: String, _ body: String, headers: [String: String] = [:]) async throws -> ProcessReply {
        try await send("POST", path, body: body, headers: ["X-API-Key": Self.apiKey].merging(headers) { _, new in new })
    }

    /// The process principal's password hash (cost 4), made once.
    static let passwordHash = Bcrypt.hash(password, cost: 4)

    /// A read with the process principal's name and password (Basic).
    func get(_ path: String) async throws -> ProcessReply {
        try await send("GET", path, headers: ["Authorization": "Basic " + Data("crashtest:\(Self.password)".utf8).base64EncodedString()])
    }

    func send(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) async throws -> ProcessReply {
        var request = HTTPClientRequest(url: "http://\(host):\(port)\(path)")
        request.method = .RAW(value: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let text = try await response.body.collect(upTo: 1 << 20)
        return ProcessReply(status: response.status.code, headers: response.headers.map { ($0.name, $0.value) }, body: String(buffer: text))
    }
}

/// What a ``GatewayProcess`` answered.
struct ProcessReply: Sendable {
    var status: UInt
    var headers: [(String, String)]
    var body: String

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

struct GatewayProcessError: Error, CustomStringConvertible {
    var output: String
    var description: String { "dragoman did not start:\n\(output)" }
}
