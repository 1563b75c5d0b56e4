/// `split`: runs the nested steps once per part of the message (the EIP Splitter).
///
/// ```yaml
/// - split:
///     tokenize: "\n"
///     steps:
///       - to: "direct:line"
/// ```
/// Each part is a copy of the exchange with the part as its body and the properties
/// `CamelSplitIndex`, `CamelSplitSize` and `CamelSplitComplete`. Lists split into their
/// elements; a JSONPath or XPath node set into its nodes (XPath elements as XML); any
/// other value is one part. Afterwards the original exchange continues, unless an
/// aggregation strategy says otherwise. A failed part fails the split after the other
/// parts ran (at once with `stopOnException`); the failure's path names the part.
struct SplitProcessor: Processor {
    let expression: CompiledExpression
    let steps: Pipeline
    let strategy: AggregationStrategyName?
    let stopOnException: Bool

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let parts = try self.parts(of: exchange, context)
        try await run(parts, from: 0, results: [], &exchange, context, first: nil)
    }

    func resume(
        _ exchange: inout Exchange, at path: ArraySlice<StepPath.Element>, _ resumption: Resumption,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        guard case .part(let k)? = path.first, let frame = resumption.takeFrame() else {
            throw ProcessingError(
                .illegalState, "cannot resume the split at \(StepPath(Array(path)))")
        }
        exchange = frame.original
        let parts = try self.parts(of: exchange, context)
        var results = frame.results
        var sub = resumption.innerExchange
        var failure: ProcessingError?
        do {
            try await steps.resume(
                &sub, at: path.dropFirst(), resumption,
                context.forking(.part(k), original: exchange, results: results))
            sub.isStopped = false
            aggregation.collect(sub, into: &results)
        } catch {
            if error.isSuspension || stopOnException { throw error }
            failure = error
        }
        try await run(parts, from: k + 1, results: results, &exchange, context, first: failure)
    }

    func run(
        _ parts: [Body], from start: Int, results: [Exchange], _ exchange: inout Exchange,
        _ context: ProcessContext,
        first: ProcessingError?
    ) async throws(ProcessingError) {
        var results = results
        var firstError = first
        for i in parts.indices.dropFirst(start) {
            var sub = exchange.copy(body: parts[i])
            sub.properties[ExchangeProperty.splitIndex] = .number(DecimalText(i))
            sub.properties[ExchangeProperty.splitSize] = .number(DecimalText(parts.count))
            sub.properties[ExchangeProperty.splitComplete] = .bool(i == parts.count - 1)
            do {
                try await steps.process(
                    &sub, context.forking(.part(i), original: exchange, results: results))
                sub.isStopped = false
                aggregation.collect(sub, into: &results)
            } catch {
                if error.isSuspension { throw error }
                if firstError == nil { firstError = error }
                if stopOnException { break }
            }
        }
        if let firstError { throw firstError }
        exchange = aggregation.aggregate(original: exchange, results: results)
    }

    /// Camel's default for a split: the original exchange continues.
    var aggregation: AggregationStrategyName { strategy ?? .useOriginal }

    func parts(of exchange: Exchange, _ context: ProcessContext) throws(ProcessingError) -> [Body] {
        if case .xpath(let xpath) = expression.compiled {
            do {
                let tree = try exchange.message.body.xmlTree()
                if let xml = try xpath.selectXML(tree) {
                    return xml.map {
                        $0.hasPrefix("<")
                            ? Body(bytes: Array($0.utf8), contentType: .xml) : Body(text: $0)
                    }
                }
            } catch let error as FormatError {
                throw ProcessingError.format(error)
            } catch let error as EvaluationError {
                throw ProcessingError.evaluation(error)
            } catch {
                throw ProcessingError(.expression, "\(error)")
            }
        }
        switch try context.evaluate(expression, exchange) {
        case .array(let elements): return elements.map(partBody)
        case .null: return []
        case let value: return [partBody(value)]
        }
    }
}
