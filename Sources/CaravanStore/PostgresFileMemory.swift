import Foundation
import Logging
import PostgresNIO

/// The files `noop` file consumers took, in the idempotent consumer's table (one
/// repository per route, `file-noop:<route>`), shared by every node and kept for as long
/// as the files stay in their folder.
public struct PostgresFileMemory: Sendable {
    private let clients: any PostgresClientProvider
    /// The client for the next statement (a ``DatabasePool`` may replace it).
    var client: PostgresClient { clients.client }
    public let schema: StoreSchema
    let statements = StatementGuard()
    let logger: Logger

    public init(
        client: some PostgresClientProvider, schema: StoreSchema,
        logger: Logger = Logger(label: "caravan.file")
    ) {
        self.clients = client
        self.schema = schema
        self.logger = logger
    }

    static func repository(_ route: String) -> String { "file-noop:\(route)" }

    public func contains(_ id: UUID, route: String) async throws -> Bool {
        var b = PostgresBindings()
        b.append(Self.repository(route))
        b.append(id.uuidString.lowercased())
        let sql = """
            SELECT count(*)::int FROM \(schema.table("idempotent_keys")) WHERE repository = $1 AND key = $2
            """
        return try await run(sql, b) > 0
    }

    public func remember(_ id: UUID, route: String) async throws {
        var b = PostgresBindings()
        b.append(Self.repository(route))
        b.append(id.uuidString.lowercased())
        let sql = """
            INSERT INTO \(schema.table("idempotent_keys")) (repository, key, owner) VALUES ($1, $2, $2)
            ON CONFLICT DO NOTHING
            """
        _ = try await run(sql, b)
    }

    public func forget(route: String, except present: [UUID]) async throws {
        var b = PostgresBindings()
        b.append(Self.repository(route))
        b.append(present.map { $0.uuidString.lowercased() })
        let sql = """
            DELETE FROM \(schema.table("idempotent_keys")) WHERE repository = $1 AND key <> ALL($2::text[])
            """
        _ = try await run(sql, b)
    }

    /// Runs `sql`; the first column of its first row as a number (0 without one).
    private func run(_ sql: String, _ bindings: PostgresBindings) async throws(StoreError) -> Int {
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        return try await statements.run { [client, logger] in
            for try await n in try await client.query(query, logger: logger).decode(Int.self) {
                return n
            }
            return 0
        }
    }
}
