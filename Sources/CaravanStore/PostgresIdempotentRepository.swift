import Caravan
import Logging
import PostgresNIO

/// `idempotentConsumer` keys in PostgreSQL (Camel's JdbcMessageIdRepository), shared by
/// every node: a key added on one node is a duplicate on all of them, and survives
/// restarts.
public struct PostgresIdempotentRepository: IdempotentRepository {
    private let clients: any PostgresClientProvider
    /// The client for the next statement (a ``DatabasePool`` may replace it).
    public var client: PostgresClient { clients.client }
    public let schema: StoreSchema
    /// The repository's name (Camel's `processorName`): keys of different names never meet.
    public let name: String
    let statements = StatementGuard()
    let logger: Logger

    public init(
        client: some PostgresClientProvider, schema: StoreSchema, name: String,
        logger: Logger = Logger(label: "caravan.idempotent")
    ) {
        self.clients = client
        self.schema = schema
        self.name = name
        self.logger = logger
    }

    public func add(_ key: String, owner: String) async throws(ProcessingError) -> Bool {
        // The insert, or the owner already there (committed before this statement). No
        // row at all means a concurrent insert won between the two: someone else's key.
        let sql = """
            WITH added AS (
                INSERT INTO \(schema.table("idempotent_keys")) (repository, key, owner) VALUES ($1, $2, $3)
                ON CONFLICT (repository, key) DO NOTHING
                RETURNING owner
            )
            SELECT owner FROM added
            UNION ALL
            SELECT owner FROM \(schema.table("idempotent_keys")) WHERE repository = $1 AND key = $2
            LIMIT 1
            """
        return try await firstOwner(sql, key, owner) == owner
    }

    public func contains(_ key: String, owner: String) async throws(ProcessingError) -> Bool {
        let sql = """
            SELECT owner FROM \(schema.table("idempotent_keys")) WHERE repository = $1 AND key = $2
            """
        guard let existing = try await firstOwner(sql, key, nil) else { return false }
        return existing != owner
    }

    public func remove(_ key: String) async throws(ProcessingError) {
        let sql = """
            DELETE FROM \(schema.table("idempotent_keys")) WHERE repository = $1 AND key = $2
            """
        _ = try await firstOwner(sql, key, nil)
    }

    private func firstOwner(_ sql: String, _ key: String, _ owner: String?)
        async throws(ProcessingError) -> String?
    {
        var b = PostgresBindings()
        b.append(name)
        b.append(key)
        if let owner { b.append(owner) }
        do {
            return try await statements.run { [client, logger, b] in
                let rows = try await client.query(
                    PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
                for try await found in rows.decode(String.self) { return found }
                return nil
            }
        } catch {
            // Like a failed delivery: the error handler redelivers (the database may be
            // back by then).
            throw ProcessingError(
                .connect, "the idempotent repository '\(name)' is unavailable: \(error)")
        }
    }
}

/// The store's repositories, by name.
public struct PostgresIdempotentRepositories: IdempotentRepositories {
    private let clients: any PostgresClientProvider
    /// The client for the next statement (a ``DatabasePool`` may replace it).
    public var client: PostgresClient { clients.client }
    public let schema: StoreSchema

    public init(client: some PostgresClientProvider, schema: StoreSchema) {
        self.clients = client
        self.schema = schema
    }

    public func repository(named name: String) -> any IdempotentRepository {
        PostgresIdempotentRepository(client: clients, schema: schema, name: name)
    }
}
