import Synchronization

@testable import Caravan

/// Records log lines.
final class RecordingLog: LogSink {
    let lines = Mutex<[(LogLevel, String, String)]>([])
    func log(level: LogLevel, logger: String, message: String) {
        lines.withLock { $0.append((level, logger, message)) }
    }
    var messages: [String] { lines.withLock { $0.map(\.2) } }
}

/// A clock that moves only when something sleeps, so time-based steps run instantly and
/// deterministically.
final class ManualClock: Sendable {
    let base = ContinuousClock.now
    let elapsed = Mutex<Duration>(.zero)
    let sleeps = Mutex<[Duration]>([])

    var now: ContinuousClock.Instant { base + elapsed.withLock { $0 } }

    func sleep(_ d: Duration) {
        sleeps.withLock { $0.append(d) }
        elapsed.withLock { $0 += d }
    }
}

struct TestRoutes {
    let engine: RouteEngine
    let log: RecordingLog
    let clock: ManualClock

    init(_ yaml: String, properties: [String: String] = [:]) async throws {
        let loaded = RouteLoader(placeholders: PlaceholderResolver(properties: properties)).load([
            RouteFile(path: "test.yaml", text: yaml)
        ])
        if !loaded.errors.isEmpty { throw LoadFailure(loaded.errors) }
        let log = RecordingLog()
        let clock = ManualClock()
        let settings = ProcessContext.Settings(
            log: log, simple: SimpleContext(now: { 1_700_000_000 }, timeZoneIdentifier: "UTC"),
            sleep: { clock.sleep($0) }, now: { clock.now })
        engine = try RouteEngine(routes: loaded.routes, settings: settings)
        try await engine.start()
        self.log = log
        self.clock = clock
    }

    /// Runs the first route (or `route`) with a body and headers.
    func run(
        _ body: String, contentType: MediaType? = .json, headers: [(String, Document)] = [],
        route: String? = nil
    ) async -> RouteEngine.Outcome {
        let message = Message(
            headers: Headers(headers), body: Body(bytes: Array(body.utf8), contentType: contentType)
        )
        return await engine.run(route ?? engine.routeIds.first!, Exchange(message: message))
    }

    func bodies(_ mock: String) -> [String] { engine.mock(mock).received.map(\.body.text) }
}
