/// `setVariable` and `setVariables`: variables become their expressions' values, in
/// order, each seeing the ones set before it (`null` removes one).
///
/// ```yaml
/// - setVariable:
///     name: customer
///     jsonpath: "$.customer.id"
/// ```
struct SetVariablesProcessor: Processor {
    let variables: [(name: String, expression: CompiledExpression)]

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        for (name, expression) in variables {
            let value = try context.evaluate(expression, exchange)
            exchange.variables[name] = value == .null ? nil : value
        }
    }
}

/// `removeVariable`: an exact name, `*` (all), `prefix*`, or a regular expression.
struct RemoveVariableProcessor: Processor {
    let pattern: NamePattern

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        for name in exchange.variables.keys where pattern.matches(name) {
            exchange.variables[name] = nil
        }
    }
}

/// `variableSend` / `variableReceive` around a `to`: the body sent is the variable's
/// value, and the reply's body goes to a variable instead of the message — so the
/// message stays as it was (Camel 4.4's semantics: bodies only, headers as they are).
///
/// ```yaml
/// - to:
///     uri: http://prices/quote
///     variableSend: request
///     variableReceive: quote
/// ```
struct VariableIOProcessor: Processor {
    let inner: any Processor
    let send: String?
    let receive: String?
    /// The message's body is restored whatever the pattern (`wireTap`).
    var keepsMessage = false

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let original = exchange.message.body
        if let send {
            exchange.message.body = partBody(exchange.variables[send] ?? .null)
        }
        try await inner.process(&exchange, context)
        if let receive {
            exchange.variables[receive] = AggregationStrategyName.bodyValue(exchange.message.body)
            exchange.message.body = original
        } else if send != nil, exchange.pattern == .inOnly || keepsMessage {
            // An InOnly send leaves the message as it was before the variable was sent.
            exchange.message.body = original
        }
    }
}
