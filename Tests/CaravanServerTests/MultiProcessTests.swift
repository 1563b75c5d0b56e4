import Caravan
import CaravanStore
import Foundation
import Logging
import PostgresNIO
import Testing

/// Several `caravan serve` processes on one database: claims never hand a message to two
/// of them, a killed process's messages are taken over once its leases expire, and a
/// stopped one gives its unfinished work back.
@Suite(.serialized) struct MultiProcessTests {
    static let cluster: Task<EmbeddedPostgres, any Error> = Task {
        try await EmbeddedPostgres.start(durable: false)
    }

    static var logger: Logger {
        var l = Logger(label: "caravan.test")
        l.logLevel = .warning
        return l
    }

    /// A routes folder with `work` (from `seda:work`) and its properties.
    static func routesFolder(properties: String = "") throws -> String {
        let folder = NSTemporaryDirectory() + "caravan-mp-\(UUID().uuidString)"
        try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true)
        try """
        - route:
            id: work
            from:
              uri: seda:work
              steps:
                - delay: {constant: "{{env:CARAVAN_TEST_DELAY:0}}"}
                - setHeader: {name: handled, constant: "yes"}
        """.write(toFile: folder + "/work.yaml", atomically: true, encoding: .utf8)
        try properties.write(
            toFile: folder + "/application.properties", atomically: true, encoding: .utf8)
        return folder
    }

    /// Runs `body` with a client on a fresh schema (which the processes migrate).
    static func withSchema(
        _ body: @Sendable (PostgresClient, StoreSchema, String) async throws -> Void
    ) async throws {
        let cluster = try await cluster.value
        let url =
            "postgres://postgres@localhost:\(cluster.port)/postgres?host=\(cluster.directory)"
        let client = PostgresClient(
            configuration: cluster.configuration(), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let schema = try StoreSchema(
                "mp_"
                    + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(
                        12))
            try await Migrator(client: client, schema: schema, logger: logger).migrate()
            try await body(client, schema, url)
        }
    }

    static func append(_ count: Int, _ client: PostgresClient, _ schema: StoreSchema) async throws {
        let journal = Journal(client: client, schema: schema)
        let body = Array(repeating: UInt8(ascii: "x"), count: 1000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<64 {
                group.addTask {
                    for i in stride(from: lane, to: count, by: 64) {
                        var headers = Headers()
                        headers["n"] = .string("\(i)")
                        try await journal.append(
                            JournalEntry(
                                route: "work", consumer: "seda:work",
                                message: Message(
                                    headers: headers, body: Body(bytes: body, contentType: nil))))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    static func count(_ client: PostgresClient, _ schema: StoreSchema, _ condition: String)
        async throws -> Int
    {
        let rows = try await client.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT count(*)::int FROM \"\(schema.name)\".messages WHERE \(condition)"),
            logger: logger)
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }

    /// Waits (bounded) until `condition` holds for `expected` rows: the processes report
    /// nothing to the test but the rows they write.
    static func waitFor(
        _ expected: Int, _ condition: String, _ client: PostgresClient, _ schema: StoreSchema,
        timeout: Duration = .seconds(120)
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await count(client, schema, condition) >= expected { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// The ids of the messages a process logged as done.
    static func doneIds(_ output: String) -> [String] {
        output.split(separator: "\n").filter { $0.hasSuffix("message done") }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("message=") }.map {
                String($0.dropFirst("message=".count))
            }
        }
    }

    func serve(
        _ routes: String, _ url: String, _ schema: StoreSchema, _ extra: [String] = [],
        delay: Int = 0, name: String
    ) throws -> ServeProcess {
        try ServeProcess(
            [
                "--routes", routes, "--database", url, "--schema", schema.name, "--port", "0",
                "--log-level", "info",
            ]
                + extra,
            environment: ["CARAVAN_TEST_DELAY": "\(delay)"], logPath: routes + "/\(name).log")
    }

    @Test func twoProcessesWithFourWorkersEachDrain20000MessagesExactlyOnce() async throws {
        try await Self.withSchema { client, schema, url in
            let routes = try Self.routesFolder()
            let a = try serve(routes, url, schema, ["--workers", "4"], name: "a")
            let b = try serve(routes, url, schema, ["--workers", "4"], name: "b")
            try await Self.append(20_000, client, schema)
            let drained = try await Self.waitFor(20_000, "state = 'done'", client, schema)
            a.signal(SIGTERM)
            b.signal(SIGTERM)
            #expect(await a.waitForExit() == 0, "\(a.output.suffix(2000))")
            #expect(await b.waitForExit() == 0, "\(b.output.suffix(2000))")
            let left = try await Self.count(client, schema, "state <> 'done'")
            #expect(drained, "not all done: \(left) left")
            // Each message was claimed once and processed once, by one of the two.
            #expect(try await Self.count(client, schema, "attempt <> 1") == 0)
            let byA = Self.doneIds(a.output), byB = Self.doneIds(b.output)
            #expect(byA.count + byB.count == 20_000)
            #expect(Set(byA + byB).count == 20_000)
            #expect(!byA.isEmpty && !byB.isEmpty, "one process did all the work")
        }
    }

    @Test func aKilledProcessesMessagesAreCompletedByAnotherAfterTheLeaseExpires() async throws {
        try await Self.withSchema { client, schema, url in
            let routes = try Self.routesFolder()
            // A holds its messages in a ten-minute delay with a two-second lease.
            let a = try serve(routes, url, schema, ["--lease", "2"], delay: 600_000, name: "a")
            try await Self.append(10, client, schema)
            #expect(try await Self.waitFor(10, "state = 'running'", client, schema))
            a.signal(SIGKILL)
            #expect(await a.waitForExit() != 0)
            let b = try serve(routes, url, schema, ["--lease", "2"], name: "b")
            let completed = try await Self.waitFor(10, "state = 'done'", client, schema)
            b.signal(SIGTERM)
            #expect(await b.waitForExit() == 0, "\(b.output.suffix(2000))")
            #expect(completed, "\(b.output.suffix(2000))")
            // Claimed by A, then by B once A's leases expired: none lost, none twice done.
            #expect(try await Self.count(client, schema, "attempt = 2 AND state = 'done'") == 10)
            #expect(Self.doneIds(b.output).count == 10)
            #expect(b.output.contains("recovered messages whose lease expired"))
        }
    }

    @Test func aStoppedProcessGivesBackWhatItCouldNotFinishInTime() async throws {
        try await Self.withSchema { client, schema, url in
            let routes = try Self.routesFolder(properties: "caravan.drainTimeout=0.5\n")
            let a = try serve(routes, url, schema, ["--lease", "300"], delay: 600_000, name: "a")
            try await Self.append(3, client, schema)
            #expect(try await Self.waitFor(3, "state = 'running'", client, schema))
            a.signal(SIGTERM)
            #expect(await a.waitForExit() == 0, "\(a.output.suffix(2000))")
            // Back to ready at once (not in 300 s), and the interrupted try does not count.
            #expect(try await Self.count(client, schema, "state = 'ready' AND attempt = 0") == 3)
            #expect(a.output.contains("gave back unfinished messages"))
        }
    }
}
