import AsyncHTTPClient
import Caravan
import CaravanAdapters
import CaravanServer
import CaravanStore
import CaravanTestSupport
import Crypto
import Foundation
import HummingbirdBcrypt
import Logging
import PostgresNIO
import ServiceLifecycle
import Testing

/// Who may post: every policy refuses what it must with 401 (403 for an address), stores
/// nothing for a refused request, and names the principal of what it lets in.
@Suite struct AuthenticationTests {
    /// A node whose routes use `properties`' policies.
    func node(_ yaml: String, _ properties: [String: String]) async throws -> TestNode {
        let security = try HTTPSecurity(properties: properties, logger: ServerTestDatabase.logger)
        return try await TestNode.start(yaml) { $0.security = security }
    }

    static let orders = """
        - route:
            id: orders
            from: {uri: "platform-http:/orders?authPolicy=erp", steps: [{to: "log:orders"}]}
        - route:
            id: open
            from: {uri: "platform-http:/open", steps: [{to: "log:open"}]}
        """

    @Test func apiKeysAreCheckedAndRotateAndTheClientCannotNameItself() async throws {
        let node = try await node(
            Self.orders,
            [
                "caravan.auth.policies.erp.type": "apiKey",
                "caravan.auth.policies.erp.keys": "old-key-1234, new-key-5678",
                "caravan.auth.policies.erp.query": "api_key",
            ])
        let url = "http://127.0.0.1:\(node.port)"
        let missing = try await HTTP.send(url + "/orders", "{}", contentType: "application/json")
        let wrong = try await HTTP.send(
            url + "/orders", "{}", contentType: "application/json",
            headers: [("X-API-Key", "old-key-1235")])
        let old = try await HTTP.send(
            url + "/orders", "{}", contentType: "application/json",
            headers: [("X-API-Key", "old-key-1234"), ("CaravanPrincipal", "admin")])
        let new = try await HTTP.send(
            url + "/orders?api_key=new-key-5678", "{}", contentType: "application/json")
        let open = try await HTTP.send(
            url + "/open", "{}", contentType: "application/json",
            headers: [("caravanprincipal", "admin")])
        let stored = try await node.storedPrincipals()
        try await node.stop()
        #expect(missing.status == 401)
        #expect(missing.headers["www-authenticate"] == #"ApiKey header="X-API-Key""#)
        #expect(missing.body.contains("needs an API key"))
        #expect(wrong.status == 401)
        #expect(!wrong.body.contains("old-key"), "a refusal never repeats a credential")
        #expect(old.status == 202)
        #expect(new.status == 202)
        #expect(open.status == 202)
        #expect(stored == ["erp", "erp", nil], "refused requests store nothing")
    }

    @Test func signedWebhooksAreVerifiedOverTheRawBytesAndAReplayIsRefused() async throws {
        let raw = Array("0123456789abcdef0123456789abcdef".utf8)
        let secret = "whsec_" + Data(raw).base64EncodedString()
        let node = try await node(
            """
            - route:
                id: hooks
                from: {uri: "platform-http:/hooks?authPolicy=hooks", steps: [{to: "log:hooks"}]}
            """,
            [
                "caravan.auth.policies.hooks.type": "hmac",
                "caravan.auth.policies.hooks.scheme": "standard-webhooks",
                "caravan.auth.policies.hooks.secrets": "whsec_cHJldmlvdXM=, \(secret)",
            ])
        let url = "http://127.0.0.1:\(node.port)/hooks"
        let body = #"{"type":"invoice.paid"}"#
        func headers(_ id: String, _ t: Int, _ signedBody: String) -> [(String, String)] {
            let mac = HMAC<SHA256>.authenticationCode(
                for: Array("\(id).\(t).\(signedBody)".utf8), using: SymmetricKey(data: raw))
            return [
                ("webhook-id", id), ("webhook-timestamp", "\(t)"),
                ("webhook-signature", "v1," + Data(mac).base64EncodedString()),
            ]
        }
        let now = Int(Date().timeIntervalSince1970)
        let first = headers("msg_1", now, body)
        let accepted = try await HTTP.send(
            url, body, contentType: "application/json", headers: first)
        let replay = try await HTTP.send(
            url, body, contentType: "application/json", headers: first)
        // An unsigned header changed does not make it another request.
        let rekeyed = try await HTTP.send(
            url, body, contentType: "application/json",
            headers: first + [("Idempotency-Key", "another-key")])
        // The sender retrying signs anew: taken, and stored once (the delivery id).
        let retry = try await HTTP.send(
            url, body, contentType: "application/json", headers: headers("msg_1", now + 1, body))
        let changed = try await HTTP.send(
            url, #"{"type":"invoice.void"}"#, contentType: "application/json",
            headers: headers("msg_2", now, body))
        let late = try await HTTP.send(
            url, body, contentType: "application/json", headers: headers("msg_3", now - 600, body))
        // The same captured request sent eight times at once: exactly one is taken.
        let burst = headers("msg_5", now, body)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await HTTP.send(url, body, contentType: "application/json", headers: burst)
                        .status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        let unsigned = try await HTTP.send(url, body, contentType: "application/json")
        // A body that is not even JSON is refused for its signature before it is parsed.
        let garbage = try await HTTP.send(
            url, "{not json", contentType: "application/json",
            headers: headers("msg_4", now, body))
        let stored = try await node.storedPrincipals()
        try await node.stop()
        #expect(accepted.status == 202)
        #expect(replay.status == 401)
        #expect(replay.body.contains("replay"))
        #expect(replay.headers["www-authenticate"] == #"Signature scheme="standard-webhooks""#)
        #expect(rekeyed.status == 401)
        #expect(retry.status == 202)
        #expect(retry.body == accepted.body, "the same delivery, the same message")
        #expect(changed.status == 401)
        #expect(late.status == 401)
        #expect(late.body.contains("old"))
        #expect(unsigned.status == 401)
        #expect(garbage.status == 401)
        #expect(statuses.sorted() == [202] + Array(repeating: 401, count: 7), "\(statuses)")
        #expect(stored == ["hooks", "hooks"])
    }

    /// Stripe signs no delivery id: the signature itself names the message, so the same
    /// request again — even with another idempotency key — finds it and is refused, while a
    /// request signed anew is another message.
    @Test func aStripeReplayIsRefusedByItsSignatureAlone() async throws {
        let node = try await node(
            """
            - route:
                id: pay
                from: {uri: "platform-http:/pay?authPolicy=stripe", steps: [{to: "log:pay"}]}
            """,
            [
                "caravan.auth.policies.stripe.type": "hmac",
                "caravan.auth.policies.stripe.scheme": "stripe",
                "caravan.auth.policies.stripe.secrets": "sk_test_secret",
            ])
        let url = "http://127.0.0.1:\(node.port)/pay"
        let body = #"{"id":"evt_1","type":"charge.succeeded"}"#
        func signed(_ t: Int) -> [(String, String)] {
            let mac = HMAC<SHA256>.authenticationCode(
                for: Array("\(t).\(body)".utf8),
                using: SymmetricKey(data: Array("sk_test_secret".utf8)))
            return [
                ("Stripe-Signature", "t=\(t),v1=" + mac.map { String(format: "%02x", $0) }.joined())
            ]
        }
        let now = Int(Date().timeIntervalSince1970)
        let first = try await HTTP.send(
            url, body, contentType: "application/json", headers: signed(now))
        let replay = try await HTTP.send(
            url, body, contentType: "application/json", headers: signed(now))
        let rekeyed = try await HTTP.send(
            url, body, contentType: "application/json",
            headers: signed(now) + [("Idempotency-Key", "k-2")])
        let resigned = try await HTTP.send(
            url, body, contentType: "application/json", headers: signed(now + 1))
        let stored = try await node.storedPrincipals()
        try await node.stop()
        #expect(first.status == 202)
        #expect(replay.status == 401)
        #expect(rekeyed.status == 401)
        #expect(resigned.status == 202)
        #expect(stored == ["stripe", "stripe"])
    }

    /// A route that answers from the route stores nothing, so its replay check is a claim
    /// of its own: the same signed request again is refused there too, on any node.
    @Test func aSignedRequestToARouteThatAnswersIsRefusedAsAReplayToo() async throws {
        let raw = Array("0123456789abcdef0123456789abcdef".utf8)
        let properties = [
            "caravan.auth.policies.hooks.type": "hmac",
            "caravan.auth.policies.hooks.scheme": "standard-webhooks",
            "caravan.auth.policies.hooks.secrets": "whsec_" + Data(raw).base64EncodedString(),
        ]
        let yaml = """
            - route:
                id: quote
                from:
                  uri: "platform-http:/quote?exchangePattern=InOut&authPolicy=hooks"
                  steps: [{setBody: {constant: "ok"}}]
            """
        let node = try await node(yaml, properties)
        let body = #"{"n":1}"#
        let now = Int(Date().timeIntervalSince1970)
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array("msg_1.\(now).\(body)".utf8), using: SymmetricKey(data: raw))
        let signed = [
            ("webhook-id", "msg_1"), ("webhook-timestamp", "\(now)"),
            ("webhook-signature", "v1," + Data(mac).base64EncodedString()),
        ]
        let url = "http://127.0.0.1:\(node.port)/quote"
        let first = try await HTTP.send(url, body, contentType: "application/json", headers: signed)
        let replay = try await HTTP.send(
            url, body, contentType: "application/json", headers: signed)
        try await node.stop()
        #expect(first.status == 200)
        #expect(first.body == "ok")
        #expect(replay.status == 401)
        #expect(replay.body.contains("replay"))
    }

    /// PostgreSQL away while a signed request arrives: 503, nothing remembered — so the
    /// same signed request, sent again once the database is back, is taken.
    @Test func aSignedRequestWhileTheDatabaseIsAwayGets503AndCanBeSentAgain() async throws {
        let cluster = try await EmbeddedPostgres.start(durable: false)
        defer { try? cluster.stop() }
        let raw = Array("0123456789abcdef0123456789abcdef".utf8)
        let security = try HTTPSecurity(
            properties: [
                "caravan.auth.policies.hooks.type": "hmac",
                "caravan.auth.policies.hooks.scheme": "standard-webhooks",
                "caravan.auth.policies.hooks.secrets": "whsec_" + Data(raw).base64EncodedString(),
            ], logger: ServerTestDatabase.logger)
        let node = try await TestNode.start(
            """
            - route:
                id: hooks
                from: {uri: "platform-http:/hooks?authPolicy=hooks", steps: [{to: "log:hooks"}]}
            """, cluster: cluster
        ) { $0.security = security }
        let body = #"{"type":"invoice.paid"}"#
        let t = Int(Date().timeIntervalSince1970)
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array("msg_1.\(t).\(body)".utf8), using: SymmetricKey(data: raw))
        let headers = [
            ("webhook-id", "msg_1"), ("webhook-timestamp", "\(t)"),
            ("webhook-signature", "v1," + Data(mac).base64EncodedString()),
        ]
        let url = "http://127.0.0.1:\(node.port)/hooks"
        try await cluster.kill()
        let away = try await HTTP.send(
            url, body, contentType: "application/json", headers: headers)
        try await cluster.restart()
        var back = away
        let deadline = ContinuousClock.now + .seconds(20)
        while back.status == 503, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))  // the pool reconnects on its own
            back = try await HTTP.send(
                url, body, contentType: "application/json", headers: headers)
        }
        let replay = try await HTTP.send(
            url, body, contentType: "application/json", headers: headers)
        let stored = try await node.storedCount()
        try await node.stop()
        #expect(away.status == 503)
        #expect(away.headers["retry-after"] != nil)
        #expect(back.status == 202, "\(back)")
        #expect(replay.status == 401)
        #expect(stored == 1)
    }

    @Test func basicUsersComeFromABcryptFileReReadWhenItChanges() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "caravan-users-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("users.htpasswd").path
        // As `htpasswd -B` writes it: `$2y$`.
        func line(_ name: String, _ password: String) -> String {
            "\(name):" + "$2y$" + Bcrypt.hash(password, cost: 4).dropFirst(4)
        }
        try (line("erp", "s3cret") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let node = try await node(
            Self.orders,
            [
                "caravan.auth.policies.erp.type": "basic",
                "caravan.auth.policies.erp.usersFile": file,
            ])
        let url = "http://127.0.0.1:\(node.port)/orders"
        func basic(_ pair: String) -> [(String, String)] {
            [("Authorization", "Basic " + Data(pair.utf8).base64EncodedString())]
        }
        let ok = try await HTTP.send(
            url, "{}", contentType: "application/json", headers: basic("erp:s3cret"))
        let again = try await HTTP.send(
            url, "{}", contentType: "application/json", headers: basic("erp:s3cret"))
        let wrong = try await HTTP.send(
            url, "{}", contentType: "application/json", headers: basic("erp:s3cres"))
        let unknown = try await HTTP.send(
            url, "{}", contentType: "application/json", headers: basic("eve:s3cret"))
        let none = try await HTTP.send(url, "{}", contentType: "application/json")
        // A new user, written while the node runs (as an operator rotates passwords).
        try (line("erp", "n3w") + "\n" + line("wms", "pw") + "\n").write(
            toFile: file, atomically: true, encoding: .utf8)
        var rotated = (status: 0, headers: [String: String](), body: "")
        for _ in 0..<50 where rotated.status != 202 {
            rotated = try await HTTP.send(
                url, "{}", contentType: "application/json", headers: basic("wms:pw"))
            if rotated.status != 202 { try await Task.sleep(for: .milliseconds(100)) }
        }
        let oldPassword = try await HTTP.send(
            url, "{}", contentType: "application/json", headers: basic("erp:s3cret"))
        let stored = try await node.storedPrincipals()
        try await node.stop()
        #expect(ok.status == 202 && again.status == 202)
        #expect(wrong.status == 401 && unknown.status == 401 && none.status == 401)
        #expect(none.headers["www-authenticate"] == #"Basic realm="caravan", charset="UTF-8""#)
        #expect(rotated.status == 202)
        #expect(oldPassword.status == 401, "a password taken out of the file is not remembered")
        #expect(stored == ["erp", "erp", "wms"])
    }

    @Test func anAllowListRefusesOtherAddressesAndBelievesOnlyTrustedProxies() async throws {
        let policy = [
            "caravan.auth.policies.erp.type": "apiKey",
            "caravan.auth.policies.erp.keys": "k-1",
            "caravan.auth.policies.erp.allowFrom": "10.0.0.0/8",
        ]
        let key = [("X-API-Key", "k-1")]
        let direct = try await node(Self.orders, policy)
        let refused = try await HTTP.send(
            "http://127.0.0.1:\(direct.port)/orders", "{}", contentType: "application/json",
            headers: key + [("X-Forwarded-For", "10.1.2.3")])
        try await direct.stop()
        let proxied = try await node(
            Self.orders,
            policy.merging(["caravan.server.trustedProxies": "127.0.0.1/32"]) { a, _ in a })
        let viaProxy = try await HTTP.send(
            "http://127.0.0.1:\(proxied.port)/orders", "{}", contentType: "application/json",
            headers: key + [("X-Forwarded-For", "10.1.2.3")])
        let outsider = try await HTTP.send(
            "http://127.0.0.1:\(proxied.port)/orders", "{}", contentType: "application/json",
            headers: key + [("X-Forwarded-For", "10.1.2.3, 203.0.113.5")])
        let count = try await proxied.storedCount()
        try await proxied.stop()
        #expect(
            refused.status == 403, "the header of a peer that is not a trusted proxy is ignored")
        #expect(viaProxy.status == 202)
        #expect(outsider.status == 403)
        #expect(count == 1)
    }

    /// Without a default policy, the endpoints without one are served, and named in one
    /// warning at start.
    @Test func openEndpointsAreServedAndNamedInOneWarningAtStart() async throws {
        let loaded = RouteLoader().load([RouteFile(path: "routes.yaml", text: Self.orders)])
        let cluster = try await ServerTestDatabase.cluster.value
        var settings = NodeSettings(database: .url(ServerTestDatabase.url(cluster)))
        settings.schema = try ServerTestDatabase.newSchema()
        settings.startTimeout = .seconds(60)  // as TestNode's: the suite's start is slow
        settings.http = NodeSettings.HTTP(host: "127.0.0.1", port: 0)
        try settings.apply(properties: [
            "caravan.auth.policies.erp.type": "apiKey", "caravan.auth.policies.erp.keys": "k",
        ])
        let records = RecordingLogHandler.Records()
        let node = Node(
            routes: loaded.routes, settings: settings, logger: RecordingLogHandler.logger(records))
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: node)], logger: ServerTestDatabase.logger))
        let running = Task { try await group.run() }
        let port = try await node.httpPort()
        let open = try await HTTP.send(
            "http://127.0.0.1:\(port)/open", "{}", contentType: "application/json")
        await group.triggerGracefulShutdown()
        try await running.value
        let warning =
            "these endpoints accept requests from anyone: attach authPolicy=NAME or set caravan.auth.default"
        #expect(open.status == 202)
        #expect(records.messages(atLeast: .warning).filter { $0 == warning }.count == 1)
        #expect(records.metadata(of: warning)?["endpoints"] == "/open")
    }

    @Test func overTheRateLimitIs429WithRetryAfterAndNothingStored() async throws {
        let node = try await node(
            """
            - route:
                id: orders
                from: {uri: "platform-http:/orders?rateLimitPolicy=slow", steps: [{to: "log:orders"}]}
            """,
            ["caravan.rateLimit.policies.slow": "1/h,burst=3,key=address"])
        var statuses: [Int] = []
        var last = (status: 0, headers: [String: String](), body: "")
        for _ in 0..<5 {
            last = try await node.send("/orders", "{}")
            statuses.append(last.status)
        }
        let count = try await node.storedCount()
        try await node.stop()
        #expect(statuses == [202, 202, 202, 429, 429])
        #expect(last.headers["retry-after"].flatMap(Int.init).map { $0 > 3000 } == true)
        #expect(last.headers["ratelimit-policy"] == #""slow";q=1;w=3600"#)
        #expect(last.headers["ratelimit"]?.hasPrefix(#""slow";r=0;t="#) == true)
        #expect(count == 3)
    }
}
