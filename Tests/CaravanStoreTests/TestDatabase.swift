import Caravan
import CaravanStore
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL the store tests run against: `CARAVAN_TEST_DATABASE_URL` when set,
/// else one throwaway cluster per test process, started on first use and stopped at exit.
/// Each test gets a schema of its own, so tests run in parallel without meeting.
enum TestDatabase {
    /// The throwaway cluster, unless `CARAVAN_TEST_DATABASE_URL` names a server.
    static let cluster: Task<EmbeddedPostgres?, any Error> = Task {
        if ProcessInfo.processInfo.environment["CARAVAN_TEST_DATABASE_URL"] != nil { return nil }
        return try await EmbeddedPostgres.start(durable: false)
    }

    static let configuration: Task<PostgresClient.Configuration, any Error> = Task {
        if let url = ProcessInfo.processInfo.environment["CARAVAN_TEST_DATABASE_URL"] {
            return try DatabaseURL.configuration(url)
        }
        return try await cluster.value!.configuration()
    }

    /// The test database as a URL, for the `caravan` commands.
    static func url() async throws -> String {
        if let url = ProcessInfo.processInfo.environment["CARAVAN_TEST_DATABASE_URL"] { return url }
        let c = try await cluster.value!
        return "postgres://postgres@localhost:\(c.port)/postgres?host=\(c.directory)"
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

    /// Runs `body` with a second running client of the test database: another node's
    /// connections, or a session that holds locks while the code under test runs.
    static func withOtherClient<T: Sendable>(
        _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        let other = PostgresClient(
            configuration: try await configuration.value, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await other.run() }
            defer { group.cancelAll() }
            return try await body(other)
        }
    }

    /// Returns once some session waits for a lock with a statement containing `text`
    /// (polls `pg_stat_activity`: PostgreSQL announces no such event).
    static func waitUntilBlocked(_ client: PostgresClient, statementContaining text: String)
        async throws
    {
        try await waitForSessions(client, "wait_event_type = 'Lock'", text) { $0 > 0 }
    }

    /// Returns once no session runs a statement containing `text` (a statement whose
    /// caller stopped waiting goes on in the server).
    static func waitUntilFinished(_ client: PostgresClient, statementContaining text: String)
        async throws
    {
        try await waitForSessions(client, "state = 'active'", text) { $0 == 0 }
    }

    /// Polls the number of other sessions in `condition` whose statement contains `text`
    /// until `done` says so.
    private static func waitForSessions(
        _ client: PostgresClient, _ condition: String, _ text: String, _ done: (Int) -> Bool
    ) async throws {
        let sql = """
            SELECT count(*)::int FROM pg_stat_activity
            WHERE \(condition) AND query LIKE $1 AND pid <> pg_backend_pid()
            """
        while true {
            var b = PostgresBindings()
            b.append("%\(text)%")
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: b))
            for try await n in rows.decode(Int.self) where done(n) { return }
            try await Task.sleep(for: .milliseconds(5))
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
