import Caravan
import Foundation
import PostgresNIO
import Testing

/// `aggregate` groups are kept in the store: a node that crashes (or restarts, or
/// reloads its routes) before a group completes loses none of its messages.
@Suite struct AggregationTests {
    static func routes(_ port: Int, timeout: Int? = nil) -> String {
        """
        - route:
            id: parts
            from:
              uri: platform-http:/parts
              steps:
                - aggregate:
                    correlationExpression: {header: order}
                    completionSize: 3
        \(timeout.map { "            completionTimeout: \($0)" } ?? "")
                    steps:
                      - to: "http://127.0.0.1:\(port)/aggregated"
        """
    }

    /// Stops a node as a crash would: at once, without draining.
    func crash(_ node: TestNode) async {
        node.task.cancel()
        _ = try? await node.task.value
    }

    func post(_ node: TestNode, order: String, _ body: String) async throws -> Int {
        try await HTTP.send(
            "http://127.0.0.1:\(node.port)/parts?order=\(order)", body, contentType: "text/plain"
        ).status
    }

    @Test func aGroupOpenWhenItsNodeCrashedCompletesOnTheNextNodeOnce() async throws {
        let sink = Sink()
        let port = await sink.start()
        defer { sink.stop() }
        let first = try await TestNode.start(Self.routes(port))
        // Two parts of order 7, stored and processed (done) before the crash.
        #expect(try await post(first, order: "7", "a") == 202)
        #expect(try await post(first, order: "7", "b") == 202)
        _ = try await ServerTestDatabase.withClient(first.cluster) { client in
            try await ServerTestDatabase.waitFor(2, "state = 'done'", client, first.schema)
        }
        await crash(first)
        let second = try await TestNode.start(Self.routes(port), schema: first.schema)
        #expect(try await post(second, order: "7", "c") == 202)
        #expect(try await sink.waitFor(1, timeout: .seconds(20)))
        try await second.stop()
        #expect(sink.requests.map(\.body) == [#"["a","b","c"]"#])
    }

    /// `completionInterval` and `completionOnNewCorrelationGroup` read the open groups
    /// from the store.
    @Test func anIntervalCompletesEveryGroupTheStoreHoldsOpen() async throws {
        let sink = Sink()
        let port = await sink.start()
        defer { sink.stop() }
        let node = try await TestNode.start(
            """
            - route:
                id: parts
                from:
                  uri: platform-http:/parts
                  steps:
                    - aggregate:
                        correlationExpression: {header: order}
                        completionInterval: 1000
                        steps:
                          - to: "http://127.0.0.1:\(port)/aggregated"
            """)
        #expect(try await post(node, order: "7", "a") == 202)
        #expect(try await post(node, order: "8", "b") == 202)
        #expect(try await post(node, order: "7", "c") == 202)
        // Each tick completes what is open then: on a slow machine order 7's parts may
        // straddle a tick, so what is pinned is that every part arrives once, and no
        // aggregate mixes orders.
        func parts() -> [[String]] {
            sink.requests.compactMap {
                try? JSONDecoder().decode([String].self, from: Data($0.body.utf8))
            }
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while parts().joined().count < 3, ContinuousClock.now < deadline {
            _ = try await sink.waitFor(sink.requests.count + 1, timeout: .seconds(2))
        }
        try await node.stop()
        #expect(parts().joined().sorted() == ["a", "b", "c"])
        #expect(parts().allSatisfy { !$0.contains("b") || $0 == ["b"] })
    }

    @Test func theTimeoutOfAGroupOpenAtACrashIsKeptByTheNextNode() async throws {
        let sink = Sink()
        let port = await sink.start()
        defer { sink.stop() }
        let first = try await TestNode.start(Self.routes(port, timeout: 3000))
        #expect(try await post(first, order: "8", "x") == 202)
        #expect(try await post(first, order: "8", "y") == 202)
        _ = try await ServerTestDatabase.withClient(first.cluster) { client in
            try await ServerTestDatabase.waitFor(2, "state = 'done'", client, first.schema)
        }
        await crash(first)  // before the 3 s timeout fires
        #expect(sink.requests.isEmpty)
        let second = try await TestNode.start(
            Self.routes(port, timeout: 3000), schema: first.schema)
        #expect(try await sink.waitFor(1, timeout: .seconds(20)))
        try await second.stop()
        #expect(sink.requests.map(\.body) == [#"["x","y"]"#])
    }

    @Test func aGroupWhoseTimeoutPassedWhileNoNodeRanCompletesAtOnceWhenOneStarts()
        async throws
    {
        let sink = Sink()
        let port = await sink.start()
        defer { sink.stop() }
        let first = try await TestNode.start(Self.routes(port, timeout: 600_000))
        #expect(try await post(first, order: "10", "m") == 202)
        _ = try await ServerTestDatabase.withClient(first.cluster) { client in
            _ = try await ServerTestDatabase.waitFor(1, "state = 'done'", client, first.schema)
            await crash(first)
            // The deadline passed while no node ran (instead of waiting for it).
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        UPDATE "\(first.schema.name)".aggregation_members
                        SET timeout_at = now() - interval '1 minute'
                        """))
        }
        let second = try await TestNode.start(
            Self.routes(port, timeout: 600_000), schema: first.schema)
        // (Its timeout is ten minutes: a node that waited for it again would not deliver.)
        #expect(try await sink.waitFor(1, timeout: .seconds(20)))
        try await second.stop()
        #expect(sink.requests.map(\.body) == [#"["m"]"#])
    }

    /// The completing message's delivery fails once: its redelivery resumes inside the
    /// aggregate's steps with the aggregate, and the group is then forgotten.
    @Test func aFailedAggregateIsRedeliveredFromItsStepsAndTheGroupIsConfirmed() async throws {
        let sink = Sink(status: { $0 == 0 ? 503 : 200 })
        let port = await sink.start()
        defer { sink.stop() }
        let node = try await TestNode.start(
            """
            - route:
                id: parts
                errorHandler:
                  defaultErrorHandler:
                    redeliveryPolicy: {maximumRedeliveries: 3, redeliveryDelay: 50}
                from:
                  uri: platform-http:/parts
                  steps:
                    - aggregate:
                        correlationExpression: {header: order}
                        completionSize: 2
                        steps:
                          - to: "http://127.0.0.1:\(port)/aggregated"
                    - to: "log:after"
            """)
        #expect(try await post(node, order: "9", "p") == 202)
        #expect(try await post(node, order: "9", "q") == 202)
        #expect(try await sink.waitFor(2, timeout: .seconds(20)))
        let (done, members) = try await ServerTestDatabase.withClient { client in
            let done = try await ServerTestDatabase.waitFor(
                2, "state = 'done'", client, node.schema)
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT count(*)::int FROM \"\(node.schema.name)\".aggregation_members"))
            var members = -1
            for try await n in rows.decode(Int.self) { members = n }
            return (done, members)
        }
        try await node.stop()
        #expect(done)
        #expect(sink.requests.map(\.body) == [#"["p","q"]"#, #"["p","q"]"#])
        #expect(members == 0)
    }
}
