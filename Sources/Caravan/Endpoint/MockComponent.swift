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
    private let state = Mutex<
        (messages: [Message], waiters: [(Int, CheckedContinuation<Void, Never>)])
    >(([], []))

    init(uri: EndpointURI) { self.uri = uri }

    /// The messages received, in order.
    public var received: [Message] { state.withLock { $0.messages } }

    public func producer() throws(ProcessingError) -> any Producer { self }

    public func send(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let message = exchange.message
        let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.messages.append(message)
            let count = s.messages.count
            let (done, waiting) = s.waiters.reduce(
                into: (
                    [CheckedContinuation<Void, Never>](),
                    [(Int, CheckedContinuation<Void, Never>)]()
                )
            ) { acc, w in
                if count >= w.0 { acc.0.append(w.1) } else { acc.1.append(w) }
            }
            s.waiters = waiting
            return done
        }
        for c in ready { c.resume() }
    }

    /// Returns once at least `count` messages arrived (wire taps arrive in the background).
    public func waitForCount(_ count: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let already = state.withLock { s -> Bool in
                if s.messages.count >= count { return true }
                s.waiters.append((count, c))
                return false
            }
            if already { c.resume() }
        }
    }

    /// Forgets what was received.
    public func reset() { state.withLock { $0.messages = [] } }
}
