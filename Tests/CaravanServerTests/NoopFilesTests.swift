import Caravan
import CaravanAdapters
import CaravanStore
import Foundation
import Logging
import PostgresNIO
import Testing

/// `noop=true` files are taken once for as long as they stay, whatever the store prunes.
@Suite struct NoopFilesTests {
    /// The journal as a file consumer's intake, as the server has it.
    struct JournalIntake: Intake {
        let journal: Journal
        func accept(
            _ message: Message, properties: [String: Document], route: String, consumer: String,
            id: UUID?, signature: ReplayClaim?
        ) async throws(IntakeError) -> UUID {
            let entry = JournalEntry(
                id: id ?? UUID(), route: route, consumer: consumer, message: message)
            do { try await journal.append(entry) } catch { throw IntakeError("\(error)") }
            return entry.id
        }
    }

    @Test func aNoopFileIsNotStoredAgainAfterARestartAndItsMessageWasPruned() async throws {
        let dir = NSTemporaryDirectory() + "caravan-noop-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "1".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
        let schema = try ServerTestDatabase.newSchema()
        try await ServerTestDatabase.withClient { client in
            try await Migrator(client: client, schema: schema).migrate()
            let intake = JournalIntake(journal: Journal(client: client, schema: schema))
            let memory = PostgresFileMemory(client: client, schema: schema)
            func remembered() async throws -> Int {
                let rows = try await client.query(
                    PostgresQuery(
                        unsafeSQL:
                            "SELECT count(*)::int FROM \"\(schema.name)\".idempotent_keys WHERE repository = 'file-noop:drop'"
                    ))
                for try await n in rows.decode(Int.self) { return n }
                return 0
            }
            /// Runs a poller (a node's life) until `count` messages are stored and
            /// `keys` files remembered.
            func node(until count: Int, remembering keys: Int) async throws -> Bool {
                let poller = try FilePoller(
                    routeId: "drop",
                    uri: try EndpointURI("file:\(dir)?noop=true&initialDelay=0&delay=10"),
                    intake: intake, memory: memory, logger: ServerTestDatabase.logger)
                let task = Task { await poller.run() }
                defer { task.cancel() }
                for _ in 0..<2000 {
                    if try await ServerTestDatabase.count(client, schema) >= count,
                        try await remembered() == keys
                    {
                        return true
                    }
                    try await Task.sleep(for: .milliseconds(10))
                }
                return false
            }
            #expect(try await node(until: 1, remembering: 1))
            // Housekeeping prunes the done message; the node restarts.
            try await client.query(
                PostgresQuery(unsafeSQL: "DELETE FROM \"\(schema.name)\".messages"))
            try "2".write(toFile: dir + "/b.txt", atomically: true, encoding: .utf8)
            // It takes the new file (an event to wait for), and not the old one again.
            #expect(try await node(until: 1, remembering: 2))
            var bodies: [String] = []
            for try await body in try await client.query(
                PostgresQuery(
                    unsafeSQL: "SELECT convert_from(body, 'UTF8') FROM \"\(schema.name)\".messages")
            ).decode(String.self) {
                bodies.append(body)
            }
            #expect(bodies == ["2"])
            // A file that goes is forgotten, so that it is taken if it comes back.
            try FileManager.default.removeItem(atPath: dir + "/a.txt")
            #expect(try await node(until: 0, remembering: 1))  // b.txt only
        }
    }
}
