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

    /// Runs `body` with a client on a fresh, migrated schema of the shared test cluster.
    static func withSchema(
        _ body: @Sendable (PostgresClient, StoreSchema, String) async throws -> Void
    ) async throws {
        let url = ServerTestDatabase.url(try await ServerTestDatabase.cluster.value)
        try await ServerTestDatabase.withClient { client in
            let schema = try ServerTestDatabase.newSchema()
            try await Migrator(client: client, schema: schema, logger: ServerTestDatabase.logger)
                .migrate()
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
            let drained = try await ServerTestDatabase.waitFor(
                20_000, "state = 'done'", client, schema, timeout: .seconds(120))
            a.signal(SIGTERM)
            b.signal(SIGTERM)
            #expect(await a.waitForExit() == 0, "\(a.output.suffix(2000))")
            #expect(await b.waitForExit() == 0, "\(b.output.suffix(2000))")
            let left = try await ServerTestDatabase.count(client, schema, "state <> 'done'")
            #expect(drained, "not all done: \(left) left")
            // Each message was claimed once and processed once, by one of the two.
            #expect(try await ServerTestDatabase.count(client, schema, "attempt <> 1") == 0)
            let byA = Self.doneIds(a.output), byB = Self.doneIds(b.output)
            #expect(byA.count + byB.count == 20_000)
            #expect(Set(byA + byB).count == 20_000)
            // (Which process did how much is not asserted: on a loaded machine one may
            // happen to take everything, and exactly once is what matters.)
        }
    }

    @Test func aKilledProcessesMessagesAreCompletedByAnotherAfterTheLeaseExpires() async throws {
        try await Self.withSchema { client, schema, url in
            let routes = try Self.routesFolder()
            // A holds its messages in a ten-minute delay with a two-second lease.
            let a = try serve(routes, url, schema, ["--lease", "2"], delay: 600_000, name: "a")
            try await Self.append(10, client, schema)
            #expect(
                try await ServerTestDatabase.waitFor(
                    10, "state = 'running'", client, schema, timeout: .seconds(120)))
            a.signal(SIGKILL)
            #expect(await a.waitForExit() != 0)
            let b = try serve(routes, url, schema, ["--lease", "2"], name: "b")
            let completed = try await ServerTestDatabase.waitFor(
                10, "state = 'done'", client, schema, timeout: .seconds(120))
            b.signal(SIGTERM)
            #expect(await b.waitForExit() == 0, "\(b.output.suffix(2000))")
            #expect(completed, "\(b.output.suffix(2000))")
            // Claimed by A, then by B once A's leases expired: none lost, none twice done.
            #expect(
                try await ServerTestDatabase.count(client, schema, "attempt = 2 AND state = 'done'")
                    == 10)
            #expect(Self.doneIds(b.output).count == 10)
            #expect(b.output.contains("recovered messages whose lease expired"))
        }
    }

    @Test func aStoppedProcessGivesBackWhatItCouldNotFinishInTime() async throws {
        try await Self.withSchema { client, schema, url in
            let routes = try Self.routesFolder(properties: "caravan.drainTimeout=0.5\n")
            let a = try serve(routes, url, schema, ["--lease", "300"], delay: 600_000, name: "a")
            try await Self.append(3, client, schema)
            #expect(
                try await ServerTestDatabase.waitFor(
                    3, "state = 'running'", client, schema, timeout: .seconds(120)))
            a.signal(SIGTERM)
            #expect(await a.waitForExit() == 0, "\(a.output.suffix(2000))")
            // Back to ready at once (not in 300 s), and the interrupted try does not count.
            #expect(
                try await ServerTestDatabase.count(
                    client, schema, "state = 'ready' AND attempt = 0") == 3)
            #expect(a.output.contains("gave back unfinished messages"))
        }
    }
}
