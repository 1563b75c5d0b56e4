import Caravan
import CaravanStore
import CaravanTestSupport
import Foundation
import Testing

/// The console in a real browser: Tests/Browser/console_test.py drives Debian's chromium
/// through Selenium against a node of this process. With CARAVAN_SCREENSHOTS set to a
/// folder, it saves a screenshot of each page there (docs/console.md shows them).
@Suite struct ConsoleBrowserTests {
    @Test func anOperatorFindsEditsAndReplaysADeadLetterAndBulkReplaysAndAViewerCannotAct()
        async throws
    {
        let node = try await TestNode.start(AdminAPITests.routes)
        let fixture = try await ServerTestDatabase.withClient(nil) { client in
            let store = ApiTokens(client: client, schema: node.schema)
            let setup = Operator("setup", via: .cli)
            return AdminAPITests.Fixture(
                node: node,
                viewer: try await store.create(name: "watcher", role: .viewer, by: setup),
                operatorToken: try await store.create(name: "ada", role: .operator, by: setup),
                admin: try await store.create(name: "root", role: .admin, by: setup))
        }
        do {
            // One dead letter to find by its header, three of a batch, three others.
            let wanted = try await fixture.post(
                "/payments", #"{"amount": 1}"#, headers: [("OrderId", "X-2")])
            var all = [wanted]
            for i in 0..<3 {
                all.append(
                    try await fixture.post(
                        "/payments", #"{"amount": \#(10 + i)}"#, headers: [("Batch", "b9")]))
            }
            for i in 0..<3 {
                all.append(try await fixture.post("/payments", #"{"amount": \#(20 + i)}"#))
            }
            for id in all { try await fixture.await(id, "dead") }
            _ = try await fixture.post("/orders", #"{"n": 1}"#)

            let setup: Document = [
                "url": .string("http://127.0.0.1:\(node.managementPort)"),
                "operator": .string(fixture.operatorToken), "viewer": .string(fixture.viewer),
                "admin": .string(fixture.admin), "header": "OrderId:X-2", "batch": "Batch:b9",
                "batchCount": 3,
            ]
            let script = URL(fileURLWithPath: #filePath).appendingPathComponent(
                "../../Browser/console_test.py"
            ).standardized.path
            let run = try await ChildProcess.run(
                URL(fileURLWithPath: "/usr/bin/env"),
                ["CARAVAN_CONSOLE_TEST=\(JSONWriter().string(setup))", "python3", script],
                mergeOutput: true)
            #expect(run.status == 0, "\(run.stdout)")
        } catch {
            try await node.stop()
            throw error
        }
        try await node.stop()
    }
}
