import Foundation

/// A named rate limit (`caravan.rateLimit.policies.NAME=100/s,burst=200,key=principal`):
/// a token bucket per principal or per client address, per node.
public struct RateLimitPolicy: Sendable, Equatable {
    public enum Key: String, Sendable { case principal, address }

    public let name: String
    /// Requests per second, sustained.
    public let rate: Double
    /// How many may come at once after a quiet spell (the bucket's size).
    public let burst: Int
    public let key: Key
    /// The limit as written, for the `RateLimit-Policy` field.
    public let window: Int
    public let limit: Int

    /// Reads `100/s,burst=200,key=address` (`/s`, `/m`, `/h`; burst defaults to the
    /// limit, key to principal).
    public init(name: String, _ text: String) throws(SecurityError) {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let fix =
            "write it as 100/s (or /m, /h), optionally with ,burst=N and ,key=principal|address"
        guard let first = parts.first else { throw SecurityError("no limit", hint: fix) }
        let rate = first.split(separator: "/")
        guard rate.count == 2, let count = Int(rate[0]), count > 0 else {
            throw SecurityError("'\(first)' is not a limit", hint: fix)
        }
        let seconds: Int
        switch rate[1] {
        case "s", "sec", "second": seconds = 1
        case "m", "min", "minute": seconds = 60
        case "h", "hour": seconds = 3600
        default: throw SecurityError("'\(rate[1])' is not a unit of time", hint: fix)
        }
        var burst = count
        var key = Key.principal
        for option in parts.dropFirst() {
            let pair = option.split(separator: "=", maxSplits: 1).map(String.init)
            switch (pair.first, pair.count) {
            case ("burst", 2):
                guard let b = Int(pair[1]), b > 0 else {
                    throw SecurityError("burst=\(pair[1]) is not a whole number above 0", hint: fix)
                }
                burst = b
            case ("key", 2):
                guard let k = Key(rawValue: pair[1]) else {
                    throw SecurityError("key=\(pair[1]) is not principal or address", hint: fix)
                }
                key = k
            default: throw SecurityError("unknown option '\(option)'", hint: fix)
            }
        }
        self.name = name
        self.rate = Double(count) / Double(seconds)
        self.burst = burst
        self.key = key
        self.window = seconds
        self.limit = count
    }
}
