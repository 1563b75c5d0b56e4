import ArgumentParser
import Caravan
import CaravanStore
import Foundation
import Logging
import PostgresNIO

/// `caravan db migrate|status`: the store's schema.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Apply or inspect the store's database migrations.",
        subcommands: [Migrate.self, Status.self]
    )

    /// `--database` / `DATABASE_URL` and `--schema`.
    struct Connection: ParsableArguments {
        @Option(
            help:
                "The database URL (default: $DATABASE_URL, else the private PostgreSQL of a `caravan serve` in ./.caravan), e.g. postgres://user:password@127.0.0.1:5432/caravan."
        )
        var database: String?

        @Option(help: "The schema Caravan's tables live in.")
        var schema: String = "caravan"

        /// The private PostgreSQL `caravan serve --routes routes` runs in `.caravan/`
        /// here, when it is running.
        static func privateDatabaseURL() -> String? {
            let folder = URL(fileURLWithPath: ".caravan/postgres").standardized.path
            guard FileManager.default.fileExists(atPath: folder + "/.s.PGSQL.5432") else {
                return nil
            }
            return "postgres://postgres@localhost:5432/postgres?host=\(folder)"
        }

        /// Runs `body` with a running client.
        func withClient<T: Sendable>(
            _ body: @Sendable (PostgresClient, StoreSchema, Logger) async throws -> T
        ) async throws -> T {
            guard
                let url = database ?? ProcessInfo.processInfo.environment["DATABASE_URL"]
                    ?? Self.privateDatabaseURL()
            else {
                throw CLIFailure.invalid(
                    "no database: give --database URL or set DATABASE_URL (or run this beside a `caravan serve` that uses its private PostgreSQL in .caravan/)"
                )
            }
            let parsed: DatabaseURL
            let schema: StoreSchema
            do {
                parsed = try DatabaseURL(url)
                schema = try StoreSchema(self.schema)
            } catch {
                throw CLIFailure.invalid(error.description)
            }
            // Quiet: the command prints its own result; PostgresNIO's start-up chatter (a
            // lease requested just before run() starts) is not for users.
            var logger = Logger(label: "caravan")
            logger.logLevel = .error
            // Why the database cannot be used, at once (the pool would only time out).
            do {
                try await parsed.probe(logger: logger)
            } catch {
                throw CLIFailure(code: 1, message: error.description)
            }
            let client = PostgresClient(
                configuration: parsed.clientConfiguration, backgroundLogger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                do {
                    return try await body(client, schema, logger)
                } catch let error as StoreError {
                    if case .refused(let reason) = error {
                        throw CLIFailure(code: 1, message: reason)
                    }
                    throw CLIFailure(code: 1, message: "\(error) (\(DatabaseURL.redacted(url)))")
                }
            }
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply pending migrations (safe to run from several processes at once).")
        @OptionGroup var connection: Connection

        func run() async throws {
            let applied = try await connection.withClient { client, schema, logger in
                try await Migrator(client: client, schema: schema, logger: logger).migrate()
            }
            writeOutput(
                Array(
                    (applied.isEmpty
                        ? "up to date"
                        : "applied \(applied.map(String.init).joined(separator: ", "))").utf8))
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show applied and pending migrations.")
        @OptionGroup var connection: Connection

        func run() async throws {
            let status = try await connection.withClient { client, schema, logger in
                try await Migrator(client: client, schema: schema, logger: logger).status()
            }
            writeOutput(
                Array(
                    "applied: \(status.applied.map(String.init).joined(separator: ", ").ifEmpty("none"))\npending: \(status.pending.map(String.init).joined(separator: ", ").ifEmpty("none"))"
                        .utf8))
            if !status.pending.isEmpty { throw ExitCode(1) }
        }
    }
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
