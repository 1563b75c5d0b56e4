import AsyncHTTPClient
import Caravan
import CaravanServer
import CaravanStore
import Foundation
import PostgresNIO
import Testing

/// HTTP client → Caravan → a local HTTP sink, on a real PostgreSQL.
@Suite struct HTTPEndToEndTests {
    static func orders(sink: Int) -> String {
        """
        - route:
            id: orders
            from:
              uri: platform-http:/orders
              parameters: {httpMethodRestrict: POST, consumes: application/json}
              steps:
                - unmarshal: {json: {}}
                - setHeader: {name: orderId, simple: "${body[id]}"}
                - choice:
                    when:
                      - simple: "${body[total]} > 1000"
                        steps:
                          - marshal: {jacksonXml: {}}
                          - to: "http://127.0.0.1:\(sink)/big"
                    otherwise:
                      steps:
                        - marshal: {json: {}}
                        - to: "http://127.0.0.1:\(sink)/small"
        """
    }

    @Test func ordersAreRoutedByContentTransformedAndDelivered() async throws {
        let sink = Sink()
        let port = await sink.start()
        defer { sink.stop() }
        let node = try await TestNode.start(Self.orders(sink: port))
        let big = try await node.send("/orders", #"{"id": "A1", "total": 5000}"#)
        #expect(big.status == 202)
        #expect(big.body.contains(#""route":"orders""#))
        let small = try await node.send("/orders", #"{"id": "B2", "total": 12}"#)
        #expect(small.status == 202)
        #expect(try await sink.waitFor(2))
        try await node.stop()
        let byPath = Dictionary(uniqueKeysWithValues: sink.requests.map { ($0.path, $0) })
        #expect(byPath["/big"]?.body.contains("<total>5000</total>") == true)
        #expect(byPath["/big"]?.headers["content-type"]?.hasPrefix("application/xml") == true)
        #expect(byPath["/small"]?.body == #"{"id":"B2","total":12}"#)
        #expect(byPath["/small"]?.headers["orderid"] == "B2")
        // The delivery key: the acknowledged id and the step's position.
        let id = small.body.split(separator: "\"")[3]
        #expect(byPath["/small"]?.headers["idempotency-key"] == "\(id)/2.o.1")
    }

    @Test func aTargetThatFailsThreeTimesGetsTheMessageOnceAfterBackOff() async throws {
        let sink = Sink(status: { $0 < 3 ? 503 : 200 })
        let port = await sink.start()
        defer { sink.stop() }
        let node = try await TestNode.start(
            """
            - route:
                id: pay
                errorHandler:
                  defaultErrorHandler:
                    redeliveryPolicy: {maximumRedeliveries: 5, redeliveryDelay: 100, backOffMultiplier: 2, useExponentialBackOff: true}
                from:
                  uri: platform-http:/pay
                  steps:
                    - to: "http://127.0.0.1:\(port)/charge"
            """)
        let accepted = try await node.send("/pay", #"{"amount": 10}"#)
        #expect(accepted.status == 202)
        let done = try await ServerTestDatabase.withClient { client in
            try await ServerTestDatabase.waitFor(1, "state = 'done'", client, node.schema)
        }
        try await node.stop()
        #expect(done)
        let requests = sink.requests
        #expect(requests.count == 4)  // three failures, then the delivery
        #expect(Set(requests.map { $0.headers["idempotency-key"] ?? "" }).count == 1)
        let errors = try await ServerTestDatabase.withClient { client in
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT attempt, jsonb_array_length(errors), errors->0->>'status', errors->0->>'response' FROM \"\(node.schema.name)\".messages"
                ), logger: ServerTestDatabase.logger)
            for try await row in rows.decode((Int, Int, String?, String?).self) { return row }
            return (0, 0, nil, nil)
        }
        #expect(errors.0 == 4 && errors.1 == 3)
        #expect(errors.2 == "503" && errors.3 == "sink 0")
    }

    @Test func badInputGetsItsStatusAndNothingIsStored() async throws {
        let node = try await TestNode.start(
            """
            - route:
                id: orders
                from:
                  uri: platform-http:/orders
                  parameters: {httpMethodRestrict: POST, consumes: application/json}
                  steps: [{to: "log:orders"}]
            - route:
                id: notes
                from:
                  uri: platform-http:/notes
                  steps: [{to: "log:notes"}]
            """, configure: { $0.http?.bodyLimit = 1000 })
        #expect(try await node.send("/nowhere", "{}").status == 404)
        let wrongMethod = try await node.send("/orders", method: "GET")
        #expect(wrongMethod.status == 405 && wrongMethod.headers["allow"] == "POST")
        #expect(try await node.send("/orders", String(repeating: "x", count: 2000)).status == 413)
        #expect(try await node.send("/orders", "a,b", contentType: "text/csv").status == 415)
        let malformed = try await node.send("/orders", "{\"id\": 1,\n  \"total\": }")
        #expect(malformed.status == 400)
        #expect(malformed.body.contains("2:12"))
        let xml = try await node.send(
            "/notes", "<note><to>x</note>", contentType: "application/xml")
        #expect(xml.status == 400 && xml.body.contains("XML"))
        let stored = try await node.storedCount()
        try await node.stop()
        #expect(stored == 0)
    }

    @Test func aClientThatExpects100ContinueGetsItAndARefusalComesBeforeTheBody() async throws {
        let node = try await TestNode.start(
            """
            - route:
                id: orders
                from:
                  uri: platform-http:/orders
                  parameters: {consumes: application/json}
                  steps: [{to: "log:orders"}]
            """, configure: { $0.http?.bodyLimit = 1000 })
        func head(_ type: String, _ length: Int) -> String {
            "POST /orders HTTP/1.1\r\nHost: caravan\r\nContent-Type: \(type)\r\n"
                + "Content-Length: \(length)\r\nExpect: 100-continue\r\n\r\n"
        }
        // Accepted: 100 Continue first, and only then is the body sent.
        let accepted = try RawHTTPConnection(port: node.port)
        try await accepted.send(head("application/json", 9))
        #expect(try await accepted.response().status == 100)
        try await accepted.send(#"{"id": 1}"#)
        let reply = try await accepted.response()
        #expect(reply.status == 202 && reply.body.contains(#""route":"orders""#))
        // Refused by what the head says: the answer comes at once, no body is sent.
        let wrongType = try RawHTTPConnection(port: node.port)
        try await wrongType.send(head("text/csv", 3))
        #expect(try await wrongType.response().status == 415)
        let tooLarge = try RawHTTPConnection(port: node.port)
        try await tooLarge.send(head("application/json", 5000))
        #expect(try await tooLarge.response().status == 413)
        let stored = try await node.storedCount()
        try await node.stop()
        #expect(stored == 1)
    }

    @Test func inOutAnswersWithTheRoutesFinalMessage() async throws {
        let node = try await TestNode.start(
            """
            - route:
                id: quote
                from:
                  uri: platform-http:/quote?exchangePattern=InOut
                  steps:
                    - unmarshal: {json: {}}
                    - choice:
                        when:
                          - simple: "${body[qty]} > 100"
                            steps:
                              - throwException: {exceptionType: java.lang.IllegalArgumentException, message: too many}
                    - setBody: {simple: "{\\"price\\": ${body[qty]}0}"}
                    - setHeader: {name: CamelHttpResponseCode, constant: "201"}
                    - setHeader: {name: Content-Type, constant: application/json}
            """)
        let reply = try await node.send("/quote", #"{"qty": 3}"#)
        #expect(reply.status == 201)
        #expect(reply.body == #"{"price": 30}"#)
        let failed = try await node.send("/quote", #"{"qty": 300}"#)
        #expect(failed.status == 500)
        #expect(failed.body == "processing failed: java.lang.IllegalArgumentException\n")
        let stored = try await node.storedCount()
        try await node.stop()
        #expect(stored == 0)  // InOut is answered inline, not journaled
    }

    @Test func inOutRedeliversWhileTheCallerWaitsAsItsErrorHandlerSays() async throws {
        // Fails twice, then answers: the caller gets the answer, not the first failure.
        let sink = Sink(status: { $0 < 2 ? 503 : 200 })
        let port = await sink.start()
        defer { sink.stop() }
        let node = try await TestNode.start(
            """
            - route:
                id: quote
                errorHandler:
                  defaultErrorHandler:
                    redeliveryPolicy: {maximumRedeliveries: 3, redeliveryDelay: 10}
                from:
                  uri: platform-http:/quote?exchangePattern=InOut
                  steps:
                    - to: "http://127.0.0.1:\(port)/price"
            - route:
                id: strict
                errorHandler:
                  defaultErrorHandler:
                    redeliveryPolicy: {maximumRedeliveries: 1, redeliveryDelay: 10}
                from:
                  uri: platform-http:/strict?exchangePattern=InOut
                  steps:
                    - to: "http://127.0.0.1:\(port)/price?okStatusCodeRange=201-201"
            - route:
                id: plain
                from:
                  uri: platform-http:/plain?exchangePattern=InOut
                  steps:
                    - to: "http://127.0.0.1:\(port)/price?okStatusCodeRange=201-201"
            """)
        let reply = try await node.send("/quote", "{}")
        #expect(reply.status == 200)
        #expect(reply.body == "sink 2")
        #expect(sink.requests.count == 3)
        // Redeliveries exhausted: the caller gets the failure.
        let failed = try await node.send("/strict", "{}")
        #expect(failed.status == 500)
        #expect(sink.requests.count == 5)
        // No error handler of its own: Camel's default (no redelivery), not the server's
        // durable one, whose redeliveries are seconds to minutes apart.
        let plain = try await node.send("/plain", "{}")
        #expect(plain.status == 500)
        #expect(sink.requests.count == 6)
        let stored = try await node.storedCount()
        try await node.stop()
        #expect(stored == 0)
    }

    @Test func theDatabaseDownGets503WithRetryAfter() async throws {
        let cluster = try await EmbeddedPostgres.start(durable: false)
        defer { try? cluster.stop() }
        let node = try await TestNode.start(
            """
            - route:
                id: orders
                from: {uri: "platform-http:/orders", steps: [{to: "log:orders"}]}
            """, cluster: cluster)
        #expect(try await node.send("/orders", "{}").status == 202)
        try await cluster.kill()
        let refused = try await node.send("/orders", "{}")
        #expect(refused.status == 503)
        #expect(refused.headers["retry-after"] == "5")
        #expect(try await node.send("/health/ready", method: "GET").status == 503)
        #expect(try await node.send("/health/live", method: "GET").status == 200)
        try await cluster.restart()
        node.task.cancel()
        _ = try? await node.task.value
    }
}
