/// `setBody` and `transform`: the body becomes the expression's value.
///
/// ```yaml
/// - setBody:
///     simple: "Hello ${body[name]}"
/// ```
/// A string value becomes a text body; a document or number becomes a document body.
struct SetBodyProcessor: Processor {
    let expression: CompiledExpression

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let value = try context.evaluate(expression, exchange)
        exchange.message.body = SetBodyProcessor.body(for: value, keeping: exchange.message.body)
    }

    /// `${body}` on an unparsed body gives its text back; keep the original bytes (and
    /// their content type) then, rather than turning them into text.
    static func body(for value: Document, keeping current: Body) -> Body {
        switch value {
        case .string(let s):
            if case .bytes(let bytes, _) = current.content, s == current.text,
                bytes.count == s.utf8.count
            {
                return current
            }
            return Body(text: s)
        case .null: return .empty
        default: return Body(document: value)
        }
    }
}

/// `setHeader`: a header becomes the expression's value (`null` removes it).
///
/// ```yaml
/// - setHeader:
///     name: region
///     jsonpath: "$.customer.region"
/// ```
struct SetHeaderProcessor: Processor {
    let name: String
    let expression: CompiledExpression

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let value = try context.evaluate(expression, exchange)
        exchange.message.headers[name] = value == .null ? nil : value
    }
}

/// `setProperty`: an exchange property becomes the expression's value.
struct SetPropertyProcessor: Processor {
    let name: String
    let expression: CompiledExpression

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let value = try context.evaluate(expression, exchange)
        exchange.properties[name] = value == .null ? nil : value
    }
}
