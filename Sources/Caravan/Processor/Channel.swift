/// Wraps every step of a route with its error handling, as Camel's channels do: a failed
/// step is redelivered (the step alone, with the exchange as the step received it) as the
/// redelivery policy says; when redeliveries are exhausted the matching `onException`
/// or the error handler decides what happens.
///
/// - `onException` with `handled`: its steps run, the exchange completes there.
/// - `onException` with `continued`: its steps run, routing continues after the step.
/// - `onException` otherwise: its steps run, the failure propagates.
/// - `deadLetterChannel`: the exchange goes to the dead letter endpoint and completes.
/// - `defaultErrorHandler`, `noErrorHandler`: the failure propagates.
///
/// The headers `CamelRedelivered`, `CamelRedeliveryCounter` and `CamelRedeliveryMaxCounter`
/// are set on every redelivery. Waiting happens through the ``RedeliverySeam``.
struct Channel: Processor {
    let inner: any Processor
    let handling: ErrorHandling

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        try await guarded(&exchange, context, resuming: nil)
    }

    func resume(
        _ exchange: inout Exchange, at path: ArraySlice<StepPath.Element>, _ resumption: Resumption,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        try await guarded(&exchange, context, resuming: (path, resumption))
    }

    func guarded(
        _ exchange: inout Exchange, _ context: ProcessContext,
        resuming: (path: ArraySlice<StepPath.Element>, resumption: Resumption)?
    ) async throws(ProcessingError) {
        let start = exchange
        // A resumed exchange carries the count of the redeliveries it already had.
        var counter =
            resuming != nil
            ? (start.message.headers["CamelRedeliveryCounter"].flatMap {
                SimpleCoercion.numberText($0)?.intValue
            } ?? 0) : 0
        // ... and the delay before it (Camel's CamelRedeliveryDelay), for the back-off.
        var previousDelay =
            resuming != nil
            ? (start.message.headers["CamelRedeliveryDelay"].flatMap {
                SimpleCoercion.numberText($0)?.intValue
            } ?? 0) : 0
        var resume = resuming
        while true {
            do {
                if let r = resume, !r.path.isEmpty {
                    try await inner.resume(&exchange, at: r.path, r.resumption, context)
                } else {
                    try await inner.process(&exchange, context)
                }
                return
            } catch {
                if error.isSuspension || error.exhausted { throw error }
                resume = nil  // a redelivery runs the whole step again
                var failure = error
                if failure.path.elements.isEmpty { failure.path = context.path }
                let clause = try handling.onException(for: failure, exchange, context)
                let policy = clause?.policy ?? handling.policy
                counter += 1
                if case .noErrorHandler = handling.handler, clause == nil {
                } else if policy.allowsRedelivery(counter) {
                    let delay = policy.delay(
                        previous: previousDelay, counter: counter,
                        random: (Bool.random(), Double.random(in: 0..<1)))
                    previousDelay = delay
                    var retry = start
                    retry.message.headers["CamelRedelivered"] = .bool(true)
                    retry.message.headers["CamelRedeliveryCounter"] = .number(DecimalText(counter))
                    retry.message.headers["CamelRedeliveryDelay"] = .number(DecimalText(delay))
                    if policy.maximumRedeliveries > 0 {
                        retry.message.headers["CamelRedeliveryMaxCounter"] = .number(
                            DecimalText(policy.maximumRedeliveries))
                    }
                    context.log.log(
                        level: policy.retryAttemptedLogLevel, logger: "caravan.errorHandler",
                        message:
                            "Failed delivery for (ExchangeId: \(exchange.id)). On delivery attempt: \(counter) caught: \(failure). Redelivery in \(delay) ms"
                    )
                    let point = FailurePoint(
                        // The point is this step (what is redelivered), whatever failed inside it.
                        routeId: context.entryRouteId ?? exchange.routeId ?? "", path: context.path,
                        exchange: retry, frames: context.frames, error: failure,
                        counter: counter, delayMillis: delay)
                    try await context.redelivery.redeliver(
                        point, after: .milliseconds(delay), context)
                    exchange = retry
                    continue
                }
                if failure.point == nil {
                    // Where a replay from the point of failure will start: this step.
                    failure.point =
                        FailurePoint(
                            routeId: context.entryRouteId ?? exchange.routeId ?? "",
                            path: context.path, exchange: start,
                            frames: context.frames, error: failure, counter: counter, delayMillis: 0
                        ).document
                }
                try await exhausted(failure, clause, policy, attempts: counter, &exchange, context)
                return
            }
        }
    }

    /// What happens once no redelivery is left.
    func exhausted(
        _ failure: ProcessingError, _ clause: ErrorHandling.OnException?,
        _ policy: RedeliveryPolicy, attempts: Int,
        _ exchange: inout Exchange, _ context: ProcessContext
    ) async throws(ProcessingError) {
        var failure = failure
        failure.exhausted = true
        exchange.error = ExchangeError(kind: failure.kind.name, message: failure.message)
        exchange.properties[ExchangeProperty.exceptionCaught] = .string(failure.message)
        exchange.properties["CamelFailureRouteId"] = exchange.routeId.map(Document.string)
        if let endpoint = failure.endpoint {
            exchange.properties["CamelFailureEndpoint"] = .string(endpoint)
        }

        if let clause {
            if clause.useOriginalMessage, let original = context.originalMessage {
                exchange.message = original
            }
            // Failures inside onException's own steps are not redelivered; they propagate.
            try await clause.steps.process(&exchange, context)
            if let handled = clause.handled, try context.matches(handled, exchange) {
                exchange.error = nil
                exchange.properties["CamelErrorHandlerHandled"] = .bool(true)
                exchange.isStopped = true
                return
            }
            if let continued = clause.continued, try context.matches(continued, exchange) {
                exchange.error = nil
                return
            }
            throw failure
        }
        switch handling.handler {
        case .deadLetterChannel(let uri, let producer):
            context.log.log(
                level: policy.retriesExhaustedLogLevel, logger: "caravan.errorHandler",
                message:
                    "Exhausted after delivery attempt: \(attempts) caught: \(failure). Sent to the dead letter channel \(uri)"
            )
            var dead = exchange
            if handling.useOriginalMessage, let original = context.originalMessage {
                dead.message = original
            }
            do {
                try await producer.send(&dead, context)
            } catch {
                // Caravan does not swallow a failing dead letter channel (Camel logs and
                // drops it): the failure propagates, so a durable consumer keeps the message.
                var e = error
                e.message =
                    "the dead letter channel \(uri) failed: \(e.message) (while handling \(failure.kind.name): \(failure.message))"
                e.exhausted = true
                throw e
            }
            // The store keeps a dead letter record even when a channel took the exchange.
            exchange.properties[ExchangeProperty.deadLetterChannel] = .string(uri.description)
            exchange.properties["CamelErrorHandlerHandled"] = .bool(true)
            exchange.isStopped = true
        case .defaultErrorHandler:
            context.log.log(
                level: policy.retriesExhaustedLogLevel, logger: "caravan.errorHandler",
                message:
                    "Failed delivery for (ExchangeId: \(exchange.id)). Exhausted after delivery attempt: \(attempts) caught: \(failure)"
            )
            throw failure
        case .noErrorHandler:
            // Nothing was handled here: a calling route's error handler may still redeliver.
            var unhandled = failure
            unhandled.exhausted = false
            unhandled.point = nil
            throw unhandled
        }
    }
}
