import Caravan
import CaravanServer
import CaravanStore
import CaravanTestSupport
import Foundation
import Synchronization
import Testing

/// Hot reload and graceful shutdown of a running node.
@Suite struct NodeLifecycleTests {
    static func route(_ path: String) -> String {
        """
        - route:
            id: r\(path.dropFirst())
            from: {uri: "platform-http:\(path)", steps: [{to: "log:x"}]}
        """
    }

    /// Route files the test changes at will, and a record of each reload attempt.
    final class Files: Sendable {
        let state = Mutex<(version: Int, yaml: String, loads: Int)>((0, "", 0))
        let loaded = Mutex<[CheckedContinuation<Void, Never>]>([])

        func set(_ yaml: String) {
            state.withLock {
                $0.version += 1
                $0.yaml = yaml
            }
        }

        var reload: RouteReload {
            var r = RouteReload(
                fingerprint: { [self] in "\(state.withLock { $0.version })" },
                load: { [self] in
                    let yaml = state.withLock { s in
                        s.loads += 1
                        return s.yaml
                    }
                    let result = RouteLoader().load([RouteFile(path: "routes.yaml", text: yaml)])
                    return result.errors.isEmpty
                        ? .success(result.routes) : .failure(LoadFailure(result.errors))
                })
            r.interval = .milliseconds(50)
            return r
        }

        /// Waits (bounded) until the node has tried `n` reloads.
        func waitForLoads(_ n: Int) async throws -> Bool {
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                if state.withLock({ $0.loads }) >= n { return true }
                try await Task.sleep(for: .milliseconds(20))
            }
            return false
        }
    }

    @Test func aBrokenChangeKeepsTheOldRoutesAndAGoodOneIsSwappedIn() async throws {
        let files = Files()
        files.set(Self.route("/a"))
        let node = try await TestNode.start(Self.route("/a")) { $0.reload = files.reload }
        #expect(try await node.send("/a", "{}").status == 202)

        files.set(
            "- route:\n    id: broken\n    from: {uri: \"platform-http:/b\", steps: [{tooo: x}]}\n")
        #expect(try await files.waitForLoads(1))
        #expect(try await node.send("/a", "{}").status == 202)  // still served
        #expect(try await node.send("/b", "{}").status == 404)

        files.set(Self.route("/a") + "\n" + Self.route("/b"))
        #expect(try await files.waitForLoads(2))
        var served = false
        for _ in 0..<100 where !served {  // the swap follows the load
            served = try await node.send("/b", "{}").status == 202
            if !served { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(served)
        #expect(try await node.send("/a", "{}").status == 202)
        try await node.stop()
    }

    @Test func aNodeThatCannotTakeItsPortStopsWithoutReportingItsCancelledWorkAsFailures()
        async throws
    {
        let taken = try await TestNode.start(Self.route("/a"))
        defer { Task { try await taken.stop() } }
        let loaded = RouteLoader().load([
            RouteFile(path: "routes.yaml", text: Self.route("/b"))
        ])
        let cluster = try await ServerTestDatabase.cluster.value
        var settings = NodeSettings(database: .url(ServerTestDatabase.url(cluster)))
        settings.schema = try ServerTestDatabase.newSchema()
        // As TestNode's: the suite's start on two cores can hold a migration past the
        // production 15 s (seen in CI), which is not what this test is about.
        settings.startTimeout = .seconds(60)
        settings.http = NodeSettings.HTTP(host: "127.0.0.1", port: taken.port)
        let records = RecordingLogHandler.Records()
        let node = Node(
            routes: loaded.routes, settings: settings, logger: RecordingLogHandler.logger(records))

        await #expect(throws: NodeError.self) { try await node.run() }

        let reported = records.messages(atLeast: .warning)
        #expect(reported.contains("the HTTP server cannot run; stopping"))
        // Its workers' claims and its housekeeping were cancelled, not failed.
        #expect(
            reported.filter {
                $0 != "the HTTP server cannot run; stopping"
                    && !$0.hasPrefix("these endpoints accept requests from anyone")
            } == [])
    }

    /// Whoever waits for a node's port learns of a node that failed before it listened,
    /// instead of waiting for ever.
    @Test func waitingForThePortOfANodeThatFailedThrowsItsError() async throws {
        let loaded = RouteLoader().load([RouteFile(path: "routes.yaml", text: Self.route("/c"))])
        // Nothing listens on port 1: the start fails at once.
        var settings = NodeSettings(database: .url("postgres://caravan@127.0.0.1:1/none"))
        settings.startTimeout = .seconds(2)
        settings.http = NodeSettings.HTTP(host: "127.0.0.1", port: 0)
        let node = Node(
            routes: loaded.routes, settings: settings, logger: ServerTestDatabase.logger)
        let waiting = Task { try await node.httpPort() }
        await #expect(throws: (any Error).self) { try await node.run() }
        await #expect(throws: (any Error).self) { try await waiting.value }
        await #expect(throws: (any Error).self) { try await node.managementPort() }
    }

    @Test func gracefulShutdownFinishesRunningMessages() async throws {
        // The route tells the sink when it starts a message, then takes 1.5 s over it.
        let sink = Sink()
        let port = await sink.start()
        defer { sink.stop() }
        let node = try await TestNode.start(
            """
            - route:
                id: slow
                from:
                  uri: platform-http:/slow
                  steps:
                    - to: "http://127.0.0.1:\(port)/started"
                    - delay: {constant: "1500"}
                    - to: "log:slow"
            """)
        for _ in 0..<3 { #expect(try await node.send("/slow", "{}").status == 202) }
        // Every message has started (rows handed to local workers are `running` from the
        // start, so the state alone would not say so); the last is still in its delay.
        #expect(try await sink.waitFor(3, timeout: .seconds(20)))
        try await node.stop()  // returns once the running messages finished
        let (done, all) = try await ServerTestDatabase.withClient { client in
            (
                try await ServerTestDatabase.count(client, node.schema, "state = 'done'"),
                try await ServerTestDatabase.count(client, node.schema)
            )
        }
        #expect(all == 3 && done == 3)
    }

    @Test func aFolderThatCannotBePolledMakesTheNodeNotReady() async throws {
        let blocked = NSTemporaryDirectory() + "caravan-blocked-\(UUID().uuidString)"
        try "a file, not a folder".write(toFile: blocked, atomically: true, encoding: .utf8)
        let node = try await TestNode.start(
            """
            - route:
                id: drop
                from: {uri: "file:\(blocked)?initialDelay=0&delay=10", steps: [{to: "log:drop"}]}
            """)
        var ready = (status: 0, headers: [String: String](), body: "")
        for _ in 0..<500 {
            ready = try await node.send("/health/ready", method: "GET")
            if ready.status == 503 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        try await node.stop()
        #expect(ready.status == 503)
        #expect(ready.body.contains("route drop: cannot"))
    }
}
