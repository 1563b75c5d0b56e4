/// `stop`: ends routing of this exchange; the steps after it (here and in the routes that
/// called this one) do not run.
struct StopProcessor: Processor {
    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        exchange.isStopped = true
    }
}

/// `throwException`: fails the exchange with the named exception kind.
///
/// ```yaml
/// - throwException:
///     exceptionType: java.lang.IllegalArgumentException
///     message: "order ${body[id]} has no items"
/// ```
struct ThrowProcessor: Processor {
    let kind: ErrorKind
    let message: CompiledExpression

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        throw ProcessingError(kind, SimpleCoercion.text(try context.evaluate(message, exchange)))
    }
}

/// `validate`: fails with `PredicateValidationException` when the predicate is false.
///
/// ```yaml
/// - validate:
///     simple: "${body[items].size()} > 0"
/// ```
struct ValidateProcessor: Processor {
    let predicate: CompiledExpression

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        guard try context.matches(predicate, exchange) else {
            throw ProcessingError(
                .validation,
                "Validation failed for Predicate[\(predicate.language.rawValue){\(predicate.text)}]"
            )
        }
    }
}

/// `delay`: waits the expression's number of milliseconds.
struct DelayProcessor: Processor {
    let millis: CompiledExpression

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let value = try context.evaluate(millis, exchange)
        guard let ms = SimpleCoercion.number(value), ms >= 0 else {
            throw ProcessingError(
                .illegalArgument,
                "delay needs a number of milliseconds, not '\(SimpleCoercion.text(value))'")
        }
        do { try await context.sleep(.milliseconds(Int(ms))) } catch {
            throw ProcessingError(
                ErrorKind("java.lang.InterruptedException"), "the delay was interrupted")
        }
    }
}
