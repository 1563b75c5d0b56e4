import Synchronization

/// `circuitBreaker`: runs its steps while they mostly succeed; once the failure rate
/// crosses the threshold the circuit opens and the `onFallback` steps run instead, until a
/// trial period shows the steps work again (resilience4j's count-based breaker).
///
/// ```yaml
/// - circuitBreaker:
///     resilience4jConfiguration: {failureRateThreshold: 50, minimumNumberOfCalls: 10, waitDurationInOpenState: 30}
///     steps: [{to: "http://inventory/check"}]
///     onFallback:
///       steps: [{setBody: {constant: "inventory unknown"}}]
/// ```
/// The properties `CamelResponseSuccessfulExecution`, `CamelResponseFromFallback` and
/// `CamelResponseShortCircuited` say what happened. Without a fallback, failures (and
/// calls while open) fail the exchange.
struct CircuitBreakerProcessor: Processor {
    let steps: Pipeline
    let fallback: Pipeline?
    let state: CircuitBreakerBox

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let permitted = state.machine.withLock { $0.permit(now: context.now()) }
        guard permitted else {
            exchange.properties["CamelResponseShortCircuited"] = .bool(true)
            try await runFallback(
                &exchange, context,
                ProcessingError(
                    ErrorKind("io.github.resilience4j.circuitbreaker.CallNotPermittedException"),
                    "the circuit breaker is open"))
            return
        }
        let start = exchange
        do {
            try await steps.process(&exchange, context)
            state.machine.withLock { $0.record(success: true, now: context.now()) }
            exchange.properties["CamelResponseSuccessfulExecution"] = .bool(true)
        } catch {
            if error.isSuspension { throw error }
            state.machine.withLock { $0.record(success: false, now: context.now()) }
            exchange = start
            exchange.properties["CamelResponseSuccessfulExecution"] = .bool(false)
            try await runFallback(&exchange, context, error)
        }
    }

    func runFallback(
        _ exchange: inout Exchange, _ context: ProcessContext, _ error: ProcessingError
    ) async throws(ProcessingError) {
        guard let fallback else { throw error }
        exchange.error = ExchangeError(kind: error.kind.name, message: error.message)
        exchange.properties["CamelResponseFromFallback"] = .bool(true)
        try await fallback.process(&exchange, context)
        exchange.error = nil
    }
}

/// Shares one breaker's state between the exchanges passing through it.
final class CircuitBreakerBox: Sendable {
    let machine: Mutex<CircuitBreakerState>

    init(_ configuration: CircuitBreakerConfiguration) {
        machine = Mutex(CircuitBreakerState(configuration))
    }
}

/// The breaker as a state machine without I/O: the caller passes the time in.
struct CircuitBreakerState: Sendable {
    enum Phase: Equatable, Sendable {
        case closed
        case open(since: ContinuousClock.Instant)
        case halfOpen(permitted: Int)
    }

    let configuration: CircuitBreakerConfiguration
    private(set) var phase = Phase.closed
    /// The outcomes of the last calls (true = success), oldest first.
    private var window: [Bool] = []

    init(_ configuration: CircuitBreakerConfiguration) { self.configuration = configuration }

    /// Whether a call may go through now.
    mutating func permit(now: ContinuousClock.Instant) -> Bool {
        switch phase {
        case .closed: return true
        case .open(let since):
            guard now - since >= .seconds(configuration.waitDurationInOpenState) else {
                return false
            }
            phase = .halfOpen(permitted: 1)
            window = []
            return true
        case .halfOpen(let permitted):
            guard permitted < configuration.permittedNumberOfCallsInHalfOpenState else {
                return false
            }
            phase = .halfOpen(permitted: permitted + 1)
            return true
        }
    }

    mutating func record(success: Bool, now: ContinuousClock.Instant) {
        window.append(success)
        switch phase {
        case .closed:
            if window.count > configuration.slidingWindowSize {
                window.removeFirst(window.count - configuration.slidingWindowSize)
            }
            if window.count >= configuration.minimumNumberOfCalls,
                failureRate >= configuration.failureRateThreshold
            {
                phase = .open(since: now)
            }
        case .halfOpen:
            guard window.count >= configuration.permittedNumberOfCallsInHalfOpenState else {
                return
            }
            if failureRate >= configuration.failureRateThreshold {
                phase = .open(since: now)
            } else {
                phase = .closed
            }
            window = []
        case .open:
            break
        }
    }

    var failureRate: Double {
        guard !window.isEmpty else { return 0 }
        return Double(window.filter { !$0 }.count) * 100 / Double(window.count)
    }
}
