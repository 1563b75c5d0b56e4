import Foundation
import PostgresNIO

/// Reads `postgres://user:password@host:port/database?sslmode=...` (also `postgresql://`,
/// and `?host=/path/to/socket-dir` for a unix socket) into client settings.
public enum DatabaseURL {
    public static func configuration(_ text: String) throws(StoreError)
        -> PostgresClient.Configuration
    {
        guard let url = URLComponents(string: text), let scheme = url.scheme,
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw StoreError.configuration(
                "'\(redacted(text))' is not a database URL — write postgres://user:password@host:5432/database"
            )
        }
        let user = url.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = url.password.flatMap { $0.removingPercentEncoding }
        let database = String(url.path.drop { $0 == "/" })
        let query = Dictionary(
            (url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        if let socketDirectory = query["host"], socketDirectory.hasPrefix("/") {
            let port = url.port ?? 5432
            return PostgresClient.Configuration(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user,
                password: password, database: database.isEmpty ? nil : database)
        }
        guard let host = url.host, !host.isEmpty else {
            throw StoreError.configuration("the database URL '\(redacted(text))' has no host")
        }
        let tls: PostgresClient.Configuration.TLS
        switch query["sslmode"] ?? "prefer" {
        case "disable": tls = .disable
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: user, password: password,
            database: database.isEmpty ? nil : database, tls: tls)
    }

    /// The URL with its password replaced, for messages and logs.
    public static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? text
    }
}
