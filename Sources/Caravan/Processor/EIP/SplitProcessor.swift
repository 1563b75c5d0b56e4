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
        var results: [Exchange] = []
        var firstError: ProcessingError?
        for (i, part) in parts.enumerated() {
            var sub = exchange.copy(body: part)
            sub.properties[ExchangeProperty.splitIndex] = .number(DecimalText(i))
            sub.properties[ExchangeProperty.splitSize] = .number(DecimalText(parts.count))
            sub.properties[ExchangeProperty.splitComplete] = .bool(i == parts.count - 1)
            do {
                try await runNested(steps, .part(i), &sub, context)
                sub.isStopped = false
                results.append(sub)
            } catch {
                if firstError == nil { firstError = error }
                if stopOnException { break }
            }
        }
        if let firstError { throw firstError }
        exchange = (strategy ?? .useOriginal).aggregate(original: exchange, results: results)
    }

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
        case .object(let o) where expression.language == .jsonpath:
            return [Body(document: .object(o))]
        case .null: return []
        case let value: return [partBody(value)]
        }
    }
}
