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
        let original = exchange
        for i in 0..<n {
            if copy { exchange = original }
            exchange.properties[ExchangeProperty.loopIndex] = .number(DecimalText(i))
            exchange.properties[ExchangeProperty.loopSize] = .number(DecimalText(n))
            try await runNested(steps, .iteration(i), &exchange, context)
            if exchange.isStopped { return }
        }
    }
}
