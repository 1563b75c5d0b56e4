import ArgumentParser
import Caravan
import CaravanServer
import CaravanStore
import Foundation
import Logging
import ServiceLifecycle

/// `caravan serve`: runs the routes on the store until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the routes: workers process journaled messages until stopped.",
        discussion: """
            Without --database or DATABASE_URL, a private PostgreSQL is started from the local \
            PostgreSQL binaries in .caravan/ beside the routes folder, and stopped on exit.
            Settings in application.properties: caravan.workers, caravan.routes.<id>.workers, \
            caravan.lease, caravan.pollInterval, caravan.drainTimeout, caravan.retention, \
            caravan.housekeepingInterval (seconds).
            """
    )

    @Option(help: "The folder (or file) of route files.")
    var routes: String = "routes"

    @Option(help: "The database URL (default: $DATABASE_URL; none: a private PostgreSQL).")
    var database: String?

    @Option(help: "The schema Caravan's tables live in.")
    var schema: String = "caravan"

    @Option(
        help:
            "The properties file for {{placeholders}} and caravan.* settings (default: application.properties beside the routes)."
    )
    var properties: String?

    @Option(
        name: .customLong("property"),
        help:
            "A system property KEY=VALUE for {{KEY}} and {{sys:KEY}}, as Camel's -D (repeatable; the environment wins, application.properties loses)."
    )
    var systemProperties: [String] = []

    @Option(help: "The address the HTTP server listens on.")
    var host: String = "127.0.0.1"

    @Option(help: "The HTTP port (0: any free port).")
    var port: Int = 8080

    @Option(help: "The address the management listener (metrics, health, admin API) listens on.")
    var managementHost: String = "127.0.0.1"

    @Option(help: "The management listener's port (0: any free port).")
    var managementPort: Int = 9876

    @Flag(help: "Reload changed route files (validated first; on errors the old routes stay).")
    var watch = false

    @Option(help: "The largest request body accepted, in bytes (larger: 413).")
    var bodyLimit: Int = 10 * 1024 * 1024

    @Option(help: "Workers shared by the routes without a concurrency of their own.")
    var workers: Int?

    @Option(help: "Seconds a claimed message stays leased without renewal.")
    var lease: Double?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        try await serve(paths: [routes], privateDatabase: nil, camelLogs: false, camelErrors: false)
    }

    /// Runs the route files at `paths` (folders or files) until SIGTERM or SIGINT, on
    /// `--database`, else `DATABASE_URL`, else a private PostgreSQL beside the routes — or,
    /// given `privateDatabase` (`caravan run`), on a private PostgreSQL there unless
    /// `--database` names one. `camelLogs` writes log lines in Camel's shape;
    /// `camelErrors` gives routes without an error handler Camel's default (no
    /// redelivery) instead of Caravan's.
    func serve(paths: [String], privateDatabase: String?, camelLogs: Bool, camelErrors: Bool)
        async throws
    {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw CLIFailure.invalid(
                "--log-level \(logLevel) is not one of trace, debug, info, notice, warning, error, critical"
            )
        }
        LoggingSystem.bootstrap { label in
            if camelLogs {
                var handler = CamelLogHandler(label: label)
                handler.logLevel = level
                return RedactingLogHandler(handler)
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return RedactingLogHandler(handler)
        }
        var logger = Logger(label: "caravan")
        logger.logLevel = level
        Self.raiseOpenFileLimit(logger: logger)

        let placeholders = try RouteFiles.placeholders(
            for: paths, propertiesFile: properties, systemProperties: systemProperties)
        let files = try RouteFiles.read(try RouteFiles.find(paths))
        var loaded = RouteLoader(placeholders: placeholders, resources: FileResources()).load(files)
        loaded.diagnostics += RouteFiles.securityDiagnostics(
            loaded.routes, placeholders: placeholders, roots: paths, propertiesFile: properties)
        loaded.diagnostics += RouteFiles.literalSecretWarnings(files)
        for diagnostic in loaded.diagnostics {
            writeError(SecretRedactor.shared.redact(diagnostic.description))
        }
        guard loaded.errors.isEmpty else {
            throw CLIFailure.malformed(
                "the routes have \(loaded.errors.count) error\(loaded.errors.count == 1 ? "" : "s"); nothing was started"
            )
        }

        var settings: NodeSettings
        if let url = database
            ?? (privateDatabase == nil ? ProcessInfo.processInfo.environment["DATABASE_URL"] : nil)
        {
            do { _ = try DatabaseURL.configuration(url) } catch {
                throw CLIFailure.invalid(error.description)
            }
            settings = NodeSettings(database: .url(url))
        } else {
            settings = NodeSettings(
                database: .embedded(directory: privateDatabase ?? Self.privateDatabase(paths[0])))
        }
        var http = NodeSettings.HTTP(host: host, port: port)
        http.bodyLimit = bodyLimit
        settings.http = http  // before the properties, which may tune it
        settings.management = NodeSettings.Management(host: managementHost, port: managementPort)
        do {
            settings.schema = try StoreSchema(schema)
            if camelErrors { settings.defaultErrorHandler = .camelDefault }
            try settings.apply(
                properties: placeholders.properties, logger: logger,
                resolve: RouteFiles.securityResolver(placeholders))
        } catch let error as StoreError {
            throw CLIFailure.invalid(error.description)
        } catch let error as NodeError {
            throw CLIFailure.invalid(error.description)
        }
        if let workers {
            guard workers >= 1 else { throw CLIFailure.invalid("--workers must be 1 or more") }
            settings.workers = workers
        }
        if let lease {
            guard lease > 0 else { throw CLIFailure.invalid("--lease must be above 0 seconds") }
            settings.lease = .milliseconds(Int64(lease * 1000))
        }

        if watch {
            let (routes, properties, system) = (self.routes, self.properties, systemProperties)
            settings.reload = RouteReload(
                fingerprint: { RouteFiles.fingerprint([routes]) },
                load: {
                    do {
                        let placeholders = try RouteFiles.placeholders(
                            for: [routes], propertiesFile: properties, systemProperties: system)
                        let files = try RouteFiles.read(try RouteFiles.find([routes]))
                        let loaded = RouteLoader(
                            placeholders: placeholders, resources: FileResources()
                        ).load(files)
                        return loaded.errors.isEmpty
                            ? .success(loaded.routes) : .failure(LoadFailure(loaded.errors))
                    } catch {
                        return .failure(
                            LoadFailure([
                                Diagnostic(
                                    SourceLocation(file: routes, line: 1, column: 1), "\(error)")
                            ]))
                    }
                })
        }

        let node = Node(routes: loaded.routes, settings: settings, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: node)], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            throw CLIFailure(code: 1, message: "\(error)")
        }
    }

    /// `.caravan/postgres` beside the routes folder.
    static func privateDatabase(_ routes: String) -> String {
        let absolute = URL(fileURLWithPath: routes).standardized
        return absolute.deletingLastPathComponent().appendingPathComponent(".caravan/postgres").path
    }

    /// Raises the soft limit of open files to the hard one: each connection is a file, and
    /// Debian's soft default (1,024) is reached by a few hundred slow clients, after which
    /// nothing can connect, health checks included.
    static func raiseOpenFileLimit(logger: Logger) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max
        else { return }
        let soft = limit.rlim_cur
        limit.rlim_cur = limit.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            logger.debug(
                "raised the open file limit",
                metadata: ["from": "\(soft)", "to": "\(limit.rlim_max)"])
        }
    }
}
