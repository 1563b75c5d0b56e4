import Synchronization

/// `mock:name`: records every message it receives, for route tests (`caravan test`) and
/// unit tests. The same name is the same endpoint for the engine's life.
///
/// ```swift
/// let orders = engine.mock("orders")
/// try await orders.waitForCount(2)
/// orders.received[0].body
/// ```
public final class MockComponent: Component {
    public let scheme = "mock"
    private let endpoints = Mutex<[String: MockEndpoint]>([:])

    public init() {}

    public func endpoint(for uri: EndpointURI) throws(ProcessingError) -> any Endpoint {
        mock(uri.path, uri: uri)
    }

    /// The endpoint named `name`.
    public func mock(_ name: String, uri: EndpointURI? = nil) -> MockEndpoint {
        endpoints.withLock { e in
            if let m = e[name] { return m }
            let m = MockEndpoint(uri: uri ?? EndpointURI(scheme: "mock", path: name))
            e[name] = m
            return m
        }
    }

    /// Every mock endpoint used so far, by name.
    public var all: [String: MockEndpoint] { endpoints.withLock { $0 } }
}

/// One mock endpoint and what it received.
public final class MockEndpoint: Endpoint, Producer {
    public let uri: EndpointURI

    private struct Waiter {
        let id: UInt64
        let count: Int
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var messages: [Message] = []
        var waiters: [Waiter] = []
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    init(uri: EndpointURI) { self.uri = uri }

    /// The messages received, in order.
    public var received: [Message] { state.withLock { $0.messages } }

    public func producer() throws(ProcessingError) -> any Producer { self }

    public func send(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let message = exchange.message
        let ready = state.withLock { s -> [Waiter] in
            s.messages.append(message)
            guard !s.waiters.isEmpty else { return [] }
            let count = s.messages.count
            let done = s.waiters.filter { count >= $0.count }
            s.waiters.removeAll { count >= $0.count }
            return done
        }
        for w in ready { w.continuation.resume(returning: true) }
    }

    /// Returns once at least `count` messages arrived (wire taps and workers deliver in
    /// the background).
    public func waitForCount(_ count: Int) async {
        _ = await waitForCount(count, timeout: nil)
    }

    /// Waits for `count` messages at most `timeout`; `false` when they did not all come.
    public func waitForCount(_ count: Int, timeout: Duration?) async -> Bool {
        var timer: Task<Void, Never>?
        let arrived = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            let id = state.withLock { s -> UInt64? in
                if s.messages.count >= count { return nil }
                s.nextWaiter += 1
                s.waiters.append(Waiter(id: s.nextWaiter, count: count, continuation: c))
                return s.nextWaiter
            }
            guard let id else {
                c.resume(returning: true)
                return
            }
            if let timeout {
                timer = Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    self?.expire(id)
                }
            }
        }
        timer?.cancel()
        return arrived
    }

    private func expire(_ id: UInt64) {
        let waiter = state.withLock { s -> Waiter? in
            guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return s.waiters.remove(at: i)
        }
        waiter?.continuation.resume(returning: false)
    }

    /// Forgets what was received.
    public func reset() { state.withLock { $0.messages = [] } }
}
