/// `choice`: the first `when` whose predicate holds runs its steps; otherwise the
/// `otherwise` steps (the EIP Content-Based Router).
///
/// ```yaml
/// - choice:
///     when:
///       - simple: "${body[total]} > 1000"
///         steps: [{to: "direct:big"}]
///     otherwise:
///       steps: [{to: "direct:standard"}]
/// ```
struct ChoiceProcessor: Processor {
    let whens: [(predicate: CompiledExpression, steps: Pipeline)]
    let otherwise: Pipeline?

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        for (i, when) in whens.enumerated() where try context.matches(when.predicate, exchange) {
            try await runNested(when.steps, .when(i), &exchange, context)
            return
        }
        if let otherwise { try await runNested(otherwise, .otherwise, &exchange, context) }
    }

    func resume(
        _ exchange: inout Exchange, at path: ArraySlice<StepPath.Element>, _ resumption: Resumption,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        // The branch was chosen before the failure; it is not chosen again.
        switch path.first {
        case .when(let i)? where whens.indices.contains(i):
            try await whens[i].steps.resume(
                &exchange, at: path.dropFirst(), resumption, context.descending(.when(i)))
        case .otherwise? where otherwise != nil:
            try await otherwise!.resume(
                &exchange, at: path.dropFirst(), resumption, context.descending(.otherwise))
        default:
            throw ProcessingError(
                .illegalState, "cannot resume the choice at \(StepPath(Array(path)))")
        }
    }
}

/// `filter`: the nested steps run only when the predicate holds (the EIP Message Filter).
///
/// ```yaml
/// - filter:
///     simple: "${header.priority} == 'high'"
///     steps: [{to: "direct:urgent"}]
/// ```
struct FilterProcessor: Processor {
    let predicate: CompiledExpression
    let steps: Pipeline

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        exchange.properties["CamelFilterMatched"] = .bool(false)
        guard try context.matches(predicate, exchange) else { return }
        exchange.properties["CamelFilterMatched"] = .bool(true)
        try await steps.process(&exchange, context)
    }

    func resume(
        _ exchange: inout Exchange, at path: ArraySlice<StepPath.Element>, _ resumption: Resumption,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        try await steps.resume(&exchange, at: path, resumption, context)
    }
}
