/// `loop`: runs the nested steps a number of times, with `CamelLoopIndex` (from 0) and
/// `CamelLoopSize` set (the EIP Loop).
///
/// ```yaml
/// - loop:
///     constant: 3
///     steps: [{to: "direct:attempt"}]
/// ```
/// With `copy: true` every iteration starts from a copy of the exchange as it entered the
/// loop; otherwise each iteration sees the previous one's result.
struct LoopProcessor: Processor {
    let count: CompiledExpression
    let steps: Pipeline
    let copy: Bool

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let value = try context.evaluate(count, exchange)
        guard let n = SimpleCoercion.numberText(value)?.intValue, n >= 0 else {
            throw ProcessingError(
                .illegalArgument,
                "loop needs a whole number of iterations, not '\(SimpleCoercion.text(value))'")
        }
        try await iterate(from: 0, count: n, original: exchange, &exchange, context)
    }

    func resume(
        _ exchange: inout Exchange, at path: ArraySlice<StepPath.Element>, _ resumption: Resumption,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        guard case .iteration(let k)? = path.first, let frame = resumption.takeFrame() else {
            throw ProcessingError(
                .illegalState, "cannot resume the loop at \(StepPath(Array(path)))")
        }
        let n =
            frame.original.properties[ExchangeProperty.loopSize].flatMap {
                SimpleCoercion.numberText($0)?.intValue
            } ?? (k + 1)
        exchange = resumption.innerExchange
        try await steps.resume(
            &exchange, at: path.dropFirst(), resumption,
            context.forking(.iteration(k), original: frame.original, results: []))
        if exchange.isStopped { return }
        try await iterate(from: k + 1, count: n, original: frame.original, &exchange, context)
    }

    func iterate(
        from start: Int, count n: Int, original: Exchange, _ exchange: inout Exchange,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        var entry = original
        entry.properties[ExchangeProperty.loopSize] = .number(DecimalText(n))
        for i in start..<max(start, n) {
            if copy { exchange = entry }
            exchange.properties[ExchangeProperty.loopIndex] = .number(DecimalText(i))
            exchange.properties[ExchangeProperty.loopSize] = .number(DecimalText(n))
            try await steps.process(
                &exchange, context.forking(.iteration(i), original: entry, results: []))
            if exchange.isStopped { return }
        }
    }
}
