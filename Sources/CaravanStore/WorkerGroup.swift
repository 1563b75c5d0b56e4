import Caravan
import Foundation
import Logging
import PostgresNIO

/// Runs workers for a set of routes until cancelled: they sleep while there is nothing
/// to do and wake on a PostgreSQL notification (sent with each journal commit), or after
/// the polling interval when notifications are lost (a dropped listener connection, a
/// message written by another tool). A sweeper returns expired leases to `ready`.
public struct WorkerGroup: Sendable {
    public let store: MessageStore
    public let engine: RouteEngine
    public let routes: [String]
    public var workers = 4
    public var pollInterval: Duration = .seconds(1)
    public var leaseSweepInterval: Duration = .seconds(5)
    public var lease: Duration = .seconds(30)
    /// Names this process's leases.
    public var owner: String
    let logger: Logger
    let doorbell = Doorbell()

    public init(
        store: MessageStore, engine: RouteEngine, routes: [String], owner: String? = nil,
        logger: Logger = Logger(label: "caravan.workers")
    ) {
        self.store = store
        self.engine = engine
        self.routes = routes
        self.owner =
            owner
            ?? "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
        self.logger = logger
    }

    /// Wakes the workers (after appending here, there is work at once).
    public func wake() { doorbell.ring() }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await listen() }
            group.addTask { await sweep() }
            for i in 0..<max(1, workers) {
                group.addTask { await work(i) }
            }
        }
    }

    func work(_ index: Int) async {
        var worker = Worker(
            store: store, engine: engine, routes: routes, owner: "\(owner)/\(index)", logger: logger
        )
        worker.lease = lease
        while !Task.isCancelled {
            do {
                if try await worker.processBatch() > 0 { continue }
            } catch {
                logger.warning(
                    "claiming messages failed; retrying", metadata: ["error": "\(error)"])
            }
            await doorbell.wait(upTo: pollInterval)
        }
    }

    /// LISTENs on the schema's channel; every notification rings the doorbell.
    func listen() async {
        while !Task.isCancelled {
            do {
                try await store.client.withConnection { connection in
                    try await connection.listen(on: store.schema.notificationChannel) {
                        notifications in
                        for try await _ in notifications { doorbell.ring() }
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

    func sweep() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: leaseSweepInterval)
            if Task.isCancelled { return }
            do {
                let recovered = try await store.releaseExpiredLeases()
                if recovered > 0 {
                    logger.warning(
                        "recovered messages whose lease expired",
                        metadata: ["count": "\(recovered)"])
                    doorbell.ring()
                }
            } catch {
                logger.debug("lease sweep failed", metadata: ["error": "\(error)"])
            }
        }
    }
}

extension StoreSchema {
    /// The LISTEN/NOTIFY channel of this schema's journal.
    public var notificationChannel: String { "caravan_\(name)" }
}
