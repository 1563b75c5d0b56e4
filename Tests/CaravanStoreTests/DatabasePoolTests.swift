import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

@testable import CaravanStore

/// The node's pool is replaced when it is stuck while the server takes connections, and
/// only then.
@Suite struct DatabasePoolTests {
    /// Quick checks, so that each test sees several within a second.
    var timing: DatabasePool.Timing {
        var t = DatabasePool.Timing()
        t.checkInterval = .milliseconds(20)
        t.checkTimeout = .milliseconds(300)
        t.retireAfter = .milliseconds(100)
        return t
    }

    /// A client whose pool never gets a connection: nothing listens on port 1. Its pool
    /// backs off between attempts as it does after an outage.
    func unreachableClient() -> PostgresClient {
        PostgresClient(
            configuration: .init(
                host: "127.0.0.1", port: 1, username: "caravan", password: nil, database: nil,
                tls: .disable),
            backgroundLogger: TestDatabase.logger)
    }

    /// Makes pools for `makeClient`: the first one is stuck, those after it reach the
    /// server.
    func stuckThenWorking(_ configuration: PostgresClient.Configuration)
        -> @Sendable () -> PostgresClient
    {
        let made = Mutex(0)
        return {
            let first = made.withLock { n in
                defer { n += 1 }
                return n == 0
            }
            return first
                ? unreachableClient()
                : PostgresClient(
                    configuration: configuration, backgroundLogger: TestDatabase.logger)
        }
    }

    /// Runs `pool` while `body` runs.
    func running(_ pool: DatabasePool, _ body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await pool.run() }
            defer { group.cancelAll() }
            try await body()
        }
    }

    /// Waits (polling, up to 30 s) until `condition` holds; false if it never did. Long:
    /// the suite starts hundreds of tests at once on two cores, and a pool's checks have
    /// been seen to wait more than 10 s for a thread then.
    func eventually(_ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    func answers(_ client: PostgresClient) async -> Bool {
        (try? await client.answersSelectOne(logger: TestDatabase.logger)) ?? false
    }

    @Test func aPoolThatGetsNoConnectionWhileTheServerTakesThemIsReplacedByOneThatWorks()
        async throws
    {
        let configuration = try await TestDatabase.configuration.value
        let pool = DatabasePool(
            makeClient: stuckThenWorking(configuration),
            probe: { nil }, timing: timing, logger: TestDatabase.logger)
        let stuck = pool.client
        try await running(pool) {
            #expect(await eventually { pool.replacements > 0 })
            #expect(pool.client !== stuck)
            #expect(await answers(pool.client))
            // The new pool answers its checks: it stays.
            let checks = pool.checkCount
            #expect(await eventually { pool.checkCount >= checks + 5 })
            #expect(pool.replacements == 1)
        }
    }

    @Test func aPoolThatAnswersIsKept() async throws {
        let configuration = try await TestDatabase.configuration.value
        // A deadline a loaded machine meets: a late answer is no answer.
        var timing = timing
        timing.checkTimeout = .seconds(5)
        let pool = DatabasePool(
            makeClient: {
                PostgresClient(configuration: configuration, backgroundLogger: TestDatabase.logger)
            },
            probe: { nil }, timing: timing, logger: TestDatabase.logger)
        let first = pool.client
        try await running(pool) {
            #expect(await eventually { pool.checkCount >= 10 })
            #expect(pool.replacements == 0)
            #expect(pool.client === first)
        }
    }

    @Test func aPoolIsKeptWhileTheServerItselfTakesNoConnections() async throws {
        // The pool reconnects on its own once the server is back; a new one would not help.
        let pool = DatabasePool(
            makeClient: { unreachableClient() }, probe: { "nothing listens" }, timing: timing,
            logger: TestDatabase.logger)
        try await running(pool) {
            #expect(await eventually { pool.checkCount >= 3 })
            #expect(pool.replacements == 0)
            // Known to be away: appends fail at once instead of at their deadline.
            #expect(pool.knownOutage == "nothing listens")
        }
    }

    @Test func anOutageLastsUntilTheServerTakesConnectionsAgain() async throws {
        let configuration = try await TestDatabase.configuration.value
        let down = Mutex(true)
        let pool = DatabasePool(
            makeClient: stuckThenWorking(configuration),
            probe: { down.withLock { $0 } ? "down" : nil }, timing: timing,
            logger: TestDatabase.logger)
        try await running(pool) {
            #expect(await eventually { pool.knownOutage == "down" })
            down.withLock { $0 = false }
            #expect(await eventually { pool.knownOutage == nil && pool.replacements == 1 })
            #expect(await answers(pool.client))
        }
    }
}
