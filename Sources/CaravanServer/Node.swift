import Caravan
import CaravanStore
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// One Caravan process: opens the store (a PostgreSQL server, or a private cluster for
/// local use), applies the migrations, compiles the routes with the store's components
/// (`seda:` through the journal, durable redelivery), and runs the workers and the
/// housekeeping until it is stopped.
///
/// A graceful shutdown (SIGTERM/SIGINT through a `ServiceGroup`) stops claiming, lets
/// running messages finish for up to ``NodeSettings/drainTimeout``, then gives back the
/// leases of whatever did not finish, so another node takes it at once.
public final class Node: Service, Sendable {
    public let routes: RouteSet
    public let settings: NodeSettings
    let logger: Logger
    private let shutdown = Mutex<WorkerGroup?>(nil)

    public init(routes: RouteSet, settings: NodeSettings, logger: Logger) {
        self.routes = routes
        self.settings = settings
        self.logger = logger
    }

    /// The routes fed from the journal (all but `direct:` sub-routes), in lanes: those
    /// with a concurrency of their own each get a lane, the others share one.
    public static func lanes(for routes: RouteSet, settings: NodeSettings) -> [WorkerGroup.Lane] {
        var shared: [String] = []
        var own: [WorkerGroup.Lane] = []
        for route in routes.routes where route.from.scheme != "direct" {
            if let n = settings.routeWorkers[route.id] ?? SedaComponent.concurrency(of: route) {
                own.append(WorkerGroup.Lane(routes: [route.id], workers: n))
            } else {
                shared.append(route.id)
            }
        }
        return (shared.isEmpty ? [] : [WorkerGroup.Lane(routes: shared, workers: settings.workers)])
            + own
    }

    public func run() async throws {
        let (configuration, cluster) = try await openDatabase()
        defer { try? cluster?.stop() }
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: configuration, backgroundLogger: quiet)
        // The client is a service of its own, after the work in the group's order: on a
        // graceful shutdown the workers drain and give back their leases first, and only
        // then does the connection pool close.
        let inner = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: client),
                    .init(service: Work(node: self, client: client)),
                ], logger: quiet))
        try await withGracefulShutdownHandler {
            try await inner.run()
        } onGracefulShutdown: {
            Task { await inner.triggerGracefulShutdown() }
        }
    }

    /// The node's work on an open client, as a service.
    struct Work: Service {
        let node: Node
        let client: PostgresClient
        func run() async throws { try await node.serve(client) }
    }

    private func openDatabase() async throws -> (PostgresClient.Configuration, EmbeddedPostgres?) {
        switch settings.database {
        case .url(let url):
            return (try DatabaseURL.configuration(url), nil)
        case .embedded(let directory):
            let cluster = try await EmbeddedPostgres.start(in: directory, logger: logger)
            logger.info(
                "using a private PostgreSQL (no database URL given)",
                metadata: [
                    "directory": "\(cluster.dataDirectory)", "socket": "\(cluster.socketPath)",
                ])
            return (cluster.configuration(), cluster)
        }
    }

    func serve(_ client: PostgresClient) async throws {
        let schema = settings.schema
        // PostgresNIO's pool keeps retrying an unreachable server for about a minute; a
        // node that cannot start says so sooner.
        let migrator = Migrator(client: client, schema: schema, logger: logger)
        let applied = try await withDeadline(settings.startTimeout) {
            try await migrator.migrate()
        } onTimeout: { [settings] in
            NodeError(
                "cannot reach PostgreSQL within \(settings.startTimeout) (\(settings.database.redacted)) — is it running, and are the URL and credentials right?"
            )
        }
        if !applied.isEmpty {
            logger.info("applied migrations", metadata: ["versions": "\(applied)"])
        }
        let journal = Journal(client: client, schema: schema, logger: logger)
        let store = MessageStore(client: client, schema: schema, logger: logger)
        let handOff = HandOffTarget()
        let seda = try SedaComponent(journal: journal, routes: routes) {
            handOff.group?.localQueue(for: $0)
        }
        var engineSettings = ProcessContext.Settings(log: SwiftLogSink(logger))
        engineSettings.redelivery = SuspendingRedelivery()
        engineSettings.errorHandler = .caravanDefault
        engineSettings.idempotentRepositories = PostgresIdempotentRepositories(
            client: client, schema: schema)
        let engine = try RouteEngine(routes: routes, components: [seda], settings: engineSettings)
        try await engine.start()
        defer { Task { await engine.stop() } }

        var workers = WorkerGroup(
            store: store, engine: engine, lanes: Node.lanes(for: routes, settings: settings),
            lease: settings.lease, logger: logger)
        workers.pollInterval = settings.pollInterval
        workers.leaseSweepInterval = min(.seconds(5), settings.lease / 2)
        handOff.group = workers
        var housekeeping = Housekeeping(client: client, schema: schema, logger: logger)
        housekeeping.retention = settings.retention

        logger.info(
            "caravan is running",
            metadata: [
                "routes": "\(routes.routes.map(\.id))",
                "lanes":
                    "\(workers.lanes.map { "\($0.routes.joined(separator: ","))×\($0.workers)" })",
                "schema": "\(schema)",
            ])
        let running = Task { [workers] in await workers.run() }
        let maintenance = Task { [settings, logger] in
            while !Task.isCancelled {
                do { try await housekeeping.runOnce() } catch {
                    logger.warning("housekeeping failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: settings.housekeepingInterval)
            }
        }
        let drain = Mutex<Task<Void, Never>?>(nil)
        let workerGroup = workers
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await running.value
            } onGracefulShutdown: { [settings, logger, workers] in
                logger.info(
                    "stopping: finishing running messages",
                    metadata: ["timeout": "\(settings.drainTimeout)"])
                workers.stop()
                drain.withLock {
                    $0 = Task {
                        try? await Task.sleep(for: settings.drainTimeout)
                        if !Task.isCancelled { running.cancel() }
                    }
                }
            }
        } onCancel: {
            running.cancel()
        }
        drain.withLock { $0?.cancel() }
        maintenance.cancel()
        // What did not finish goes back to `ready` now rather than after its lease.
        do {
            let released = try await workerGroup.releaseLeases()
            if released > 0 {
                logger.warning(
                    "gave back unfinished messages", metadata: ["count": "\(released)"])
            }
        } catch {
            logger.warning(
                "could not give back leases; they expire by themselves",
                metadata: ["error": "\(error)"])
        }
        logger.info("caravan stopped")
    }
}

/// Lets the `seda:` component, built before the worker group, reach it.
final class HandOffTarget: @unchecked Sendable {
    // Written once before any message flows, read afterwards.
    var group: WorkerGroup?
}

/// Runs `operation`, or throws `onTimeout()` when it has not finished after `timeout`.
func withDeadline<T: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T,
    onTimeout: @escaping @Sendable () -> any Error
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw onTimeout()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
