/// Camel's redelivery policy, computed exactly as Camel computes it.
///
/// ```yaml
/// redeliveryPolicy:
///   maximumRedeliveries: 5
///   redeliveryDelay: 1000
///   useExponentialBackOff: true
///   backOffMultiplier: 2
///   maximumRedeliveryDelay: 60000
///   useCollisionAvoidance: true     # ±15 % jitter
///   delayPattern: "0:1000;3:5000"   # counter ≥ 0 → 1 s, ≥ 3 → 5 s (wins over the rest)
/// ```
public struct RedeliveryPolicy: Sendable, Hashable, Codable {
    /// How many times to redeliver after the first failure; -1 forever, 0 never.
    public var maximumRedeliveries = 0
    /// The first delay, in milliseconds.
    public var redeliveryDelay = 1000
    public var backOffMultiplier = 2.0
    public var useExponentialBackOff = false
    /// The cap on any delay, in milliseconds (0 = none).
    public var maximumRedeliveryDelay = 60000
    public var useCollisionAvoidance = false
    public var collisionAvoidanceFactor = 0.15
    /// `count:delay;count:delay...`: the delay of the last group whose count is at most the
    /// redelivery counter.
    public var delayPattern: String?
    public var retryAttemptedLogLevel = LogLevel.DEBUG
    public var retriesExhaustedLogLevel = LogLevel.ERROR

    public init() {}

    /// Whether attempt number `counter` (1 = the first redelivery) may happen.
    public func allowsRedelivery(_ counter: Int) -> Bool {
        maximumRedeliveries < 0 || counter <= maximumRedeliveries
    }

    /// The delay before redelivery `counter`, in milliseconds, given the previous delay
    /// (0 before the first). `random` supplies Camel's two random draws for collision
    /// avoidance: a sign and a fraction in 0..<1.
    public func delay(
        previous: Int, counter: Int, random: (sign: Bool, fraction: Double) = (true, 0)
    ) -> Int {
        if let delayPattern, !delayPattern.isEmpty {
            return RedeliveryPolicy.delay(pattern: delayPattern, counter: counter)
        }
        var result: Int
        if previous == 0 {
            result = redeliveryDelay
        } else if useExponentialBackOff && backOffMultiplier > 1 {
            result = Int((backOffMultiplier * Double(previous)).rounded())
        } else {
            result = previous
        }
        if useCollisionAvoidance {
            let variance =
                (random.sign ? collisionAvoidanceFactor : -collisionAvoidanceFactor)
                * random.fraction
            result += Int(Double(result) * variance)
        }
        if maximumRedeliveryDelay > 0, result > maximumRedeliveryDelay {
            result = maximumRedeliveryDelay
        }
        return result
    }

    static func delay(pattern: String, counter: Int) -> Int {
        var answer = 0
        for group in pattern.split(separator: ";") {
            let parts = group.split(separator: ":")
            guard parts.count == 2, let count = Int(parts[0].trimmingXMLWhitespace()),
                let delay = Int(parts[1].trimmingXMLWhitespace())
            else { continue }
            if count > counter { break }
            answer = delay
        }
        return answer
    }

    /// Checks a delay pattern's syntax.
    static func validPattern(_ pattern: String) -> Bool {
        var last = -1
        for group in pattern.split(separator: ";") {
            let parts = group.split(separator: ":")
            guard parts.count == 2, let count = Int(parts[0].trimmingXMLWhitespace()),
                Int(parts[1].trimmingXMLWhitespace()) != nil, count > last
            else { return false }
            last = count
        }
        return last >= 0
    }

    /// Options an `onException` sets on top of the error handler's policy.
    public struct Overrides: Sendable, Hashable, Codable {
        public var maximumRedeliveries: Int?
        public var redeliveryDelay: Int?
        public var backOffMultiplier: Double?
        public var useExponentialBackOff: Bool?
        public var maximumRedeliveryDelay: Int?
        public var useCollisionAvoidance: Bool?
        public var collisionAvoidanceFactor: Double?
        public var delayPattern: String?
        public var retryAttemptedLogLevel: LogLevel?
        public var retriesExhaustedLogLevel: LogLevel?

        public init() {}

        public func applied(to base: RedeliveryPolicy) -> RedeliveryPolicy {
            var p = base
            if let v = maximumRedeliveries { p.maximumRedeliveries = v }
            if let v = redeliveryDelay { p.redeliveryDelay = v }
            if let v = backOffMultiplier { p.backOffMultiplier = v }
            if let v = useExponentialBackOff { p.useExponentialBackOff = v }
            if let v = maximumRedeliveryDelay { p.maximumRedeliveryDelay = v }
            if let v = useCollisionAvoidance { p.useCollisionAvoidance = v }
            if let v = collisionAvoidanceFactor { p.collisionAvoidanceFactor = v }
            if let v = delayPattern { p.delayPattern = v }
            if let v = retryAttemptedLogLevel { p.retryAttemptedLogLevel = v }
            if let v = retriesExhaustedLogLevel { p.retriesExhaustedLogLevel = v }
            return p
        }
    }
}
