import Synchronization

/// Time that passes only when something waits: route tests run redelivery back-offs,
/// delays and throttles instantly, in the same order they would happen for real.
public final class VirtualClock: Sendable {
    private let base = ContinuousClock.now
    private let elapsed = Mutex<Duration>(.zero)

    public init() {}

    public var now: ContinuousClock.Instant { base + elapsed.withLock { $0 } }

    /// Advances the clock by `duration` instead of waiting.
    public func sleep(_ duration: Duration) { elapsed.withLock { $0 += duration } }

    /// How much virtual time has passed.
    public var total: Duration { elapsed.withLock { $0 } }
}
