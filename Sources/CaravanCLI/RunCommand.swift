import ArgumentParser
import Foundation

/// `caravan run FILE...`: runs route files as `camel run` does — the files (and the
/// `application.properties` beside them) on a private PostgreSQL made for this run and
/// removed at its end, with log lines in Camel's shape, and Camel's default error handler
/// (no redelivery; a failed message is a dead letter at once) for routes that name none. For trying a file from Camel's
/// examples in one command; `caravan serve` is for keeping.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run route files as 'camel run' does: a throwaway store, Camel-shaped logs.",
        discussion: """
            Starts a private PostgreSQL in a temporary folder (removed when the run ends), \
            serves the files' HTTP endpoints on --port, and logs as Camel JBang does. \
            Stop with Ctrl-C.
            """)

    @Argument(help: "Route files or folders.")
    var files: [String]

    @Option(help: "The properties file (default: application.properties beside the first file).")
    var properties: String?

    @Option(
        name: .customLong("property"),
        help:
            "A system property KEY=VALUE for {{KEY}} and {{sys:KEY}}, as camel run's --prop (repeatable)."
    )
    var systemProperties: [String] = []

    @Option(help: "The HTTP port (0: any free port).")
    var port: Int = 8080

    @Option(help: "The database URL (default: a throwaway private PostgreSQL).")
    var database: String?

    @Option(help: "The schema Caravan's tables live in (with --database).")
    var schema: String = "caravan"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Log lines as camel (Camel JBang's shape) or caravan (caravan serve's).")
    var logFormat: LogFormat = .camel

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case camel, caravan
    }

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give one or more route files") }
        for file in files where !FileManager.default.fileExists(atPath: file) {
            throw ValidationError("no such file or folder: \(file)")
        }
    }

    func run() async throws {
        var serve = try ServeCommand.parse([])
        serve.properties = properties
        serve.systemProperties = systemProperties
        serve.port = port
        serve.managementPort = 0
        serve.database = database
        serve.schema = schema
        serve.logLevel = logLevel
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "caravan-run-\(UUID().uuidString.lowercased())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        try await serve.serve(
            paths: files, privateDatabase: scratch.appendingPathComponent("postgres").path,
            camelLogs: logFormat == .camel, camelErrors: true)
    }
}
