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
/// A group completes by size, by predicate (on the aggregate, or on the incoming message
/// with `eagerCheckCompletion`), or after `completionTimeout` ms without a new message.
/// The aggregate carries `CamelAggregatedSize`, `CamelAggregatedCompletedBy` and
/// `CamelAggregatedCorrelationKey`. Incoming exchanges continue after the step unchanged.
/// Open groups live in this processor's memory only: a restart, crash or hot reload
/// before a group completes loses its messages (which the store already marked done).
/// Keeping them in PostgreSQL, as Camel's `JdbcAggregationRepository` does, is still to do.
struct AggregateProcessor: Processor {
    let correlation: CompiledExpression
    let strategy: AggregationStrategyName
    let completionSize: Int?
    let completionTimeout: Duration?
    let completionPredicate: CompiledExpression?
    let eagerCheckCompletion: Bool
    let ignoreInvalidCorrelationKeys: Bool
    let steps: Pipeline
    let groups = AggregationGroups()

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
        var eager = false
        if eagerCheckCompletion, let predicate = completionPredicate {
            eager = try context.matches(predicate, exchange)
        }
        let (members, generation) = groups.add(exchange, to: key)
        var aggregate = strategy.aggregate(original: members[0], results: members)
        var completedBy: String?
        if let size = completionSize, members.count >= size { completedBy = "size" }
        if completedBy == nil, let predicate = completionPredicate {
            if eagerCheckCompletion ? eager : try context.matches(predicate, aggregate) {
                completedBy = "predicate"
            }
        }
        if let completedBy {
            guard groups.take(key, generation: generation) != nil else { return }
            mark(&aggregate, key: key, size: members.count, by: completedBy)
            try await steps.process(&aggregate, context)
            return
        }
        if let timeout = completionTimeout {
            context.background.start { [groups, strategy, steps] in
                do { try await context.sleep(timeout) } catch { return }
                // Only the timer of the group's latest message completes it (inactivity).
                guard let members = groups.take(key, generation: generation) else { return }
                var aggregate = strategy.aggregate(original: members[0], results: members)
                AggregateProcessor.mark(&aggregate, key: key, size: members.count, by: "timeout")
                do {
                    try await steps.process(&aggregate, context)
                } catch {
                    context.log.log(
                        level: .ERROR, logger: "caravan.aggregate",
                        message: "completing the aggregate for '\(key)' failed: \(error)")
                }
            }
        }
    }

    func mark(_ e: inout Exchange, key: String, size: Int, by: String) {
        AggregateProcessor.mark(&e, key: key, size: size, by: by)
    }

    static func mark(_ e: inout Exchange, key: String, size: Int, by: String) {
        e.properties["CamelAggregatedSize"] = .number(DecimalText(size))
        e.properties["CamelAggregatedCompletedBy"] = .string(by)
        e.properties["CamelAggregatedCorrelationKey"] = .string(key)
    }
}

/// The open groups of one aggregate step.
final class AggregationGroups: Sendable {
    private let groups = Mutex<[String: (members: [Exchange], generation: Int)]>([:])

    /// Adds `exchange` to group `key`; returns the members and the group's new generation.
    func add(_ exchange: Exchange, to key: String) -> ([Exchange], Int) {
        groups.withLock { g in
            var group = g[key] ?? ([], 0)
            group.members.append(exchange)
            group.generation += 1
            g[key] = group
            return (group.members, group.generation)
        }
    }

    /// Removes and returns group `key` if it is still at `generation`.
    func take(_ key: String, generation: Int) -> [Exchange]? {
        groups.withLock { g in
            guard let group = g[key], group.generation == generation else { return nil }
            g[key] = nil
            return group.members
        }
    }
}
