/// Steps run one after the other (the EIP Pipes and Filters). Stops when a `stop` step
/// ran; a failure carries the index of the step that failed in its ``StepPath``.
struct Pipeline: Processor {
    let steps: [any Processor]

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        for (i, step) in steps.enumerated() {
            if exchange.isStopped { return }
            do {
                try await step.process(&exchange, context)
            } catch {
                var e = error
                e.path = e.path.prepending(.step(i))
                throw e
            }
        }
    }
}

/// Runs `steps` as a nested pipeline, adding `element` to the path of any failure.
func runNested(
    _ steps: Pipeline, _ element: StepPath.Element, _ exchange: inout Exchange,
    _ context: ProcessContext
) async throws(ProcessingError) {
    do {
        try await steps.process(&exchange, context)
    } catch {
        var e = error
        e.path = e.path.prepending(element)
        throw e
    }
}
