import Foundation
import Testing

/// `caravan serve` when clients hold every file descriptor it may open.
@Suite struct OpenFilesLimitTests {
    /// Connections that send half a request head and then nothing once exhausted the
    /// server's descriptors for good: nothing was ever closed, so `/health/live` and every
    /// route stopped answering. The idle timeout frees them, batch after batch.
    @Test func healthAnswersAgainOnceConnectionsHoldingEveryDescriptorTimeOut() async throws {
        let routes = NSTemporaryDirectory() + "caravan-nofile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: routes, withIntermediateDirectories: true)
        try """
        - route:
            id: orders
            from: {uri: "platform-http:/orders", steps: [{to: "log:orders"}]}
        """.write(toFile: routes + "/orders.yaml", atomically: true, encoding: .utf8)
        try "caravan.server.idleTimeout=1\n".write(
            toFile: routes + "/application.properties", atomically: true, encoding: .utf8)
        let cluster = try await ServerTestDatabase.cluster.value
        let limit = 160
        let serve = try ServeProcess(
            [
                "--routes", routes, "--database", ServerTestDatabase.url(cluster), "--schema",
                ServerTestDatabase.newSchema().name, "--port", "0",
            ], openFiles: limit, logPath: routes + "/serve.log")
        let port = try await serve.listeningPort()
        raiseOwnOpenFilesLimit()

        // More half-heads than the server has descriptors left: the rest wait in the
        // listen queue, where the kernel holds them without the server.
        var partial: [RawHTTPConnection] = []
        for _ in 0..<240 {
            let c = try RawHTTPConnection(port: port)
            try await c.send("POST /orders HTTP/1.1\r\nHost: caravan\r\nContent-Le")
            partial.append(c)
        }
        // The server really reaches its limit (polled: no event says so; the poll can miss
        // the very top while the idle timeout already closes the first ones, so "within
        // 10" — the 240 connections leave no room below that).
        let descriptors = "/proc/\(serve.process.processIdentifier)/fd"
        var most = 0
        let deadline = ContinuousClock.now + .seconds(10)
        while most < limit - 10, ContinuousClock.now < deadline {
            most = max(most, try FileManager.default.contentsOfDirectory(atPath: descriptors).count)
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(most >= limit - 10, "the server never ran out of descriptors")
        // Queued behind the others, it is accepted once their timeouts free descriptors.
        // A connection the kernel resets while the queue is full is asked again (as a
        // health checker would), for at most 30 s.
        var status = 0
        let healthDeadline = ContinuousClock.now + .seconds(30)
        while status != 200, ContinuousClock.now < healthDeadline {
            do {
                let health = try RawHTTPConnection(port: port)
                try await health.send("GET /health/live HTTP/1.1\r\nHost: caravan\r\n\r\n")
                status = try await health.response().status
            } catch {
                continue
            }
        }
        #expect(status == 200)
        for c in partial { #expect(try await c.closedByServer()) }
        let accepted = try await HTTP.send(
            "http://127.0.0.1:\(port)/orders", #"{"n": 1}"#, contentType: "application/json")
        #expect(accepted.status == 202)

        serve.signal(SIGTERM)
        #expect(await serve.waitForExit() == 0)
    }

    /// This test process opens hundreds of connections too.
    private func raiseOwnOpenFilesLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
