import Foundation
import Testing

/// Beyond the node's bounds on requests in flight and body bytes held, requests get 503
/// with `Retry-After` at once — before their body when its length is known — and nothing
/// is stored; a freed slot takes requests again.
@Suite struct LoadSheddingTests {
    static let route = """
        - route:
            id: orders
            from: {uri: "platform-http:/orders", steps: [{to: "log:orders"}]}
        """

    @Test func aBodyOverTheBytesTheNodeMayHoldIs503BeforeOrWhileItIsRead() async throws {
        let node = try await TestNode.start(Self.route) { $0.http?.maxRequestBytes = 1000 }
        let small = try await node.send("/orders", #"{"n": 1}"#)
        let declared = try await node.send(
            "/orders", "[" + String(repeating: "1,", count: 999) + "1]")
        // Chunked: no length to judge before reading, so it is refused as it arrives.
        let chunked = try RawHTTPConnection(port: node.port)
        let chunk = "[" + String(repeating: "2,", count: 749) + "2]"
        try await chunked.send(
            "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n0\r\n\r\n")
        let refused = try await chunked.response()
        let closed = try await chunked.closedByServer()
        let after = try await node.send("/orders", #"{"n": 2}"#)
        let count = try await node.storedCount()
        try await node.stop()
        #expect(small.status == 202)
        #expect(declared.status == 503)
        #expect(declared.headers["retry-after"] == "1")
        #expect(declared.body.contains("request bytes"))
        #expect(refused.status == 503)
        #expect(closed)
        #expect(after.status == 202, "bytes of finished requests are given back")
        #expect(count == 2)
    }

    @Test func aRequestOverTheRequestsInFlightIs503AndTheSlotIsFreedAfter() async throws {
        let node = try await TestNode.start(Self.route) { $0.http?.maxRequests = 1 }
        // One request in flight: its head sent, its body not yet. `100 Continue` says the
        // server admitted it and waits for the body.
        let holder = try RawHTTPConnection(port: node.port)
        try await holder.send(
            "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 8\r\nExpect: 100-continue\r\n\r\n"
        )
        let proceed = try await holder.response()
        let second = try await node.send("/orders", #"{"n": 2}"#)
        try await holder.send(#"{"n":"#)
        try await holder.send("1} ")
        let first = try await holder.response()
        let third = try await node.send("/orders", #"{"n": 3}"#)
        let health = try await node.send("/health/live", method: "GET")
        try await node.stop()
        #expect(proceed.status == 100)
        #expect(second.status == 503)
        #expect(second.headers["retry-after"] == "1")
        #expect(first.status == 202)
        #expect(third.status == 202)
        #expect(health.status == 200, "health is never shed")
    }
}
