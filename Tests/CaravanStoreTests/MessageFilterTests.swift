import Caravan
import CaravanStore
import Foundation
import PostgresNIO
import Testing

/// The list filters as the store applies them.
@Suite struct MessageFilterTests {
    /// Stores messages with these bodies, dead with error "failed <body's first word>".
    func store(
        _ bodies: [[UInt8]], _ client: PostgresClient, _ schema: StoreSchema,
        state: String = "dead"
    ) async throws -> [UUID] {
        var ids: [UUID] = []
        for body in bodies {
            let id = UUID()
            ids.append(id)
            var b = PostgresBindings()
            b.append(id)
            b.append(ByteBuffer(bytes: body))
            b.append(state)
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO "\(schema.name)".messages (id, route, consumer, state, body, errors)
                        VALUES ($1, 'r', 'test', $3, $2,
                                jsonb_build_array(jsonb_build_object('message', 'Warehouse 7 refused')))
                        """, binds: b))
        }
        return ids
    }

    /// Any case, any byte: a body that is not UTF-8, LIKE's own `%` and `_`, a backslash,
    /// letters that are not ASCII, and the last error.
    @Test func textSearchFindsTheBytesOfBodyOrLastErrorWhateverTheyAre() async throws {
        try await TestDatabase.withStore { client, schema in
            let ids = try await store(
                [
                    Array("Order 50% OFF_now".utf8), Array(#"C:\temp\x"#.utf8),
                    Array("Grüße aus Köln".utf8), [0xFF, 0xFE, 0x41, 0x42, 0x43],
                    Array("plain".utf8),
                ], client, schema)
            let messages = Messages(client: client, schema: schema)
            func found(_ text: String) async throws -> [UUID] {
                try await messages.list(MessageFilter(state: "dead", text: text), bodies: false)
                    .messages.map(\.id).reversed()
            }
            #expect(try await found("50%") == [ids[0]])
            #expect(try await found("0% off_") == [ids[0]])
            #expect(try await found("%_") == [])
            #expect(try await found(#"\temp"#) == [ids[1]])
            #expect(try await found("Köln") == [ids[2]])
            #expect(try await found("ABC") == [ids[3]])
            #expect(try await found("warehouse 7") == ids)
            #expect(try await found("nowhere") == [])
        }
    }

    /// A text common among dead letters fills its pages from the newest ones read in
    /// order; the pages are the same as the index gives, newest first, cursor by cursor.
    @Test func pagesOfACommonTextAmongDeadLettersAreNewestFirstWithoutGaps() async throws {
        try await TestDatabase.withStore { client, schema in
            var bodies: [[UInt8]] = []
            for i in 0..<25 {
                bodies.append(Array((i % 2 == 0 ? "match \(i)" : "other \(i)").utf8))
            }
            let ids = try await store(bodies, client, schema)
            let expected = ids.enumerated().filter { $0.offset % 2 == 0 }.map(\.element).reversed()
            let messages = Messages(client: client, schema: schema)
            var seen: [UUID] = []
            var cursor: Int64?
            repeat {
                let page = try await messages.list(
                    MessageFilter(state: "dead", text: "MATCH"), after: cursor, limit: 5,
                    bodies: false)
                seen += page.messages.map(\.id)
                cursor = page.next
            } while cursor != nil
            #expect(seen == Array(expected))
        }
    }

    /// Beyond the dead letters each call reads a bounded window: a page that the window
    /// does not fill says how far it searched and continues below it, so following `next`
    /// finds every match, newest first, and the last page has no `next`.
    @Test func textSearchOverEveryStateReadsABoundedWindowPerCallAndContinuesBelowIt()
        async throws
    {
        try await TestDatabase.withStore { client, schema in
            var bodies: [[UInt8]] = []
            for i in 0..<35 {
                bodies.append(Array((i % 7 == 3 ? "match \(i)" : "other \(i)").utf8))
            }
            let ids = try await store(bodies, client, schema, state: "done")
            let expected = ids.enumerated().filter { $0.offset % 7 == 3 }.map(\.element)
            var messages = Messages(client: client, schema: schema)
            messages.scanWindow = 10
            var seen: [UUID] = []
            var searched: [Int64] = []
            var cursor: Int64?
            var calls = 0
            repeat {
                let page = try await messages.list(
                    MessageFilter(text: "MATCH"), after: cursor, limit: 5, bodies: false)
                #expect(page.messages.count <= 2, "a window of 10 holds at most 2 matches")
                seen += page.messages.map(\.id)
                if let low = page.searchedDownTo { searched.append(low) }
                cursor = page.next
                calls += 1
            } while cursor != nil && calls < 10
            #expect(seen == Array(expected.reversed()))
            #expect(calls == 4, "35 messages in windows of 10")
            #expect(searched.count == 3)
            #expect(searched == searched.sorted(by: >))

            // A page the window fills ends at its last match, as any page does.
            messages.scanWindow = 35
            let full = try await messages.list(
                MessageFilter(text: "match"), limit: 2, bodies: false)
            #expect(full.messages.map(\.id) == [expected[4], expected[3]])
            #expect(full.searchedDownTo == nil)
            let rest = try await messages.list(
                MessageFilter(text: "match"), after: full.next, limit: 5, bodies: false)
            #expect(rest.messages.map(\.id) == [expected[2], expected[1], expected[0]])
            #expect(rest.next == nil && rest.searchedDownTo == nil)
        }
    }

    /// Dead letters are searched through a trigram index where pg_trgm exists (it does in
    /// Debian's PostgreSQL, which the tests run).
    @Test func deadLettersHaveATrigramIndexForTextSearch() async throws {
        try await TestDatabase.withStore { client, schema in
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT indexdef FROM pg_indexes
                        WHERE schemaname = '\(schema.name)' AND indexname = 'messages_dead_text'
                        """))
            var definition = ""
            for try await d in rows.decode(String.self) { definition = d }
            #expect(definition.contains("gin_trgm_ops") && definition.contains("'dead'"))
        }
    }
}
