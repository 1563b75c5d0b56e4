import Logging
import Testing

@testable import CaravanAdapters

/// Rate limit policies as written, and their token buckets on a clock the test moves.
@Suite struct RateLimiterTests {
    @Test func policiesReadAsWrittenAndRefuseWhatCannotBeRead() throws {
        let p = try RateLimitPolicy(name: "default", "100/s,burst=200,key=address")
        #expect(p.rate == 100 && p.burst == 200 && p.key == .address && p.window == 1)
        let m = try RateLimitPolicy(name: "slow", "30/m")
        #expect(m.rate == 0.5 && m.burst == 30 && m.key == .principal && m.window == 60)
        for bad in ["", "100", "0/s", "10/y", "10/s,burst=0", "10/s,key=user", "10/s,speed=1"] {
            #expect(throws: SecurityError.self, "\(bad)") {
                try RateLimitPolicy(name: "x", bad)
            }
        }
    }

    @Test func aBucketAllowsItsBurstThenOneRequestPerTokenRefilled() throws {
        let limiter = RateLimiter(try RateLimitPolicy(name: "p", "2/s,burst=3"))
        let start = ContinuousClock.now
        let first = (0..<3).map { _ in limiter.take("k", now: start) }
        #expect(first.map(\.allowed) == [true, true, true])
        #expect(first.map(\.remaining) == [2, 1, 0])
        let refused = limiter.take("k", now: start)
        #expect(!refused.allowed && refused.retryAfter == 1)
        #expect(
            refused.fields(limiter.policy).map(\.1) == [#""p";q=2;w=1"#, #""p";r=0;t=1"#])
        // Another key has its own bucket.
        #expect(limiter.take("other", now: start).allowed)
        // Half a second later one token is back.
        #expect(limiter.take("k", now: start + .milliseconds(500)).allowed)
        #expect(!limiter.take("k", now: start + .milliseconds(500)).allowed)
    }

    /// A flood of new addresses that each spend a token (a slow policy, so no bucket is
    /// full again) grew the table past its bound, and every new key then scanned it.
    @Test func aFloodOfNewAddressesKeepsTheTableBounded() throws {
        let limiter = RateLimiter(try RateLimitPolicy(name: "p", "1/m,burst=5"), maxKeys: 1000)
        let start = ContinuousClock.now
        var largest = 0
        for i in 0..<20_000 {
            _ = limiter.take("a:\(i)", now: start + .milliseconds(i))
            largest = max(largest, limiter.keyCount)
        }
        #expect(largest <= 1000)
        // The most recent clients keep their buckets.
        let recent = limiter.take("a:19999", now: start + .seconds(20))
        #expect(recent.allowed && recent.remaining == 3, "a fresh bucket would have 4 left")
    }

    @Test func anIPv6ClientIsLimitedByItsSlash64() throws {
        let guardrail = IngestGuard(
            security: HTTPSecurity(), ledger: nil, logger: Logger(label: "t"))
        let a: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 1]
        let b: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1] + [9, 9, 9, 9, 9, 9, 9, 9]
        let c: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 2] + [0, 0, 0, 0, 0, 0, 0, 1]
        #expect(guardrail.addressKey(a) == guardrail.addressKey(b))
        #expect(guardrail.addressKey(a) != guardrail.addressKey(c))
        #expect(guardrail.addressKey([10, 0, 0, 1]) != guardrail.addressKey([10, 0, 0, 2]))
    }
}
