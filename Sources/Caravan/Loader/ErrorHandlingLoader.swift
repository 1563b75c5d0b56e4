/// Reading `errorHandler`, `onException` and `routeConfiguration`.
extension LoadContext {
    static let redeliveryKeys = [
        "maximumRedeliveries", "redeliveryDelay", "backOffMultiplier", "useExponentialBackOff",
        "maximumRedeliveryDelay",
        "useCollisionAvoidance", "collisionAvoidanceFactor", "delayPattern",
        "retryAttemptedLogLevel", "retriesExhaustedLogLevel",
        "logStackTrace", "logRetryStackTrace", "logHandled", "logNewException", "logContinued",
        "logExhausted", "logExhaustedMessageHistory",
        "logExhaustedMessageBody", "logRetryAttempted", "asyncDelayedRedelivery",
        "allowRedeliveryWhileStopping", "disableRedelivery",
        "retryAttemptedLogInterval", "exchangeFormatterRef", "id",
    ]

    mutating func errorHandler(_ node: YAMLNode) -> ErrorHandlerDefinition? {
        // `id` and `description` may sit beside the handler; they do not change it.
        guard case .mapping(let all, _) = node,
            case let pairs = all.filter({ !MappingReader.metadataKeys.contains($0.key.text) }),
            pairs.count == 1
        else {
            error(
                node.location,
                "'errorHandler' needs exactly one of deadLetterChannel, defaultErrorHandler, noErrorHandler"
            )
            return nil
        }
        let key = dslKey(pairs[0].key)
        let location = key.location
        switch key.text {
        case "deadLetterChannel":
            guard var r = reader(pairs[0].value, name: "deadLetterChannel") else { return nil }
            r.rejectUnknownKeys([
                "id", "deadLetterUri", "redeliveryPolicy", "useOriginalMessage", "useOriginalBody",
                "deadLetterHandleNewException", "level", "logName",
            ])
            let uriNode = r.node("deadLetterUri")
            let useOriginal =
                r.bool("useOriginalMessage", default: false)
                || r.bool("useOriginalBody", default: false)
            let policy = redeliveryPolicy(r.node("redeliveryPolicy")).applied(
                to: RedeliveryPolicy())
            absorb(&r)
            guard let uriNode else {
                error(
                    r.location, "'deadLetterChannel' needs 'deadLetterUri'",
                    hint: "add `deadLetterUri: direct:dead` (or any endpoint)")
                return nil
            }
            guard let text = scalarText(uriNode, what: "deadLetterUri"),
                let uri = endpointURI(text, at: uriNode.location)
            else { return nil }
            return ErrorHandlerDefinition(
                kind: .deadLetterChannel(deadLetterUri: uri), redeliveryPolicy: policy,
                useOriginalMessage: useOriginal, location: location)
        case "defaultErrorHandler":
            guard var r = reader(pairs[0].value, name: "defaultErrorHandler") else { return nil }
            r.rejectUnknownKeys([
                "id", "redeliveryPolicy", "useOriginalMessage", "useOriginalBody", "level",
                "logName",
            ])
            let policy = redeliveryPolicy(r.node("redeliveryPolicy")).applied(
                to: RedeliveryPolicy())
            let useOriginal = r.bool("useOriginalMessage", default: false)
            absorb(&r)
            return ErrorHandlerDefinition(
                kind: .defaultErrorHandler, redeliveryPolicy: policy,
                useOriginalMessage: useOriginal, location: location)
        case "noErrorHandler":
            if var r = reader(pairs[0].value, name: "noErrorHandler") {
                r.rejectUnknownKeys(["id"])
                absorb(&r)
            }
            return ErrorHandlerDefinition(kind: .noErrorHandler, location: location)
        case "refErrorHandler", "jtaTransactionErrorHandler", "springTransactionErrorHandler":
            error(
                location, "'\(key.text)' is outside the subset Caravan supports",
                hint: "use deadLetterChannel, defaultErrorHandler or noErrorHandler")
            return nil
        default:
            error(
                location,
                "unknown error handler '\(key.text)'\(didYouMean(key.text, among: ["deadLetterChannel", "defaultErrorHandler", "noErrorHandler"]))",
                hint: "use deadLetterChannel, defaultErrorHandler or noErrorHandler")
            return nil
        }
    }

    mutating func redeliveryPolicy(_ node: YAMLNode?) -> RedeliveryPolicy.Overrides {
        var o = RedeliveryPolicy.Overrides()
        guard let node, var r = reader(node, name: "redeliveryPolicy") else { return o }
        r.rejectUnknownKeys(LoadContext.redeliveryKeys)
        func double(_ key: String) -> Double? {
            guard let n = r.node(key), let t = r.text(n, key: key) else { return nil }
            guard let d = Double(t), d >= 0 else {
                r.diagnostics.append(
                    Diagnostic(n.location, "'\(key)' must be a non-negative number, not '\(t)'"))
                return nil
            }
            return d
        }
        func level(_ key: String) -> LogLevel? {
            guard let n = r.node(key), let t = r.text(n, key: key) else { return nil }
            guard let l = LogLevel(rawValue: t.uppercased()) else {
                r.diagnostics.append(
                    Diagnostic(
                        n.location, "unknown logging level '\(t)'",
                        hint: "use \(LogLevel.allCases.map(\.rawValue).joined(separator: ", "))"))
                return nil
            }
            return l
        }
        o.maximumRedeliveries = r.int("maximumRedeliveries", default: nil)
        if let m = o.maximumRedeliveries, m < -1 {
            r.diagnostics.append(
                Diagnostic(
                    r.node("maximumRedeliveries")!.location,
                    "maximumRedeliveries must be -1 (forever), 0 or more"))
        }
        if r.bool("disableRedelivery", default: false) { o.maximumRedeliveries = 0 }
        o.redeliveryDelay = r.int("redeliveryDelay", default: nil)
        o.maximumRedeliveryDelay = r.int("maximumRedeliveryDelay", default: nil)
        o.backOffMultiplier = double("backOffMultiplier")
        o.collisionAvoidanceFactor = double("collisionAvoidanceFactor")
        if r.has("useExponentialBackOff") {
            o.useExponentialBackOff = r.bool("useExponentialBackOff", default: false)
        }
        if r.has("useCollisionAvoidance") {
            o.useCollisionAvoidance = r.bool("useCollisionAvoidance", default: false)
        }
        if let pattern = r.string("delayPattern") {
            if RedeliveryPolicy.validPattern(pattern) {
                o.delayPattern = pattern
            } else {
                r.diagnostics.append(
                    Diagnostic(
                        r.node("delayPattern")!.location, "invalid delayPattern '\(pattern)'",
                        hint:
                            "write count:delay groups with increasing counts, e.g. 0:1000;3:5000;10:30000"
                    ))
            }
        }
        o.retryAttemptedLogLevel = level("retryAttemptedLogLevel")
        o.retriesExhaustedLogLevel = level("retriesExhaustedLogLevel")
        absorb(&r)
        return o
    }

    mutating func onException(_ node: YAMLNode) -> OnExceptionDefinition? {
        guard var r = reader(node, name: "onException") else { return nil }
        r.rejectUnknownKeys([
            "id", "description", "exception", "onWhen", "handled", "continued", "redeliveryPolicy",
            "useOriginalMessage", "useOriginalBody", "steps",
        ])
        let exceptions = r.strings("exception")
        let onWhen = r.node("onWhen").flatMap { conditionBlock($0, name: "onWhen") }
        let handled = r.node("handled").flatMap { conditionBlock($0, name: "handled") }
        let continued = r.node("continued").flatMap { conditionBlock($0, name: "continued") }
        if handled != nil, continued != nil {
            error(
                r.location, "'onException' cannot be both handled and continued",
                hint: "keep one of them")
        }
        let policy = r.has("redeliveryPolicy") ? redeliveryPolicy(r.node("redeliveryPolicy")) : nil
        let useOriginal =
            r.bool("useOriginalMessage", default: false)
            || r.bool("useOriginalBody", default: false)
        let steps = nestedSteps(r)
        absorb(&r)
        if exceptions.isEmpty {
            error(
                r.location, "'onException' needs 'exception' with at least one exception class",
                hint:
                    "e.g. `exception: [java.io.IOException]`; java.lang.Exception matches everything"
            )
            return nil
        }
        return OnExceptionDefinition(
            exceptions: exceptions, onWhen: onWhen, handled: handled, continued: continued,
            redeliveryPolicy: policy,
            useOriginalMessage: useOriginal, steps: steps, location: r.location)
    }

    /// `handled: {constant: true}`, `handled: true`, `onWhen: {simple: ...}`.
    mutating func conditionBlock(_ node: YAMLNode, name: String, predicate: Bool = true)
        -> ExpressionDefinition?
    {
        if case .scalar(let s) = node {
            guard let value = s.bool else {
                error(
                    s.location,
                    "'\(name)' must be true, false or an expression such as {constant: true}")
                return nil
            }
            return ExpressionDefinition(.constant, value ? "true" : "false", location: s.location)
        }
        guard var r = reader(node, name: name) else { return nil }
        r.rejectUnknownKeys(
            ["id", "expression"] + StepCatalog.languages + StepCatalog.refusedLanguages)
        let e = stepExpression(&r, predicate: true)
        absorb(&r)
        return e
    }

    mutating func routeConfiguration(_ node: YAMLNode) -> RouteConfigurationDefinition? {
        guard var r = reader(node, name: "routeConfiguration") else { return nil }
        r.rejectUnknownKeys(["id", "description", "errorHandler", "onException", "precondition"])
        for refused in ["intercept", "interceptFrom", "interceptSendToEndpoint", "onCompletion"]
        where r.has(refused) {
            error(
                r.location,
                "'\(refused)' in routeConfiguration is outside the subset Caravan supports")
        }
        let id = r.string("id")
        let handler = r.node("errorHandler").flatMap { errorHandler($0) }
        var onExceptions: [OnExceptionDefinition] = []
        if let list = r.node("onException") {
            let items: [YAMLNode]
            if case .sequence(let s, _) = list { items = s } else { items = [list] }
            for item in items {
                // Each item is `- onException: {...}` (Camel's spelling) or the mapping itself.
                if case .mapping(let pairs, _) = item, pairs.count == 1,
                    pairs[0].key.text == "onException"
                {
                    if let o = onException(pairs[0].value) { onExceptions.append(o) }
                } else if let o = onException(item) {
                    onExceptions.append(o)
                }
            }
        }
        absorb(&r)
        return RouteConfigurationDefinition(
            id: id, errorHandler: handler, onExceptions: onExceptions, location: r.location)
    }
}

extension LoadContext {
    /// `beans`: only Camel's built-in aggregation strategies, which steps may then name by
    /// the bean's name. Anything else is a Java bean Caravan cannot run.
    /// Camel's idempotent repository classes a `beans` entry may name.
    static let idempotentRepositoryTypes: Set<String> = [
        "MemoryIdempotentRepository", "JdbcMessageIdRepository",
        "JdbcOrphanLockAwareIdempotentRepository",
    ]

    mutating func beans(_ node: YAMLNode) {
        guard case .sequence(let items, _) = node else {
            error(node.location, "'beans' must be a list of {name, type}")
            return
        }
        for item in items {
            guard var r = reader(item, name: "bean") else { continue }
            r.rejectUnknownKeys(["name", "type", "properties"])
            let name = r.string("name", required: true)
            let type = r.string("type", required: true)
            absorb(&r)
            guard let name, let type else { continue }
            var simple = type
            if simple.hasPrefix("#class:") { simple = String(simple.dropFirst(7)) }
            simple = String(simple.split(separator: ".").last ?? Substring(simple))
            // Idempotent repositories: whatever Camel class is named, the server keeps the
            // keys in PostgreSQL and route tests in memory.
            if LoadContext.idempotentRepositoryTypes.contains(simple) { continue }
            guard var strategy = AggregationStrategyName(rawValue: simple) else {
                error(
                    r.location, "the bean '\(name)' of type '\(type)' is not one Caravan provides",
                    hint:
                        "beans may only be Camel's built-in aggregation strategies (\(AggregationStrategyName.allCases.map(\.rawValue).joined(separator: ", "))) or idempotent repositories (\(LoadContext.idempotentRepositoryTypes.sorted().joined(separator: ", ")))"
                )
                continue
            }
            // The properties Camel would set on the bean: the ones that need no Java.
            if let node = r.node("properties"), var p = reader(node, name: "properties") {
                p.rejectUnknownKeys(strategy.kind == .string ? ["delimiter"] : [])
                if let delimiter = p.string("delimiter") { strategy.delimiter = delimiter }
                absorb(&p)
            }
            beanStrategies[name] = strategy
        }
    }
}
