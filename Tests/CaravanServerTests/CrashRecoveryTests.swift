import Caravan
import CaravanAdapters
import CaravanStore
import Foundation
import Logging
import PostgresNIO
import Testing

/// `caravan serve` processes killed at the worst moments: nothing acknowledged is lost,
/// no file is taken twice.
@Suite(.serialized) struct CrashRecoveryTests {
    func folder() throws -> String {
        let folder = NSTemporaryDirectory() + "caravan-crash-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    func serve(_ routes: String, _ schema: StoreSchema, delay: Int, name: String) async throws
        -> ServeProcess
    {
        let cluster = try await ServerTestDatabase.cluster.value
        return try ServeProcess(
            [
                "--routes", routes, "--database", ServerTestDatabase.url(cluster), "--schema",
                schema.name, "--port", "0", "--lease", "2", "--log-level", "info",
            ],
            environment: ["CARAVAN_TEST_DELAY": "\(delay)"], logPath: routes + "/\(name).log")
    }

    @Test func everyAcknowledgedMessageIsDeliveredAfterAKillAndARestart() async throws {
        let sink = Sink()
        let sinkPort = await sink.start()
        defer { sink.stop() }
        let routes = try folder()
        try """
        - route:
            id: orders
            from:
              uri: platform-http:/orders
              steps:
                - delay: {constant: "{{env:CARAVAN_TEST_DELAY:0}}"}
                - to: "http://127.0.0.1:\(sinkPort)/delivered"
        """.write(toFile: routes + "/orders.yaml", atomically: true, encoding: .utf8)
        let schema = try ServerTestDatabase.newSchema()
        // A answers 202 and then holds every message in a ten-minute delay.
        let a = try await serve(routes, schema, delay: 600_000, name: "a")
        let portA = try await a.listeningPort()
        var acknowledged: [String] = []
        for i in 0..<10 {
            let reply = try await HTTP.send(
                "http://127.0.0.1:\(portA)/orders", #"{"n": \#(i)}"#,
                contentType: "application/json")
            #expect(reply.status == 202)
            acknowledged.append(String(reply.body.split(separator: "\"")[3]))
        }
        a.signal(SIGKILL)
        _ = await a.waitForExit()
        #expect(sink.requests.isEmpty)
        let b = try await serve(routes, schema, delay: 0, name: "b")
        let delivered = try await sink.waitFor(10)
        b.signal(SIGTERM)
        #expect(await b.waitForExit() == 0, "\(b.output.suffix(2000))")
        #expect(delivered)
        let keys = Set(
            sink.requests.compactMap {
                $0.headers["idempotency-key"]?.split(separator: "/").first.map(String.init)
            })
        #expect(keys == Set(acknowledged))
    }

    @Test func aDroppedFileIsTakenExactlyOnceAcrossACrash() async throws {
        let routes = try folder()
        let inbox = routes + "/inbox"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        try """
        - route:
            id: drop
            from:
              uri: file:\(inbox)?delay=100&initialDelay=0
              steps:
                - delay: {constant: "{{env:CARAVAN_TEST_DELAY:0}}"}
                - setHeader: {name: seen, simple: "${header.CamelFileName}"}
        """.write(toFile: routes + "/drop.yaml", atomically: true, encoding: .utf8)
        try "a,b\n1,2\n".write(toFile: inbox + "/rows.csv", atomically: true, encoding: .utf8)
        let schema = try ServerTestDatabase.newSchema()
        let a = try await serve(routes, schema, delay: 600_000, name: "a")
        let taken = try await ServerTestDatabase.withClient { client in
            try await ServerTestDatabase.waitFor(1, "state = 'running'", client, schema)
        }
        #expect(taken)
        // Stored, then moved (a handed-off row is `running` from its commit, before the
        // move): kill once the file is in .done, while the message is in its delay.
        #expect(
            try await waitUntil {
                FileManager.default.fileExists(atPath: inbox + "/.done/rows.csv")
            })
        a.signal(SIGKILL)
        _ = await a.waitForExit()
        // The same file dropped again by a sender that retried is a new file (new time):
        // but a crash between storing and moving must not make it two. Put it back as it
        // was (same size and time) — what a crash before the move leaves.
        try FileManager.default.moveItem(
            atPath: inbox + "/.done/rows.csv", toPath: inbox + "/rows.csv")
        let b = try await serve(routes, schema, delay: 0, name: "b")
        let done = try await ServerTestDatabase.withClient { client in
            try await ServerTestDatabase.waitFor(1, "state = 'done'", client, schema)
        }
        // Give b's poller a few rounds over the returned file before counting.
        let moved = try await waitUntil {
            FileManager.default.fileExists(atPath: inbox + "/.done/rows.csv")
        }
        b.signal(SIGTERM)
        #expect(await b.waitForExit() == 0, "\(b.output.suffix(2000))")
        #expect(done && moved)
        let rows = try await ServerTestDatabase.withClient { client in
            try await ServerTestDatabase.count(client, schema)
        }
        #expect(rows == 1)
    }

    func waitUntil(_ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
