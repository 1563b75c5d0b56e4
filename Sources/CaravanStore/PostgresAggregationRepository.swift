import Caravan
import Foundation
import Logging
import PostgresNIO

/// `aggregate` groups in PostgreSQL (Camel's JdbcAggregationRepository), shared by every
/// node: the messages of an open group survive restarts, crashes and hot reloads. A
/// group is the rows of one repository and key with the same completer ('' while open);
/// adds and completions of one group are serialised by a transaction-scoped advisory
/// lock on it.
public struct PostgresAggregationRepository: AggregationRepository {
    private let clients: any PostgresClientProvider
    /// The client for the next statement (a ``DatabasePool`` may replace it).
    var client: PostgresClient { clients.client }
    public let schema: StoreSchema
    /// The aggregate step's name.
    public let name: String
    /// How long a timeout completion may run before a starting node takes it over.
    public var staleCompletion: Duration = .seconds(300)
    let statements = StatementGuard()
    let logger: Logger

    public init(
        client: some PostgresClientProvider, schema: StoreSchema, name: String,
        logger: Logger = Logger(label: "caravan.aggregate")
    ) {
        self.clients = client
        self.schema = schema
        self.name = name
        self.logger = logger
    }

    var table: String { schema.table("aggregation_members") }

    public func add(_ exchange: Exchange, key: String, owner: String, timeout: Duration?)
        async throws(ProcessingError) -> AggregationGroup
    {
        let (table, name) = (table, name)
        let snapshot = JSONWriter().string(exchange.snapshot)
        return try await transaction(key) { connection in
            let completed = try await Self.members(
                connection, table, name, key, completedBy: owner, logger)
            if !completed.isEmpty {
                return AggregationGroup(members: completed, completedByThisOwner: true)
            }
            var b = PostgresBindings()
            b.append(name)
            b.append(key)
            b.append(owner)
            b.append(snapshot)
            _ = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO \(table) (repository, key, owner, exchange) VALUES ($1, $2, $3, $4)
                        ON CONFLICT DO NOTHING
                        """, binds: b), logger: logger)
            if let timeout {
                // Inactivity: every new member moves the whole group's deadline.
                var t = PostgresBindings()
                t.append(name)
                t.append(key)
                t.append(timeout.milliseconds)
                _ = try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            UPDATE \(table) SET timeout_at = now() + $3 * interval '1 millisecond'
                            WHERE repository = $1 AND key = $2 AND completed_by = ''
                            """, binds: t), logger: logger)
            }
            return AggregationGroup(
                members: try await Self.members(
                    connection, table, name, key, completedBy: "", logger))
        }
    }

    public func complete(key: String, size: Int, by owner: String) async throws(ProcessingError)
        -> Bool
    {
        let (table, name) = (table, name)
        return try await transaction(key) { connection in
            var b = PostgresBindings()
            b.append(name)
            b.append(key)
            b.append(owner)
            b.append(size)
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        UPDATE \(table) SET completed_by = $3, completed_at = now()
                        WHERE repository = $1 AND key = $2 AND completed_by = ''
                            AND (SELECT count(*) FROM \(table)
                                 WHERE repository = $1 AND key = $2 AND completed_by = '') = $4
                        RETURNING 1
                        """, binds: b), logger: logger)
            var moved = 0
            for try await _ in rows { moved += 1 }
            return moved > 0
        }
    }

    public func confirm(key: String, completedBy owner: String) async throws(ProcessingError) {
        var b = PostgresBindings()
        b.append(name)
        b.append(key)
        b.append(owner)
        let query = PostgresQuery(
            unsafeSQL: """
                DELETE FROM \(table) WHERE repository = $1 AND key = $2 AND completed_by = $3
                """, binds: b)
        try await run { [client, logger] in _ = try await client.query(query, logger: logger) }
    }

    public func pending() async throws(ProcessingError) -> [PendingAggregation] {
        var b = PostgresBindings()
        b.append(name)
        b.append(staleCompletion.milliseconds)
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT key, completed_by, exchange,
                    greatest(0, extract(epoch FROM (max(timeout_at) OVER (PARTITION BY key, completed_by) - now())) * 1000)::bigint
                FROM \(table)
                WHERE repository = $1 AND (
                    (completed_by = '' AND timeout_at IS NOT NULL)
                    OR (starts_with(completed_by, 'timeout:')
                        AND completed_at < now() - $2 * interval '1 millisecond'))
                ORDER BY key, completed_by, seq
                """, binds: b)
        let rows = try await run { [client, logger] in
            var rows: [(String, String, String, Int)] = []
            for try await row in try await client.query(query, logger: logger).decode(
                (String, String, String, Int).self)
            {
                rows.append(row)
            }
            return rows
        }
        var groups: [PendingAggregation] = []
        for (key, completedBy, text, remaining) in rows {
            let member = try Self.exchange(text)
            if let last = groups.last, last.key == key,
                last.completedBy == (completedBy.isEmpty ? nil : completedBy)
            {
                groups[groups.count - 1].members.append(member)
            } else {
                groups.append(
                    PendingAggregation(
                        key: key, members: [member], remaining: .milliseconds(remaining),
                        completedBy: completedBy.isEmpty ? nil : completedBy))
            }
        }
        return groups
    }

    public func openGroups() async throws(ProcessingError) -> [AggregationGroupSnapshot] {
        var b = PostgresBindings()
        b.append(name)
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT key, exchange FROM \(table)
                WHERE repository = $1 AND completed_by = ''
                ORDER BY key, seq
                """, binds: b)
        let rows = try await run { [client, logger] in
            var rows: [(String, String)] = []
            for try await row in try await client.query(query, logger: logger).decode(
                (String, String).self)
            {
                rows.append(row)
            }
            return rows
        }
        var groups: [AggregationGroupSnapshot] = []
        for (key, text) in rows {
            let member = try Self.exchange(text)
            if groups.last?.key == key {
                groups[groups.count - 1].members.append(member)
            } else {
                groups.append(AggregationGroupSnapshot(key: key, members: [member]))
            }
        }
        return groups
    }

    /// The members of group `key` with completer `completedBy`, in arrival order.
    static func members(
        _ connection: PostgresConnection, _ table: String, _ name: String, _ key: String,
        completedBy: String, _ logger: Logger
    ) async throws -> [Exchange] {
        var b = PostgresBindings()
        b.append(name)
        b.append(key)
        b.append(completedBy)
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT exchange FROM \(table)
                    WHERE repository = $1 AND key = $2 AND completed_by = $3 ORDER BY seq
                    """, binds: b), logger: logger)
        var members: [Exchange] = []
        for try await text in rows.decode(String.self) { members.append(try exchange(text)) }
        return members
    }

    static func exchange(_ text: String) throws(ProcessingError) -> Exchange {
        guard let document = try? JSONReader().read(text), let e = Exchange(snapshot: document)
        else {
            throw ProcessingError(
                .illegalState, "an aggregation group holds an unreadable exchange")
        }
        return e
    }

    /// Runs `body` in a transaction that holds the group's advisory lock.
    private func transaction<T: Sendable>(
        _ key: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws(ProcessingError) -> T {
        let lock = "\(schema.name)/\(name)/\(key)"
        let logger = logger
        return try await run { [client] in
            try await client.withTransaction(logger: logger) { connection in
                var b = PostgresBindings()
                b.append(lock)
                _ = try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                        binds: b), logger: logger)
                return try await body(connection)
            }
        }
    }

    /// Runs a statement under the store's deadline; a failure is the repository being
    /// unavailable, which the route's error handler redelivers.
    private func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T)
        async throws(ProcessingError) -> T
    {
        do {
            return try await statements.run(body)
        } catch {
            throw ProcessingError(
                .connect, "the aggregation repository '\(name)' is unavailable: \(error)")
        }
    }
}

/// The store's aggregation repositories, by name.
public struct PostgresAggregationRepositories: AggregationRepositories {
    private let clients: any PostgresClientProvider
    public let schema: StoreSchema

    public init(client: some PostgresClientProvider, schema: StoreSchema) {
        self.clients = client
        self.schema = schema
    }

    public func repository(named name: String) -> any AggregationRepository {
        PostgresAggregationRepository(client: clients, schema: schema, name: name)
    }
}
