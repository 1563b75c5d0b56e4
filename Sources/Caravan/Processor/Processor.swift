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
/// context, background work (wire taps) and the redelivery seam — shared by reference, so
/// passing the context down the steps copies only the few values that change (the path).
public struct ProcessContext: Sendable {
    /// The parts that stay the same for every step of every exchange.
    public final class Services: Sendable {
        public let endpoints: any EndpointResolver
        public let log: any LogSink
        public let simple: SimpleContext
        /// Waits (for `delay`, `throttle`, redelivery); tests pass one that does not sleep.
        public let sleep: @Sendable (Duration) async throws -> Void
        /// The time for `throttle` and `circuitBreaker`; tests pass a clock that moves
        /// only when they sleep.
        public let now: @Sendable () -> ContinuousClock.Instant
        public let background: BackgroundWork
        /// What happens between a failure and its redelivery.
        public let redelivery: any RedeliverySeam

        public init(
            endpoints: any EndpointResolver, log: any LogSink, simple: SimpleContext,
            sleep: @escaping @Sendable (Duration) async throws -> Void,
            now: @escaping @Sendable () -> ContinuousClock.Instant,
            background: BackgroundWork, redelivery: any RedeliverySeam
        ) {
            self.endpoints = endpoints
            self.log = log
            self.simple = simple
            self.sleep = sleep
            self.now = now
            self.background = background
            self.redelivery = redelivery
        }
    }

    public let services: Services
    /// Where the running step is in its route (grows as processors descend).
    public var path = StepPath()
    /// The forks (split parts, multicast branches, loop iterations) the running step is
    /// inside, outermost first: what a ``FailurePoint`` needs to resume there.
    public var frames: [ResumeFrame] = []
    /// Where the exchange entered: one shared box per run, so copying the context down
    /// the steps does not copy the message.
    public var origin: Origin?

    /// The route the exchange entered first (a failure point is resumed from there).
    public var entryRouteId: String? { origin?.routeId }
    /// The message as it entered the route (`useOriginalMessage`).
    public var originalMessage: Message? { origin?.message }

    /// The route, exchange id and message an exchange entered with.
    public final class Origin: Sendable {
        public let routeId: String
        /// The id the exchange entered with (a stored message's id), kept across split
        /// parts and redeliveries: what delivery keys are made of.
        public let exchangeId: String
        public let message: Message

        public init(routeId: String, exchangeId: String, message: Message) {
            self.routeId = routeId
            self.exchangeId = exchangeId
            self.message = message
        }
    }

    /// A key that names this delivery — the entering exchange's id and the step's
    /// position — the same on every redelivery and after a restart, so receivers (and
    /// the journal, for `seda:`) can drop repeats. Sent as `Idempotency-Key`.
    public var deliveryKey: String {
        "\(origin?.exchangeId ?? "-")/\(path.key)"
    }

    public init(services: Services) { self.services = services }

    public var endpoints: any EndpointResolver { services.endpoints }
    public var log: any LogSink { services.log }
    public var simple: SimpleContext { services.simple }
    public var sleep: @Sendable (Duration) async throws -> Void { services.sleep }
    public var now: @Sendable () -> ContinuousClock.Instant { services.now }
    public var background: BackgroundWork { services.background }
    public var redelivery: any RedeliverySeam { services.redelivery }

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
    /// Set (to its URI) when a dead letter channel took the exchange.
    public static let deadLetterChannel = "CaravanDeadLetterChannel"
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
        e.pattern = pattern
        return e
    }
}
