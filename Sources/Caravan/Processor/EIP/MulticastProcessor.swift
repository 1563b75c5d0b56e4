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
        try await run(from: 0, results: [], &exchange, context)
    }

    func resume(
        _ exchange: inout Exchange, at path: ArraySlice<StepPath.Element>, _ resumption: Resumption,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        guard case .branch(let k)? = path.first, branches.indices.contains(k),
            let frame = resumption.takeFrame()
        else {
            throw ProcessingError(
                .illegalState, "cannot resume the multicast at \(StepPath(Array(path)))")
        }
        exchange = frame.original
        var results = frame.results
        var copy = resumption.innerExchange
        try await branches[k].resume(
            &copy, at: path.dropFirst(), resumption,
            context.forking(.branch(k), original: exchange, results: results))
        aggregation.collect(copy, into: &results)
        try await run(from: k + 1, results: results, &exchange, context)
    }

    func run(
        from start: Int, results: [Exchange], _ exchange: inout Exchange, _ context: ProcessContext
    ) async throws(ProcessingError) {
        var results = results
        for i in branches.indices.dropFirst(start) {
            var copy = exchange.copy()
            copy.properties[ExchangeProperty.multicastIndex] = .number(DecimalText(i))
            try await Pipeline.run(
                branches[i], &copy,
                context.forking(.branch(i), original: exchange, results: results)
            ) {
                (e: inout Exchange, c: ProcessContext) async throws(ProcessingError) in
                try await branches[i].process(&e, c)
            }
            aggregation.collect(copy, into: &results)
        }
        exchange = aggregation.aggregate(original: exchange, results: results)
    }

    /// Camel's default for a multicast: the last branch's result continues.
    var aggregation: AggregationStrategyName { strategy ?? .useLatest }
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
        try await run(try uris(exchange, context), from: 0, results: [], &exchange, context)
    }

    func resume(
        _ exchange: inout Exchange, at path: ArraySlice<StepPath.Element>, _ resumption: Resumption,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        guard case .branch(let k)? = path.first, let frame = resumption.takeFrame() else {
            throw ProcessingError(
                .illegalState, "cannot resume the recipient list at \(StepPath(Array(path)))")
        }
        exchange = frame.original
        let list = try uris(exchange, context)
        guard list.indices.contains(k) else {
            throw ProcessingError(.illegalState, "the recipient list changed since the failure")
        }
        var copy = resumption.innerExchange
        try await DynamicSendProcessor.send(
            list[k], &copy, context.forking(.branch(k), original: exchange, results: frame.results))
        var results = frame.results
        AggregationStrategyName.useLatest.collect(copy, into: &results)
        try await run(list, from: k + 1, results: results, &exchange, context)
    }

    func uris(_ exchange: Exchange, _ context: ProcessContext) throws(ProcessingError) -> [String] {
        let raw: [String]
        switch try context.evaluate(recipients, exchange) {
        case .array(let items): raw = items.map(SimpleCoercion.text)
        case .null: raw = []
        case let value:
            raw = SimpleCoercion.text(value).split(separator: delimiter).map(String.init)
        }
        return raw.map { $0.trimmingXMLWhitespace() }.filter { !$0.isEmpty }
    }

    func run(
        _ uris: [String], from start: Int, results: [Exchange], _ exchange: inout Exchange,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        var results = results
        for i in uris.indices.dropFirst(start) {
            var copy = exchange.copy()
            let branch = context.forking(.branch(i), original: exchange, results: results)
            do {
                try await DynamicSendProcessor.send(uris[i], &copy, branch)
            } catch {
                var e = error
                if e.path.elements.isEmpty { e.path = branch.path }
                throw e
            }
            AggregationStrategyName.useLatest.collect(copy, into: &results)
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
            // Nobody waits for the tapped copy (Camel sends it InOnly).
            tapped.pattern = .inOnly
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
