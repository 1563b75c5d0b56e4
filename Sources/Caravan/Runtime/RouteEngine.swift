import Synchronization

/// Runs routes in memory: compiles their definitions once, connects their endpoints, and
/// processes exchanges (Camel's CamelContext, without any I/O of its own).
///
/// ```swift
/// let engine = try RouteEngine(routes: loaded.routes)
/// try await engine.start()
/// let outcome = await engine.run("orders", Exchange(message: message))
/// engine.mock("accepted").received
/// ```
/// The in-memory components `direct:`, `mock:` and `log:` are built in; the adapters add
/// the ones that do I/O.
public final class RouteEngine: EndpointResolver {
    public struct Route: Sendable {
        public let definition: RouteDefinition
        let processor: Pipeline
        let consumer: (any Consumer)?
    }

    /// A route's run: the exchange as it ended, and the failure if it failed.
    public struct Outcome: Sendable {
        public var exchange: Exchange
        public var error: ProcessingError?
    }

    public let direct = DirectComponent()
    public let mocks = MockComponent()
    let components: [String: any Component]
    let routesState = Mutex<[String: Route]>([:])
    public let context: ProcessContext.Settings

    public init(
        routes: RouteSet, components: [any Component] = [],
        settings: ProcessContext.Settings = .init()
    ) throws(LoadFailure) {
        var all: [String: any Component] = [
            "direct": direct, "mock": mocks, "log": LogComponent(sink: settings.log),
        ]
        for c in components { all[c.scheme] = c }
        self.components = all
        self.context = settings
        var built: [String: Route] = [:]
        var problems: [Diagnostic] = []
        let builder = RouteBuilder(endpoints: self)
        for definition in routes.routes {
            do {
                let pipeline = try builder.pipeline(definition.steps)
                let consumer: (any Consumer)?
                if let component = all[definition.from.scheme], definition.from.scheme == "direct" {
                    consumer = try? component.endpoint(for: definition.from).consumer(
                        routeId: definition.id,
                        processor: RouteEntry(routeId: definition.id, pipeline: pipeline))
                } else {
                    consumer = nil
                }
                built[definition.id] = Route(
                    definition: definition, processor: pipeline, consumer: consumer)
            } catch {
                problems.append(error)
            }
        }
        if !problems.isEmpty { throw LoadFailure(problems) }
        routesState.withLock { $0 = built }
    }

    /// Starts the routes' in-memory consumers (`direct:`).
    public func start() async throws(ProcessingError) {
        for route in routesState.withLock({ Array($0.values) }) {
            try await route.consumer?.start()
        }
    }

    public func stop() async {
        for route in routesState.withLock({ Array($0.values) }) { await route.consumer?.stop() }
        await processContext.background.waitUntilIdle()
    }

    public var routeIds: [String] { routesState.withLock { $0.keys.sorted() } }

    public func route(_ id: String) -> Route? { routesState.withLock { $0[id] } }

    /// The mock endpoint `mock:name`.
    public func mock(_ name: String) -> MockEndpoint { mocks.mock(name) }

    /// Runs route `id` on `exchange`, as if its consumer had received it.
    public func run(_ id: String, _ exchange: Exchange) async -> Outcome {
        guard let route = route(id) else {
            return Outcome(
                exchange: exchange,
                error: ProcessingError(.illegalArgument, "no route with id '\(id)'"))
        }
        var e = exchange
        do {
            try await RouteEntry(routeId: id, pipeline: route.processor).process(&e, processContext)
            return Outcome(exchange: e, error: nil)
        } catch {
            return Outcome(exchange: e, error: error)
        }
    }

    /// Waits for background work (wire taps) to finish.
    public func waitUntilIdle() async { await processContext.background.waitUntilIdle() }

    public func endpoint(for uri: EndpointURI) throws(ProcessingError) -> any Endpoint {
        guard let component = components[uri.scheme] else {
            throw ProcessingError(
                .illegalArgument, "no component for '\(uri.scheme):' in this engine")
        }
        return try component.endpoint(for: uri)
    }

    public var processContext: ProcessContext {
        ProcessContext(
            endpoints: self, log: context.log, simple: context.simple, sleep: context.sleep,
            now: context.now, background: context.background)
    }
}

extension ProcessContext {
    /// What an engine is configured with.
    public struct Settings: Sendable {
        public var log: any LogSink
        public var simple: SimpleContext
        public var sleep: @Sendable (Duration) async throws -> Void
        public var now: @Sendable () -> ContinuousClock.Instant
        public var background: BackgroundWork

        public init(
            log: any LogSink = NullLogSink(), simple: SimpleContext = SimpleContext(),
            sleep: @escaping @Sendable (Duration) async throws -> Void = {
                try await Task.sleep(for: $0)
            },
            now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
            background: BackgroundWork = BackgroundWork()
        ) {
            self.log = log
            self.simple = simple
            self.sleep = sleep
            self.now = now
            self.background = background
        }
    }
}

/// A route's entry point: sets `routeId` while the route runs.
struct RouteEntry: Processor {
    let routeId: String
    let pipeline: Pipeline

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let previous = exchange.routeId
        exchange.routeId = routeId
        defer { if previous != nil { exchange.routeId = previous } }
        try await pipeline.process(&exchange, context)
    }
}
