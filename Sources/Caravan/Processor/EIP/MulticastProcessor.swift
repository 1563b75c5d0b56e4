/// `multicast`: every nested step receives its own copy of the exchange, in order; the
/// results are combined by the aggregation strategy (by default the last one wins, as in
/// Camel).
///
/// ```yaml
/// - multicast:
///     steps:
///       - to: "direct:billing"
///       - to: "direct:shipping"
/// ```
struct MulticastProcessor: Processor {
    let branches: [any Processor]
    let strategy: AggregationStrategyName?

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        var results: [Exchange] = []
        for (i, branch) in branches.enumerated() {
            var copy = exchange.copy()
            copy.properties[ExchangeProperty.multicastIndex] = .number(DecimalText(i))
            do {
                try await branch.process(&copy, context)
            } catch {
                var e = error
                e.path = e.path.prepending(.branch(i))
                throw e
            }
            results.append(copy)
        }
        exchange = (strategy ?? .useLatest).aggregate(original: exchange, results: results)
    }
}

/// `recipientList`: sends a copy to each endpoint the expression names (a list, or text
/// split by `delimiter`), then combines the replies (last one wins by default).
///
/// ```yaml
/// - recipientList:
///     simple: "direct:audit,${header.target}"
/// ```
struct RecipientListProcessor: Processor {
    let recipients: CompiledExpression
    let delimiter: String

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let uris: [String]
        switch try context.evaluate(recipients, exchange) {
        case .array(let items): uris = items.map(SimpleCoercion.text)
        case .null: uris = []
        case let value:
            uris = SimpleCoercion.text(value).split(separator: delimiter).map(String.init)
        }
        var results: [Exchange] = []
        for (i, uri) in uris.map({ $0.trimmingXMLWhitespace() }).enumerated() where !uri.isEmpty {
            var copy = exchange.copy()
            do {
                try await DynamicSendProcessor.send(uri, &copy, context)
            } catch {
                var e = error
                e.path = e.path.prepending(.branch(i))
                throw e
            }
            results.append(copy)
        }
        exchange = AggregationStrategyName.useLatest.aggregate(original: exchange, results: results)
    }
}

/// `wireTap`: sends a copy to an endpoint in the background and continues at once (the
/// EIP Wire Tap). A failure of the tap is logged, never the route's.
///
/// ```yaml
/// - wireTap: "direct:audit"
/// ```
struct WireTapProcessor: Processor {
    let uri: CompiledExpression

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let target = SimpleCoercion.text(try context.evaluate(uri, exchange))
        let copy = exchange.copy()
        context.background.start {
            var tapped = copy
            do {
                try await DynamicSendProcessor.send(target, &tapped, context)
            } catch {
                context.log.log(
                    level: .WARN, logger: "caravan.wireTap",
                    message: "wire tap to \(target) failed: \(error)")
            }
        }
    }
}

/// `enrich`: calls an endpoint with a copy and merges its reply (the EIP Content
/// Enricher). Without a strategy the reply replaces the message, as in Camel.
///
/// ```yaml
/// - enrich:
///     constant: "direct:customer-lookup"
///     aggregationStrategy: GroupedBodyAggregationStrategy
/// ```
struct EnrichProcessor: Processor {
    let uri: CompiledExpression
    let strategy: AggregationStrategyName?

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let target = SimpleCoercion.text(try context.evaluate(uri, exchange))
        var resource = exchange.copy()
        try await DynamicSendProcessor.send(target, &resource, context)
        exchange = (strategy ?? .useLatest).aggregate(
            original: exchange,
            results: strategy == nil || strategy == .useLatest ? [resource] : [exchange, resource])
    }
}
