import Caravan
import CaravanAdapters
import CaravanStore
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// One Caravan process: opens the store (a PostgreSQL server, or a private cluster for
/// local use), applies the migrations, compiles the routes with the components that do
/// I/O, and runs the HTTP server, the file and timer consumers, the workers and the
/// housekeeping until it is stopped.
///
/// A graceful shutdown (SIGTERM/SIGINT through a `ServiceGroup`) stops accepting, lets
/// running messages finish for up to ``NodeSettings/drainTimeout``, then gives back the
/// leases of whatever did not finish, so another node takes it at once.
public final class Node: Service, Sendable {
    public let routes: RouteSet
    public let settings: NodeSettings
    let logger: Logger
    private let port = PortWaiter()
    private let managementPortWaiter = PortWaiter()

    public init(routes: RouteSet, settings: NodeSettings, logger: Logger) {
        self.routes = routes
        self.settings = settings
        self.logger = logger
    }

    /// The port the HTTP server listens on, once it does (useful with port 0).
    public func httpPort() async throws -> Int { try await port.value() }

    /// The port the management listener listens on, once it does.
    public func managementPort() async throws -> Int { try await managementPortWaiter.value() }

    /// The routes fed from the journal (all but `direct:` sub-routes and `InOut` HTTP
    /// routes, which run inline), in lanes: those with a concurrency of their own each get
    /// a lane, the others share one.
    public static func lanes(for routes: RouteSet, settings: NodeSettings) -> [WorkerGroup.Lane] {
        var shared: [String] = []
        var own: [WorkerGroup.Lane] = []
        for route in routes.routes where route.from.scheme != "direct" {
            if route.from.scheme == "platform-http",
                route.from.exchangePattern == .inOut
            {
                continue
            }
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
        do {
            try await runNode()
        } catch {
            // Whoever waits for a port learns that none is coming.
            port.fail(error)
            managementPortWaiter.fail(error)
            throw error
        }
        let stopped = NodeStopped()
        port.fail(stopped)
        managementPortWaiter.fail(stopped)
    }

    /// The node ended before it listened.
    struct NodeStopped: Error, CustomStringConvertible {
        var description: String { "the node stopped before it listened" }
    }

    private func runNode() async throws {
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .error)
        let (pool, cluster) = try await openDatabase(backgroundLogger: quiet)
        defer { try? cluster?.stop() }
        // The pool is a service of its own, after the work in the group's order: on a
        // graceful shutdown the workers drain and give back their leases first, and only
        // then do the connections close.
        let inner = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: pool),
                    .init(service: Work(node: self, pool: pool)),
                ], logger: quiet))
        try await withGracefulShutdownHandler {
            try await inner.run()
        } onGracefulShutdown: {
            Task { await inner.triggerGracefulShutdown() }
        }
    }

    /// The node's work on an open pool, as a service.
    struct Work: Service {
        let node: Node
        let pool: DatabasePool
        func run() async throws { try await node.serve(pool) }
    }

    private func openDatabase(backgroundLogger: Logger) async throws -> (
        DatabasePool, EmbeddedPostgres?
    ) {
        switch settings.database {
        case .url(let text):
            let url = try DatabaseURL(text)
            // The reason a server cannot be used (refused, wrong password, no such
            // database), at once: the pool would only time out.
            try await url.probe(
                timeout: settings.startTimeout, waiting: settings.startTimeout, logger: logger)
            return (DatabasePool(url: url, logger: logger, backgroundLogger: backgroundLogger), nil)
        case .embedded(let directory):
            let cluster = try await EmbeddedPostgres.start(in: directory, logger: logger)
            logger.info(
                "using a private PostgreSQL (no database URL given)",
                metadata: [
                    "directory": "\(cluster.dataDirectory)", "socket": "\(cluster.socketPath)",
                ])
            return (
                DatabasePool(
                    configuration: cluster.configuration(), backgroundLogger: backgroundLogger),
                cluster
            )
        }
    }

    func serve(_ pool: DatabasePool) async throws {
        let schema = settings.schema
        // The probe found the server; the database going away between the two (the pool
        // would retry for about a minute) or a statement PostgresNIO loses ends here.
        let migrator = Migrator(client: pool.client, schema: schema, logger: logger)
        let start = StatementGuard(
            timeout: settings.startTimeout,
            timeoutMessage:
                "cannot reach PostgreSQL within \(settings.startTimeout) (\(settings.database.redacted)) — is it running, and are the URL and credentials right?"
        )
        let applied = try await start.run { try await migrator.migrate() }
        if !applied.isEmpty {
            logger.info("applied migrations", metadata: ["versions": "\(applied)"])
        }
        var store = MessageStore(client: pool, schema: schema, logger: logger)
        store.maxExpiredLeases = settings.maxExpiredLeases
        let shared = Shared(
            client: pool, schema: schema,
            journal: Journal(client: pool, schema: schema, logger: logger),
            store: store,
            http: HTTPComponent(
                scheme: "http", trustedCertificates: settings.trustedCertificates,
                clientCertificate: settings.clientCertificate),
            logger: logger)
        defer { Task { [shared] in await shared.http.shutdown() } }

        let first = try await Generation(routes: routes, settings: settings, shared: shared)
        shared.current.withLock { $0 = first }
        let server = try settings.http.map { (http) throws in
            var limits = PlatformHTTPServer.Limits()
            limits.bodyLimit = http.bodyLimit
            limits.bodyTimeout = http.bodyTimeout
            limits.idempotencyHeader = http.idempotencyHeader
            limits.maxRequests = http.maxRequests
            limits.maxRequestBytes = http.maxRequestBytes
            return PlatformHTTPServer(
                routes: .init(table: try httpTable(routes), engine: first.engine),
                intake: shared, limits: limits, security: settings.security, ledger: shared,
                readiness: { [shared] in await shared.readiness() }, logger: logger)
        }

        let (httpTLS, managementTLS) = try tlsSources()

        var keeper = Housekeeping(client: pool, schema: schema, logger: logger)
        keeper.retention = settings.retention
        let housekeeping = keeper
        let failure = ErrorBox()
        await withThrowingTaskGroup(of: Void.self) { group in
            if let server, let http = settings.http {
                let idle = http.idleTimeout.components
                let configuration = HTTP1Channel.Configuration(
                    additionalChannelHandlers: [
                        MalformedRequestHandler(
                            maxHeaderBytes: http.maxHeaderBytes, maxHeaders: http.maxHeaders)
                    ],
                    idleTimeout: .seconds(idle.seconds)
                        + .nanoseconds(idle.attoseconds / 1_000_000_000),
                    httpDecoderConfiguration: .init(
                        maxHeaderFieldSize: http.maxHeaderBytes,
                        maxHeaderListSize: http.maxHeaderBytes,
                        maxHeaderFieldCount: http.maxHeaders))
                let scheme = httpTLS == nil ? "http" : "https"
                let app = Application(
                    responder: server.responder,
                    server: httpTLS.map { .http1(configuration: configuration, tls: $0) }
                        ?? .http1(configuration: configuration),
                    configuration: .init(address: .hostname(http.host, port: http.port)),
                    onServerRunning: { [port, logger] channel in
                        let bound = channel.localAddress?.port ?? http.port
                        logger.info(
                            "listening", metadata: ["url": "\(scheme)://\(http.host):\(bound)"])
                        port.set(bound)
                    }, logger: quietHTTPLogger())
                group.addTask { [logger] in
                    do { try await app.run() } catch {
                        logger.error(
                            "the HTTP server cannot run; stopping",
                            metadata: ["address": "\(http.host):\(http.port)", "error": "\(error)"])
                        failure.value.withLock { $0 = error }
                        shared.stop(drainTimeout: .zero)
                    }
                }
            }
            if let management = settings.management {
                let app = managementApplication(management, shared: shared, tls: managementTLS)
                group.addTask { [logger] in
                    do { try await app.run() } catch {
                        logger.error(
                            "the management listener cannot run; stopping",
                            metadata: [
                                "address": "\(management.host):\(management.port)",
                                "error": "\(error)",
                            ])
                        failure.value.withLock { $0 = error }
                        shared.stop(drainTimeout: .zero)
                    }
                }
            }
            group.addTask { [settings, logger] in
                while !Task.isCancelled {
                    do { try await housekeeping.runOnce() } catch {
                        if Task.isCancelled { return }
                        logger.warning("housekeeping failed", metadata: ["error": "\(error)"])
                    }
                    try? await Task.sleep(for: settings.housekeepingInterval)
                }
            }
            group.addTask { [logger] in
                let host = ProcessInfo.processInfo.hostName
                let pid = ProcessInfo.processInfo.processIdentifier
                await OperationRunner(
                    operations: BulkOperations(client: pool, schema: schema, logger: logger),
                    owner: "\(host)/\(pid)/operations", logger: logger
                ).run()
            }
            // Certificates rotated on disk serve the next connections.
            let sources = [httpTLS, managementTLS].compactMap { $0 }
            for (i, source) in sources.enumerated()
            where !sources[..<i].contains(where: { $0 === source }) {
                group.addTask { await source.watch() }
            }
            if let reload = settings.reload {
                group.addTask { await self.watch(reload, shared: shared, server: server) }
            }
            shared.start()
            logger.info(
                "caravan is running",
                metadata: [
                    "routes": "\(routes.routes.map(\.id))",
                    "lanes":
                        "\(first.workers.lanes.map { "\($0.routes.joined(separator: ","))×\($0.workers)" })",
                    "schema": "\(schema)",
                ])
            shared.ready.withLock { $0 = true }
            await withGracefulShutdownHandler {
                await shared.waitUntilStopped()
            } onGracefulShutdown: { [settings, logger] in
                logger.info(
                    "stopping: finishing running messages",
                    metadata: ["timeout": "\(settings.drainTimeout)"])
                shared.stop(drainTimeout: settings.drainTimeout)
            }
            group.cancelAll()
        }
        if let error = failure.value.withLock({ $0 }) {
            throw NodeError("a listener could not run: \(error)")
        }
        logger.info("caravan stopped")
    }

    /// Looks for changed route files; a change that loads and builds is swapped in, one
    /// that does not is logged with its positions and the running routes stay.
    /// The `platform-http` table of `routes`, once every policy they name is defined; the
    /// endpoints anyone may post to are named in a warning.
    func httpTable(_ routes: RouteSet) throws -> PlatformHTTPTable {
        let problems = settings.security.diagnose(routes)
        guard problems.isEmpty else { throw LoadFailure(problems) }
        let open = settings.security.openEndpoints(routes)
        if !open.isEmpty {
            logger.warning(
                "these endpoints accept requests from anyone: attach authPolicy=NAME or set caravan.auth.default",
                metadata: ["endpoints": "\(open.joined(separator: ", "))"])
        }
        return try PlatformHTTPTable(routes: routes)
    }

    func watch(_ reload: RouteReload, shared: Shared, server: PlatformHTTPServer?) async {
        var seen = reload.fingerprint()
        while !Task.isCancelled {
            try? await Task.sleep(for: reload.interval)
            let now = reload.fingerprint()
            guard now != seen else { continue }
            seen = now
            switch reload.load() {
            case .failure(let failure):
                logger.error(
                    "the changed routes have errors; the running routes stay",
                    metadata: ["errors": "\(failure.description)"])
            case .success(let routes):
                do {
                    let table = try httpTable(routes)
                    let next = try await Generation(
                        routes: routes, settings: settings, shared: shared)
                    server?.replace(.init(table: table, engine: next.engine))
                    await shared.swap(to: next, drainTimeout: settings.drainTimeout)
                    logger.info(
                        "reloaded the routes", metadata: ["routes": "\(routes.routes.map(\.id))"])
                } catch {
                    logger.error(
                        "the changed routes cannot start; the running routes stay",
                        metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// The management listener's application (metrics, health, admin API, console).
    /// The TLS contexts of the listeners, one when both use the same files.
    private func tlsSources() throws -> (http: TLSContextSource?, management: TLSContextSource?) {
        do {
            let http = try settings.http?.tls.map { (files) throws(SecurityError) in
                try TLSContextSource(files: files, logger: logger)
            }
            guard let files = settings.management?.tls else { return (http, nil) }
            if let http, http.files == files { return (http, http) }
            return (http, try TLSContextSource(files: files, logger: logger))
        } catch {
            throw NodeError(error.description)
        }
    }

    func managementApplication(
        _ management: NodeSettings.Management, shared: Shared, tls: TLSContextSource? = nil
    )
        -> some ApplicationProtocol
    {
        let routeIDs: @Sendable () -> [String] = { [shared] in
            shared.current.withLock { $0 }?.routes.routes.map(\.id) ?? []
        }
        let (clients, schema) = (shared.clients, shared.schema)
        let tokens = ApiTokens(client: clients, schema: schema, logger: logger)
        let api = AdminAPI(
            messages: Messages(client: clients, schema: schema, logger: logger),
            deadLetters: DeadLetters(client: clients, schema: schema, logger: logger),
            audit: AuditLog(client: clients, schema: schema, logger: logger),
            operations: BulkOperations(client: clients, schema: schema, logger: logger),
            tokens: tokens,
            statistics: StoreStatistics(client: clients, schema: schema, logger: logger),
            access: Access(tokens: tokens), routeIDs: routeIDs, logger: logger)
        let server = ManagementServer(
            metrics: NodeMetrics.shared,
            gauges: StoreGauges(
                statistics: StoreStatistics(
                    client: clients, schema: schema, timeout: .seconds(2), logger: logger),
                registry: NodeMetrics.shared.registry, interval: management.sampleInterval,
                logger: logger),
            routeIDs: routeIDs,
            readiness: { [shared] in await shared.readiness() },
            api: api,
            console: Console(
                api: api,
                sessions: ConsoleSessions(client: clients, schema: schema, logger: logger),
                logger: logger, secureCookies: tls != nil),
            metricsAuth: management.metricsAuth)
        let configuration = HTTP1Channel.Configuration(idleTimeout: .seconds(30))
        let scheme = tls == nil ? "http" : "https"
        return Application(
            router: server.router(),
            server: tls.map { .http1(configuration: configuration, tls: $0) }
                ?? .http1(configuration: configuration),
            configuration: .init(address: .hostname(management.host, port: management.port)),
            onServerRunning: { [managementPortWaiter, logger] channel in
                let bound = channel.localAddress?.port ?? management.port
                logger.info(
                    "management listening",
                    metadata: ["url": "\(scheme)://\(management.host):\(bound)"])
                managementPortWaiter.set(bound)
            }, logger: quietHTTPLogger())
    }

    func quietHTTPLogger() -> Logger {
        var l = logger
        l.logLevel = max(logger.logLevel, .warning)
        return l
    }
}

/// Waits for a value set once (the HTTP port), or for the failure that means it will
/// never be set.
final class PortWaiter: Sendable {
    private struct State {
        var value: Result<Int, any Error>?
        var waiters: [Int: CheckedContinuation<Int, any Error>] = [:]
        var next = 0
    }
    private let state = Mutex(State())

    func set(_ value: Int) { settle(.success(value)) }

    /// No value is coming (the node failed or stopped before it listened); a value set
    /// before stays.
    func fail(_ error: any Error) { settle(.failure(error)) }

    private func settle(_ result: Result<Int, any Error>) {
        let waiters = state.withLock { s -> [CheckedContinuation<Int, any Error>] in
            guard s.value == nil else { return [] }
            s.value = result
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume(with: result) }
    }

    /// The port once set; the node's error when it failed before it listened. A waiter can
    /// also give up: cancellation throws `CancellationError`.
    func value() async throws -> Int {
        let id = state.withLock { s in
            defer { s.next += 1 }
            return s.next
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { c in
                // Under the lock that `onCancel` takes too: a waiter is either stored
                // before the cancellation (and resumed by it) or sees it here.
                let step = state.withLock { s -> Result<Int, any Error>? in
                    if let v = s.value { return v }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    s.waiters[id] = c
                    return nil
                }
                if let step { c.resume(with: step) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(
                throwing: CancellationError())
        }
    }
}

/// The first error of a task that cannot throw to its group.
final class ErrorBox: Sendable {
    let value = Mutex<(any Error)?>(nil)
}
