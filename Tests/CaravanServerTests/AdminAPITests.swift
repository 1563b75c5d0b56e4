import AsyncHTTPClient
import Caravan
import CaravanStore
import Foundation
import Hummingbird
import PostgresNIO
import Testing

@testable import CaravanServer

/// The admin API on a node's management listener, as an operator's script sees it.
@Suite struct AdminAPITests {
    /// `orders` stores and logs; `payments` fails every message (a dead letter at once)
    /// unless its header `fixed` is set; both consume JSON.
    static let routes = """
        - route:
            id: orders
            from: {uri: "platform-http:/orders", steps: [{to: "log:orders"}]}
        - route:
            id: payments
            errorHandler: {noErrorHandler: {}}
            from:
              uri: "platform-http:/payments?consumes=application/json"
              steps:
                - filter:
                    simple: "${header.fixed} == null"
                    steps: [{throwException: {exceptionType: java.lang.IllegalStateException, message: "bank refused"}}]
                - to: "log:paid"
        """

    /// A node with the routes above and a token per role.
    struct Fixture {
        let node: TestNode
        let viewer: String
        let operatorToken: String
        let admin: String

        var base: String { "http://127.0.0.1:\(node.managementPort)/api/v1" }

        func call(
            _ method: String, _ path: String, token: String?, body: String = "",
            contentType: String? = "application/json"
        ) async throws -> (status: Int, headers: [String: String], body: String, json: Document) {
            let r = try await HTTP.send(
                base + path, body, method: method, contentType: body.isEmpty ? nil : contentType,
                headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
            let json =
                r.body.isEmpty
                ? Document.null : (try? JSONReader().read(Array(r.body.utf8))) ?? .null
            return (r.status, r.headers, r.body, json)
        }

        /// Posts to a route on the main port; the stored id.
        func post(_ path: String, _ body: String, headers: [(String, String)] = []) async throws
            -> String
        {
            let r = try await HTTP.send(
                "http://127.0.0.1:\(node.port)\(path)", body, contentType: "application/json",
                headers: headers)
            #expect(r.status == 202)
            return try #require(try JSONReader().read(Array(r.body.utf8))["id"]?.scalarText)
        }

        /// Waits (bounded) until message `id` is in `state`, as the API shows it.
        func await(_ id: String, _ state: String) async throws {
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                let r = try await call("GET", "/messages/\(id)", token: viewer)
                if r.json["state"]?.scalarText == state { return }
                // Workers finish on their own time; the API has no event to wait on.
                try await Task.sleep(for: .milliseconds(50))
            }
            Issue.record("message \(id) never became \(state)")
        }
    }

    static func withFixture(_ body: (Fixture) async throws -> Void) async throws {
        let node = try await TestNode.start(routes)
        let tokens = try await ServerTestDatabase.withClient(nil) { client in
            let store = ApiTokens(client: client, schema: node.schema)
            let ops = Operator("setup", via: .cli)
            return (
                try await store.create(name: "watcher", role: .viewer, by: ops),
                try await store.create(name: "ada", role: .operator, by: ops),
                try await store.create(name: "root", role: .admin, by: ops)
            )
        }
        do {
            try await body(
                Fixture(node: node, viewer: tokens.0, operatorToken: tokens.1, admin: tokens.2))
        } catch {
            try await node.stop()
            throw error
        }
        try await node.stop()
    }

    static let someID = "0193a6b2-0000-7000-8000-000000000000"

    /// Every endpoint with the method, the role it needs, and a body it takes.
    static let endpoints: [(String, String, Role)] = [
        ("GET", "/routes", .viewer), ("GET", "/messages", .viewer),
        ("GET", "/messages/\(someID)", .viewer),
        ("POST", "/dead-letters/\(someID)/replay", .operator),
        ("PUT", "/dead-letters/\(someID)", .operator),
        ("POST", "/dead-letters/\(someID)/discard", .operator),
        ("POST", "/operations", .operator), ("GET", "/operations", .viewer),
        ("GET", "/operations/\(someID)", .viewer),
        ("POST", "/operations/\(someID)/cancel", .operator),
        ("GET", "/audit", .viewer), ("GET", "/tokens", .admin), ("POST", "/tokens", .admin),
        ("DELETE", "/tokens/nobody", .admin),
    ]

    @Test func everyEndpointRefusesNoTokenWith401AndATooLowRoleWith403() async throws {
        try await Self.withFixture { f in
            for (method, path, role) in Self.endpoints {
                let none = try await f.call(method, path, token: nil, body: "{}")
                #expect(none.status == 401, "\(method) \(path)")
                #expect(none.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
                #expect(none.headers["content-type"] == "application/problem+json")
                let forged = try await f.call(
                    method, path, token: "cvn_" + String(repeating: "A", count: 43), body: "{}")
                #expect(forged.status == 401, "\(method) \(path)")
                let lower: [String] =
                    switch role {
                    case .viewer: []
                    case .operator: [f.viewer]
                    case .admin: [f.viewer, f.operatorToken]
                    }
                for token in lower {
                    let refused = try await f.call(method, path, token: token, body: "{}")
                    #expect(refused.status == 403, "\(method) \(path)")
                    #expect(refused.json["hint"]?.scalarText?.isEmpty == false)
                }
                // The secret never comes back in an answer.
                #expect(!forged.body.contains("cvn_"))
            }
            // A revoked token stops working at once.
            #expect(try await f.call("DELETE", "/tokens/watcher", token: f.admin).status == 204)
            #expect(try await f.call("GET", "/routes", token: f.viewer).status == 401)
        }
    }

    @Test func messagesComeNewestFirstInKeysetPagesAndFilterByHeaderTextStateAndAttempts()
        async throws
    {
        try await Self.withFixture { f in
            var ids: [String] = []
            for i in 0..<7 {
                ids.append(
                    try await f.post(
                        "/orders", #"{"n": \#(i), "note": "order-\#(i)"}"#,
                        headers: [("OrderId", "A-\(i)")]))
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let r = try await f.call(
                    "GET",
                    "/messages?route=orders&limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""),
                    token: f.viewer)
                #expect(r.status == 200)
                guard case .array(let items) = r.json["items"] else { break }
                seen += items.compactMap { $0["id"]?.scalarText }
                cursor = r.json["next"]?.scalarText
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == ids.reversed())

            let byHeader = try await f.call("GET", "/messages?header=OrderId:A-4", token: f.viewer)
            #expect(byHeader.json["items"]?[0]?["id"]?.scalarText == ids[4])
            #expect(byHeader.json["items"]?[1] == nil)
            let byText = try await f.call("GET", "/messages?q=order-2", token: f.viewer)
            #expect(byText.json["items"]?[0]?["id"]?.scalarText == ids[2])
            #expect(byText.json["items"]?[1] == nil)
            let none = try await f.call("GET", "/messages?route=orders&state=dead", token: f.viewer)
            #expect(none.json["items"] == .array([]))
            let tooMany = try await f.call("GET", "/messages?attempts_gte=99", token: f.viewer)
            #expect(tooMany.json["items"] == .array([]))
            let future = try await f.call(
                "GET", "/messages?since=2999-01-01T00:00:00Z", token: f.viewer)
            #expect(future.json["items"] == .array([]))
            let past = try await f.call(
                "GET", "/messages?route=orders&until=2999-01-01T00:00:00Z&limit=500",
                token: f.viewer)
            if case .array(let items) = past.json["items"] { #expect(items.count == 7) }

            for bad in ["state=lost", "since=yesterday", "header=nocolon", "limit=0", "cursor=x"] {
                let r = try await f.call("GET", "/messages?\(bad)", token: f.viewer)
                #expect(r.status == 400, "\(bad)")
                #expect(r.headers["content-type"] == "application/problem+json")
                #expect(r.json["hint"]?.scalarText?.isEmpty == false, "\(bad)")
            }
            let unknown = try await f.call("GET", "/messages/\(Self.someID)", token: f.viewer)
            #expect(unknown.status == 404)
            #expect(try await f.call("GET", "/messages/not-an-id", token: f.viewer).status == 400)
        }
    }

    @Test func aDeadLetterIsEditedAndReplayedWithTheOriginalKeptLinkedAndEverythingAudited()
        async throws
    {
        try await Self.withFixture { f in
            let id = try await f.post("/payments", #"{"amount": 10}"#)
            try await f.await(id, "dead")

            // An edited body that does not parse as the message's JSON: 422, nothing changed.
            let broken = try await f.call(
                "PUT", "/dead-letters/\(id)", token: f.operatorToken,
                body: #"{"reason": "fix", "body": "{\"amount\": "}"#)
            #expect(broken.status == 422)
            #expect(broken.json["detail"]?.scalarText?.contains("does not parse") == true)
            let noReason = try await f.call(
                "PUT", "/dead-letters/\(id)", token: f.operatorToken, body: #"{"body": "{}"}"#)
            #expect(noReason.status == 400)

            let edited = try await f.call(
                "PUT", "/dead-letters/\(id)", token: f.operatorToken,
                body:
                    #"{"reason": "bank account fixed", "body": "{\"amount\": 12}", "headers": {"fixed": "yes"}, "fromStart": true}"#
            )
            #expect(edited.status == 200)
            let replay = try #require(edited.json["replayed"]?[0]?["replay"]?.scalarText)
            try await f.await(replay, "done")

            let original = try await f.call("GET", "/messages/\(id)", token: f.viewer)
            #expect(original.json["state"]?.scalarText == "replayed")
            #expect(original.json["replays"] == .array([.string(replay)]))
            #expect(original.json["original"] != .null)
            #expect(original.json["body"]?.scalarText == #"{"amount": 12}"#)
            let copy = try await f.call("GET", "/messages/\(replay)", token: f.viewer)
            #expect(copy.json["replayOf"]?.scalarText == id)

            // Acting on what is not a dead letter (any more): 409 with the reason.
            let again = try await f.call(
                "POST", "/dead-letters/\(id)/replay", token: f.operatorToken, body: "{}")
            #expect(again.status == 409)
            #expect(again.json["detail"]?.scalarText?.contains("already replayed") == true)
            let missing = try await f.call(
                "POST", "/dead-letters/\(Self.someID)/discard", token: f.operatorToken,
                body: #"{"reason": "x"}"#)
            #expect(missing.status == 404)

            // A second dead letter, discarded; a third, replayed as it is.
            let second = try await f.post("/payments", #"{"amount": 20}"#)
            let third = try await f.post("/payments", #"{"amount": 30}"#)
            try await f.await(second, "dead")
            try await f.await(third, "dead")
            #expect(
                try await f.call(
                    "POST", "/dead-letters/\(second)/discard", token: f.operatorToken, body: "{}"
                ).status == 400)
            #expect(
                try await f.call(
                    "POST", "/dead-letters/\(second)/discard", token: f.operatorToken,
                    body: #"{"reason": "duplicate payment"}"#
                ).status == 200)
            let replayed = try await f.call(
                "POST", "/dead-letters/\(third)/replay", token: f.operatorToken,
                body: #"{"reason": "bank was down"}"#)
            #expect(replayed.status == 200)

            let audit = try await f.call("GET", "/audit", token: f.viewer)
            guard case .array(let entries) = audit.json["items"] else {
                Issue.record("no audit items: \(audit.body)")
                return
            }
            let actions = entries.compactMap { e -> String? in
                guard e["actor"]?.scalarText == "ada", e["via"]?.scalarText == "api" else {
                    return nil
                }
                return
                    "\(e["action"]?.scalarText ?? "") \(e["target"]?["ids"]?[0]?.scalarText ?? "")"
            }
            #expect(
                actions == [
                    "replay \(third)", "discard \(second)", "replay from start \(id)", "edit \(id)",
                ])
            #expect(entries.contains { $0["action"]?.scalarText == "create token" })
        }
    }

    @Test func routesShowTheirBacklogAndTokensAreManagedByAdminsOnly() async throws {
        try await Self.withFixture { f in
            let id = try await f.post("/payments", #"{"amount": 1}"#)
            try await f.await(id, "dead")
            let routes = try await f.call("GET", "/routes", token: f.viewer)
            #expect(routes.status == 200)
            guard case .array(let items) = routes.json["items"] else {
                Issue.record("no routes: \(routes.body)")
                return
            }
            let payments = try #require(items.first { $0["id"]?.scalarText == "payments" })
            #expect(payments["dead"] == .number(DecimalText(1)))
            #expect(payments["served"] == .bool(true))
            #expect(items.contains { $0["id"]?.scalarText == "orders" })

            let created = try await f.call(
                "POST", "/tokens", token: f.admin, body: #"{"name": "ci", "role": "viewer"}"#)
            #expect(created.status == 201)
            let secret = try #require(created.json["secret"]?.scalarText)
            #expect(try await f.call("GET", "/messages", token: secret).status == 200)
            let listed = try await f.call("GET", "/tokens", token: f.admin)
            #expect(listed.body.contains(#""name":"ci""#))
            #expect(!listed.body.contains("cvn_"))
            let twice = try await f.call(
                "POST", "/tokens", token: f.admin, body: #"{"name": "ci", "role": "admin"}"#)
            #expect(twice.status == 409)
            let badRole = try await f.call(
                "POST", "/tokens", token: f.admin, body: #"{"name": "x", "role": "god"}"#)
            #expect(badRole.status == 400)
            // A name with `@` is revoked through its percent-encoded path.
            let mailed = try await f.call(
                "POST", "/tokens", token: f.admin,
                body: #"{"name": "ci@example", "role": "viewer"}"#)
            let mailedSecret = try #require(mailed.json["secret"]?.scalarText)
            #expect(
                try await f.call("DELETE", "/tokens/ci%40example", token: f.admin).status == 204)
            #expect(try await f.call("GET", "/messages", token: mailedSecret).status == 401)
        }
    }

    /// A bulk replay of what a filter matches: the dry run's count is what the node's
    /// runner then replays, each once; the operation shows its progress.
    @Test func aBulkReplayOfAFilteredSetRunsOnTheNodeAsItsDryRunCounted() async throws {
        try await Self.withFixture { f in
            var marked: [String] = []
            for i in 0..<5 {
                let id = try await f.post(
                    "/payments", #"{"amount": \#(i)}"#,
                    headers: i < 3 ? [("Batch", "b7")] : [])
                try await f.await(id, "dead")
                if i < 3 { marked.append(id) }
            }
            let request =
                #"{"action": "replay", "filter": {"header": "Batch:b7"}, "rate": 100, "reason": "bank back""#
            let dry = try await f.call(
                "POST", "/operations", token: f.operatorToken, body: request + #", "dryRun": true}"#
            )
            #expect(dry.status == 200)
            #expect(dry.json["count"] == .number(DecimalText(3)))
            #expect(
                try await f.call("GET", "/routes", token: f.viewer).json["items"]?[1]?["dead"]
                    == .number(DecimalText(5)))
            let created = try await f.call(
                "POST", "/operations", token: f.operatorToken, body: request + "}")
            #expect(created.status == 201)
            let id = try #require(created.json["id"]?.scalarText)
            #expect(created.json["total"] == .number(DecimalText(3)))
            var state = ""
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                let progress = try await f.call("GET", "/operations/\(id)", token: f.viewer)
                state = progress.json["state"]?.scalarText ?? ""
                if state == "done" {
                    #expect(progress.json["processed"] == .number(DecimalText(3)))
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(state == "done")
            for m in marked {
                let detail = try await f.call("GET", "/messages/\(m)", token: f.viewer)
                #expect(detail.json["state"]?.scalarText == "replayed")
                guard case .array(let replays) = detail.json["replays"] else { continue }
                #expect(replays.count == 1)
            }
            let cancelDone = try await f.call(
                "POST", "/operations/\(id)/cancel", token: f.operatorToken)
            #expect(cancelDone.status == 409)
            let wrong = try await f.call(
                "POST", "/operations", token: f.operatorToken,
                body: #"{"action": "replay", "filter": {"state": "done"}, "reason": "x"}"#)
            #expect(wrong.status == 400)
            let listed = try await f.call("GET", "/operations", token: f.viewer)
            #expect(listed.json["items"]?[0]?["id"]?.scalarText == id)
        }
    }

    /// Every route the management listener serves under /api/v1 is in the OpenAPI
    /// document, with its method, and the document names nothing that is not served.
    @Test func theOpenAPIDocumentDescribesEveryRouteServed() async throws {
        // Built, never run: registering routes asks nothing of the store.
        let client = PostgresClient(
            configuration: PostgresClient.Configuration(
                host: "127.0.0.1", port: 1, username: "nobody", password: nil, database: nil,
                tls: .disable))
        let tokens = ApiTokens(client: client)
        let api = AdminAPI(
            messages: Messages(client: client), deadLetters: DeadLetters(client: client),
            audit: AuditLog(client: client), operations: BulkOperations(client: client),
            tokens: tokens,
            statistics: StoreStatistics(client: client), access: Access(tokens: tokens),
            routeIDs: { [] }, logger: ServerTestDatabase.logger)
        let router = Router(context: BasicRequestContext.self)
        api.register(on: router)
        var served: Set<String> = []
        for route in router.routes {
            let path = route.path.description.split(separator: "/").map {
                $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0)
            }.joined(separator: "/")
            served.insert("\(route.method.rawValue.lowercased()) /\(path)")
        }
        var documented: Set<String> = []
        guard case .object(let paths) = OpenAPIDocument.document["paths"] ?? .null else {
            Issue.record("no paths")
            return
        }
        for p in paths {
            guard case .object(let methods) = p.value else { continue }
            for m in methods { documented.insert("\(m.key) \(p.key)") }
        }
        #expect(served.count >= 11)
        #expect(served == documented)
    }
}

/// `caravan.management.metricsAuth`: the open paths of the management listener.
@Suite struct ManagementListenerTests {
    @Test func metricsAndHealthAreOpenUnlessMetricsAuthIsOnThenTheyNeedAViewerToken()
        async throws
    {
        let open = try await TestNode.start(AdminAPITests.routes)
        let base = "http://127.0.0.1:\(open.managementPort)"
        #expect(try await HTTP.send(base + "/metrics", method: "GET").status == 200)
        #expect(try await HTTP.send(base + "/health/ready", method: "GET").status == 200)
        // A route's path is not served here, nor is the management's on the routes' port.
        #expect(
            try await HTTP.send(base + "/orders", "{}", contentType: "application/json").status
                == 404)
        #expect(try await open.send("/api/v1/routes", method: "GET").status == 404)
        try await open.stop()

        let closed = try await TestNode.start(AdminAPITests.routes) {
            $0.management?.metricsAuth = true
        }
        let secret = try await ServerTestDatabase.withClient(nil) { client in
            try await ApiTokens(client: client, schema: closed.schema).create(
                name: "prometheus", role: .viewer, by: Operator("setup", via: .cli))
        }
        let guarded = "http://127.0.0.1:\(closed.managementPort)"
        for path in ["/metrics", "/health/live", "/health/ready"] {
            let refused = try await HTTP.send(guarded + path, method: "GET")
            #expect(refused.status == 401, "\(path)")
            #expect(
                try await HTTP.send(
                    guarded + path, method: "GET", headers: [("Authorization", "Bearer \(secret)")]
                ).status == 200, "\(path)")
        }
        // The routes' own health stays open for load balancers.
        #expect(try await closed.send("/health/live", method: "GET").status == 200)
        try await closed.stop()
    }
}
