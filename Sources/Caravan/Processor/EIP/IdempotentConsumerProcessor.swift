/// `idempotentConsumer`: runs its steps once per key (Camel's Idempotent Consumer EIP).
///
/// ```yaml
/// - idempotentConsumer:
///     idempotentRepository: orders
///     header: orderId
///     steps:
///       - to: "http://billing/charge"
/// ```
/// Eager (the default) adds the key before the steps run, so two copies arriving together
/// cannot both pass; a failure that ends the exchange removes it again
/// (`removeOnFailure`), while a failure waiting for a redelivery keeps it. When the key
/// cannot be removed (the repository's database is away), the exchange fails with that
/// error, not yet exhausted: it is redelivered and removes the key then, instead of
/// leaving the key claimed so that every later message with it is skipped. Non-eager
/// checks first and adds the key once the steps succeeded. A duplicate gets
/// `CamelDuplicateMessage=true`; with `skipDuplicate` (the default) its steps are skipped
/// and the route goes on after the block, as in Camel.
struct IdempotentConsumerProcessor: Processor {
    let key: CompiledExpression
    let expressionText: String
    let repository: any IdempotentRepository
    let eager: Bool
    let skipDuplicate: Bool
    let removeOnFailure: Bool
    let steps: Pipeline

    static let duplicateMessage = "CamelDuplicateMessage"

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let value = try context.evaluate(key, exchange).scalarText ?? ""
        guard !value.isEmpty else {
            throw ProcessingError(
                ErrorKind("org.apache.camel.processor.idempotent.NoMessageIdException"),
                "no message id from the idempotentConsumer's expression \(expressionText) — make sure every message carries the key it names"
            )
        }
        let owner = context.origin?.exchangeId ?? exchange.id
        let duplicate =
            eager
            ? !(try await repository.add(value, owner: owner))
            : try await repository.contains(value, owner: owner)
        if duplicate {
            exchange.properties[Self.duplicateMessage] = .bool(true)
            context.log.log(
                level: .DEBUG, logger: "caravan.idempotentConsumer",
                message: "Ignoring duplicate message with id: \(value)")
            if skipDuplicate { return }
        }
        try await run(&exchange, key: value, owner: owner, duplicate: duplicate, context) {
            (e: inout Exchange, c: ProcessContext) async throws(ProcessingError) in
            try await steps.process(&e, c)
        }
    }

    func resume(
        _ exchange: inout Exchange, at path: ArraySlice<StepPath.Element>, _ resumption: Resumption,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        // The key was checked (and, when eager, added) before the failure.
        guard let value = try? context.evaluate(key, exchange).scalarText, !value.isEmpty else {
            try await steps.resume(&exchange, at: path, resumption, context)
            return
        }
        let owner = context.origin?.exchangeId ?? exchange.id
        try await run(&exchange, key: value, owner: owner, duplicate: false, context) {
            (e: inout Exchange, c: ProcessContext) async throws(ProcessingError) in
            try await steps.resume(&e, at: path, resumption, c)
        }
    }

    private func run(
        _ exchange: inout Exchange, key value: String, owner: String, duplicate: Bool,
        _ context: ProcessContext,
        _ body: (inout Exchange, ProcessContext) async throws(ProcessingError) -> Void
    ) async throws(ProcessingError) {
        do {
            try await body(&exchange, context)
        } catch {
            // A redelivery to come resumes inside the block: the key stays claimed.
            if eager, removeOnFailure, !duplicate, !error.isSuspension {
                do {
                    try await repository.remove(value)
                } catch let removal {
                    var failed = ProcessingError(
                        removal.kind,
                        "the idempotentConsumer could not release the key '\(value)' after a failure (\(error.kind.name): \(error.message)): \(removal.message) — the exchange is redelivered so that the key is released"
                    )
                    failed.endpoint = removal.endpoint
                    throw failed
                }
            }
            throw error
        }
        if !eager, !duplicate { _ = try await repository.add(value, owner: owner) }
    }
}
