import Caravan
import CaravanStore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The admin API, `/api/v1`, JSON: the routes' backlog, messages (filtered, in keyset
/// pages), one message with its history, dead-letter replay/edit/discard, the audit log
/// and tokens. It calls the same store functions as `caravan dlq` and `caravan messages`,
/// so the two always behave the same; errors are RFC 9457 problem documents.
///
/// Who may do what: a `viewer` token reads, an `operator` also acts on dead letters, an
/// `admin` also manages tokens.
struct AdminAPI: Sendable {
    let messages: Messages
    let deadLetters: DeadLetters
    let audit: AuditLog
    let operations: BulkOperations
    let tokens: ApiTokens
    let statistics: StoreStatistics
    let access: Access
    /// The routes served now.
    let routeIDs: @Sendable () -> [String]
    let logger: Logger

    /// The largest request body the API reads (an edited message's body included).
    static let bodyLimit = 11 * 1024 * 1024

    func register(on router: Router<BasicRequestContext>) {
        let api = router.group("/api/v1")
        api.get("/routes", use: handler(.viewer) { _, _, _ in try await routes() })
        api.get("/messages", use: handler(.viewer) { request, _, _ in try await list(request) })
        api.get(
            "/messages/:id",
            use: handler(.viewer) { _, context, _ in
                try await detail(try Self.id(context))
            })
        api.post(
            "/dead-letters/:id/replay",
            use: handler(.operator) { request, context, caller in
                try await replay(try Self.id(context), request, caller)
            })
        api.put(
            "/dead-letters/:id",
            use: handler(.operator) { request, context, caller in
                try await editAndReplay(try Self.id(context), request, caller)
            })
        api.post(
            "/dead-letters/:id/discard",
            use: handler(.operator) { request, context, caller in
                try await discard(try Self.id(context), request, caller)
            })
        api.post(
            "/operations",
            use: handler(.operator) { request, _, caller in
                try await createOperation(request, caller)
            })
        api.get("/operations", use: handler(.viewer) { _, _, _ in try await listOperations() })
        api.get(
            "/operations/:id",
            use: handler(.viewer) { _, context, _ in
                try await operation(try Self.id(context))
            })
        api.post(
            "/operations/:id/cancel",
            use: handler(.operator) { _, context, caller in
                try await cancelOperation(try Self.id(context), caller)
            })
        api.get("/audit", use: handler(.viewer) { request, _, _ in try await auditLog(request) })
        api.get("/tokens", use: handler(.admin) { _, _, _ in try await listTokens() })
        api.post(
            "/tokens",
            use: handler(.admin) { request, _, caller in
                try await createToken(request, caller)
            })
        api.delete(
            "/tokens/:name",
            use: handler(.admin) { _, context, caller in
                try await revokeToken(Self.tokenName(context), caller)
            })
        api.get("/openapi.json") { _, _ in
            Self.json(.ok, OpenAPIDocument.document)
        }
    }

    /// A route's work once the caller is known; it throws ``Problem``s.
    typealias Handler =
        @Sendable (Request, BasicRequestContext, Caller) async throws ->
        Response

    /// A route that first checks the caller's token for `role`; problems become answers.
    func handler(_ role: Role, _ body: @escaping Handler)
        -> @Sendable (
            Request, BasicRequestContext
        ) async -> Response
    {
        { [access] request, context in
            do {
                let caller = try await access.caller(request, needs: role)
                return try await body(request, context, caller)
            } catch {
                return Problem(any: error).response
            }
        }
    }

    // MARK: Reading

    func routes() async throws(Problem) -> Response {
        let counts: [String: RouteStatistics]
        do { counts = try await statistics.routes() } catch { throw Problem(error) }
        let served = Set(routeIDs())
        let all = served.union(counts.keys).sorted()
        return Self.json(
            .ok,
            [
                "items": .array(
                    all.map {
                        APIDocuments.route(
                            counts[$0] ?? RouteStatistics(route: $0), served: served.contains($0))
                    })
            ])
    }

    func list(_ request: Request) async throws(Problem) -> Response {
        let query = Self.query(request)
        let filter = try Self.filter(query)
        let limit = try Self.integer(query, "limit", default: 50, in: 1...500)
        let cursor = try Self.cursor(query)
        do {
            let page = try await messages.list(filter, after: cursor, limit: limit, bodies: false)
            return Self.json(.ok, APIDocuments.page(page))
        } catch {
            throw Problem(error)
        }
    }

    func detail(_ id: UUID) async throws(Problem) -> Response {
        let found: MessageDetail?
        do { found = try await messages.detail(id) } catch { throw Problem(error) }
        guard let found else {
            throw Problem(
                .notFound, "no message \(id.lowercasedText)",
                hint: "list messages with GET /api/v1/messages")
        }
        return Self.json(.ok, APIDocuments.detail(found))
    }

    func auditLog(_ request: Request) async throws(Problem) -> Response {
        let query = Self.query(request)
        let limit = try Self.integer(query, "limit", default: 50, in: 1...500)
        do {
            let (entries, next) = try await audit.list(after: try Self.cursor(query), limit: limit)
            return Self.json(.ok, APIDocuments.page(entries.map(APIDocuments.audit), next: next))
        } catch {
            throw Problem(any: error)
        }
    }

    // MARK: Acting on dead letters

    func replay(_ id: UUID, _ request: Request, _ caller: Caller) async throws(Problem)
        -> Response
    {
        let body = try await Self.object(request)
        let fromStart = try Self.bool(body, "fromStart") ?? false
        let reason = try Self.string(body, "reason")
        do {
            let actions = try await deadLetters.replay(
                DeadLetterSelection(ids: [id]), fromStart: fromStart, by: caller.actor,
                reason: reason)
            return Self.json(.ok, Self.replayed(actions))
        } catch {
            throw Problem(error)
        }
    }

    /// Edits a dead letter's headers and/or body — a body must parse as the message's
    /// content type (else 422, with where it breaks) — and replays it; the original is kept
    /// and linked to its replay.
    func editAndReplay(_ id: UUID, _ request: Request, _ caller: Caller) async throws(Problem)
        -> Response
    {
        let body = try await Self.object(request)
        guard let reason = try Self.string(body, "reason"),
            !reason.trimmingCharacters(in: .whitespaces).isEmpty
        else {
            throw Problem(
                .badRequest, "an edit needs a reason",
                hint:
                    "send {\"reason\": \"why the message changed\", ...}: the next operator reads it"
            )
        }
        var newBody: [UInt8]?
        if let text = try Self.string(body, "body") {
            newBody = Array(text.utf8)
        } else if let base64 = try Self.string(body, "bodyBase64") {
            guard let data = Data(base64Encoded: base64) else {
                throw Problem(
                    .badRequest, "bodyBase64 is not base64",
                    hint: "encode the body's bytes in base64")
            }
            newBody = Array(data)
        }
        var headers: [(String, String)] = []
        if let h = body["headers"] {
            guard case .object(let members) = h else {
                throw Problem(
                    .badRequest, "headers must be an object of names to text values",
                    hint: #"send "headers": {"name": "value"}"#)
            }
            for m in members {
                guard let value = m.value.scalarText else {
                    throw Problem(
                        .badRequest, "header '\(m.key)' must be a text value",
                        hint: "send header values as strings")
                }
                headers.append((m.key, value))
            }
        }
        guard newBody != nil || !headers.isEmpty else {
            throw Problem(
                .badRequest, "nothing to edit", hint: "send a body, bodyBase64 or headers")
        }
        do {
            guard let current = try await messages.detail(id) else {
                throw StoreError.notFound("message \(id.lowercasedText) does not exist")
            }
            if let newBody {
                let contentType = current.stored.message.contentType
                let edited = Body(bytes: newBody, contentType: contentType)
                if edited.format != nil, !newBody.isEmpty {
                    do { _ = try edited.document() } catch {
                        throw Problem(
                            .unprocessableContent,
                            "the edited body does not parse as \(contentType?.description ?? "its type"): \(error)",
                            hint: "fix the document at the line and column given")
                    }
                }
            }
            try await deadLetters.edit(
                id, body: newBody, headers: headers, by: caller.actor, reason: reason)
            let actions = try await deadLetters.replay(
                DeadLetterSelection(ids: [id]),
                fromStart: try Self.bool(body, "fromStart") ?? false,
                by: caller.actor, reason: reason)
            return Self.json(.ok, Self.replayed(actions))
        } catch {
            throw Problem(any: error)
        }
    }

    func discard(_ id: UUID, _ request: Request, _ caller: Caller) async throws(Problem)
        -> Response
    {
        let body = try await Self.object(request)
        guard let reason = try Self.string(body, "reason"),
            !reason.trimmingCharacters(in: .whitespaces).isEmpty
        else {
            throw Problem(
                .badRequest, "a discard needs a reason",
                hint: "send {\"reason\": \"why it is not needed\"}")
        }
        do {
            let actions = try await deadLetters.discard(
                DeadLetterSelection(ids: [id]), by: caller.actor, reason: reason)
            return Self.json(
                .ok,
                ["discarded": .array(actions.map { .string($0.id.lowercasedText) })])
        } catch {
            throw Problem(error)
        }
    }

    static func replayed(_ actions: [DeadLetterAction]) -> Document {
        [
            "replayed": .array(
                actions.map {
                    [
                        "id": .string($0.id.lowercasedText),
                        "replay": $0.replay.map { .string($0.lowercasedText) } ?? .null,
                        "route": .string($0.route),
                    ]
                })
        ]
    }

    // MARK: Bulk operations

    /// `{action, filter, rate, reason, dryRun}`: with `dryRun`, how many dead letters the
    /// filter matches and the first of them; else a running operation (201).
    func createOperation(_ request: Request, _ caller: Caller) async throws(Problem) -> Response {
        let body = try await Self.object(request)
        guard let actionName = try Self.string(body, "action"),
            let action = BulkOperation.Action(rawValue: actionName)
        else {
            throw Problem(
                .badRequest, "action must be replay, replay from start or discard",
                hint: #"send {"action": "replay", "filter": {...}, "reason": "..."}"#)
        }
        var query: [String: String] = [:]
        if let filter = body["filter"] {
            guard case .object(let members) = filter else {
                throw Problem(
                    .badRequest, "filter must be an object",
                    hint:
                        "use the list's filter names: route, state, since, until, header, q, attempts_gte"
                )
            }
            for m in members {
                guard let text = m.value.scalarText else {
                    throw Problem(
                        .badRequest, "filter.\(m.key) must be a text or a number", hint: "")
                }
                query[m.key] = text
            }
        }
        let filter = try Self.filter(query)
        if let state = filter.state, state != "dead" {
            throw Problem(
                .badRequest, "a bulk action applies to dead letters, not to \(state) messages",
                hint: "leave the state out of the filter, or give state: dead")
        }
        do {
            if try Self.bool(body, "dryRun") == true {
                let preview = try await operations.preview(filter)
                return Self.json(
                    .ok,
                    [
                        "count": .number(DecimalText(preview.count)),
                        "sample": .array(preview.sample.map { .string($0.lowercasedText) }),
                    ])
            }
            var rate = 50
            if let r = body["rate"] {
                guard let text = r.scalarText, let n = Int(text) else {
                    throw Problem(
                        .badRequest, "rate must be a whole number",
                        hint: "messages per second, 1 to 10000")
                }
                rate = n
            }
            let created = try await operations.create(
                action, filter: filter, rate: rate, reason: try Self.string(body, "reason") ?? "",
                by: caller.actor)
            return Self.json(.created, APIDocuments.operation(created))
        } catch {
            throw Problem(any: error)
        }
    }

    func listOperations() async throws(Problem) -> Response {
        do {
            return Self.json(
                .ok, ["items": .array(try await operations.list().map(APIDocuments.operation))])
        } catch {
            throw Problem(error)
        }
    }

    func operation(_ id: UUID) async throws(Problem) -> Response {
        let found: BulkOperation?
        do { found = try await operations.get(id) } catch { throw Problem(error) }
        guard let found else {
            throw Problem(
                .notFound, "no operation \(id.lowercasedText)",
                hint: "list operations with GET /api/v1/operations")
        }
        return Self.json(.ok, APIDocuments.operation(found))
    }

    func cancelOperation(_ id: UUID, _ caller: Caller) async throws(Problem) -> Response {
        do {
            try await operations.cancel(id, by: caller.actor)
            return try await operation(id)
        } catch {
            throw Problem(any: error)
        }
    }

    // MARK: Tokens

    func listTokens() async throws(Problem) -> Response {
        do {
            return Self.json(
                .ok, ["items": .array(try await tokens.list().map(APIDocuments.token))])
        } catch {
            throw Problem(error)
        }
    }

    func createToken(_ request: Request, _ caller: Caller) async throws(Problem) -> Response {
        let body = try await Self.object(request)
        guard let name = try Self.string(body, "name"),
            let roleName = try Self.string(body, "role"), let role = Role(rawValue: roleName)
        else {
            throw Problem(
                .badRequest, "a token needs a name and a role",
                hint: #"send {"name": "...", "role": "viewer" | "operator" | "admin"}"#)
        }
        do {
            let secret = try await tokens.create(name: name, role: role, by: caller.actor)
            // The only answer that carries a secret: it is never shown again.
            return Self.json(
                .created,
                ["name": .string(name), "role": .string(role.rawValue), "secret": .string(secret)])
        } catch {
            throw Problem(error)
        }
    }

    func revokeToken(_ name: String, _ caller: Caller) async throws(Problem) -> Response {
        do {
            try await tokens.revoke(name: name, by: caller.actor)
            return Response(status: .noContent)
        } catch {
            throw Problem(error)
        }
    }

    // MARK: Reading requests

    static func id(_ context: BasicRequestContext) throws(Problem) -> UUID {
        let text = context.parameters.get("id") ?? ""
        guard let id = UUID(uuidString: text) else {
            throw Problem(
                .badRequest, "'\(text.prefix(100))' is not a message id",
                hint: "ids are UUIDs, as GET /api/v1/messages lists them")
        }
        return id
    }

    /// The `{name}` of a token path, percent-decoded (a name may hold `@`; it never holds
    /// `%`, so decoding twice cannot change it).
    static func tokenName(_ context: BasicRequestContext) -> String {
        let raw = context.parameters.get("name") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    static func query(_ request: Request) -> [String: String] {
        var query: [String: String] = [:]
        // An empty value is no filter (a form's empty field).
        for (name, value) in request.uri.queryParameters where !value.isEmpty {
            query[String(name)] = String(value).removingPercentEncoding ?? String(value)
        }
        return query
    }

    /// The list filters: route, state, since, until (ISO 8601), header (name:value), q,
    /// attempts_gte.
    static func filter(_ query: [String: String]) throws(Problem) -> MessageFilter {
        var filter = MessageFilter(route: query["route"], state: query["state"], text: query["q"])
        filter.since = try date(query, "since")
        filter.until = try date(query, "until")
        if let header = query["header"] {
            guard let colon = header.firstIndex(of: ":"), colon != header.startIndex else {
                throw Problem(
                    .badRequest, "header=\(header) is not name:value",
                    hint: "filter by a header as header=OrderId:4711")
            }
            filter.header = (
                String(header[..<colon]), String(header[header.index(after: colon)...])
            )
        }
        if query["attempts_gte"] != nil {
            filter.attemptsAtLeast = try integer(
                query, "attempts_gte", default: 0, in: 0...1_000_000)
        }
        do { try filter.validate() } catch {
            throw Problem(.badRequest, error.description, hint: "fix the filter named")
        }
        return filter
    }

    static func date(_ query: [String: String], _ name: String) throws(Problem) -> Date? {
        guard let text = query[name] else { return nil }
        if let date = MessageFilter.date(text) { return date }
        throw Problem(
            .badRequest, "\(name)=\(text) is not an ISO 8601 time",
            hint: "give a time such as 2026-12-07T10:00:00Z")
    }

    static func integer(
        _ query: [String: String], _ name: String, default value: Int, in range: ClosedRange<Int>
    ) throws(Problem) -> Int {
        guard let text = query[name] else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw Problem(
                .badRequest,
                "\(name)=\(text) is not a whole number from \(range.lowerBound) to \(range.upperBound)",
                hint: "give \(name) as a number in that range")
        }
        return n
    }

    static func cursor(_ query: [String: String]) throws(Problem) -> Int64? {
        guard let text = query["cursor"] else { return nil }
        guard let cursor = Int64(text), cursor > 0 else {
            throw Problem(
                .badRequest, "cursor=\(text.prefix(40)) is not a cursor this API gave",
                hint: "pass the `next` of the previous page as it was")
        }
        return cursor
    }

    /// The request's JSON object body (`{}` when empty).
    static func object(_ request: Request) async throws(Problem) -> DocumentObject {
        var request = request
        let bytes: ByteBuffer
        do { bytes = try await request.collectBody(upTo: bodyLimit) } catch {
            throw Problem(
                .contentTooLarge, "the request body is larger than \(bodyLimit) bytes",
                hint: "send a smaller body")
        }
        if bytes.readableBytes == 0 { return DocumentObject() }
        let document: Document
        do { document = try JSONReader().read(Array(buffer: bytes)) } catch {
            throw Problem(
                .badRequest, "the request body is not JSON: \(error)", hint: "send a JSON object")
        }
        guard case .object(let o) = document else {
            throw Problem(.badRequest, "the request body must be a JSON object", hint: "send {...}")
        }
        return o
    }

    static func string(_ o: DocumentObject, _ key: String) throws(Problem) -> String? {
        guard let value = o[key], value != .null else { return nil }
        guard case .string(let s) = value else {
            throw Problem(.badRequest, "\(key) must be a string", hint: "send \"\(key)\": \"...\"")
        }
        return s
    }

    static func bool(_ o: DocumentObject, _ key: String) throws(Problem) -> Bool? {
        guard let value = o[key], value != .null else { return nil }
        guard case .bool(let b) = value else {
            throw Problem(
                .badRequest, "\(key) must be true or false", hint: "send \"\(key)\": true")
        }
        return b
    }

    static func json(_ status: HTTPResponse.Status, _ document: Document) -> Response {
        ManagementServer.json(status, document)
    }
}
