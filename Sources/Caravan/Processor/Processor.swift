/// A step compiled once from its definition and run for every exchange (the EIP
/// Processor). Expressions are already parsed and endpoints already resolved.
public protocol Processor: Sendable {
    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)

    /// Continues a failed exchange at `path` (relative to this processor): processors with
    /// nested steps descend into the branch the path names and then finish normally;
    /// a leaf (an empty path) simply runs again. See ``FailurePoint``.
    func resume(
        _ exchange: inout Exchange, at path: ArraySlice<StepPath.Element>, _ resumption: Resumption,
        _ context: ProcessContext
    ) async throws(ProcessingError)
}

extension Processor {
    public func resume(
        _ exchange: inout Exchange, at path: ArraySlice<StepPath.Element>, _ resumption: Resumption,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        try await process(&exchange, context)
    }
}

/// What processors reach outside the exchange: endpoints, the log, time, Simple's
/// context, and background work (wire taps).
public struct ProcessContext: Sendable {
    public var endpoints: any EndpointResolver
    public var log: any LogSink
    public var simple: SimpleContext
    /// Waits (for `delay` and `throttle`); tests pass one that does not sleep.
    public var sleep: @Sendable (Duration) async throws -> Void
    /// The time for `throttle`; tests pass a clock that moves only when they sleep.
    public var now: @Sendable () -> ContinuousClock.Instant
    public var background: BackgroundWork
    /// Where the running step is in its route (grows as processors descend).
    public var path = StepPath()
    /// The forks (split parts, multicast branches, loop iterations) the running step is
    /// inside, outermost first: what a ``FailurePoint`` needs to resume there.
    public var frames: [ResumeFrame] = []
    /// The route the exchange entered first (a failure point is resumed from there).
    public var entryRouteId: String?
    /// The message as it entered the route (`useOriginalMessage`).
    public var originalMessage: Message?
    /// What happens between a failure and its redelivery.
    public var redelivery: any RedeliverySeam = InMemoryRedelivery()

    public init(
        endpoints: any EndpointResolver, log: any LogSink = NullLogSink(),
        simple: SimpleContext = SimpleContext(),
        sleep: @escaping @Sendable (Duration) async throws -> Void = {
            try await Task.sleep(for: $0)
        },
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        background: BackgroundWork = BackgroundWork()
    ) {
        self.endpoints = endpoints
        self.log = log
        self.simple = simple
        self.sleep = sleep
        self.now = now
        self.background = background
    }

    /// Evaluates a compiled expression, turning its failure into a processing error.
    func evaluate(_ expression: CompiledExpression, _ exchange: Exchange) throws(ProcessingError)
        -> Document
    {
        do { return try expression.evaluate(exchange, context: simple) } catch {
            throw ProcessingError.evaluation(error)
        }
    }

    func matches(_ expression: CompiledExpression, _ exchange: Exchange) throws(ProcessingError)
        -> Bool
    {
        do { return try expression.matches(exchange, context: simple) } catch {
            throw ProcessingError.evaluation(error)
        }
    }
}

/// Exchange property names Camel defines and Caravan keeps.
public enum ExchangeProperty {
    public static let routeStop = "CamelRouteStop"
    public static let splitIndex = "CamelSplitIndex"
    public static let splitSize = "CamelSplitSize"
    public static let splitComplete = "CamelSplitComplete"
    public static let loopIndex = "CamelLoopIndex"
    public static let loopSize = "CamelLoopSize"
    public static let multicastIndex = "CamelMulticastIndex"
    public static let toEndpoint = "CamelToEndpoint"
    public static let exceptionCaught = "CamelExceptionCaught"
}

extension Exchange {
    /// Whether a `stop` step ended this exchange's routing.
    public var isStopped: Bool {
        get { properties[ExchangeProperty.routeStop] == .bool(true) }
        set { properties[ExchangeProperty.routeStop] = newValue ? .bool(true) : nil }
    }

    /// A copy for a split part, multicast branch or wire tap: same headers and properties,
    /// a new id.
    func copy(body: Body? = nil) -> Exchange {
        var e = Exchange(message: message, properties: properties, routeId: routeId)
        if let body { e.message.body = body }
        e.error = error
        return e
    }
}
