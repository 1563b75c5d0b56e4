import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

extension DatabaseURL {
    /// Opens one connection and closes it again: says at once, and why, when the server
    /// refuses the user or database, and when it cannot be reached — after trying again
    /// for up to `waiting` (a server still starting beside this one).
    ///
    /// The pool cannot say it: PostgresNIO's `PostgresClient` keeps a request waiting
    /// while it retries connecting and then fails it with "circuit breaker tripped" after
    /// about a minute, whatever the cause (a database that does not exist, a wrong
    /// password, nothing listening).
    public func probe(
        timeout: Duration = .seconds(10), waiting: Duration = .zero, logger: Logger
    ) async throws(StoreError) {
        let deadline = ContinuousClock.now + waiting
        var told = false
        while true {
            do {
                return try await connectOnce(timeout: timeout, logger: logger)
            } catch {
                // A refusal (user, password, database) will not change by waiting.
                guard case .unavailable = error, ContinuousClock.now < deadline else {
                    throw error
                }
                logger.log(
                    level: told ? .debug : .info, "waiting for PostgreSQL",
                    metadata: ["at": "\(place)", "error": "\(error)"])
                told = true
                try? await Task.sleep(for: .milliseconds(250))
                if Task.isCancelled { throw error }
            }
        }
    }

    private func connectOnce(timeout: Duration, logger: Logger) async throws(StoreError) {
        var configuration: PostgresConnection.Configuration
        switch endpoint {
        case .unixSocket(let path):
            configuration = PostgresConnection.Configuration(
                unixSocketPath: path, username: user, password: password, database: database)
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS
            do {
                switch self.tls {
                case .disable: tls = .disable
                case .prefer:
                    tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
                case .require:
                    tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                }
            } catch {
                throw .configuration("cannot set up TLS for \(redacted): \(error)")
            }
            configuration = PostgresConnection.Configuration(
                host: host, port: port, username: user, password: password, database: database,
                tls: tls)
        }
        configuration.options.connectTimeout = TimeAmount(timeout)
        // The connect timeout ends at the TCP handshake; a server that accepts and then
        // says nothing (not PostgreSQL) is caught by the guard.
        let silent = StatementGuard(
            timeout: timeout,
            timeoutMessage:
                "no answer from \(place) within \(timeout) — is it PostgreSQL listening there?")
        try await silent.run { [configuration] in
            do {
                let connection = try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                    id: 0, logger: logger)
                try? await connection.close()
            } catch {
                throw describe(error)
            }
        }
    }

    /// Where the server is, for messages.
    var place: String {
        switch endpoint {
        case .tcp(let host, let port): "\(host):\(port)"
        case .unixSocket(let path): path
        }
    }

    /// What went wrong connecting, and what to check.
    func describe(_ error: any Error) -> StoreError {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                // Starting up, shutting down, out of connection slots: it may pass.
                let state = error.serverInfo?[.sqlState] ?? ""
                if state.hasPrefix("57") || state == "53300" {
                    return .unavailable(
                        "PostgreSQL at \(place) cannot take connections yet: \(message)")
                }
                return .configuration(
                    "PostgreSQL at \(place) refused the connection: \(message) — check the user, password and database in \(redacted)"
                )
            }
            if let underlying = error.underlying {
                return .unavailable(
                    "cannot connect to PostgreSQL at \(place): \(underlying) — is it running and listening there?"
                )
            }
        }
        return .unavailable(
            "cannot connect to PostgreSQL at \(place): \(error) — is it running and listening there?"
        )
    }
}
