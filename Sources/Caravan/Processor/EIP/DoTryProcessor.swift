/// `doTry` / `doCatch` / `doFinally`: handles failures inside a route, like Java's try.
///
/// ```yaml
/// - doTry:
///     steps: [{to: "direct:risky"}]
///     doCatch:
///       - exception: [java.io.IOException]
///         onWhen: {simple: "${exception.message} contains 'refused'"}
///         steps: [{setBody: {constant: "fallback"}}]
///     doFinally:
///       steps: [{log: "done"}]
/// ```
/// The first `doCatch` (in order) whose exceptions match the failure's kind (or an
/// ancestor of it) and whose `onWhen` holds handles it: `${exception.message}` is
/// available in its steps, and the exchange continues after the `doTry`. Unhandled
/// failures run `doFinally` and propagate.
struct DoTryProcessor: Processor {
    struct Catch: Sendable {
        var kinds: [ErrorKind]
        var onWhen: CompiledExpression?
        var steps: Pipeline
    }

    let body: Pipeline
    let catches: [Catch]
    let finally: Pipeline?

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        try await complete(&exchange, context) {
            (e: inout Exchange, c: ProcessContext) async throws(ProcessingError) in
            try await body.process(&e, c)
        }
    }

    func resume(
        _ exchange: inout Exchange, at path: ArraySlice<StepPath.Element>, _ resumption: Resumption,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        switch path.first {
        case .step?:
            try await complete(&exchange, context) {
                (e: inout Exchange, c: ProcessContext) async throws(ProcessingError) in
                try await body.resume(&e, at: path, resumption, c)
            }
        case .doCatch(let i)? where catches.indices.contains(i):
            var pending: ProcessingError?
            do {
                try await catches[i].steps.resume(
                    &exchange, at: path.dropFirst(), resumption, context.descending(.doCatch(i)))
                exchange.error = nil
            } catch {
                pending = error
            }
            try await finish(pending, &exchange, context)
        case .doFinally? where finally != nil:
            try await finally!.resume(
                &exchange, at: path.dropFirst(), resumption, context.descending(.doFinally))
        default:
            throw ProcessingError(
                .illegalState, "cannot resume the doTry at \(StepPath(Array(path)))")
        }
    }

    /// Runs the try body, then the matching doCatch, then doFinally.
    func complete(
        _ exchange: inout Exchange, _ context: ProcessContext,
        _ body: (inout Exchange, ProcessContext) async throws(ProcessingError) -> Void
    ) async throws(ProcessingError) {
        var pending: ProcessingError?
        do {
            try await body(&exchange, context)
        } catch {
            if error.isSuspension { throw error }
            exchange.error = ExchangeError(kind: error.kind.name, message: error.message)
            exchange.properties[ExchangeProperty.exceptionCaught] = .string(error.message)
            if let (i, handler) = try firstMatch(error, exchange, context) {
                do {
                    try await runNested(handler.steps, .doCatch(i), &exchange, context)
                    exchange.error = nil
                } catch let handlerError {
                    pending = handlerError
                }
            } else {
                pending = error
            }
        }
        try await finish(pending, &exchange, context)
    }

    func finish(_ pending: ProcessingError?, _ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        if let pending, pending.isSuspension { throw pending }
        if let finally {
            try await runNested(finally, .doFinally, &exchange, context)
        }
        if let pending { throw pending }
    }

    func firstMatch(_ error: ProcessingError, _ exchange: Exchange, _ context: ProcessContext)
        throws(ProcessingError) -> (Int, Catch)?
    {
        for (i, c) in catches.enumerated() {
            guard c.kinds.isEmpty || c.kinds.contains(where: { error.kind.distance(to: $0) != nil })
            else { continue }
            if let onWhen = c.onWhen, !(try context.matches(onWhen, exchange)) { continue }
            return (i, c)
        }
        return nil
    }
}
