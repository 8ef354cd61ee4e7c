import DragomanDialectKit
import Foundation

/// Where a PostgreSQL store lives, read from a `postgres://` URL:
/// `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=disable|prefer|require&schema=NAME&maxConnections=N`.
///
/// The port defaults to 5432, the database to the user's name, `sslmode` to `prefer` (as libpq
/// does), the schema to `public` and the pool to 20 connections per instance. User and password
/// are percent-decoded.
public struct PostgresLocation: Sendable, Equatable {
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// The schema Dragoman's tables live in; created when missing.
    public var schema: String
    /// The most connections this instance's pool opens.
    public var maxConnections: Int

    /// Parses `url`; the error says what is wrong, never echoing the password.
    public init(url: String) throws(PostgresLocationError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw PostgresLocationError("is not a URL")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw PostgresLocationError("must start with postgres:// (got \(scheme)://)")
        }
        guard let host = components.host, !host.isEmpty else { throw PostgresLocationError("names no host") }
        guard let user = components.percentEncodedUser?.removingPercentEncoding, !user.isEmpty else {
            throw PostgresLocationError("names no user (postgres://USER:PASSWORD@HOST/DATABASE)")
        }
        self.host = host
        self.port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw PostgresLocationError("has port \(port), outside 1-65535") }
        self.user = user
        self.password = components.percentEncodedPassword?.removingPercentEncoding
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? user : path
        self.tls = .prefer
        self.schema = "public"
        self.maxConnections = 20
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                    throw PostgresLocationError("has sslmode=\(item.value ?? ""); use disable, prefer or require")
                }
                tls = mode
            case "schema":
                guard let value = item.value, Self.isIdentifier(value) else {
                    throw PostgresLocationError("has schema=\(item.value ?? ""); use letters, digits and _ only, not starting with a digit")
                }
                schema = value
            case "maxConnections":
                guard let value = item.value.flatMap(Int.init), (1...1000).contains(value) else {
                    throw PostgresLocationError("has maxConnections=\(item.value ?? ""); use a number from 1 to 1000")
                }
                maxConnections = value
            default:
                throw PostgresLocationError("has unknown parameter \(item.name); known: sslmode, schema, maxConnections")
            }
        }
    }

    /// A plain SQL identifier: safe to write into statements unquoted.
    package static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.count <= 63 else { return false }
        let letters = CharacterSet.lowercaseLetters.union(.uppercaseLetters).union(CharacterSet(charactersIn: "_"))
        return text.unicodeScalars.allSatisfy { $0.isASCII && (letters.contains($0) || ("0"..."9").contains($0)) }
            && !("0"..."9").contains(first)
    }

    /// The URL with the password hidden, for logs.
    public var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)?schema=\(schema)" }
}

/// Why a PostgreSQL URL was refused.
public struct PostgresLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problem: String
    package init(_ problem: String) { self.problem = problem }
    public var description: String { problem }
}
