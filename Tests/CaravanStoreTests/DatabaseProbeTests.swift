import CaravanStore
import Foundation
import Testing

/// The start-up probe: waits for a server that is not there yet, never for one that
/// refuses.
@Suite(.timeLimit(.minutes(1))) struct DatabaseProbeTests {
    @Test func aServerThatComesUpLaterIsWaitedFor() async throws {
        let cluster = try await EmbeddedPostgres.start(durable: false)
        defer { try? cluster.stop() }
        let url = try DatabaseURL(
            "postgres://postgres@localhost:\(cluster.port)/postgres?host=\(cluster.directory)")
        try await cluster.kill()
        let restart = Task {
            try await Task.sleep(for: .milliseconds(500))  // the server starting later
            try await cluster.restart()
        }
        try await url.probe(waiting: .seconds(50), logger: TestDatabase.logger)
        try await restart.value
    }

    @Test func aRefusalIsNotWaitedFor() async throws {
        let cluster = try await EmbeddedPostgres.start(durable: false)
        defer { try? cluster.stop() }
        let url = try DatabaseURL(
            "postgres://postgres@localhost:\(cluster.port)/nosuchdb?host=\(cluster.directory)")
        // Waiting up to ten minutes would exceed the suite's time limit.
        let error = await #expect(throws: StoreError.self) {
            try await url.probe(waiting: .seconds(600), logger: TestDatabase.logger)
        }
        guard case .configuration(let message)? = error else {
            Issue.record("expected a configuration error, got \(String(describing: error))")
            return
        }
        #expect(message.contains("does not exist"))
    }
}
