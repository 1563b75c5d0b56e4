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
        let entry: RouteEntry
        let consumer: (any Consumer)?
    }

    /// A route's run: the exchange as it ended, and the failure if it failed.
    public struct Outcome: Sendable {
        public var exchange: Exchange
        public var error: ProcessingError?
    }

    public let direct = DirectComponent()
    public let mocks = MockComponent()
    /// The `aggregate` steps and their repositories.
    let aggregations: AggregationRegistry
    let components: [String: any Component]
    let routesState = Mutex<[String: Route]>([:])
    public let context: ProcessContext.Settings
    /// Built once: every exchange shares them.
    private let servicesBox = Mutex<ProcessContext.Services?>(nil)

    var services: ProcessContext.Services {
        servicesBox.withLock { box in
            if let s = box { return s }
            let s = ProcessContext.Services(
                endpoints: EngineEndpoints(engine: self), log: context.log, simple: context.simple,
                sleep: context.sleep, now: context.now,
                background: context.background, redelivery: context.redelivery)
            box = s
            return s
        }
    }

    /// Endpoint patterns replaced by mocks (route tests).
    let substitutions: [(pattern: GlobPattern, mock: String)]

    public init(
        routes: RouteSet, components: [any Component] = [],
        settings: ProcessContext.Settings = .init(),
        substitutions: [(pattern: String, mock: String)] = []
    ) throws(LoadFailure) {
        self.substitutions = substitutions.map { (GlobPattern($0.pattern), $0.mock) }
        var all: [String: any Component] = [
            "direct": direct, "log": LogComponent(sink: settings.log),
        ]
        if settings.mocks { all["mock"] = mocks }
        for c in components { all[c.scheme] = c }
        self.components = all
        self.context = settings
        self.aggregations = AggregationRegistry(repositories: settings.aggregationRepositories)
        var built: [String: Route] = [:]
        var problems: [Diagnostic] = []
        for definition in routes.routes {
            do {
                var builder = RouteBuilder(
                    endpoints: self, repositories: settings.idempotentRepositories,
                    aggregations: aggregations)
                // An InOut exchange is answered inline, and nothing durable backs the
                // server's default redeliveries (seconds to minutes apart): without an error
                // handler of its own such a route fails at once, as with Camel's default.
                builder.handling = try builder.errorHandling(
                    for: definition, in: routes,
                    fallback: definition.from.exchangePattern == .inOut
                        ? .camelDefault : settings.errorHandler)
                let entry = RouteEntry(
                    routeId: definition.id, pipeline: try builder.pipeline(definition.steps),
                    exhaustsFailures: builder.handling?.isTrivial ?? false, log: settings.log,
                    variableReceive: definition.variableReceive)
                let consumer: (any Consumer)?
                if let component = all[definition.from.scheme], definition.from.scheme == "direct" {
                    consumer = try? component.endpoint(for: definition.from).consumer(
                        routeId: definition.id, processor: entry)
                } else {
                    consumer = nil
                }
                built[definition.id] = Route(
                    definition: definition, entry: entry, consumer: consumer)
            } catch {
                problems.append(error)
            }
        }
        if !problems.isEmpty { throw LoadFailure(problems) }
        routesState.withLock { $0 = built }
    }

    /// Starts the routes' in-memory consumers (`direct:`), and takes over the aggregation
    /// groups the repositories hold with nobody to complete them.
    public func start() async throws(ProcessingError) {
        for route in routesState.withLock({ Array($0.values) }) {
            try await route.consumer?.start()
        }
        for aggregate in aggregations.all { await aggregate.recover(processContext) }
    }

    public func stop() async {
        for route in routesState.withLock({ Array($0.values) }) { await route.consumer?.stop() }
        // Aggregation timeouts are not waited for: their groups stay in the repository
        // and the next engine takes them over.
        processContext.background.cancelTimers()
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
            try await route.entry.process(&e, processContext)
            return Outcome(exchange: e, error: nil)
        } catch {
            return Outcome(exchange: e, error: error)
        }
    }

    /// Continues a failed exchange where it failed (after a durable redelivery was due):
    /// the steps before the failure point are not run again.
    public func resume(_ point: FailurePoint) async -> Outcome {
        guard let route = route(point.routeId) else {
            return Outcome(
                exchange: point.exchange,
                error: ProcessingError(
                    .illegalState, "no route with id '\(point.routeId)' to resume"))
        }
        let resumption = Resumption(point)
        var exchange = resumption.innerExchange
        var context = processContext
        context.origin = ProcessContext.Origin(
            routeId: point.routeId,
            exchangeId: point.frames.first?.original.id ?? point.exchange.id,
            message: point.frames.first?.original.message ?? point.exchange.message)
        do {
            try await route.entry.resume(
                &exchange, at: point.path.elements[...], resumption, context)
            return Outcome(exchange: exchange, error: nil)
        } catch {
            return Outcome(exchange: exchange, error: error)
        }
    }

    /// Waits for background work (wire taps) to finish.
    public func waitUntilIdle() async { await processContext.background.waitUntilIdle() }

    public func endpoint(for uri: EndpointURI) throws(ProcessingError) -> any Endpoint {
        let full = uri.description
        let short = "\(uri.scheme):\(uri.path)"
        if let s = substitutions.first(where: {
            $0.pattern.matches(full) || $0.pattern.matches(short)
        }) {
            return mocks.mock(s.mock)
        }
        guard let component = components[uri.scheme] else {
            if uri.scheme == "mock" {
                // A mock keeps every message it receives: unbounded memory in a server.
                throw ProcessingError(
                    .illegalArgument,
                    "'\(full)': mock: endpoints are for route tests (caravan test) — in a running route use log: or a real endpoint"
                )
            }
            throw ProcessingError(
                .illegalArgument,
                "no component for '\(uri.scheme):' here (\(full)) — in a route test, substitute it with a mock"
            )
        }
        return try component.endpoint(for: uri)
    }

    public var processContext: ProcessContext {
        ProcessContext(services: services)
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
        /// What happens between a failure and its redelivery (in memory: wait).
        public var redelivery: any RedeliverySeam = InMemoryRedelivery()
        /// The error handler of routes that configure none.
        public var errorHandler: ErrorHandlerDefinition = .camelDefault
        /// Whether `mock:` endpoints exist (route tests); a server has none, since a mock
        /// keeps every message it receives.
        public var mocks = true
        /// Where `aggregate` steps keep their groups (in memory unless the store's).
        public var aggregationRepositories: any AggregationRepositories =
            MemoryAggregationRepositories()
        /// Where `idempotentConsumer` keeps its keys (in memory unless the store's).
        public var idempotentRepositories: any IdempotentRepositories =
            MemoryIdempotentRepositories()

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

/// A route's entry point: sets `routeId` while the route runs. When the route's error
/// handling is Camel's plain default (no redelivery, no `onException`), its steps have no
/// channels and the entry marks failures as exhausted, as the default handler would.
struct RouteEntry: Processor {
    let routeId: String
    let pipeline: Pipeline
    let exhaustsFailures: Bool
    let log: any LogSink
    /// `from`'s `variableReceive`: the received body goes to this variable, and the
    /// message starts without one (Camel 4.4).
    var variableReceive: String? = nil

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        if let variableReceive {
            exchange.variables[variableReceive] = AggregationStrategyName.bodyValue(
                exchange.message.body)
            exchange.message.body = Body(bytes: [], contentType: nil)
        }
        try await run(&exchange, context) {
            (e: inout Exchange, c: ProcessContext) async throws(ProcessingError) in
            try await pipeline.process(&e, c)
        }
    }

    func resume(
        _ exchange: inout Exchange, at path: ArraySlice<StepPath.Element>, _ resumption: Resumption,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        try await run(&exchange, context) {
            (e: inout Exchange, c: ProcessContext) async throws(ProcessingError) in
            try await pipeline.resume(&e, at: path, resumption, c)
        }
    }

    func run(
        _ exchange: inout Exchange, _ context: ProcessContext,
        _ body: (inout Exchange, ProcessContext) async throws(ProcessingError) -> Void
    ) async throws(ProcessingError) {
        let previous = exchange.routeId
        exchange.routeId = routeId
        defer { if previous != nil { exchange.routeId = previous } }
        var c = context
        if c.origin == nil {
            c.origin = ProcessContext.Origin(
                routeId: routeId, exchangeId: exchange.id, message: exchange.message)
        }
        do {
            try await body(&exchange, c)
        } catch {
            guard exhaustsFailures, !error.exhausted, !error.isSuspension else { throw error }
            var e = error
            e.exhausted = true
            log.log(
                level: .ERROR, logger: "caravan.errorHandler",
                message:
                    "Failed delivery for (ExchangeId: \(exchange.id)). Exhausted after delivery attempt: 1 caught: \(e)"
            )
            throw e
        }
    }
}

/// The engine as the processors' endpoint resolver, held unowned so the engine and its
/// shared services do not keep each other alive.
struct EngineEndpoints: EndpointResolver {
    unowned let engine: RouteEngine

    func endpoint(for uri: EndpointURI) throws(ProcessingError) -> any Endpoint {
        try engine.endpoint(for: uri)
    }
}
