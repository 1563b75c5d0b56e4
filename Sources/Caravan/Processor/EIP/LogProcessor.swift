/// `log`: writes a Simple template to the log.
///
/// ```yaml
/// - log:
///     message: "order ${body[id]} accepted"
///     loggingLevel: INFO
///     logName: orders
/// ```
struct LogProcessor: Processor {
    let message: CompiledExpression
    let level: LogLevel
    /// The logger's name; without one, the route's id, as in Camel.
    let logName: String?

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        guard level != .OFF else { return }
        let text = SimpleCoercion.text(try context.evaluate(message, exchange))
        context.log.log(
            level: level, logger: logName ?? exchange.routeId ?? "caravan.route", message: text)
    }
}
