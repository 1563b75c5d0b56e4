import Foundation
import NIOSSL
import PostgresNIO

/// Reads `postgres://user:password@host:port/database?sslmode=...` (also `postgresql://`,
/// and `?host=/path/to/socket-dir` for a unix socket) into client settings.
public struct DatabaseURL: Sendable {
    /// Where the server listens.
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    public enum TLSMode: Sendable, Equatable {
        case disable, prefer, require
    }

    public var endpoint: Endpoint
    public var user: String
    public var password: String?
    public var database: String?
    public var tls: TLSMode
    /// The URL as given, its password hidden.
    public var redacted: String

    public init(_ text: String) throws(StoreError) {
        guard let url = URLComponents(string: text), let scheme = url.scheme,
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw StoreError.configuration(
                "'\(Self.redacted(text))' is not a database URL — write postgres://user:password@host:5432/database"
            )
        }
        redacted = Self.redacted(text)
        user = url.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = url.password.flatMap { $0.removingPercentEncoding }
        let database = String(url.path.drop { $0 == "/" })
        self.database = database.isEmpty ? nil : database
        let query = Dictionary(
            (url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        if let socketDirectory = query["host"], socketDirectory.hasPrefix("/") {
            endpoint = .unixSocket(path: "\(socketDirectory)/.s.PGSQL.\(url.port ?? 5432)")
            tls = .disable
            return
        }
        guard let host = url.host, !host.isEmpty else {
            throw StoreError.configuration("the database URL '\(redacted)' has no host")
        }
        endpoint = .tcp(host: host, port: url.port ?? 5432)
        switch query["sslmode"] ?? "prefer" {
        case "disable": tls = .disable
        case "require", "verify-ca", "verify-full": tls = .require
        default: tls = .prefer
        }
    }

    /// The settings of the store's connection pool.
    public var clientConfiguration: PostgresClient.Configuration {
        switch endpoint {
        case .unixSocket(let path):
            return PostgresClient.Configuration(
                unixSocketPath: path, username: user, password: password, database: database)
        case .tcp(let host, let port):
            let tls: PostgresClient.Configuration.TLS =
                switch self.tls {
                case .disable: .disable
                case .prefer: .prefer(.makeClientConfiguration())
                case .require: .require(.makeClientConfiguration())
                }
            return PostgresClient.Configuration(
                host: host, port: port, username: user, password: password, database: database,
                tls: tls)
        }
    }

    /// Reads `text` into the pool's settings.
    public static func configuration(_ text: String) throws(StoreError)
        -> PostgresClient.Configuration
    {
        try DatabaseURL(text).clientConfiguration
    }

    /// The URL with its password replaced, for messages and logs.
    public static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? text
    }
}
