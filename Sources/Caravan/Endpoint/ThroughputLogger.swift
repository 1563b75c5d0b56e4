import Foundation
import Synchronization

/// `log:name?groupSize=N` or `?groupInterval=ms`: instead of each exchange, the rate of
/// exchanges, as Camel's `ThroughputLogger` writes it:
///
/// ```
/// Received: 1000 messages so far. Last group took: 412 millis which is: 2,427.184 messages per second. average: 2,427.184
/// Received: 120 new messages, with total 1120 so far. Last group took: 1000 millis which is: 120 messages per second. average: 1,050.3
/// ```
/// With `groupSize` a line every N exchanges; with `groupInterval` a line every interval
/// (after `groupDelay`), skipped when nothing came unless `groupActiveOnly=false`.
///
/// Unlike Camel, the intervals pause after one without exchanges and start again with the
/// next exchange: a tick loop that never ends would spin under a route test's virtual
/// clock, whose sleeps return at once. So `groupActiveOnly=false` logs one idle interval,
/// not one every interval while idle.
final class ThroughputLogger: Sendable {
    enum Mode: Sendable, Hashable {
        case size(Int)
        case interval(every: Duration, delay: Duration, activeOnly: Bool)
    }

    let mode: Mode
    private struct State {
        var received = 0
        var groupReceived = 0
        var started: ContinuousClock.Instant?
        var groupStarted: ContinuousClock.Instant?
        var ticking = false
    }
    private let state = Mutex(State())

    init(_ mode: Mode) { self.mode = mode }

    /// Counts one exchange: the line to log if it ends a group (`groupSize`), and whether
    /// the interval ticks must start (`groupInterval`, not ticking).
    func received(at now: ContinuousClock.Instant) -> (line: String?, startTicks: Bool) {
        state.withLock { s in
            if s.started == nil {
                s.started = now
                s.groupStarted = now
            }
            s.received += 1
            switch mode {
            case .interval:
                defer { s.ticking = true }
                return (nil, !s.ticking)
            case .size(let size):
                guard s.received % size == 0 else { return (nil, false) }
                let group = now - s.groupStarted!
                s.groupStarted = now
                return (
                    "Received: \(s.received) messages so far. Last group took: \(Self.millis(group)) millis which is: \(Self.rate(size, group)) messages per second. average: \(Self.rate(s.received, now - s.started!))",
                    false
                )
            }
        }
    }

    /// One interval's tick: its line (nil when nothing came and only active intervals are
    /// logged), and whether to go on ticking (false after an interval without exchanges).
    func tick(at now: ContinuousClock.Instant) -> (line: String?, goOn: Bool) {
        guard case .interval(_, _, let activeOnly) = mode else { return (nil, false) }
        return state.withLock { s in
            let current = s.received - s.groupReceived
            if current == 0 { s.ticking = false }
            if activeOnly && current == 0 { return (nil, false) }
            let started = s.started ?? now
            let group = now - (s.groupStarted ?? now)
            s.groupStarted = now
            s.groupReceived = s.received
            return (
                "Received: \(current) new messages, with total \(s.received) so far. Last group took: \(Self.millis(group)) millis which is: \(Self.rate(current, group)) messages per second. average: \(Self.rate(s.received, now - started))",
                current > 0
            )
        }
    }

    static func millis(_ d: Duration) -> Int64 {
        d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    /// Messages per second as Java's default `NumberFormat` writes it (grouping, at most
    /// three decimals): `2,427.184`; `Infinity` for a group that took no millisecond.
    static func rate(_ count: Int, _ duration: Duration) -> String {
        let ms = millis(duration)
        guard ms > 0 else { return count == 0 ? "NaN" : "∞" }
        let value = Double(count) * 1000 / Double(ms)
        let formatter = NumberFormatter()
        formatter.locale = Locale(identifier: "en_US")
        formatter.numberStyle = .decimal
        formatter.maximumFractionDigits = 3
        return formatter.string(from: NSNumber(value: value)) ?? "\(value)"
    }
}
