/// Steps run one after the other (the EIP Pipes and Filters). Stops when a `stop` step
/// ran or an error handler handled a failure; a failure records the path of the step
/// that failed.
struct Pipeline: Processor {
    let steps: [any Processor]

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        try await run(from: 0, &exchange, context)
    }

    func resume(
        _ exchange: inout Exchange, at path: ArraySlice<StepPath.Element>, _ resumption: Resumption,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        guard case .step(let i)? = path.first, steps.indices.contains(i) else {
            throw ProcessingError(
                .illegalState,
                "cannot resume at \(StepPath(Array(path))): the route changed since the failure")
        }
        let child = context.descending(.step(i))
        try await Pipeline.run(steps[i], &exchange, child) {
            (e: inout Exchange, c: ProcessContext) async throws(ProcessingError) in
            try await steps[i].resume(&e, at: path.dropFirst(), resumption, c)
        }
        try await run(from: i + 1, &exchange, context)
    }

    func run(from start: Int, _ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        for i in steps.indices.dropFirst(start) {
            if exchange.isStopped { return }
            try await Pipeline.run(steps[i], &exchange, context.descending(.step(i))) {
                (e: inout Exchange, c: ProcessContext) async throws(ProcessingError) in
                try await steps[i].process(&e, c)
            }
        }
    }

    /// Runs one step, recording its path on a failure that has none yet.
    static func run(
        _ step: any Processor, _ exchange: inout Exchange, _ context: ProcessContext,
        _ body: (inout Exchange, ProcessContext) async throws(ProcessingError) -> Void
    ) async throws(ProcessingError) {
        do {
            try await body(&exchange, context)
        } catch {
            var e = error
            if e.path.elements.isEmpty { e.path = context.path }
            throw e
        }
    }
}

extension ProcessContext {
    /// The context for a nested step at `element`.
    func descending(_ element: StepPath.Element) -> ProcessContext {
        var c = self
        c.path = path.appending(element)
        return c
    }

    /// The context inside a fork (a split part, a branch, an iteration).
    func forking(_ element: StepPath.Element, original: Exchange, results: [Exchange])
        -> ProcessContext
    {
        var c = self
        c.frames.append(ResumeFrame(path: path, original: original, results: results))
        c.path = path.appending(element)
        return c
    }
}

/// Runs `steps` as a nested pipeline under `element`.
func runNested(
    _ steps: Pipeline, _ element: StepPath.Element, _ exchange: inout Exchange,
    _ context: ProcessContext
) async throws(ProcessingError) {
    try await steps.process(&exchange, context.descending(element))
}
