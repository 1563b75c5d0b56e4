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
}
