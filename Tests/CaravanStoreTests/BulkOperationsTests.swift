import Caravan
import CaravanStore
import Foundation
import PostgresNIO
import Testing

/// Bulk replays and discards over a filter: counted before, run in batches by one runner
/// at a time, resumed after a runner dies, never applied twice.
@Suite struct BulkOperationsTests {
    let ada = Operator("ada", via: .api)

    /// How many replays each of `ids` has.
    func replays(of ids: [UUID], _ f: DeadLettersTests.Fixture) async throws -> [UUID: Int] {
        var counts: [UUID: Int] = [:]
        let rows = try await f.client.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT replay_of, count(*)::int FROM "\(f.schema.name)".messages
                    WHERE replay_of IS NOT NULL GROUP BY replay_of
                    """))
        for try await (id, n) in rows.decode((UUID, Int).self) { counts[id] = n }
        return counts
    }

    @Test func aDryRunCountsWhatTheRunThenActsOn() async throws {
        try await DeadLettersTests().withFixture { f in
            let ids = try await f.deadLetters(["a1", "a2", "b1", "a3"])
            let operations = BulkOperations(client: f.client, schema: f.schema)
            let filter = MessageFilter(text: "refused a")
            let preview = try await operations.preview(filter)
            #expect(preview.count == 3)
            #expect(preview.sample == [ids[0], ids[1], ids[3]])
            let created = try await operations.create(
                .discard, filter: filter, rate: 2, reason: "test data", by: ada)
            #expect(created.total == 3 && created.state == "running")
            // Dead letters that die after it was created are not its own.
            let later = try await f.deadLetters(["a4"])
            var batches: [Int] = []
            let claimed = try #require(try await operations.claim(owner: "n1", lease: .seconds(30)))
            while true {
                let n = try await operations.runBatch(
                    claimed, owner: "n1", size: 2, lease: .seconds(30))
                if n == 0 { break }
                batches.append(n)
            }
            #expect(batches == [2, 1])
            let finished = try #require(try await operations.get(created.id))
            #expect(finished.state == "done" && finished.processed == 3)
            #expect(Set(try await f.letters.list().map(\.id)) == Set([ids[2]] + later))
            let (entries, _) = try await AuditLog(client: f.client, schema: f.schema).list()
            #expect(entries.map(\.action) == ["discard", "discard", "bulk discard"])
            #expect(entries.last?.count == 3)
        }
    }

    /// A runner that dies mid-way (its lease runs out) is taken over; what it did is not
    /// done again, and a batch of the old runner after the takeover acts on nothing.
    @Test func aRunInterruptedByItsRunnersDeathCompletesExactlyOnce() async throws {
        try await DeadLettersTests().withFixture { f in
            let ids = try await f.deadLetters(["m1", "m2", "m3", "m4", "m5"])
            let operations = BulkOperations(client: f.client, schema: f.schema)
            let created = try await operations.create(
                .replay, filter: MessageFilter(route: "pay"), rate: 100, reason: "bank back",
                by: ada)
            // Node 1 takes it with a lease that has run out by the time node 2 looks.
            let first = try #require(
                try await operations.claim(owner: "n1", lease: .milliseconds(1)))
            #expect(
                try await operations.runBatch(first, owner: "n1", size: 2, lease: .milliseconds(1))
                    == 2)
            let second = try #require(try await operations.claim(owner: "n2", lease: .seconds(30)))
            #expect(second.id == created.id)
            // Node 1 comes back from a pause and tries its next batch: nothing.
            #expect(
                try await operations.runBatch(first, owner: "n1", size: 2, lease: .seconds(30))
                    == 0)
            while try await operations.runBatch(second, owner: "n2", size: 2, lease: .seconds(30))
                > 0
            {}
            let finished = try #require(try await operations.get(created.id))
            #expect(finished.state == "done" && finished.processed == 5)
            let counts = try await replays(of: ids, f)
            #expect(counts == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
            #expect(try await operations.claim(owner: "n3", lease: .seconds(30)) == nil)
        }
    }

    @Test func aCancelledOperationStopsBeforeItsNextBatch() async throws {
        try await DeadLettersTests().withFixture { f in
            _ = try await f.deadLetters(["c1", "c2", "c3"])
            let operations = BulkOperations(client: f.client, schema: f.schema)
            let created = try await operations.create(
                .replay, filter: MessageFilter(state: "dead"), rate: 1, reason: "r", by: ada)
            let claimed = try #require(try await operations.claim(owner: "n1", lease: .seconds(30)))
            #expect(
                try await operations.runBatch(claimed, owner: "n1", size: 1, lease: .seconds(30))
                    == 1)
            try await operations.cancel(created.id, by: ada)
            #expect(
                try await operations.runBatch(claimed, owner: "n1", size: 1, lease: .seconds(30))
                    == 0)
            let cancelled = try #require(try await operations.get(created.id))
            #expect(cancelled.state == "cancelled" && cancelled.processed == 1)
            #expect(try await f.letters.list().count == 2)
            await #expect(throws: StoreError.self) {
                try await operations.cancel(created.id, by: ada)
            }
        }
    }

    @Test func aBulkActionOnAnythingButDeadLettersIsRefused() async throws {
        try await DeadLettersTests().withFixture { f in
            let operations = BulkOperations(client: f.client, schema: f.schema)
            await #expect(throws: StoreError.self) {
                _ = try await operations.create(
                    .discard, filter: MessageFilter(state: "done"), rate: 10, reason: "x", by: ada)
            }
            await #expect(throws: StoreError.self) {
                _ = try await operations.create(
                    .discard, filter: MessageFilter(), rate: 10, reason: " ", by: ada)
            }
        }
    }
}
