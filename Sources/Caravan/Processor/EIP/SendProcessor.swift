/// `to`: sends the exchange to an endpoint resolved once, when the route was built.
///
/// ```yaml
/// - to: "direct:audit"
/// ```
struct SendProcessor: Processor {
    let uri: EndpointURI
    let producer: any Producer

    /// A failure inside a `direct:` route continues inside it; anything else is sent again.
    func resume(
        _ exchange: inout Exchange, at path: ArraySlice<StepPath.Element>, _ resumption: Resumption,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        guard !path.isEmpty, let direct = producer as? DirectProducer else {
            try await process(&exchange, context)
            return
        }
        try await direct.resume(&exchange, at: path, resumption, context)
    }

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        exchange.properties[ExchangeProperty.toEndpoint] = .string(uri.description)
        do {
            try await producer.send(&exchange, context)
        } catch {
            var e = error
            if e.endpoint == nil { e.endpoint = uri.description }
            throw e
        }
    }
}

/// `toD`: sends to an endpoint whose URI is a Simple template evaluated per exchange.
///
/// ```yaml
/// - toD: "http://{{host}}/orders/${header.region}"
/// ```
struct DynamicSendProcessor: Processor {
    let uri: CompiledExpression

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let text = SimpleCoercion.text(try context.evaluate(uri, exchange))
        try await DynamicSendProcessor.send(text, &exchange, context)
    }

    /// Resolves `text` as an endpoint URI and sends to it.
    static func send(_ text: String, _ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let parsed: EndpointURI
        do {
            parsed = try EndpointURI(text.trimmingXMLWhitespace())
        } catch {
            throw ProcessingError(
                .illegalArgument, "the computed endpoint '\(text)' is invalid: \(error)")
        }
        let producer = try context.endpoints.endpoint(for: parsed).producer()
        try await SendProcessor(uri: parsed, producer: producer).process(&exchange, context)
    }
}
