import Synchronization

/// `throttle`: lets at most N exchanges through per `timePeriodMillis` (default one
/// second); the rest wait their turn (the EIP Throttler, Camel 3's time-period mode).
///
/// ```yaml
/// - throttle:
///     constant: 10
///     timePeriodMillis: 1000
/// ```
struct ThrottleProcessor: Processor {
    let maximum: CompiledExpression
    let period: Duration
    let window = ThrottleWindow()

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let value = try context.evaluate(maximum, exchange)
        guard let n = SimpleCoercion.numberText(value)?.intValue, n > 0 else {
            throw ProcessingError(
                .illegalArgument,
                "throttle needs a positive number of requests, not '\(SimpleCoercion.text(value))'")
        }
        while true {
            let wait = window.admit(limit: n, period: period, now: context.now())
            guard let wait else { return }
            do { try await context.sleep(wait) } catch {
                throw ProcessingError(
                    ErrorKind("java.lang.InterruptedException"), "the throttle wait was interrupted"
                )
            }
        }
    }
}

/// The sliding window of recent admissions: a pure state machine (time is passed in).
final class ThrottleWindow: Sendable {
    private let admitted = Mutex<[ContinuousClock.Instant]>([])

    /// Admits one exchange at `now` (returning `nil`) or says how long to wait.
    func admit(limit: Int, period: Duration, now: ContinuousClock.Instant) -> Duration? {
        admitted.withLock { times in
            times.removeAll { now - $0 >= period }
            if times.count < limit {
                times.append(now)
                return nil
            }
            return period - (now - times[0])
        }
    }
}
