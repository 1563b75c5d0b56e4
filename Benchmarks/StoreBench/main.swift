// Measures the store on a real PostgreSQL: journal appends of 1 KB messages from many
// concurrent appenders (group commit), then claim → process → complete by a worker
// group. Prints one `name value` line per figure for scripts/bench-store.
//
//   store-bench --database URL [--messages N] [--appenders N] [--workers N] [--drop-index NAME]
//
// Each message carries the headers an HTTP request gives one (the GIN index on headers
// costs per header); `--drop-index` drops one of the store's indexes after the
// migrations, to measure what it costs.
import Caravan
import CaravanStore
import Foundation
import Logging
import PostgresNIO

struct Options {
    var database = ""
    var messages = 50_000
    var appenders = 64
    var workers = 4
    var bodySize = 1024
    var inFlight = 2
    var dropIndex: String?

    init(_ arguments: [String]) {
        var i = 1
        func next() -> String {
            i += 1
            guard i < arguments.count else { fatalError("\(arguments[i - 1]) needs a value") }
            return arguments[i]
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--database": database = next()
            case "--messages": messages = Int(next())!
            case "--appenders": appenders = Int(next())!
            case "--workers": workers = Int(next())!
            case "--body-size": bodySize = Int(next())!
            case "--in-flight": inFlight = Int(next())!
            case "--drop-index": dropIndex = next()
            default: fatalError("unknown option \(arguments[i])")
            }
            i += 1
        }
    }
}

let options = Options(CommandLine.arguments)
var logger = Logger(label: "store-bench")
logger.logLevel = .error
let client = PostgresClient(
    configuration: try DatabaseURL.configuration(options.database), backgroundLogger: logger)

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func count(_ schema: StoreSchema, _ state: String) async throws -> Int {
    let rows = try await client.query(
        PostgresQuery(
            unsafeSQL:
                "SELECT count(*)::int FROM \"\(schema.name)\".messages WHERE state = '\(state)'"),
        logger: logger)
    for try await n in rows.decode(Int.self) { return n }
    return 0
}

try await withThrowingTaskGroup(of: Void.self) { group in
    group.addTask { await client.run() }
    defer { group.cancelAll() }
    let schema = try StoreSchema("bench_\(ProcessInfo.processInfo.processIdentifier)")
    try await Migrator(client: client, schema: schema, logger: logger).migrate()
    if let index = options.dropIndex {
        try await client.query(
            PostgresQuery(unsafeSQL: "DROP INDEX \"\(schema.name)\".\"\(index)\""), logger: logger)
    }

    // 1. Appends: `appenders` tasks, each appending its share, one at a time (as HTTP
    // requests would), all through one journal.
    let journal = Journal(
        client: client, schema: schema, maxInFlight: options.inFlight, logger: logger)
    var body = Array(#"{"order":""#.utf8)
    while body.count < options.bodySize - 2 { body.append(UInt8(ascii: "x")) }
    body += #""}"#.utf8
    var headers = Headers()
    for (name, value) in [
        ("Content-Type", "application/json"), ("Content-Length", "\(body.count)"),
        ("User-Agent", "legacy-erp/7.2"), ("Accept", "*/*"), ("OrderId", "O-4711"),
        ("CamelHttpMethod", "POST"), ("CamelHttpPath", "/orders"), ("CamelHttpUri", "/orders"),
    ] {
        headers[name] = .string(value)
    }
    let message = Message(headers: headers, body: Body(bytes: body, contentType: .json))
    let appendStart = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { appenders in
        for a in 0..<options.appenders {
            appenders.addTask {
                for _ in stride(from: a, to: options.messages, by: options.appenders) {
                    try await journal.append(
                        JournalEntry(route: "bench", consumer: "bench", message: message))
                }
            }
        }
        try await appenders.waitForAll()
    }
    let appendTime = seconds(ContinuousClock.now - appendStart)
    print("appends_per_second \(Int(Double(options.messages) / appendTime))")
    print("append_commits \(journal.commitCount)")

    // 2. Claim → process → complete: a route that parses the JSON body and sets a header.
    let loaded = RouteLoader().load([
        RouteFile(
            path: "bench.yaml",
            text: """
                - route:
                    id: bench
                    from:
                      uri: seda:bench
                      steps:
                        - setHeader: {name: order, jsonpath: "$.order"}
                """)
    ])
    precondition(loaded.errors.isEmpty, "\(loaded.errors)")
    var settings = ProcessContext.Settings()
    settings.redelivery = SuspendingRedelivery()
    settings.errorHandler = .caravanDefault
    let engine = try RouteEngine(routes: loaded.routes, settings: settings)
    var workers = WorkerGroup(
        store: MessageStore(client: client, schema: schema, logger: logger), engine: engine,
        lanes: [.init(routes: ["bench"], workers: options.workers)], owner: "bench",
        logger: logger)
    workers.pollInterval = .milliseconds(50)
    let processStart = ContinuousClock.now
    let running = Task { [workers] in await workers.run() }
    // Until every message is done (a failing one would retry; stop after a minute idle).
    var last = (done: 0, at: ContinuousClock.now)
    while true {
        let done = try await count(schema, "done")
        if done >= options.messages { break }
        if done > last.done { last = (done, .now) }
        if ContinuousClock.now - last.at > .seconds(60) {
            fatalError("stuck at \(done) done of \(options.messages) — see the rows' errors")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    let processTime = seconds(ContinuousClock.now - processStart)
    workers.stop()
    await running.value
    print("processed_per_second \(Int(Double(options.messages) / processTime))")

    _ = try await client.query(
        PostgresQuery(unsafeSQL: "DROP SCHEMA \"\(schema.name)\" CASCADE"), logger: logger)
}
