import Foundation
import Logging
import NIOPosix
import PostgresNIO
import Synchronization
import Testing

@testable import CaravanStore

/// Statements that never answer: the store stops waiting for them.
@Suite struct StatementGuardTests {
    /// A connection of its own to the test database, closed before the body runs: what a
    /// pooled connection looks like when PostgreSQL has just gone away.
    func withClosedConnection(_ body: (PostgresConnection) async throws -> Void) async throws {
        let pool = try await TestDatabase.configuration.value
        let configuration =
            if let path = pool.unixSocketPath {
                PostgresConnection.Configuration(
                    unixSocketPath: path, username: pool.username, password: pool.password,
                    database: pool.database)
            } else {
                PostgresConnection.Configuration(
                    host: pool.host ?? "127.0.0.1", port: pool.port ?? 5432,
                    username: pool.username, password: pool.password, database: pool.database,
                    tls: .disable)
            }
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1,
            logger: TestDatabase.logger)
        try await connection.close()
        try await body(connection)
    }

    /// What `body` failed with when it is ``StoreError/unavailable(_:)``; records an issue
    /// (and returns nil) otherwise.
    func unavailable(_ body: () async throws -> some Any) async -> String? {
        let error = await #expect(throws: StoreError.self) { _ = try await body() }
        guard case .unavailable(let detail)? = error else {
            Issue.record("expected unavailable, got \(String(describing: error))")
            return nil
        }
        return detail
    }

    @Test func aStatementWrittenToAClosedConnectionFailsAtTheDeadlineInsteadOfHanging()
        async throws
    {
        try await withClosedConnection { connection in
            let statements = StatementGuard(timeout: .milliseconds(300))
            let started = ContinuousClock.now
            guard
                let detail = await unavailable({
                    try await statements.run {
                        try await connection.query("SELECT 1", logger: TestDatabase.logger)
                    }
                })
            else { return }
            // Either PostgresNIO reports the closed connection, or the statement is lost
            // and the deadline ends the wait; never a hang.
            #expect(ContinuousClock.now - started < .seconds(10), "\(detail)")
        }
    }

    @Test func aSlowStatementFailsAtTheDeadlineAndAQuickOneAnswers() async throws {
        try await TestDatabase.withStore(migrate: false) { client, _ in
            // Generous for the quick one on a loaded machine; the slow one sleeps longer.
            let statements = StatementGuard(timeout: .seconds(3))
            guard
                let detail = await unavailable({
                    try await statements.run {
                        try await client.query("SELECT pg_sleep(30)", logger: TestDatabase.logger)
                    }
                })
            else { return }
            #expect(detail.contains("no answer within"), "\(detail)")
            let one = try await statements.run {
                var value = 0
                for try await n in try await client.query("SELECT 1", logger: TestDatabase.logger)
                    .decode(Int.self)
                {
                    value = n
                }
                return value
            }
            #expect(one == 1)
        }
    }

    @Test func aStatementsErrorsAreStoreErrors() async throws {
        try await TestDatabase.withStore(migrate: false) { client, _ in
            let statements = StatementGuard(timeout: .seconds(5))
            let error = await #expect(throws: StoreError.self) {
                try await statements.run {
                    try await client.query(
                        "SELECT * FROM no_such_table", logger: TestDatabase.logger)
                }
            }
            guard case .query(let detail)? = error else {
                Issue.record("expected a query error, got \(String(describing: error))")
                return
            }
            #expect(detail.contains("no_such_table"))
        }
    }

    /// A stopping worker waiting on a statement PostgresNIO lost does not wait out the
    /// deadline.
    @Test(.timeLimit(.minutes(1))) func aCancelledCallerStopsWaitingAtOnce() async throws {
        let statements = StatementGuard(timeout: .seconds(600))
        let lost = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let caller = Task {
            try await statements.run {
                await withCheckedContinuation { c in lost.withLock { $0 = c } }
            }
        }
        while lost.withLock({ $0 == nil }) { await Task.yield() }
        caller.cancel()
        await #expect(throws: StoreError.self) { try await caller.value }
        lost.withLock { $0 }?.resume()
    }
}
