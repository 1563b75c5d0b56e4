import Caravan
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Runs this node's workers until stopped: they sleep while there is nothing to do and
/// wake on a PostgreSQL notification (sent with each journal commit), on a message handed
/// over locally, or on a polling tick when notifications are lost (a dropped
/// listener connection, a message written by another tool). A sweeper returns expired
/// leases to `ready`.
///
/// Workers are organised in lanes: a lane is a set of routes and how many workers serve
/// them, so a route that needs its own concurrency (one at a time, or many) gets a lane of
/// its own while the others share one.
public struct WorkerGroup: Sendable {
    /// Routes served together by `workers` workers.
    public struct Lane: Sendable {
        public var routes: [String]
        public var workers: Int

        public init(routes: [String], workers: Int) {
            self.routes = routes
            self.workers = workers
        }
    }

    public let store: MessageStore
    public let engine: RouteEngine
    public let lanes: [Lane]
    public var pollInterval: Duration = .seconds(1)
    public var leaseSweepInterval: Duration = .seconds(5)
    /// How long a claim lasts without renewal (renewed every third of it while running).
    public let lease: Duration
    public var batchSize = 32
    /// Names this process's leases; each worker adds `/lane.index`.
    public let owner: String
    let logger: Logger
    let doorbells: [Doorbell]
    /// Per lane: the database may hold work (a notification, recovered leases) — as
    /// opposed to a local hand-off, which needs no claim.
    let claimWanted: [Flag]
    let queues: [LocalQueue]
    private let stopping = Stopping()

    public init(
        store: MessageStore, engine: RouteEngine, lanes: [Lane], owner: String? = nil,
        lease: Duration = .seconds(30), localQueueCapacity: Int = 256,
        handOffStaleAfter: Duration? = nil,
        logger: Logger = Logger(label: "caravan.workers")
    ) {
        self.store = store
        self.engine = engine
        self.lanes = lanes.filter { !$0.routes.isEmpty }
        let owner =
            owner
            ?? "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
        self.owner = owner
        self.lease = lease
        self.logger = logger
        let doorbells = self.lanes.map { _ in Doorbell() }
        self.doorbells = doorbells
        self.claimWanted = self.lanes.map { _ in Flag(true) }
        self.queues = self.lanes.indices.map { i in
            LocalQueue(
                capacity: localQueueCapacity, lease: lease, staleAfter: handOffStaleAfter,
                owner: "\(owner)/local\(i)", doorbell: doorbells[i])
        }
    }

    /// The queue that hands messages of `route` straight to this node's workers (pass it
    /// to ``Journal/append(_:handOff:)``); nil when no lane here serves the route.
    public func localQueue(for route: String) -> LocalQueue? {
        lanes.firstIndex { $0.routes.contains(route) }.map { queues[$0] }
    }

    /// Wakes every worker to look in the database.
    public func wake() {
        for l in lanes.indices { wakeToClaim(lane: l) }
    }

    /// The lane's idle workers wake and claim from the database (not only take hand-offs).
    private func wakeToClaim(lane l: Int) {
        claimWanted[l].set()
        doorbells[l].ring()
    }

    /// Asks the workers to stop after the batch they are running; ``run()`` returns when
    /// they have. Cancel the task running ``run()`` to stop at once.
    public func stop() {
        stopping.set()
        for queue in queues { queue.close() }
        wake()
    }

    /// Runs until ``stop()`` (once the workers finished their batches) or cancellation.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await listen() }
            group.addTask { await sweep() }
            group.addTask { await poll() }
            await withTaskGroup(of: Void.self) { workers in
                for (l, lane) in lanes.enumerated() {
                    for i in 0..<max(1, lane.workers) {
                        workers.addTask { await work(lane: l, index: i) }
                    }
                }
            }
            group.cancelAll()
        }
    }

    func work(lane l: Int, index: Int) async {
        var worker = Worker(
            store: store, engine: engine, routes: lanes[l].routes, owner: "\(owner)/\(l).\(index)",
            logger: logger)
        worker.lease = lease
        worker.batchSize = batchSize
        var local = worker
        local.owner = queues[l].owner
        local.lease = queues[l].lease
        // A claim costs a query: make one when the database may hold work — a
        // notification, recovered leases, a full batch last time, or the polling
        // interval passed — not after every local hand-off.
        var lastClaim = ContinuousClock.now - pollInterval
        var lastFull = false
        // Hand-offs to give back to `ready`: those that waited too long (until they are
        // back), and rows of failed appends that may yet commit (until their lease ends).
        var stale: [UUID] = []
        var unconfirmed: [UUID: ContinuousClock.Instant] = [:]
        while !Task.isCancelled && !stopping.isSet {
            do {
                let handedOver = queues[l].take(batchSize)
                if !handedOver.stale.isEmpty {
                    stale += handedOver.stale.map(\.message.id)
                    logger.warning(
                        "hand-offs waited too long for a worker; returning them to ready",
                        metadata: [
                            "count": "\(handedOver.stale.count)",
                            "longest_wait": "\(handedOver.stale.map(\.waited).max()!)",
                            "route": "\(handedOver.stale[0].message.route)",
                        ])
                }
                if !stale.isEmpty {
                    try await store.releaseLeases(stale, ownedBy: queues[l].owner)
                    stale = []
                    claimWanted[l].set()
                }
                for (id, until) in handedOver.unconfirmed { unconfirmed[id] = until }
                if !unconfirmed.isEmpty {
                    let found = try await store.releaseLeasesReturningIDs(
                        Array(unconfirmed.keys), ownedBy: queues[l].owner)
                    let now = ContinuousClock.now
                    unconfirmed = unconfirmed.filter { !found.contains($0.key) && $0.value > now }
                    if !found.isEmpty {
                        logger.info(
                            "returned messages whose appends failed but committed to ready",
                            metadata: ["count": "\(found.count)"])
                        claimWanted[l].set()
                    }
                }
                if !handedOver.fresh.isEmpty {
                    try await local.process(handedOver.fresh)
                    continue
                }
                if claimWanted[l].take() || lastFull || .now - lastClaim >= pollInterval {
                    lastClaim = .now
                    let claimed = try await worker.processBatch()
                    lastFull = claimed >= batchSize
                    if claimed > 0 { continue }
                }
            } catch {
                // A node that stops cancels what is in flight: not a failure to report.
                if Task.isCancelled || stopping.isSet { return }
                logger.warning(
                    "claiming messages failed; retrying", metadata: ["error": "\(error)"])
            }
            if stopping.isSet { return }
            await doorbells[l].wait()
        }
    }

    /// LISTENs on the schema's channel; a notification names the routes that got
    /// messages and wakes their lanes.
    func listen() async {
        while !Task.isCancelled {
            do {
                try await store.client.withConnection { connection in
                    try await connection.listen(on: store.schema.notificationChannel) {
                        notifications in
                        for try await notification in notifications {
                            ring(routes: notification.payload)
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug(
                    "the notification listener stopped; polling until it is back",
                    metadata: ["error": "\(error)"])
                try? await Task.sleep(for: pollInterval)
            }
        }
    }

    func ring(routes payload: String) {
        let routes = payload.split(separator: ",").map(String.init)
        for (l, lane) in lanes.enumerated()
        where routes.isEmpty || routes.contains(where: lane.routes.contains) {
            wakeToClaim(lane: l)
        }
    }

    /// Rings every lane twice per polling interval, so that an idle worker looks in the
    /// database at least every interval (at most one and a half) when notifications are
    /// lost; each worker decides by the time of its own last claim.
    func poll() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: pollInterval / 2)
            for doorbell in doorbells { doorbell.ring() }
        }
    }

    func sweep() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: leaseSweepInterval)
            if Task.isCancelled { return }
            do {
                let expired = try await store.releaseExpiredLeases()
                for (id, route) in expired.dead {
                    logger.warning(
                        "message is a dead letter",
                        metadata: [
                            "message": "\(id.lowercasedText)", "route": "\(route)",
                            "error":
                                "its lease expired \(store.maxExpiredLeases) times: the nodes that took it stopped or hung",
                        ])
                }
                if expired.returned > 0 {
                    logger.warning(
                        "recovered messages whose lease expired",
                        metadata: ["count": "\(expired.returned)"])
                    wake()
                }
            } catch {
                logger.debug("lease sweep failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Returns the messages this node still holds (running, or handed over and not yet
    /// started) to `ready` at once, instead of waiting for their leases to expire.
    @discardableResult
    public func releaseLeases() async throws(StoreError) -> Int {
        for queue in queues { queue.close() }  // also when stop() did not come first
        for queue in queues { await queue.settled() }
        return try await store.releaseLeases(ownedBy: owner)
    }
}

/// A flag that is set, and taken (read and cleared) by whoever acts on it.
final class Flag: Sendable {
    private let value: Atomic<Bool>
    init(_ initial: Bool) { value = Atomic(initial) }
    func set() { value.store(true, ordering: .releasing) }
    func take() -> Bool { value.exchange(false, ordering: .acquiringAndReleasing) }
}

/// A flag set once (stop requested).
final class Stopping: Sendable {
    private let flag = Atomic(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}

extension StoreSchema {
    /// The LISTEN/NOTIFY channel of this schema's journal.
    public var notificationChannel: String { "caravan_\(name)" }
}
