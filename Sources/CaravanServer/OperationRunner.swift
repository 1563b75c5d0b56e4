import CaravanStore
import Foundation
import Logging

/// Runs bulk operations on this node: takes one no other node holds (or whose holder's
/// lease ran out), acts on its dead letters in batches at its rate, renewing its lease
/// with every batch, until none is left or it is cancelled.
struct OperationRunner: Sendable {
    let operations: BulkOperations
    let owner: String
    var lease: Duration = .seconds(30)
    /// How often to look for work when there is none.
    var pollInterval: Duration = .seconds(1)
    let logger: Logger

    func run() async {
        while !Task.isCancelled {
            do {
                if let operation = try await operations.claim(owner: owner, lease: lease) {
                    try await runToEnd(operation)
                    continue
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("bulk operations: \(error)")
            }
            try? await Task.sleep(for: pollInterval)
        }
    }

    /// Batches of at most a second's worth (and at most 500), one per second at most.
    func runToEnd(_ operation: BulkOperation) async throws {
        let size = min(operation.rate, 500)
        let interval = Duration.milliseconds(1000 * size / operation.rate)
        logger.info(
            "running a bulk operation",
            metadata: [
                "operation": "\(operation.id.lowercasedText)",
                "action": "\(operation.action.rawValue)",
                "total": "\(operation.total)", "rate": "\(operation.rate)/s",
            ])
        var done = 0
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let acted = try await operations.runBatch(
                operation, owner: owner, size: size, lease: lease)
            if acted == 0 { break }
            done += acted
            // A short batch means the end is near: the empty one that marks it done
            // follows at once.
            if acted == size { try? await Task.sleep(until: started + interval) }
        }
        logger.info(
            "bulk operation ended here",
            metadata: ["operation": "\(operation.id.lowercasedText)", "acted on": "\(done)"])
    }
}
