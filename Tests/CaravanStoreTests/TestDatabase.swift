import Caravan
import CaravanStore
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL the store tests run against: `CARAVAN_TEST_DATABASE_URL` when set,
/// else one throwaway cluster per test process, started on first use and stopped at exit.
/// Each test gets a schema of its own, so tests run in parallel without meeting.
enum TestDatabase {
    static let configuration: Task<PostgresClient.Configuration, any Error> = Task {
        if let url = ProcessInfo.processInfo.environment["CARAVAN_TEST_DATABASE_URL"] {
            return try DatabaseURL.configuration(url)
        }
        return try await EmbeddedPostgres.start(durable: false).configuration()
    }

    static var logger: Logger {
        var l = Logger(label: "caravan.test")
        l.logLevel = .warning
        return l
    }

    /// Runs `body` with a running client and a fresh, migrated schema (dropped afterwards).
    static func withStore<T: Sendable>(
        migrate: Bool = true, _ body: @Sendable (PostgresClient, StoreSchema) async throws -> T
    ) async throws -> T {
        let client = PostgresClient(
            configuration: try await configuration.value, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let schema = try StoreSchema(
                "t_"
                    + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(
                        16))
            if migrate {
                try await Migrator(client: client, schema: schema, logger: logger).migrate()
            }
            do {
                let result = try await body(client, schema)
                _ = try? await client.query(
                    PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(schema.name)\" CASCADE"))
                return result
            } catch {
                _ = try? await client.query(
                    PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(schema.name)\" CASCADE"))
                throw error
            }
        }
    }

    /// A route engine for `yaml` set up as the durable server runs routes: the store's
    /// redelivery seam and Caravan's default error handler.
    static func engine(_ yaml: String) async throws -> RouteEngine {
        let loaded = RouteLoader().load([RouteFile(path: "test.yaml", text: yaml)])
        if !loaded.errors.isEmpty { throw LoadFailure(loaded.errors) }
        var settings = ProcessContext.Settings()
        settings.redelivery = SuspendingRedelivery()
        settings.errorHandler = .caravanDefault
        let engine = try RouteEngine(routes: loaded.routes, settings: settings)
        try await engine.start()
        return engine
    }
}
