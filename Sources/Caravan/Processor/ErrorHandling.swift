/// A route's failure handling, resolved and compiled once: its error handler and the
/// `onException` clauses that apply to it, in Camel's order of precedence.
struct ErrorHandling: Sendable {
    enum Handler: Sendable {
        case defaultErrorHandler
        case deadLetterChannel(uri: EndpointURI, producer: any Producer)
        case noErrorHandler
    }

    struct OnException: Sendable {
        var kinds: [ErrorKind]
        var onWhen: CompiledExpression?
        var handled: CompiledExpression?
        var continued: CompiledExpression?
        var policy: RedeliveryPolicy
        var useOriginalMessage: Bool
        var steps: Pipeline
    }

    var handler: Handler
    var policy: RedeliveryPolicy
    var useOriginalMessage: Bool
    /// In order of precedence: the route's configurations, the global ones, the top-level ones.
    var onExceptions: [OnException]

    /// Camel's default error handler with no redelivery and no `onException`: nothing a
    /// per-step channel could do, so routes skip the channels (they are on the hot path)
    /// and only mark failures as exhausted at the route's entry.
    var isTrivial: Bool {
        if case .defaultErrorHandler = handler {
            return onExceptions.isEmpty && policy.maximumRedeliveries == 0
        }
        return false
    }

    /// The `onException` for a failure: the closest exception class wins, ties go to the
    /// first; `onWhen` must hold (Camel's rules).
    func onException(for error: ProcessingError, _ exchange: Exchange, _ context: ProcessContext)
        throws(ProcessingError) -> OnException?
    {
        var best: (distance: Int, clause: OnException)?
        for clause in onExceptions {
            guard let d = clause.kinds.compactMap({ error.kind.distance(to: $0) }).min() else {
                continue
            }
            if let best, best.distance <= d { continue }
            if let onWhen = clause.onWhen {
                var probe = exchange
                probe.error = ExchangeError(kind: error.kind.name, message: error.message)
                guard try context.matches(onWhen, probe) else { continue }
            }
            best = (d, clause)
        }
        return best?.clause
    }
}

/// The error handling a route gets when none is configured anywhere: Camel's default
/// error handler with no redelivery. (The durable server applies Caravan's own default.)
extension ErrorHandlerDefinition {
    /// Caravan's default for durable routes that configure no error handler: redeliver
    /// with exponential back-off (1 s, 2 s, 4 s ... capped at 5 min, ±15 % jitter) five
    /// times, then the store keeps the message as a dead letter. See docs/store.md.
    public static let caravanDefault: ErrorHandlerDefinition = {
        var policy = RedeliveryPolicy()
        policy.maximumRedeliveries = 5
        policy.redeliveryDelay = 1000
        policy.useExponentialBackOff = true
        policy.backOffMultiplier = 2
        policy.maximumRedeliveryDelay = 300_000
        policy.useCollisionAvoidance = true
        policy.retryAttemptedLogLevel = .WARN
        return ErrorHandlerDefinition(
            kind: .defaultErrorHandler, redeliveryPolicy: policy,
            location: SourceLocation(file: "(caravan default)", line: 0, column: 0))
    }()

    public static let camelDefault = ErrorHandlerDefinition(
        kind: .defaultErrorHandler, location: SourceLocation(file: "(default)", line: 0, column: 0))
}

extension RouteSet {
    /// The error handler for `route`: its own, then its named configurations', then the
    /// global configurations', then the top-level one, then `fallback`.
    public func errorHandler(for route: RouteDefinition, fallback: ErrorHandlerDefinition)
        -> ErrorHandlerDefinition
    {
        if let own = route.errorHandler { return own }
        for c in configurations(for: route) where c.errorHandler != nil { return c.errorHandler! }
        return errorHandler ?? fallback
    }

    /// The `onException` clauses for `route`, in order of precedence.
    public func onExceptions(for route: RouteDefinition) -> [OnExceptionDefinition] {
        configurations(for: route).flatMap(\.onExceptions) + onExceptions
    }

    /// The configurations a route uses: those it names (wildcards allowed), in the order
    /// it names them, then the global ones (without an id).
    public func configurations(for route: RouteDefinition) -> [RouteConfigurationDefinition] {
        var result: [RouteConfigurationDefinition] = []
        for wanted in route.routeConfigurationIds {
            let pattern = NamePattern(wanted, ignoreCase: false)
            for c in configurations where c.id.map(pattern.matches) == true && !result.contains(c) {
                result.append(c)
            }
        }
        return result + configurations.filter { $0.id == nil }
    }
}
