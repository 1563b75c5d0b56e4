import Caravan
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Which dead letters an operator action applies to.
public struct DeadLetterSelection: Sendable {
    public var ids: [UUID] = []
    public var route: String?
    /// Text the last error's message contains (case-insensitive).
    public var errorContains: String?
    /// Only dead letters that died at most this long ago.
    public var since: Duration?
    /// Every dead letter (when nothing else is given, nothing is selected).
    public var all = false
    /// The admin API's list filters (its state, if any, must be `dead`).
    public var filter: MessageFilter?
    /// Only dead letters that arrived up to this place in the journal: a bulk operation
    /// applies to what its filter matched when it was created, not to later ones.
    public var upToSeq: Int64?
    /// At most this many, oldest first (a bulk operation's batch).
    public var batch: Int?
    /// Only while bulk operation `id` is running with `owner` as its runner: a runner
    /// that lost its operation (cancelled, or taken over after its lease ran out) selects
    /// nothing, in the same statement as the action.
    var operation: (id: UUID, owner: String)?

    public init(
        ids: [UUID] = [], route: String? = nil, errorContains: String? = nil,
        since: Duration? = nil, all: Bool = false, filter: MessageFilter? = nil
    ) {
        self.filter = filter
        self.ids = ids
        self.route = route
        self.errorContains = errorContains
        self.since = since
        self.all = all
    }

    /// The selection as JSON, for the audit log.
    var auditText: String {
        var o: [(String, Document)] = []
        if !ids.isEmpty { o.append(("ids", .array(ids.map { .string($0.lowercasedText) }))) }
        if let route { o.append(("route", .string(route))) }
        if let errorContains { o.append(("error", .string(errorContains))) }
        if let since {
            o.append(("sinceSeconds", .number(DecimalText(Int(since.components.seconds)))))
        }
        if all { o.append(("all", .bool(true))) }
        if let filter { o.append(("filter", filter.document)) }
        if let upToSeq { o.append(("upToSeq", .number(DecimalText(unchecked: "\(upToSeq)")))) }
        if let operation { o.append(("operation", .string(operation.id.lowercasedText))) }
        return JSONWriter().string(
            .object(DocumentObject(o.map { DocumentObject.Member(key: $0.0, value: $0.1) })))
    }

    var isEmpty: Bool {
        ids.isEmpty && route == nil && errorContains == nil && since == nil && !all
            && filter == nil
    }

    /// The WHERE clause over `schema`'s messages; its values are appended to `b` (the
    /// parameters after those already there).
    func clause(into b: inout PostgresBindings, schema: StoreSchema) -> String {
        let conditions = conditions(into: &b, schema: schema)
        guard let batch else { return conditions }
        return """
            id IN (SELECT id FROM \(schema.table("messages")) WHERE \(conditions)
                   ORDER BY seq LIMIT \(max(1, batch)))
            """
    }

    private func conditions(into b: inout PostgresBindings, schema: StoreSchema) -> String {
        var conditions = ["state = 'dead'"]
        if let filter { conditions.append(filter.clause(into: &b)) }
        if let upToSeq {
            b.append(upToSeq)
            conditions.append("seq <= $\(b.count)")
        }
        if let operation {
            b.append(operation.id)
            b.append(operation.owner)
            conditions.append(
                "EXISTS (SELECT 1 FROM \(schema.table("operations")) WHERE id = $\(b.count - 1) AND owner = $\(b.count) AND state = 'running')"
            )
        }
        var n = b.count + 1
        if !ids.isEmpty {
            conditions.append("id = ANY($\(n)::uuid[])")
            b.append(ids)
            n += 1
        }
        if let route {
            conditions.append("route = $\(n)")
            b.append(route)
            n += 1
        }
        if let errorContains {
            conditions.append("errors->-1->>'message' ILIKE '%' || $\(n) || '%'")
            b.append(errorContains)
            n += 1
        }
        if let since {
            conditions.append("updated_at >= now() - $\(n) * interval '1 millisecond'")
            b.append(Int(since.components.seconds * 1000))
            n += 1
        }
        return conditions.joined(separator: " AND ")
    }
}

/// A dead letter as operators see it.
public struct DeadLetter: Sendable {
    public var id: UUID
    public var route: String
    public var attempts: Int
    public var lastError: String
    public var diedAt: Date
    public var message: Message
    /// Every attempt's error, oldest first (`{at, attempt, kind, message, step, endpoint, status, response}`).
    public var errors: Document
    /// The exchange when it failed, and where (``FailurePoint/document``), when known.
    public var failure: Document?
    /// What operators did to it (`{at, by, action, reason}`).
    public var audit: Document
    /// The message before the first edit, when it was edited.
    public var original: Document?
}

/// What an operator action did (or, with `dryRun`, would do) to one dead letter.
public struct DeadLetterAction: Sendable, Equatable {
    public var id: UUID
    public var route: String
    /// The new message a replay created.
    public var replay: UUID?
}

/// Operators' work on dead letters: list, inspect, edit, replay, discard. Every change is
/// recorded in the message's `audit` with who, when and why; the message itself is kept.
public struct DeadLetters: Sendable {
    private let clients: any PostgresClientProvider
    /// The client for the next statement (a ``DatabasePool`` may replace it).
    public var client: PostgresClient { clients.client }
    public let schema: StoreSchema
    let statements = StatementGuard()
    let logger: Logger

    public init(
        client: some PostgresClientProvider, schema: StoreSchema = .default,
        logger: Logger = Logger(label: "caravan.dlq")
    ) {
        self.clients = client
        self.schema = schema
        self.logger = logger
    }

    var table: String { schema.table("messages") }

    public func list(
        _ selection: DeadLetterSelection = DeadLetterSelection(all: true), limit: Int = 100
    ) async throws(StoreError) -> [DeadLetter] {
        var b = PostgresBindings()
        let whereClause = selection.clause(into: &b, schema: schema)
        let sql = """
            SELECT id, route, attempt, coalesce(errors->-1->>'message', ''), updated_at, headers::text, body, content_type,
                   errors::text, failure::text, audit::text, original::text
            FROM \(table) WHERE \(whereClause) ORDER BY updated_at DESC, seq DESC LIMIT \(max(1, limit))
            """
        return try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            var result: [DeadLetter] = []
            for try await (
                id, route, attempts, lastError, diedAt, headers, body, type, errors, failure, audit,
                original
            ) in rows.decode(
                (
                    UUID, String, Int, String, Date, String, ByteBuffer, String?, String, String?,
                    String, String?
                ).self)
            {
                result.append(
                    DeadLetter(
                        id: id, route: route, attempts: attempts, lastError: lastError,
                        diedAt: diedAt,
                        message: try Message(storedHeaders: headers, body: body, contentType: type),
                        errors: try JSONReader().read(errors),
                        failure: try failure.map { try JSONReader().read($0) },
                        audit: try JSONReader().read(audit),
                        original: try original.map { try JSONReader().read($0) }))
            }
            return result
        }
    }

    public func show(_ id: UUID) async throws(StoreError) -> DeadLetter? {
        try await list(DeadLetterSelection(ids: [id]), limit: 1).first
    }

    /// Replays the selected dead letters as new messages (`replay_of` links them): from the
    /// point of failure by default — the steps that succeeded are not repeated — or from
    /// the start with the message as it is (edits included). The originals become
    /// `replayed`. Selecting a message that is not dead replays nothing for it: ask for it
    /// by id to get the reason.
    public func replay(
        _ selection: DeadLetterSelection, fromStart: Bool = false, dryRun: Bool = false,
        by actor: Operator, reason: String? = nil, counted: Bool = true
    )
        async throws(StoreError) -> [DeadLetterAction]
    {
        try await refuseNotDead(selection, action: "replay")
        var bindings = PostgresBindings()
        let whereClause: String
        if dryRun {
            whereClause = selection.clause(into: &bindings, schema: schema)
        } else {
            bindings.append(actor.name)
            bindings.append(reason ?? "")
            bindings.append(fromStart)
            bindings.append(actor.via.rawValue)
            bindings.append(selection.auditText)
            whereClause = selection.clause(into: &bindings, schema: schema)
        }
        let sql: String
        if dryRun {
            sql = "SELECT id, route, NULL::uuid FROM \(table) WHERE \(whereClause) ORDER BY seq"
        } else {
            sql = """
                WITH chosen AS (
                    UPDATE \(table) SET state = 'replayed', updated_at = now(),
                        audit = audit || jsonb_build_array(jsonb_build_object('at', now(), 'by', $1::text, 'action',
                            CASE WHEN $3::bool THEN 'replay from start' ELSE 'replay' END, 'reason', $2::text))
                    WHERE \(whereClause)
                    RETURNING id, route, consumer, headers, body, content_type, failure, seq
                ), replays AS (
                    INSERT INTO \(table) (id, route, consumer, headers, body, content_type, failure, replay_of)
                    SELECT gen_random_uuid(), route, consumer, headers, body, content_type,
                           CASE WHEN $3::bool THEN NULL ELSE failure END, id
                    FROM chosen ORDER BY seq
                    RETURNING id, replay_of, route
                ), logged AS (
                    \(Self.auditInsert(schema, action: "CASE WHEN $3::bool THEN 'replay from start' ELSE 'replay' END", actor: "$1", via: "$4", reason: "$2", selection: "$5", rows: "replays", idColumn: "replay_of"))
                )\(Self.progress(selection, &bindings, schema: schema, rows: "replays"))
                SELECT replay_of, route, id FROM replays
                """
        }
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        let actions = try await statements.run { [self] in
            let rows = try await client.query(query, logger: logger)
            var actions: [DeadLetterAction] = []
            for try await (id, route, replay) in rows.decode((UUID, String, UUID?).self) {
                actions.append(DeadLetterAction(id: id, route: route, replay: replay))
            }
            if !dryRun, !actions.isEmpty { try await notify() }
            return actions
        }
        // A bulk operation's batches are counted once, as the operation.
        if counted, !dryRun, !actions.isEmpty { OperatorMetrics.action("replay", via: actor.via) }
        return actions
    }

    /// For a bulk operation's batch: the CTE that adds the rows it acted on to the
    /// operation's progress, in the same statement (so the count is exact across crashes).
    static func progress(
        _ selection: DeadLetterSelection, _ b: inout PostgresBindings, schema: StoreSchema,
        rows: String
    ) -> String {
        guard let operation = selection.operation else { return "" }
        b.append(operation.id)
        return """
            , counted AS (
                UPDATE \(schema.table("operations"))
                SET processed = processed + (SELECT count(*) FROM \(rows)), updated_at = now()
                WHERE id = $\(b.count)
            )
            """
    }

    /// The INSERT of an action's audit row, for a data-modifying CTE: one row for the
    /// whole action, written with it or not at all (no row when nothing was selected).
    /// The ids are listed up to 1,000; beyond, the selection and the count say what.
    static func auditInsert(
        _ schema: StoreSchema, action: String, actor: String, via: String, reason: String,
        selection: String, rows: String, idColumn: String
    ) -> String {
        """
        INSERT INTO \(schema.table("audit_log")) (actor, via, action, reason, target, count)
        SELECT \(actor), \(via), \(action), \(reason),
               jsonb_build_object('selection', \(selection)::jsonb, 'ids',
                   CASE WHEN count(*) <= 1000 THEN jsonb_agg(\(idColumn)) END),
               count(*)
        FROM \(rows) HAVING count(*) > 0
        """
    }

    /// Discards the selected dead letters (kept in the table as `discarded`, with the reason).
    public func discard(
        _ selection: DeadLetterSelection, dryRun: Bool = false, by actor: Operator, reason: String,
        counted: Bool = true
    ) async throws(StoreError)
        -> [DeadLetterAction]
    {
        try await refuseNotDead(selection, action: "discard")
        var bindings = PostgresBindings()
        if !dryRun {
            bindings.append(actor.name)
            bindings.append(reason)
            bindings.append(actor.via.rawValue)
            bindings.append(selection.auditText)
        }
        let whereClause = selection.clause(into: &bindings, schema: schema)
        let sql =
            dryRun
            ? "SELECT id, route FROM \(table) WHERE \(whereClause) ORDER BY seq"
            : """
            WITH discarded AS (
                UPDATE \(table) SET state = 'discarded', updated_at = now(),
                    audit = audit || jsonb_build_array(jsonb_build_object('at', now(), 'by', $1::text, 'action', 'discard', 'reason', $2::text))
                WHERE \(whereClause) RETURNING id, route
            ), logged AS (
                \(Self.auditInsert(schema, action: "'discard'", actor: "$1", via: "$3", reason: "$2", selection: "$4", rows: "discarded", idColumn: "id"))
            )\(Self.progress(selection, &bindings, schema: schema, rows: "discarded"))
            SELECT id, route FROM discarded
            """
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        let actions = try await statements.run { [self] in
            let rows = try await client.query(query, logger: logger)
            var actions: [DeadLetterAction] = []
            for try await (id, route) in rows.decode((UUID, String).self) {
                actions.append(DeadLetterAction(id: id, route: route, replay: nil))
            }
            return actions
        }
        if counted, !dryRun, !actions.isEmpty { OperatorMetrics.action("discard", via: actor.via) }
        return actions
    }

    /// Edits a dead letter before it is replayed: the new body and/or header values
    /// replace the message's, and the exchange at the failure point (what the failed step
    /// will receive on a replay) gets the same changes. The message as it was before the
    /// first edit is kept in `original`; the edit is audited with who and why.
    public func edit(
        _ id: UUID, body: [UInt8]?, headers: [(String, String)], by actor: Operator, reason: String
    ) async throws(StoreError) {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StoreError.refused(
                "an edit needs a reason (--reason), so the next operator knows why the message changed"
            )
        }
        guard let letter = try await show(id) else { throw try await notDeadReason(id) }
        var message = letter.message
        if let body { message.body = Body(bytes: body, contentType: message.contentType) }
        for (name, value) in headers { message.headers[name] = .string(value) }
        var failure = letter.failure
        if let doc = failure, var point = FailurePoint(document: doc) {
            if let body {
                point.exchange.message.body = Body(
                    bytes: body, contentType: point.exchange.message.contentType)
            }
            for (name, value) in headers { point.exchange.message.headers[name] = .string(value) }
            failure = point.document
        }
        let original = Exchange(id: id.lowercasedText, message: letter.message).snapshot
        var b = PostgresBindings()
        b.append(id)
        b.append(JSONWriter().string(message.headers.document))
        b.append(ByteBuffer(bytes: message.body.bytes))
        b.append(failure.map { JSONWriter().string($0) })
        b.append(JSONWriter().string(original))
        b.append(actor.name)
        b.append(reason)
        b.append(actor.via.rawValue)
        b.append(DeadLetterSelection(ids: [id]).auditText)
        let sql = """
            WITH edited AS (
                UPDATE \(table) SET headers = $2::jsonb, body = $3, failure = $4::jsonb, original = coalesce(original, $5::jsonb),
                    updated_at = now(),
                    audit = audit || jsonb_build_array(jsonb_build_object('at', now(), 'by', $6::text, 'action', 'edit', 'reason', $7::text))
                WHERE id = $1 AND state = 'dead' RETURNING id
            ), logged AS (
                \(Self.auditInsert(schema, action: "'edit'", actor: "$6", via: "$8", reason: "$7", selection: "$9", rows: "edited", idColumn: "id"))
            )
            SELECT count(*)::int FROM edited
            """
        let edited = try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            for try await n in rows.decode(Int.self) { return n }
            return 0
        }
        // Replayed or discarded by someone else since it was read.
        guard edited == 1 else { throw try await notDeadReason(id) }
        OperatorMetrics.action("edit", via: actor.via)
    }

    /// Refuses an action on messages asked for by id that are not dead, saying why.
    func refuseNotDead(_ selection: DeadLetterSelection, action: String) async throws(StoreError) {
        guard !selection.isEmpty else {
            throw StoreError.refused(
                "nothing selected to \(action): give ids, --route, --error, --since or --all")
        }
        for id in selection.ids {
            let state = try await state(of: id)
            if state != "dead" { throw try await notDeadReason(id, action: action) }
        }
    }

    func state(of id: UUID) async throws(StoreError) -> String? {
        var b = PostgresBindings()
        b.append(id)
        return try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: "SELECT state FROM \(table) WHERE id = $1", binds: b),
                logger: logger)
            for try await state in rows.decode(String.self) { return state }
            return nil
        }
    }

    func notDeadReason(_ id: UUID, action: String = "edit") async throws(StoreError) -> StoreError {
        switch try await state(of: id) {
        case nil: return .notFound("message \(id) does not exist")
        case "replayed":
            return .refused(
                "message \(id) was already replayed; \(action) its replay instead (see replay_of)")
        case let state?:
            return .refused(
                "message \(id) is \(state), not dead: only dead letters can be \(action == "edit" ? "edited" : action + "ed")"
            )
        }
    }

    func notify() async throws {
        try await client.query(
            PostgresQuery(unsafeSQL: "SELECT pg_notify('\(schema.notificationChannel)', 'replay')"),
            logger: logger)
    }
}
