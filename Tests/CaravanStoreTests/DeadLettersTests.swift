import Caravan
import CaravanStore
import Foundation
import PostgresNIO
import Testing

/// Operators' work on dead letters, against a real PostgreSQL.
@Suite struct DeadLettersTests {
    static let routes = """
        - route:
            id: pay
            errorHandler: {defaultErrorHandler: {redeliveryPolicy: {maximumRedeliveries: 1, redeliveryDelay: 0}}}
            from:
              uri: direct:pay
              steps:
                - to: mock:before
                - to: direct:bank
                - to: mock:after
        - route:
            id: bank
            errorHandler: {noErrorHandler: {}}
            from:
              uri: direct:bank
              steps:
                - filter:
                    simple: "${header.fixed} == null"
                    steps: [{throwException: {exceptionType: java.lang.IllegalStateException, message: "bank refused ${body}"}}]
        """

    struct Fixture {
        let client: PostgresClient
        let schema: StoreSchema
        let engine: RouteEngine
        let worker: Worker
        let letters: DeadLetters
        let journal: Journal

        /// Appends messages and processes until nothing is left to do.
        func deadLetters(_ bodies: [String]) async throws -> [UUID] {
            var ids: [UUID] = []
            for b in bodies {
                let e = JournalEntry(
                    route: "pay", consumer: "direct:pay", message: Message(body: Body(text: b)))
                try await journal.append(e)
                ids.append(e.id)
            }
            try await drain()
            return ids
        }

        func drain() async throws {
            while try await worker.processBatch() > 0 {}
        }
    }

    static func engine() async throws -> RouteEngine { try await TestDatabase.engine(routes) }

    func withFixture(_ body: @Sendable (Fixture) async throws -> Void) async throws {
        try await TestDatabase.withStore { client, schema in
            let engine = try await Self.engine()
            let fixture = Fixture(
                client: client, schema: schema, engine: engine,
                worker: Worker(
                    store: MessageStore(client: client, schema: schema), engine: engine,
                    routes: ["pay"], owner: "w"),
                letters: DeadLetters(client: client, schema: schema),
                journal: Journal(client: client, schema: schema))
            try await body(fixture)
        }
    }

    @Test func listAndShowGiveTheHistoryAndTheFailurePoint() async throws {
        try await withFixture { f in
            let ids = try await f.deadLetters(["p1", "p2"])
            let listed = try await f.letters.list()
            #expect(Set(listed.map(\.id)) == Set(ids))
            let one = try #require(try await f.letters.show(ids[0]))
            #expect(one.route == "pay" && one.attempts == 2)
            #expect(one.lastError == "bank refused p1")
            guard case .array(let history) = one.errors else { Issue.record("no history"); return }
            #expect(history.count == 2)
            #expect(history[0]["kind"] == "java.lang.IllegalStateException")
            let point = try #require(one.failure.flatMap(FailurePoint.init(document:)))
            #expect(point.path == StepPath([.step(1)]))
            #expect(
                try await f.letters.list(DeadLetterSelection(errorContains: "P2")).map(\.id) == [
                    ids[1]
                ])
        }
    }

    @Test func replayResumesAtTheFailedStepAfterAnEdit() async throws {
        try await withFixture { f in
            let ids = try await f.deadLetters(["p1"])
            #expect(f.engine.mock("before").received.count == 1)
            try await f.letters.edit(
                ids[0], body: nil, headers: [("fixed", "yes")], by: Operator("ada", via: .cli),
                reason: "bank account corrected")
            let actions = try await f.letters.replay(
                DeadLetterSelection(ids: ids), by: Operator("ada", via: .cli), reason: "fixed")
            #expect(actions.count == 1 && actions[0].id == ids[0] && actions[0].replay != nil)
            try await f.drain()
            // The step before the failure did not run again; the rest did.
            #expect(f.engine.mock("before").received.count == 1)
            #expect(f.engine.mock("after").received.map(\.body.text) == ["p1"])
            let remaining = try await f.letters.list(DeadLetterSelection(all: true))
            #expect(remaining.isEmpty)  // no dead letters left: the original is `replayed`
            let rows = try await f.client.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT state, audit::text, original IS NOT NULL FROM "\(f.schema.name)".messages WHERE id = '\(ids[0].uuidString)'
                        """))
            for try await (state, audit, kept) in rows.decode((String, String, Bool).self) {
                #expect(state == "replayed")
                #expect(
                    audit.contains("bank account corrected") && audit.contains("\"by\": \"ada\""))
                #expect(kept)
            }
        }
    }

    @Test func replayFromStartRunsEveryStepAgain() async throws {
        try await withFixture { f in
            let ids = try await f.deadLetters(["p1"])
            try await f.letters.edit(
                ids[0], body: Array("p1-corrected".utf8), headers: [("fixed", "1")],
                by: Operator("ada", via: .cli),
                reason: "typo")
            _ = try await f.letters.replay(
                DeadLetterSelection(ids: ids), fromStart: true, by: Operator("ada", via: .cli))
            try await f.drain()
            #expect(f.engine.mock("before").received.map(\.body.text) == ["p1", "p1-corrected"])
            #expect(f.engine.mock("after").received.map(\.body.text) == ["p1-corrected"])
        }
    }

    @Test func bulkReplayByRouteDryRunAndDiscard() async throws {
        try await withFixture { f in
            let ids = try await f.deadLetters(["a", "b", "c"])
            let dry = try await f.letters.replay(
                DeadLetterSelection(route: "pay"), dryRun: true, by: Operator("ada", via: .cli))
            #expect(Set(dry.map(\.id)) == Set(ids) && dry.allSatisfy { $0.replay == nil })
            #expect(try await f.letters.list().count == 3)  // a dry run changes nothing
            let discarded = try await f.letters.discard(
                DeadLetterSelection(ids: [ids[0]]), by: Operator("ada", via: .cli),
                reason: "duplicate")
            #expect(discarded.map(\.id) == [ids[0]])
            let replayed = try await f.letters.replay(
                DeadLetterSelection(route: "pay"), by: Operator("ada", via: .cli))
            #expect(Set(replayed.map(\.id)) == Set(ids.dropFirst()))
        }
    }

    @Test func replayingSomethingThatIsNotDeadIsRefusedWithTheReason() async throws {
        try await withFixture { f in
            let ids = try await f.deadLetters(["a"])
            _ = try await f.letters.replay(
                DeadLetterSelection(ids: ids), by: Operator("ada", via: .cli))
            let again = await #expect(throws: StoreError.self) {
                try await f.letters.replay(
                    DeadLetterSelection(ids: ids), by: Operator("ada", via: .cli))
            }
            #expect(again?.description.contains("already replayed") == true)
            let unknown = await #expect(throws: StoreError.self) {
                try await f.letters.discard(
                    DeadLetterSelection(ids: [UUID()]), by: Operator("ada", via: .cli), reason: "x")
            }
            #expect(unknown?.description.contains("does not exist") == true)
            await #expect(throws: StoreError.self) {
                try await f.letters.replay(DeadLetterSelection(), by: Operator("ada", via: .cli))
            }
            await #expect(throws: StoreError.self) {
                try await f.letters.edit(
                    ids[0], body: nil, headers: [], by: Operator("ada", via: .cli), reason: " ")
            }
        }
    }
}
