import Caravan
import Foundation
import PostgresNIO
import Synchronization
import Testing

@testable import CaravanStore

@Suite struct JournalTests {
    func entry(_ i: Int) -> JournalEntry {
        var message = Message(body: Body(bytes: Array(#"{"n": \#(i)}"#.utf8), contentType: .json))
        message.headers["Content-Type"] = "application/json"
        message.headers["X-Seq"] = .number(DecimalText(i))
        return JournalEntry(route: "orders", consumer: "platform-http:/orders", message: message)
    }

    @Test func anAppendedMessageIsCommittedWhenAppendReturns() async throws {
        try await TestDatabase.withStore { client, schema in
            let journal = Journal(client: client, schema: schema)
            let e = entry(1)
            try await journal.append(e)
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT route, state, body, headers::text, content_type FROM \"\(schema.name)\".messages WHERE id = '\(e.id.uuidString)'"
                ))
            var found = 0
            for try await (route, state, body, headers, type) in rows.decode(
                (String, String, ByteBuffer, String, String?).self)
            {
                found += 1
                #expect(route == "orders" && state == "ready")
                #expect(String(buffer: body) == #"{"n": 1}"#)
                #expect(headers.contains("\"X-Seq\": 1"))
                #expect(type == "application/json")
            }
            #expect(found == 1)
        }
    }

    /// A client provider that knows the server is away (as a `DatabasePool` whose checks
    /// and probe both failed), around a client that works.
    struct KnownOutage: PostgresClientProvider {
        let client: PostgresClient
        var knownOutage: String? { "nothing listens at the test's address" }
    }

    /// The commit of an INSERT outside a transaction happens after the rows came back:
    /// here a deferred trigger makes that commit fail (as a server killed in between
    /// would lose it). The append must not be acknowledged, and the journal goes on.
    @Test func anAppendWhoseCommitFailsAfterTheInsertAnsweredIsNotAcknowledged() async throws {
        try await TestDatabase.withStore { client, schema in
            let table = "\"\(schema.name)\".messages"
            let function = "\"\(schema.name)\".refuse_at_commit"
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE FUNCTION \(function)() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            IF NEW.route = 'doomed' THEN RAISE EXCEPTION 'refused at commit'; END IF;
                            RETURN NULL;
                        END $$
                        """))
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON \(table)
                        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION \(function)()
                        """))
            let journal = Journal(client: client, schema: schema)
            var doomed = entry(1)
            doomed.route = "doomed"
            await #expect(throws: StoreError.self) { try await journal.append(doomed) }
            let fine = entry(2)
            try await journal.append(fine)
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: "SELECT route FROM \(table)"))
            var routes: [String] = []
            for try await route in rows.decode(String.self) { routes.append(route) }
            #expect(routes == ["orders"])
        }
    }

    @Test func anAppendFailsAtOnceWhileTheServerIsKnownToBeAway() async throws {
        try await TestDatabase.withStore { client, schema in
            // A deadline no test waits for: the failure comes from the known outage.
            let journal = Journal(
                client: KnownOutage(client: client), schema: schema, appendTimeout: .seconds(60))
            let error = await #expect(throws: StoreError.self) {
                try await journal.append(entry(1))
            }
            guard case .unavailable(let detail)? = error else {
                Issue.record("expected unavailable, got \(String(describing: error))")
                return
            }
            #expect(detail.contains("nothing listens"))
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: "SELECT count(*) FROM \"\(schema.name)\".messages"))
            for try await count in rows.decode(Int.self) { #expect(count == 0) }
        }
    }

    @Test func concurrentAppendsShareCommits() async throws {
        try await TestDatabase.withStore { client, schema in
            let journal = Journal(client: client, schema: schema, maxBatch: 100)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<500 { group.addTask { try await journal.append(entry(i)) } }
                try await group.waitForAll()
            }
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: "SELECT count(*) FROM \"\(schema.name)\".messages"))
            for try await count in rows.decode(Int.self) { #expect(count == 500) }
            // 500 appends, at most 100 per commit; concurrency makes far fewer than 500.
            #expect(journal.commitCount >= 5)
            #expect(journal.commitCount < 250)
        }
    }
}

@Suite struct GroupCommitTests {
    func batch(_ a: GroupCommitState<String>.Action) -> [String]? {
        if case .flush(let items) = a { return items }
        return nil
    }

    @Test func appendsDuringAFlushGoTogetherInTheNext() {
        var s = GroupCommitState<String>(maxBatch: 2)
        #expect(batch(s.append("a")) == ["a"])
        #expect(batch(s.append("b")) == nil)
        #expect(batch(s.append("c")) == nil)
        #expect(batch(s.append("d")) == nil)
        #expect(batch(s.flushed()) == ["b", "c"])
        #expect(batch(s.flushed()) == ["d"])
        #expect(batch(s.flushed()) == nil)
        #expect(batch(s.append("e")) == ["e"])
    }

    @Test func severalFlushesRunAtOnceThenAppendsWait() {
        var s = GroupCommitState<String>(maxBatch: 10, maxInFlight: 2)
        #expect(batch(s.append("a")) == ["a"])
        #expect(batch(s.append("b")) == ["b"])  // a second flush starts at once
        #expect(batch(s.append("c")) == nil)  // both busy: c waits
        #expect(batch(s.append("d")) == nil)
        #expect(batch(s.flushed()) == ["c", "d"])  // a's flush takes the waiting ones
        #expect(batch(s.flushed()) == nil)  // b's flush finds nothing: one in flight
        #expect(batch(s.append("e")) == ["e"])
        #expect(s.inFlight == 2)
    }
    /// What PostgresNIO does with a statement written to a connection closed under it:
    /// never answers. The batch fails at the deadline and the committer goes on.
    @Test(.timeLimit(.minutes(1)))
    func aFlushThatNeverEndsFailsItsItemsAndTheNextBatchIsFlushed() async throws {
        let committer = GroupCommitter<String, Bool>(
            maxBatch: 10, flushTimeout: .milliseconds(200), timeoutMessage: "lost")
        let stuck = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let flush: GroupCommitter<String, Bool>.Flush = { items in
            if items.contains("lost") {
                await withCheckedContinuation { c in stuck.withLock { $0 = c } }
            }
            return items.map { _ in true }
        }
        @Sendable func submit(_ item: String) async -> Result<Bool, StoreError> {
            do throws(StoreError) {
                return .success(try await committer.submit(item, flush: flush))
            } catch {
                return .failure(error)
            }
        }
        async let lost = submit("lost")
        // Queued behind the lost flush (one flush in flight).
        while stuck.withLock({ $0 == nil }) { await Task.yield() }
        async let queued = submit("queued")
        guard case .failure(.unavailable(let message)) = await lost else {
            Issue.record("the lost flush did not fail")
            return
        }
        #expect(message == "lost")
        #expect(try await queued.get())
        // The lost statement answering late changes nothing: the next item still goes.
        stuck.withLock { $0 }?.resume()
        #expect(try await committer.submit("after", flush: flush))
    }
}

@Suite struct JournalSignatureTests {
    func entry(_ i: Int, signature: String?, id: UUID = .timeOrdered()) -> JournalEntry {
        let message = Message(body: Body(bytes: Array("\(i)".utf8), contentType: .text))
        return JournalEntry(
            id: id, route: "hooks", consumer: "platform-http:/hooks", message: message,
            signature: signature.map {
                SignatureClaim(policy: "hooks", signature: $0, until: Date() + 300)
            })
    }

    func count(_ client: PostgresClient, _ schema: StoreSchema, _ table: String) async throws
        -> Int
    {
        let rows = try await client.query(
            PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM \(schema.table(table))"))
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }

    /// The stored signatures: what refuses a replay.
    func signatures(_ client: PostgresClient, _ schema: StoreSchema) async throws -> [String] {
        var found: [String] = []
        for try await s in try await client.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT signature FROM \(schema.table("messages")) WHERE signature IS NOT NULL ORDER BY signature"
            )
        ).decode(String.self) {
            found.append(s)
        }
        return found
    }

    /// 30 appends at once, sharing batches: 10 carry one signature (hence one derived id),
    /// 10 their own, 10 none. The signature's first request is stored with it, its nine
    /// copies are replays — whether they meet it in one batch or wait on its commit.
    @Test func concurrentSignedAppendsStoreEachSignatureOnceWithItsMessage() async throws {
        try await TestDatabase.withStore { client, schema in
            let journal = Journal(client: client, schema: schema)
            let ids = (0..<30).map { _ in UUID.timeOrdered() }
            let outcomes = try await withThrowingTaskGroup(of: (Int, Appended).self) { group in
                for i in 0..<30 {
                    let signature = i < 10 ? "same" : i < 20 ? "own-\(i)" : nil
                    let id = i < 10 ? ids[0] : ids[i]
                    group.addTask {
                        (i, try await journal.append(entry(i, signature: signature, id: id)))
                    }
                }
                return try await group.reduce(into: [Int: Appended]()) { $0[$1.0] = $1.1 }
            }
            #expect((0..<10).filter { outcomes[$0] == .stored }.count == 1)
            #expect((10..<30).allSatisfy { outcomes[$0] == .stored })
            #expect(try await count(client, schema, "messages") == 21)
            #expect(try await signatures(client, schema).count == 11)
            #expect(try await count(client, schema, "seen_signatures") == 0)
            #expect(journal.commitCount < 30)
            // The same request later, on another journal (another node): a replay.
            let other = Journal(client: client, schema: schema)
            let replayed = try await other.append(entry(99, signature: "own-12", id: ids[12]))
            #expect(replayed == .replay)
            #expect(try await count(client, schema, "messages") == 21)
        }
    }

    /// A sender's retry is signed anew and carries the delivery's id: stored once, and
    /// both answered as stored. The stored message keeps the first signature, so the first
    /// request again is the replay.
    @Test func aResignedRetryOfAStoredDeliveryIsStoredOnceAndAnsweredStored() async throws {
        try await TestDatabase.withStore { client, schema in
            let journal = Journal(client: client, schema: schema)
            let id = UUID.timeOrdered()
            let first = try await journal.append(entry(1, signature: "first", id: id))
            #expect(first == .stored)
            let retry = try await journal.append(entry(1, signature: "retry", id: id))
            #expect(retry == .stored)
            let again = try await journal.append(entry(1, signature: "first", id: id))
            #expect(again == .replay)
            #expect(try await count(client, schema, "messages") == 1)
            #expect(try await signatures(client, schema) == ["first"])
        }
    }

    /// Exchange properties and variables (a timer's metadata, a seda send's exchange) are
    /// kept with the message and come back with it, beside a signed message in the same
    /// batch and an unsigned one.
    @Test func exchangePropertiesAreKeptWithTheMessageAndComeBackWhenClaimed() async throws {
        try await TestDatabase.withStore { client, schema in
            let journal = Journal(client: client, schema: schema)
            var timed = entry(1, signature: nil)
            timed.properties = ["CamelTimerCounter": 3, "CamelTimerName": "tick"]
            timed.variables = ["customer": ["name": "ACME"]]
            async let a = journal.append(timed)
            async let b = journal.append(entry(2, signature: "s"))
            async let c = journal.append(entry(3, signature: nil))
            _ = try await (a, b, c)
            let claimed = try await MessageStore(client: client, schema: schema).claim(
                routes: ["hooks"], owner: "w", limit: 10, lease: .seconds(30))
            let byBody = Dictionary(
                uniqueKeysWithValues: claimed.map { ($0.message.body.text, $0) })
            #expect(byBody["1"]?.properties == ["CamelTimerCounter": 3, "CamelTimerName": "tick"])
            #expect(byBody["1"]?.variables == ["customer": ["name": "ACME"]])
            #expect(byBody["2"]?.properties == [:])
            #expect(byBody["3"]?.properties == [:])
        }
    }

    /// A signature is kept with its message: when the message's commit fails, nothing
    /// remembers it, and the same signed request can be sent again.
    @Test func aSignedAppendWhoseCommitFailsLeavesNoClaim() async throws {
        try await TestDatabase.withStore { client, schema in
            // The first commit fails (a sequence is not rolled back with it), as a
            // server killed between the INSERT's answer and its commit would lose it.
            let function = "\"\(schema.name)\".refuse_once"
            let attempts = "\"\(schema.name)\".attempts"
            try await client.query(PostgresQuery(unsafeSQL: "CREATE SEQUENCE \(attempts)"))
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE FUNCTION \(function)() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            IF nextval('\(attempts)') = 1 THEN RAISE EXCEPTION 'refused'; END IF;
                            RETURN NEW;
                        END $$
                        """))
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON \(schema.table("messages"))
                        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION \(function)()
                        """))
            let journal = Journal(client: client, schema: schema)
            await #expect(throws: StoreError.self) {
                try await journal.append(entry(1, signature: "s"))
            }
            #expect(try await count(client, schema, "messages") == 0)
            let resent = try await journal.append(entry(1, signature: "s"))
            #expect(resent == .stored)
            #expect(try await count(client, schema, "messages") == 1)
        }
    }
}
