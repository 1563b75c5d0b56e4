import Foundation
import Synchronization

/// The token buckets of one rate limit policy, one per principal or client address.
final class RateLimiter: Sendable {
    let policy: RateLimitPolicy
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }
    private let buckets = Mutex<[String: Bucket]>([:])
    /// At this many keys the full (idle) buckets are forgotten, and when that is not
    /// enough (a flood of new addresses, each of which spent a token), the half used least
    /// recently: the table stays bounded, and each clean-up is paid for by the
    /// `maxKeys / 2` new keys before the next — not a scan of the table per request.
    let maxKeys: Int

    init(_ policy: RateLimitPolicy, maxKeys: Int = 100_000) {
        self.policy = policy
        self.maxKeys = max(2, maxKeys)
    }

    /// How many keys have a bucket now.
    var keyCount: Int { buckets.withLock { $0.count } }

    /// The verdict for one request of `key`.
    struct Decision: Sendable {
        var allowed: Bool
        /// Requests left now.
        var remaining: Int
        /// Seconds until the next request is allowed (0 when one is).
        var retryAfter: Int

        /// The `RateLimit-Policy` and `RateLimit` fields (IETF httpapi draft).
        func fields(_ policy: RateLimitPolicy) -> [(String, String)] {
            [
                ("RateLimit-Policy", "\"\(policy.name)\";q=\(policy.limit);w=\(policy.window)"),
                ("RateLimit", "\"\(policy.name)\";r=\(remaining);t=\(retryAfter)"),
            ]
        }
    }

    func take(_ key: String, now: ContinuousClock.Instant = .now) -> Decision {
        let rate = policy.rate
        let capacity = Double(policy.burst)
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed =
                Double((now - bucket.updated).components.seconds)
                + Double((now - bucket.updated).components.attoseconds) / 1e18
            bucket.tokens = min(capacity, bucket.tokens + max(0, elapsed) * rate)
            bucket.updated = now
            let decision: Decision
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                decision = Decision(
                    allowed: true, remaining: Int(bucket.tokens.rounded(.down)), retryAfter: 0)
            } else {
                decision = Decision(
                    allowed: false, remaining: 0,
                    retryAfter: max(1, Int(((1 - bucket.tokens) / rate).rounded(.up))))
            }
            if buckets[key] == nil, buckets.count >= maxKeys {
                buckets = buckets.filter { entry in
                    let idle = now - entry.value.updated
                    let refill =
                        Double(idle.components.seconds) + Double(idle.components.attoseconds) / 1e18
                    return entry.value.tokens + refill * rate < capacity
                }
                if buckets.count >= maxKeys / 2 {
                    let cutoff = buckets.values.map(\.updated).sorted()[buckets.count / 2]
                    buckets = buckets.filter { $0.value.updated > cutoff }
                }
            }
            buckets[key] = bucket
            return decision
        }
    }
}
