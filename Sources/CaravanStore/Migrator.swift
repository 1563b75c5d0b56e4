import Logging
import PostgresNIO

/// Applies the store's migrations under an advisory lock, so several Caravan processes
/// starting at once apply each migration exactly once; applying twice changes nothing.
public struct Migrator: Sendable {
    public let client: PostgresClient
    public let schema: StoreSchema
    let logger: Logger

    public init(
        client: PostgresClient, schema: StoreSchema = .default,
        logger: Logger = Logger(label: "caravan.store")
    ) {
        self.client = client
        self.schema = schema
        self.logger = logger
    }

    /// The migration status: applied versions and the pending ones.
    public struct Status: Sendable, Equatable {
        public var applied: [Int]
        public var pending: [Int]
        public var latest: Int { Migrations.all.last?.version ?? 0 }
    }

    /// Applies every pending migration; returns the versions it applied.
    @discardableResult
    public func migrate() async throws -> [Int] {
        try await withStoreErrors {
            try await client.withConnection { connection in
                try await connection.query(
                    "SELECT pg_advisory_lock(\(schema.lockKey("migrate")))", logger: logger)
                do {
                    let applied = try await apply(on: connection)
                    try await connection.query(
                        "SELECT pg_advisory_unlock(\(schema.lockKey("migrate")))", logger: logger)
                    return applied
                } catch {
                    _ = try? await connection.query(
                        "SELECT pg_advisory_unlock(\(schema.lockKey("migrate")))", logger: logger)
                    throw error
                }
            }
        }
    }

    private func apply(on connection: PostgresConnection) async throws -> [Int] {
        try await connection.query(
            PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema.name)\""),
            logger: logger)
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    CREATE TABLE IF NOT EXISTS \(schema.table("migrations")) (
                        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                    """), logger: logger)
        let done = Set(try await appliedVersions(connection))
        var applied: [Int] = []
        for migration in Migrations.all where !done.contains(migration.version) {
            try await connection.withTransaction(logger: logger) { tx in
                for statement in migration.sql {
                    try await tx.query(
                        PostgresQuery(
                            unsafeSQL: statement.replacingOccurrences(
                                of: "{schema}", with: "\"\(schema.name)\"")), logger: logger)
                }
                // The name as a bind: a name is prose and may hold a quote.
                var binds = PostgresBindings(capacity: 2)
                binds.append(migration.version)
                binds.append(migration.name)
                try await tx.query(
                    PostgresQuery(
                        unsafeSQL:
                            "INSERT INTO \(schema.table("migrations")) (version, name) VALUES ($1, $2)",
                        binds: binds),
                    logger: logger)
            }
            logger.info(
                "applied migration",
                metadata: [
                    "version": "\(migration.version)", "name": "\(migration.name)",
                    "schema": "\(schema)",
                ])
            applied.append(migration.version)
        }
        return applied
    }

    func appliedVersions(_ connection: PostgresConnection) async throws -> [Int] {
        var versions: [Int] = []
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: "SELECT version FROM \(schema.table("migrations")) ORDER BY version"),
            logger: logger)
        for try await version in rows.decode(Int.self) { versions.append(version) }
        return versions
    }

    /// Which migrations are applied and which are pending.
    public func status() async throws -> Status {
        try await withStoreErrors {
            try await client.withConnection { connection in
                let exists = try await connection.query(
                    "SELECT to_regclass(\(schema.name + ".migrations")) IS NOT NULL", logger: logger
                )
                var present = false
                for try await value in exists.decode(Bool.self) { present = value }
                let applied = present ? try await appliedVersions(connection) : []
                return Status(
                    applied: applied,
                    pending: Migrations.all.map(\.version).filter { !applied.contains($0) })
            }
        }
    }
}

/// Turns PostgresNIO's errors into ``StoreError``s that say what happened.
func withStoreErrors<T>(_ body: () async throws -> T) async throws(StoreError) -> T {
    do {
        return try await body()
    } catch let error as StoreError {
        throw error
    } catch let error as PSQLError {
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed,
            .queryCancelled, .unexpectedBackendMessage:
            throw StoreError.unavailable(String(reflecting: error))
        default:
            let detail = error.serverInfo.flatMap { $0[.message] } ?? String(reflecting: error)
            // The server's transient refusals (shutting down, starting up, too many
            // connections, a deadlock or serialization failure, a statement timeout):
            // trying again can succeed. The rest (a constraint, bad data) cannot.
            let state = error.serverInfo?[.sqlState] ?? ""
            if ["08", "40", "53", "57", "58"].contains(String(state.prefix(2)))
                || state == "55P03"
            {
                throw StoreError.unavailable(detail)
            }
            throw StoreError.query(detail)
        }
    } catch {
        throw StoreError.unavailable("\(error)")
    }
}
