import Caravan
import CaravanAdapters
import CaravanStore
import Foundation
import Logging
import Synchronization

/// One version of the routes, running: the compiled engine, its workers and its file and
/// timer consumers. Hot reload starts a new generation, then stops the old one (which
/// finishes what it is running).
final class Generation: Sendable {
    let number: Int
    let routes: RouteSet
    let engine: RouteEngine
    let workers: WorkerGroup
    let pollers: [FilePoller]
    let timers: [TimerConsumer]
    private let tasks = Mutex<(workers: Task<Void, Never>?, consumers: Task<Void, Never>?)>(
        (nil, nil))

    private static let counter = Mutex(0)

    init(routes: RouteSet, settings: NodeSettings, shared: Shared) async throws {
        number = Self.counter.withLock {
            $0 += 1
            return $0
        }
        self.routes = routes
        let seda = try SedaComponent(journal: shared.journal, routes: routes) {
            shared.localQueue(for: $0)
        }
        var engineSettings = ProcessContext.Settings(log: SwiftLogSink(shared.logger))
        engineSettings.redelivery = SuspendingRedelivery()
        engineSettings.errorHandler = settings.defaultErrorHandler
        engineSettings.mocks = false
        engineSettings.idempotentRepositories = PostgresIdempotentRepositories(
            client: shared.clients, schema: shared.schema)
        engineSettings.aggregationRepositories = PostgresAggregationRepositories(
            client: shared.clients, schema: shared.schema)
        engine = try RouteEngine(
            routes: routes,
            components: [
                seda, shared.http, HTTPComponent(scheme: "https", sharing: shared.http),
                FileComponent(),
            ], settings: engineSettings)
        try await engine.start()
        let host = ProcessInfo.processInfo.hostName
        let pid = ProcessInfo.processInfo.processIdentifier
        var workers = WorkerGroup(
            store: shared.store, engine: engine, lanes: Node.lanes(for: routes, settings: settings),
            owner: "\(host):\(pid)#\(number)", lease: settings.lease, logger: shared.logger)
        workers.pollInterval = settings.pollInterval
        workers.leaseSweepInterval = min(.seconds(5), settings.lease / 2)
        self.workers = workers
        var pollers: [FilePoller] = []
        var timers: [TimerConsumer] = []
        for route in routes.routes {
            switch route.from.scheme {
            case "file":
                pollers.append(
                    try FilePoller(
                        routeId: route.id, uri: route.from, intake: shared,
                        memory: PostgresFileMemory(client: shared.clients, schema: shared.schema),
                        logger: shared.logger))
            case "timer":
                timers.append(
                    try TimerConsumer(
                        routeId: route.id, uri: route.from, intake: shared, logger: shared.logger))
            default: break
            }
        }
        self.pollers = pollers
        self.timers = timers
    }

    /// What keeps this generation from working as it should (a folder it cannot poll).
    var problems: [String] {
        pollers.compactMap { p in p.problem.map { "route \(p.routeId): \($0)" } }
    }

    func start() {
        let workers = self.workers
        let pollers = self.pollers
        let timers = self.timers
        tasks.withLock {
            $0.workers = Task { await workers.run() }
            $0.consumers = Task {
                await withTaskGroup(of: Void.self) { group in
                    for p in pollers { group.addTask { await p.run() } }
                    for t in timers { group.addTask { await t.run() } }
                }
            }
        }
    }

    /// Stops taking new messages, lets the workers finish for up to `drainTimeout`, then
    /// gives back the leases of what did not finish.
    func stop(drainTimeout: Duration, logger: Logger) async {
        let (running, consumers) = tasks.withLock { ($0.workers, $0.consumers) }
        consumers?.cancel()
        workers.stop()
        let deadline = Task {
            try? await Task.sleep(for: drainTimeout)
            if !Task.isCancelled { running?.cancel() }
        }
        await running?.value
        deadline.cancel()
        do {
            let released = try await workers.releaseLeases()
            if released > 0 {
                logger.warning("gave back unfinished messages", metadata: ["count": "\(released)"])
            }
        } catch {
            logger.warning(
                "could not give back leases; they expire by themselves",
                metadata: ["error": "\(error)"])
        }
        await engine.stop()
    }
}

extension PostgresFileMemory: FileMemory {}
