import Foundation
import Synchronization

/// `aggregate`: collects exchanges with the same correlation key and, when a group is
/// complete, runs the nested steps once with the aggregate (the EIP Aggregator).
///
/// ```yaml
/// - aggregate:
///     correlationExpression: {simple: "${header.orderId}"}
///     aggregationStrategy: GroupedBodyAggregationStrategy
///     completionSize: 3
///     completionTimeout: 5000
///     steps: [{to: "direct:complete-orders"}]
/// ```
/// A group completes by size (`completionSize`, or `completionSizeExpression` on each
/// incoming message), by predicate (on the aggregate, or on the incoming message with
/// `eagerCheckCompletion`), or after `completionTimeout` ms without a new message (or
/// the `completionTimeoutExpression`'s, which wins). `discardOnCompletionTimeout` drops
/// a group that times out; `closeCorrelationKeyOnCompletion` refuses later messages of a
/// completed key with `ClosedCorrelationKeyException`.
/// The aggregate carries `CamelAggregatedSize`, `CamelAggregatedCompletedBy` and
/// `CamelAggregatedCorrelationKey`. Incoming exchanges continue after the step unchanged.
///
/// Groups live in an ``AggregationRepository`` (PostgreSQL in the server, as Camel's
/// `JdbcAggregationRepository`), named after the step's place in its route file: the
/// messages of an open group survive a restart, crash or hot reload. A completed group
/// is kept until its aggregate went through the steps: the message that completed it
/// runs them again if it is redelivered after a crash, and a node that starts runs the
/// steps of groups whose timeout passed, or whose timeout completion never finished.
struct AggregateProcessor: Processor {
    let correlation: CompiledExpression
    let strategy: AggregationStrategyName
    let completionSize: Int?
    let completionTimeout: Duration?
    let completionPredicate: CompiledExpression?
    let eagerCheckCompletion: Bool
    let ignoreInvalidCorrelationKeys: Bool
    var completionSizeExpression: CompiledExpression? = nil
    var completionTimeoutExpression: CompiledExpression? = nil
    var discardOnCompletionTimeout = false
    /// `completionInterval`: its ticks complete every open group.
    var completionInterval: IntervalCompletion? = nil
    var completionOnNewCorrelationGroup = false
    /// The keys of completed groups (`closeCorrelationKeyOnCompletion`), kept in memory as
    /// Camel keeps them.
    var closedKeys: ClosedCorrelationKeys? = nil
    let steps: Pipeline
    let repository: any AggregationRepository
    /// The repository's name (for logs).
    let name: String

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let keyValue = try context.evaluate(correlation, exchange)
        guard keyValue != .null,
            let key = keyValue.scalarText ?? Optional(JSONWriter().string(keyValue)), !key.isEmpty
        else {
            if ignoreInvalidCorrelationKeys { return }
            throw ProcessingError(
                ErrorKind("org.apache.camel.CamelExchangeException"),
                "invalid correlation key: the correlation expression gave no value")
        }
        let owner = context.origin?.exchangeId ?? exchange.id
        if let closedKeys, closedKeys.isClosed(key, except: owner) {
            throw ProcessingError(
                ErrorKind("org.apache.camel.processor.aggregate.ClosedCorrelationKeyException"),
                "the correlation key '\(key)' has been closed")
        }
        var eager = false
        if eagerCheckCompletion, let predicate = completionPredicate {
            eager = try context.matches(predicate, exchange)
        }
        // Camel evaluates both expressions on each incoming message.
        let sizeFromMessage = try completionSizeExpression.flatMap { (e) throws(ProcessingError) in
            Self.positive(try context.evaluate(e, exchange))
        }
        let timeout =
            try completionTimeoutExpression.flatMap { (e) throws(ProcessingError) in
                Self.positive(try context.evaluate(e, exchange)).map { Duration.milliseconds($0) }
            } ?? completionTimeout
        let group = try await repository.add(exchange, key: key, owner: owner, timeout: timeout)
        let members = group.members
        if let completionInterval, completionInterval.start() {
            startIntervals(completionInterval, context)
        }
        if completionOnNewCorrelationGroup, members.count == 1, !group.completedByThisOwner {
            // A new group: the others are complete (Camel: consecutive keys).
            for other in try await repository.openGroups() where other.key != key {
                await completeNow(other, by: "new group", context)
            }
        }
        var aggregate = strategy.aggregate(original: members[0], results: members)
        var completedBy: String?
        if let size = sizeFromMessage, members.count >= size { completedBy = "size" }
        if completedBy == nil, let size = completionSize, members.count >= size {
            completedBy = "size"
        }
        if completedBy == nil, let predicate = completionPredicate {
            if eagerCheckCompletion ? eager : try context.matches(predicate, aggregate) {
                completedBy = "predicate"
            }
        }
        if group.completedByThisOwner {
            // Redelivered after a crash: this message completed the group before.
            completedBy = completedBy ?? "size"
        } else if completedBy != nil {
            guard try await repository.complete(key: key, size: members.count, by: owner)
            else { return }  // another message joined or completed it first
        }
        if let completedBy {
            closedKeys?.close(key, by: owner)
            Self.mark(&aggregate, key: key, size: members.count, by: completedBy)
            // A redelivery resumes with the aggregate (whose id is its first member's).
            aggregate.properties[Self.completer] = .string(owner)
            try await steps.process(&aggregate, context)
            try await repository.confirm(key: key, completedBy: owner)
            return
        }
        if let timeout {
            startTimer(key: key, members: members, after: timeout, context)
        }
    }

    /// A whole number above 0 from an expression's value, as Camel converts it; nil for
    /// anything else (the static setting applies then).
    static func positive(_ value: Document) -> Int? {
        guard let text = value.scalarText, let n = Int(text.trimmingXMLWhitespace()), n > 0
        else { return nil }
        return n
    }

    /// A redelivery inside the steps: the failure point holds the aggregate. It goes on
    /// through the steps and confirms the group; the route does not go on after the
    /// aggregate step with it (only incoming exchanges do, and that one already has).
    func resume(
        _ exchange: inout Exchange, at path: ArraySlice<StepPath.Element>, _ resumption: Resumption,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        guard !path.isEmpty else {
            try await process(&exchange, context)
            return
        }
        try await steps.resume(&exchange, at: path, resumption, context)
        if let key = exchange.properties["CamelAggregatedCorrelationKey"]?.scalarText {
            let owner =
                exchange.properties[Self.completer]?.scalarText
                ?? context.origin?.exchangeId ?? exchange.id
            try await repository.confirm(key: key, completedBy: owner)
        }
        exchange.isStopped = true
    }

    /// Completes group `key` after `timeout` unless it changed meanwhile (its latest
    /// member's timer does it then), in the background.
    /// (Members only join, so a group that still has as many members has these.)
    func startTimer(
        key: String, members: [Exchange], after timeout: Duration, _ context: ProcessContext
    ) {
        context.background.startTimer { [self] in
            do { try await context.sleep(timeout) } catch { return }
            if Task.isCancelled { return }
            let owner = "timeout:\(UUID().uuidString.lowercased())"
            guard
                (try? await repository.complete(key: key, size: members.count, by: owner))
                    == true
            else { return }
            await completeInBackground(key: key, members: members, owner: owner, context)
        }
    }

    /// Completes `group` as it stands (unless it changed meanwhile) and runs its steps in
    /// the background.
    func completeNow(_ group: AggregationGroupSnapshot, by: String, _ context: ProcessContext)
        async
    {
        // `timeout:` owners are the ones a starting node takes over when unconfirmed.
        let owner = "timeout:\(UUID().uuidString.lowercased())"
        guard
            (try? await repository.complete(key: group.key, size: group.members.count, by: owner))
                == true
        else { return }
        context.background.start { [self] in
            await completeInBackground(
                key: group.key, members: group.members, owner: owner, by: by, context)
        }
    }

    /// `completionInterval`: every interval, every open group completes. The ticks pause
    /// once no group is open and start again with the next message (a loop that never
    /// ends would spin under a route test's virtual clock, whose sleeps return at once).
    func startIntervals(_ interval: IntervalCompletion, _ context: ProcessContext) {
        context.background.startTimer { [self] in
            while true {
                do { try await context.sleep(interval.every) } catch {
                    interval.stop()
                    return
                }
                let open = (try? await repository.openGroups()) ?? []
                for group in open { await completeNow(group, by: "interval", context) }
                if open.isEmpty {
                    interval.stop()
                    // A message that came between the look and the stop started no ticks.
                    let late = (try? await repository.openGroups()) ?? []
                    guard !late.isEmpty, interval.start() else { return }
                }
            }
        }
    }

    /// Runs the steps of a group a timeout (or an interval, or a new group) completed,
    /// then confirms it; a failure leaves it completed and unconfirmed, so that a node
    /// that starts runs it again.
    func completeInBackground(
        key: String, members: [Exchange], owner: String, by: String = "timeout",
        _ context: ProcessContext
    ) async {
        closedKeys?.close(key, by: owner)
        do {
            if discardOnCompletionTimeout, by == "timeout" {
                try await repository.confirm(key: key, completedBy: owner)
                return
            }
            var aggregate = strategy.aggregate(original: members[0], results: members)
            Self.mark(&aggregate, key: key, size: members.count, by: by)
            aggregate.properties[Self.completer] = .string(owner)
            try await steps.process(&aggregate, context)
            try await repository.confirm(key: key, completedBy: owner)
        } catch {
            context.log.log(
                level: .ERROR, logger: "caravan.aggregate",
                message:
                    "completing the aggregate '\(key)' of \(name) failed: \(error) — it is kept and completed again when a node starts"
            )
        }
    }

    /// Takes over what the repository holds with nobody to run it: groups whose timeout
    /// passed while no node watched them, open groups whose timeout is still to come,
    /// and timeout completions that never finished.
    func recover(_ context: ProcessContext) async {
        guard let pending = try? await repository.pending() else { return }
        for group in pending {
            if let owner = group.completedBy {
                context.background.start { [self] in
                    await completeInBackground(
                        key: group.key, members: group.members, owner: owner, context)
                }
            } else {
                startTimer(
                    key: group.key, members: group.members, after: group.remaining, context)
            }
        }
    }

    /// Who completed the aggregate (the completing message, or a timeout), for its
    /// confirmation.
    static let completer = "CaravanAggregateCompleter"

    static func mark(_ e: inout Exchange, key: String, size: Int, by: String) {
        e.properties["CamelAggregatedSize"] = .number(DecimalText(size))
        e.properties["CamelAggregatedCompletedBy"] = .string(by)
        e.properties["CamelAggregatedCorrelationKey"] = .string(key)
    }
}

/// Whether an aggregate's `completionInterval` ticks are running (shared by the copies of
/// its processor).
final class IntervalCompletion: Sendable {
    let every: Duration
    private let running = Mutex(false)

    init(every: Duration) { self.every = every }

    /// True once, for the caller that must start the ticks.
    func start() -> Bool {
        running.withLock { r in
            defer { r = true }
            return !r
        }
    }

    func stop() { running.withLock { $0 = false } }
}
