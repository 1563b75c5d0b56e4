import AsyncHTTPClient
import Caravan
import CaravanServer
import Foundation
import NIOCore
import NIOHTTP1
import PostgresNIO
import Testing

/// `platform-http` as a client sees it: how a request becomes a message, and how the
/// server holds up against clients that lie, dawdle or hang up.
@Suite struct PlatformHTTPServerTests {
    /// A node with one durable route, `platform-http:/orders`.
    static func ordersNode(_ configure: (inout NodeSettings) -> Void = { _ in }) async throws
        -> TestNode
    {
        try await TestNode.start(
            """
            - route:
                id: orders
                from: {uri: "platform-http:/orders", steps: [{to: "log:orders"}]}
            """, configure: configure)
    }

    /// Path values, query parameters and Camel's request headers, as Camel maps them; a
    /// client cannot set Camel's own headers, and a query parameter cannot replace a
    /// request header.
    @Test func aRequestBecomesHeadersAndClientsCannotForgeCamelsOwn() async throws {
        let node = try await TestNode.start(
            """
            - route:
                id: echo
                from:
                  uri: platform-http:/orders/{id}?exchangePattern=InOut
                  steps:
                    - setBody:
                        simple: "${header.id}|${header.page}|${header.tenant}|${header.CamelHttpQuery}|${header.CamelHttpUri}|${header.CamelHttpResponseCode}|${header.CamelFileName}|${header.Content-Type}"
            """)
        var request = HTTPClientRequest(
            url:
                "http://127.0.0.1:\(node.port)/orders/A%2017?page=2&tenant=query&Content-Type=text/evil&CamelFileName=..%2Fx"
        )
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "tenant", value: "header")
        request.headers.add(name: "CamelHttpResponseCode", value: "299")
        request.headers.add(name: "camelFileName", value: "../../etc/x")
        request.headers.add(name: "org.apache.camel.Anything", value: "x")
        request.body = .bytes(ByteBuffer(string: "{}"))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = String(buffer: try await response.body.collect(upTo: 10_000))
        try await node.stop()
        #expect(response.status == .ok)  // not the forged 299
        #expect(
            body
                == "A 17|2|header|page=2&tenant=query&Content-Type=text/evil&CamelFileName=..%2Fx|/orders/A%2017?page=2&tenant=query&Content-Type=text/evil&CamelFileName=..%2Fx|||application/json"
        )
    }

    /// The attack that pinned a core for minutes and grew the process to 1.4 GB: one
    /// 161 KB post whose attribute value expands an entity 40,000 times.
    @Test func anEntityExpandedInAnAttributeIsRefusedAt400() async throws {
        let node = try await TestNode.start(
            """
            - route:
                id: xml
                from:
                  uri: platform-http:/xml
                  parameters: {consumes: application/xml}
                  steps: [{to: "log:xml"}]
            """)
        let entity = String(repeating: "A", count: 40_000)
        let refs = String(repeating: "&a;", count: 40_000)
        let attack = "<!DOCTYPE q [<!ENTITY a \"\(entity)\">]><q v=\"\(refs)\"><x>1</x></q>"
        let refused = try await node.send("/xml", attack, contentType: "application/xml")
        let live = try await node.send("/health/live", method: "GET")
        let stored = try await node.storedCount()
        try await node.stop()
        #expect(refused.status == 400)
        #expect(refused.body.contains("entity"))
        #expect(live.status == 200)
        #expect(stored == 0)
    }

    @Test func theSameIdempotencyKeyIsStoredOnceAndAnsweredWithTheSameID() async throws {
        let node = try await TestNode.start(
            """
            - route:
                id: orders
                from: {uri: "platform-http:/orders", steps: [{to: "log:orders"}]}
            - route:
                id: refunds
                from: {uri: "platform-http:/refunds", steps: [{to: "log:refunds"}]}
            """)
        func post(_ path: String, key: String?) async throws -> (Int, String) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(node.port)\(path)")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            if let key { request.headers.add(name: "Idempotency-Key", value: key) }
            request.body = .bytes(ByteBuffer(string: #"{"n": 1}"#))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let body = String(buffer: try await response.body.collect(upTo: 10_000))
            return (Int(response.status.code), body)
        }
        let first = try await post("/orders", key: "order-7-attempt")
        let retry = try await post("/orders", key: "order-7-attempt")
        let other = try await post("/orders", key: "order-8-attempt")
        let otherRoute = try await post("/refunds", key: "order-7-attempt")
        let invalid = try await post("/orders", key: String(repeating: "k", count: 300))
        let stored = try await node.storedCount()
        try await node.stop()
        #expect(first.0 == 202 && retry.0 == 202 && other.0 == 202 && otherRoute.0 == 202)
        #expect(first.1 == retry.1)
        #expect(first.1 != other.1 && first.1 != otherRoute.1)
        #expect(invalid.0 == 400 && invalid.1.contains("Idempotency-Key"))
        #expect(stored == 3)
    }

    /// A client that sends its body a byte at a time held its connection (and the body
    /// read so far) for ever.
    @Test func aBodyThatDoesNotArriveInTimeGets408AndTheConnectionCloses() async throws {
        let node = try await Self.ordersNode({ $0.http?.bodyTimeout = .milliseconds(300) })
        let slow = try RawHTTPConnection(port: node.port)
        try await slow.send(
            "POST /orders HTTP/1.1\r\nHost: caravan\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100\r\n\r\n{\"n\": ")
        let answer = try await slow.response()
        #expect(answer.status == 408)
        #expect(answer.body.contains(#""error":"the body did not arrive within"#))
        #expect(try await slow.closedByServer())
        let stored = try await node.storedCount()
        try await node.stop()
        #expect(stored == 0)
    }

    /// A head sent a byte at a time (slowloris) is cut off at the idle timeout: it counts
    /// from the last request part decoded, not the last byte received.
    @Test func aHeadTrickledAByteAtATimeIsCutOffAtTheIdleTimeout() async throws {
        let node = try await Self.ordersNode({ $0.http?.idleTimeout = .milliseconds(800) })
        let slow = try RawHTTPConnection(port: node.port)
        let head =
            "POST /orders HTTP/1.1\r\nHost: caravan\r\nX-Slow: "
            + String(repeating: "s", count: 200)
        let started = ContinuousClock.now
        var cutAfter: Duration?
        for byte in head {
            do { try await slow.send(String(byte)) } catch {
                cutAfter = ContinuousClock.now - started
                break
            }
            try await Task.sleep(for: .milliseconds(50))  // the client's pace, not a wait
            if ContinuousClock.now - started > .seconds(8) { break }
        }
        let health = try await node.send("/health/live", method: "GET")
        try await node.stop()
        #expect(cutAfter != nil, "the trickling head was never cut off")
        #expect(health.status == 200)
    }

    /// Partial request heads were kept for ever: 320 of them exhausted the file
    /// descriptors and the server stopped answering, health included.
    @Test func anUnfinishedHeadOrAnIdleConnectionIsClosedAndHealthStillAnswers() async throws {
        let node = try await Self.ordersNode({ $0.http?.idleTimeout = .milliseconds(300) })
        var partial: [RawHTTPConnection] = []
        for _ in 0..<20 {
            let c = try RawHTTPConnection(port: node.port)
            try await c.send("POST /orders HTTP/1.1\r\nHost: caravan\r\nContent-Le")
            partial.append(c)
        }
        let idle = try RawHTTPConnection(port: node.port)
        #expect(try await node.send("/health/live", method: "GET").status == 200)
        for c in partial { #expect(try await c.closedByServer()) }
        #expect(try await idle.closedByServer())
        try await node.stop()
    }

    @Test func anOversizedHeadGets431WithTheUsualRefusal() async throws {
        let node = try await Self.ordersNode()
        let c = try RawHTTPConnection(port: node.port)
        try await c.send(
            "POST /orders HTTP/1.1\r\nHost: caravan\r\nX-Big: \(String(repeating: "b", count: 100_000))\r\n\r\n"
        )
        let answer = try await c.response()
        try await node.stop()
        #expect(answer.status == 431)
        #expect(answer.body.contains(#""error":"the request head"#))
        #expect(answer.body.contains(#""hint":"#))
    }

    @Test func tooManyOrTooLongHeadersGet431AtTheConfiguredLimits() async throws {
        let node = try await Self.ordersNode {
            $0.http?.maxHeaders = 20
            $0.http?.maxHeaderBytes = 2048
        }
        func post(_ headers: String) async throws -> (status: Int, body: String) {
            let c = try RawHTTPConnection(port: node.port)
            try await c.send(
                "POST /orders HTTP/1.1\r\nHost: caravan\r\nContent-Type: application/json\r\n"
                    + headers + "Content-Length: 2\r\n\r\n{}")
            return try await c.response()
        }
        let few = try await post((1...10).map { "X-H\($0): v\r\n" }.joined())
        let many = try await post((1...30).map { "X-H\($0): v\r\n" }.joined())
        let long = try await post("X-Long: \(String(repeating: "l", count: 3000))\r\n")
        let stored = try await node.storedCount()
        try await node.stop()
        #expect(few.status == 202)
        #expect(many.status == 431)
        #expect(many.body.contains("at most 20 fields, 2048 bytes in all"))
        #expect(long.status == 431)
        #expect(stored == 1)
    }

    @Test func aBodyThatCannotBeReadGets400Not413() async throws {
        let node = try await Self.ordersNode()
        let c = try RawHTTPConnection(port: node.port)
        try await c.send(
            "POST /orders HTTP/1.1\r\nHost: caravan\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n")
        let answer = try await c.response()
        let stored = try await node.storedCount()
        try await node.stop()
        #expect(answer.status == 400)
        #expect(answer.body.contains("could not be read"))
        #expect(stored == 0)
    }

    /// A failure the store will repeat (here a constraint) is a 500, not an invitation to
    /// retry for ever.
    @Test func aStoreErrorThatRetryingCannotFixIs500() async throws {
        let node = try await Self.ordersNode()
        _ = try await ServerTestDatabase.withClient { client in
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        ALTER TABLE "\(node.schema.name)".messages
                        ADD CONSTRAINT no_orders CHECK (route <> 'orders')
                        """))
        }
        let refused = try await node.send("/orders", "{}")
        try await node.stop()
        #expect(refused.status == 500)
        #expect(refused.headers["retry-after"] == nil)
        #expect(!refused.body.contains("no_orders"))  // the reason is logged, not sent
    }

    /// `${env.NAME}` reads the process environment under `serve` as in `caravan test`.
    @Test func simpleSeesTheProcessEnvironment() async throws {
        setenv("CARAVAN_SERVER_TEST_ENV", "from the environment", 1)
        let node = try await TestNode.start(
            """
            - route:
                id: env
                from:
                  uri: platform-http:/env?exchangePattern=InOut
                  steps: [{setBody: {simple: "${env.CARAVAN_SERVER_TEST_ENV}"}}]
            """)
        let reply = try await node.send("/env", "{}")
        try await node.stop()
        #expect(reply.body == "from the environment")
    }

    @Test func aMockEndpointDoesNotRunInAServer() async throws {
        let loaded = RouteLoader().load([
            RouteFile(
                path: "routes.yaml",
                text: """
                    - route:
                        id: orders
                        from: {uri: "platform-http:/orders", steps: [{to: "mock:kept-forever"}]}
                    """)
        ])
        var settings = NodeSettings(
            database: .url(ServerTestDatabase.url(try await ServerTestDatabase.cluster.value)))
        settings.schema = try ServerTestDatabase.newSchema()
        settings.http = NodeSettings.HTTP(host: "127.0.0.1", port: 0)
        let node = Node(
            routes: loaded.routes, settings: settings, logger: ServerTestDatabase.logger)
        let error = await #expect(throws: (any Error).self) { try await node.run() }
        #expect("\(error!)".contains("mock: endpoints are for route tests"))
    }

    /// Callers waiting on a target that hangs took every pooled connection to its host,
    /// and kept them after they hung up: durable deliveries to that host waited for the
    /// 60 s response timeout, spending their redelivery attempts.
    @Test func callersThatHangUpOnASlowTargetStarveNeitherDeliveriesNorOtherCallers()
        async throws
    {
        let sink = Sink(hangs: ["/slow"])
        let port = await sink.start()
        defer { sink.stop() }
        let node = try await TestNode.start(
            """
            - route:
                id: ask
                from:
                  uri: platform-http:/ask?exchangePattern=InOut
                  steps: [{to: "http://127.0.0.1:\(port)/slow"}]
            - route:
                id: quick
                from:
                  uri: platform-http:/quick?exchangePattern=InOut
                  steps: [{to: "http://127.0.0.1:\(port)/fast"}]
            - route:
                id: orders
                from:
                  uri: platform-http:/orders
                  steps: [{to: "http://127.0.0.1:\(port)/fast"}]
            """)
        func fastCount(atLeast n: Int) async throws -> Int {
            var fast = 0
            let deadline = ContinuousClock.now + .seconds(20)
            while fast < n, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                fast = sink.requests.filter { $0.path == "/fast" }.count
            }
            return fast
        }
        // Sixteen callers wait on the slow target (at most 8 of their calls reach it:
        // AsyncHTTPClient's connections per host).
        var callers: [RawHTTPConnection] = []
        for _ in 0..<16 {
            let c = try RawHTTPConnection(port: node.port)
            try await c.send(
                "POST /ask HTTP/1.1\r\nHost: caravan\r\nContent-Length: 2\r\n\r\n{}")
            callers.append(c)
        }
        #expect(try await sink.waitFor(8, timeout: .seconds(30)))
        // A durable delivery to the same host goes through while they wait.
        #expect(try await node.send("/orders", "{}").status == 202)
        let deliveredWhileWaiting = try await fastCount(atLeast: 1)
        // The callers hang up: their calls are cancelled, and another caller gets through.
        callers.removeAll()
        let quick = try await node.send("/quick", "{}")
        let fast = try await fastCount(atLeast: 2)
        try await node.stop()
        #expect(deliveredWhileWaiting == 1)
        #expect(quick.status == 200)
        #expect(fast == 2)
    }
}
