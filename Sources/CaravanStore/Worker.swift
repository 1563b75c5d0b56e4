import Caravan
import Foundation
import Logging

/// Takes messages from the store and runs them through their routes: claims a batch,
/// runs (or resumes) each one, then records the outcome — done, a redelivery due later
/// with its failure point, or a dead letter with its history.
public struct Worker: Sendable {
    public let store: MessageStore
    public let engine: RouteEngine
    public let routes: [String]
    /// Identifies this worker's leases (host, process and worker).
    public var owner: String
    public var batchSize = 32
    public var lease: Duration = .seconds(30)
    let logger: Logger

    public init(
        store: MessageStore, engine: RouteEngine, routes: [String], owner: String,
        logger: Logger = Logger(label: "caravan.worker")
    ) {
        self.store = store
        self.engine = engine
        self.routes = routes
        self.owner = owner
        self.logger = logger
    }

    /// Claims and processes one batch; returns how many messages it processed.
    @discardableResult
    public func processBatch() async throws(StoreError) -> Int {
        let claimed = try await store.claim(
            routes: routes, owner: owner, limit: batchSize, lease: lease)
        guard !claimed.isEmpty else { return 0 }
        try await process(claimed)
        return claimed.count
    }

    /// Processes messages leased to ``owner`` (claimed, or handed over by the journal)
    /// and records their outcomes. When the task is cancelled (a hard stop) it stops
    /// between messages and records nothing for the ones it did not finish: their leases
    /// return them to `ready`.
    public func process(_ claimed: [ClaimedMessage]) async throws(StoreError) {
        // Long work keeps its leases until the batch is recorded, so no other worker
        // takes over a message that is still running.
        let hold = store.leases.hold(claimed.map(\.id), lease: lease) {
            [store, owner, lease] ids in
            try? await store.renewLeases(ids, owner: owner, lease: lease)
        }
        defer { store.leases.release(hold) }
        var done: [UUID] = []
        for message in claimed {
            defer { if done.last != message.id { hold.finish(message.id) } }
            if Task.isCancelled { break }
            let outcome: RouteEngine.Outcome
            let started = ContinuousClock.now
            if let point = message.failure {
                outcome = await engine.resume(point)
            } else {
                outcome = await engine.run(
                    message.route,
                    Exchange(
                        id: message.id.lowercasedText, message: message.message,
                        properties: message.properties, variables: message.variables))
            }
            // A failure caused by the hard stop is not the message's fault: record nothing.
            if Task.isCancelled, outcome.error != nil { break }
            DeliveryMetrics.attempt(
                route: message.route, succeeded: outcome.error == nil,
                took: started.duration(to: .now))
            switch outcome.error {
            case nil:
                if let channel = outcome.exchange.properties[ExchangeProperty.deadLetterChannel]?
                    .scalarText
                {
                    // A dead letter channel took it: the store keeps the record too.
                    let reason =
                        outcome.exchange.properties[ExchangeProperty.exceptionCaught]?.scalarText
                        ?? "failed"
                    try await store.markDead(
                        message.id, owner: owner,
                        error: ProcessingError(
                            .exception, "\(reason) (sent to the dead letter channel \(channel))"),
                        point: nil)
                    DeliveryMetrics.deadLetter(route: message.route)
                } else {
                    done.append(message.id)
                }
                // One line per outcome (done, redelivery scheduled, dead letter), with the
                // message and route ids: what operators grep for.
                logger.info(
                    "message done",
                    metadata: [
                        "message": "\(message.id.lowercasedText)", "route": "\(message.route)",
                    ])
            case let error? where error.isSuspension:
                guard let document = error.point, let point = FailurePoint(document: document)
                else {
                    try await store.markDead(message.id, owner: owner, error: error, point: nil)
                    DeliveryMetrics.deadLetter(route: message.route)
                    continue
                }
                try await store.scheduleRetry(message.id, owner: owner, point: point)
                DeliveryMetrics.redeliveryScheduled(route: message.route)
                logger.info(
                    "message redelivery scheduled",
                    metadata: [
                        "message": "\(message.id.lowercasedText)", "route": "\(message.route)",
                        "in_ms": "\(point.delayMillis)", "error": "\(point.error)",
                    ])
            case let error?:
                // The failure point lets a replay resume at the failed step; without one
                // (a route with no redelivery at all) a replay starts from the beginning.
                try await store.markDead(message.id, owner: owner, error: error, point: error.point)
                DeliveryMetrics.deadLetter(route: message.route)
                logger.warning(
                    "message is a dead letter",
                    metadata: [
                        "message": "\(message.id.lowercasedText)", "route": "\(message.route)",
                        "error": "\(error)",
                    ])
            }
        }
        try await store.complete(done, owner: owner)
        let completed = Set(done)
        for message in claimed where completed.contains(message.id) {
            DeliveryMetrics.done(route: message.route, acceptedAt: message.acceptedAt)
        }
    }
}
