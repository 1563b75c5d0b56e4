import Foundation
import Logging
import PostgresNIO

/// One route's backlog as the store sees it: what the overview, `GET /api/v1/routes` and
/// the `caravan_messages` gauges show.
public struct RouteStatistics: Sendable, Equatable {
    public var route: String
    /// Messages waiting for a worker (`ready`).
    public var ready = 0
    /// Messages a worker holds (`running`).
    public var running = 0
    /// Messages waiting for a redelivery (`retrying`, due now or later).
    public var scheduled = 0
    public var dead = 0
    /// Seconds the oldest message due now has waited for a worker (nil: none waits).
    public var oldestReadyAge: Double?

    public init(route: String) { self.route = route }
}

/// Counts the unfinished messages per route. Only `ready`, `running`, `retrying` and `dead`
/// rows are read, each state through its partial index: never the `done` history, which
/// is most of the table.
public struct StoreStatistics: Sendable {
    private let clients: any PostgresClientProvider
    public var client: PostgresClient { clients.client }
    public let schema: StoreSchema
    let statements: StatementGuard
    let logger: Logger

    public init(
        client: some PostgresClientProvider, schema: StoreSchema = .default,
        timeout: Duration = .seconds(5), logger: Logger = Logger(label: "caravan.statistics")
    ) {
        self.clients = client
        self.schema = schema
        self.statements = StatementGuard(timeout: timeout)
        self.logger = logger
    }

    /// Every route with unfinished messages, by route id.
    public func routes() async throws(StoreError) -> [String: RouteStatistics] {
        // One part per partial index (due, leased, dead): a single `state IN (...)` made
        // the planner read the whole table (215 ms at a million rows, against 11 ms).
        let table = schema.table("messages")
        let sql = """
            SELECT route, state, count(*)::int,
                   EXTRACT(EPOCH FROM now() - min(due_at) FILTER (WHERE due_at <= now()))::float8
            FROM \(table) WHERE state IN ('ready', 'retrying') GROUP BY route, state
            UNION ALL
            SELECT route, 'running', count(*)::int, NULL FROM \(table) WHERE state = 'running' GROUP BY route
            UNION ALL
            SELECT route, 'dead', count(*)::int, NULL FROM \(table) WHERE state = 'dead' GROUP BY route
            """
        return try await statements.run { [self] in
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            var result: [String: RouteStatistics] = [:]
            for try await (route, state, count, waited) in rows.decode(
                (String, String, Int, Double?).self)
            {
                var r = result[route] ?? RouteStatistics(route: route)
                switch state {
                case "ready": r.ready = count
                case "running": r.running = count
                case "retrying": r.scheduled = count
                default: r.dead = count
                }
                // Ready and retrying messages whose time has come both wait for a worker.
                if state == "ready" || state == "retrying", let waited {
                    r.oldestReadyAge = max(r.oldestReadyAge ?? 0, waited)
                }
                result[route] = r
            }
            return result
        }
    }

    /// Messages accepted, done and dead per minute over the last `minutes`, oldest first
    /// (minutes with none are 0). Read from the messages that arrived in that time (found
    /// from the newest backwards through the journal's order, never a scan of the table):
    /// a message that arrived earlier and finished in that time is not counted.
    public func perMinute(minutes: Int = 60) async throws(StoreError) -> [MinuteCounts] {
        let table = schema.table("messages")
        let sql = """
            WITH recent AS (
                SELECT created_at, updated_at, state FROM \(table)
                WHERE seq > coalesce((SELECT seq FROM \(table)
                                      WHERE created_at < now() - \(minutes) * interval '1 minute'
                                      ORDER BY seq DESC LIMIT 1), 0)
            ), events AS (
                SELECT 0 AS kind, date_trunc('minute', created_at) AS minute FROM recent
                UNION ALL SELECT 1, date_trunc('minute', updated_at) FROM recent WHERE state = 'done'
                UNION ALL SELECT 2, date_trunc('minute', updated_at) FROM recent WHERE state = 'dead'
            )
            SELECT m.minute, count(*) FILTER (WHERE e.kind = 0)::int, count(*) FILTER (WHERE e.kind = 1)::int,
                   count(*) FILTER (WHERE e.kind = 2)::int
            FROM generate_series(date_trunc('minute', now()) - \(minutes - 1) * interval '1 minute',
                                 date_trunc('minute', now()), interval '1 minute') AS m(minute)
            LEFT JOIN events e ON e.minute = m.minute
            GROUP BY m.minute ORDER BY m.minute
            """
        return try await statements.run { [self] in
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            var result: [MinuteCounts] = []
            for try await (minute, accepted, done, dead) in rows.decode((Date, Int, Int, Int).self)
            {
                result.append(
                    MinuteCounts(minute: minute, accepted: accepted, done: done, dead: dead))
            }
            return result
        }
    }

    /// This process's connections to the server by whether they run a statement
    /// (`in_use`) or wait in the pool (`idle`), from `pg_stat_activity`; and how long taking
    /// a connection from the pool took.
    public func connections() async throws(StoreError) -> (
        inUse: Int, idle: Int, acquire: Duration
    ) {
        try await statements.run { [self] in
            let started = ContinuousClock.now
            return try await client.withConnection { connection in
                let acquire = started.duration(to: .now)
                let rows = try await connection.query(
                    """
                    SELECT count(*) FILTER (WHERE state <> 'idle')::int,
                           count(*) FILTER (WHERE state = 'idle')::int
                    FROM pg_stat_activity WHERE application_name = \(DatabasePool.applicationName)
                    """, logger: logger)
                var counts = (0, 0)
                for try await (busy, idle) in rows.decode((Int, Int).self) { counts = (busy, idle) }
                // This statement's own connection is in use only to count.
                return (max(0, counts.0 - 1), counts.1 + 1, acquire)
            }
        }
    }
}

/// One minute of the overview's chart.
public struct MinuteCounts: Sendable, Equatable {
    public var minute: Date
    public var accepted: Int
    public var done: Int
    public var dead: Int
}
