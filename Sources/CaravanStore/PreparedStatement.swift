import Logging
import PostgresNIO

/// One of the store's statements, for one schema: each connection parses and plans it
/// once, then only binds and executes it. Measured with pgbench on the journal's INSERT
/// of one row: 2.2× the statements per second of parsing and planning it every time,
/// which is what small group commits (light load, low latency) paid.
///
/// Only for statements whose plan does not depend on the table's size (an INSERT from
/// arrays): PostgreSQL keeps the generic plan a connection settled on, even after the
/// table it was planned for has grown a thousandfold.
///
/// The parameters' types are fixed when a connection prepares the statement, from the
/// first call's bindings: bind every parameter with a value (an empty string and
/// `NULLIF($n, '')` where SQL `NULL` is meant), never `nil`.
struct StoreStatement: Sendable {
    /// The prepared statement's name on each connection: purpose and schema.
    let name: String
    let sql: String

    init(_ purpose: String, _ sql: String, schema: StoreSchema) {
        self.name = "caravan.\(purpose).\(schema.name)"
        self.sql = sql
    }
}

extension PostgresClient {
    /// Runs `statement` with `bindings` on a pooled connection, preparing it there first
    /// if that connection has not yet.
    func execute(_ statement: StoreStatement, _ bindings: PostgresBindings, logger: Logger)
        async throws(StoreError) -> StoreRows
    {
        try await withStoreErrors {
            try await RuntimePreparedStatement.$current.withValue(statement) {
                try await execute(RuntimePreparedStatement(bindings: bindings), logger: logger)
            }
        }
    }
}

extension PostgresConnection {
    /// Runs `statement` with `bindings` on this connection, preparing it first if this
    /// connection has not yet.
    func execute(_ statement: StoreStatement, _ bindings: PostgresBindings, logger: Logger)
        async throws -> StoreRows
    {
        try await RuntimePreparedStatement.$current.withValue(statement) {
            try await execute(RuntimePreparedStatement(bindings: bindings), logger: logger)
        }
    }
}

/// The rows a ``StoreStatement`` returned.
typealias StoreRows = AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow>

/// The adapter to PostgresNIO, whose prepared statements name their SQL in static
/// properties of a type — but the store's SQL names a schema chosen at run time. The
/// statement travels in a task-local around the call; PostgresNIO reads `name` and `sql`
/// in the calling task, before the call returns.
private struct RuntimePreparedStatement: PostgresPreparedStatement {
    @TaskLocal static var current: StoreStatement?

    static var name: String { current!.name }
    static var sql: String { current!.sql }

    typealias Row = PostgresRow
    let bindings: PostgresBindings

    func makeBindings() -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}
