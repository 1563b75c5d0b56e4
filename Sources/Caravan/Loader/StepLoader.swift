/// Reading `steps:` lists: each item is a one-key mapping naming an EIP.
extension LoadContext {
    mutating func steps(_ node: YAMLNode, in owner: String) -> [StepDefinition] {
        guard case .sequence(let items, _) = node else {
            if case .scalar(let s) = node, s.isNull { return [] }
            error(
                node.location, "'steps' of '\(owner)' must be a list",
                hint: "write each step as `- name: ...`")
            return []
        }
        var result: [StepDefinition] = []
        for (index, item) in items.enumerated() {
            guard case .mapping(let pairs, _) = item, pairs.count == 1 else {
                error(
                    item.location, "a step is a mapping with one key, the step's name",
                    hint: "e.g. `- to: direct:next`; check the indentation of the step's options")
                continue
            }
            let name = dslKey(pairs[0].key)
            // The flow form: a `split` without `steps` takes the steps that follow it.
            if name.text == "split",
                case .mapping(let options, let location) = pairs[0].value,
                !options.contains(where: { $0.key.text == "steps" })
            {
                let rest = YAMLNode.sequence(Array(items[(index + 1)...]), location)
                let key = YAMLScalar(text: "steps", plain: true, location: location)
                if let step = step(
                    name, .mapping(options + [(key: key, value: rest)], location))
                {
                    result.append(step)
                }
                break
            }
            if let step = step(name, pairs[0].value) { result.append(step) }
        }
        return result
    }

    /// Reads `steps:` of `r`, or nothing.
    mutating func nestedSteps(_ r: MappingReader) -> [StepDefinition] {
        guard let node = r.node("steps") else { return [] }
        return steps(node, in: r.name)
    }

    mutating func step(_ key: YAMLScalar, _ value: YAMLNode) -> StepDefinition? {
        let name = key.text
        if let reason = StepCatalog.refusedSteps[name] {
            error(
                key.location, "'\(name)' is outside the Camel subset Caravan supports", hint: reason
            )
            return nil
        }
        guard let spec = StepCatalog.steps[name] else {
            error(
                key.location,
                "unknown step '\(name)'\(didYouMean(name, among: StepCatalog.steps.keys))",
                hint: "see docs/routes.md for the supported steps")
            return nil
        }
        // Scalar shorthands: `to: direct:x`, `log: "text"`, `removeHeader: name` ...
        if case .scalar(let s) = value, !s.isNull {
            return shorthand(name, key: key, value)
        }
        guard var r = reader(value, name: name) else { return nil }
        r.rejectUnknownKeys(
            StepCatalog.commonKeys + spec.keys
                + (spec.expression
                    ? ["expression"] + StepCatalog.languages + StepCatalog.refusedLanguages : []))
        let id = r.string("id")
        if r.bool("disabled", default: false) {
            absorb(&r)
            return nil
        }
        let location = key.location
        var kind: StepKind?
        switch name {
        case "to", "wireTap":
            if let uri = endpoint(r, role: .producer) {
                kind =
                    name == "to"
                    ? .to(uri)
                    : .wireTap(ExpressionDefinition(.simple, uri.description, location: location))
            }
        case "toD":
            kind = dynamicURI(r, location: location)
        case "log":
            let message = r.string("message", required: true)
            var level = LogLevel.INFO
            if let text = r.string("loggingLevel") {
                if let l = LogLevel(rawValue: text.uppercased()) {
                    level = l
                } else {
                    error(
                        r.node("loggingLevel")!.location, "unknown logging level '\(text)'",
                        hint: "use \(LogLevel.allCases.map(\.rawValue).joined(separator: ", "))")
                }
            }
            if let message, let expression = simpleTemplate(message, at: r.node("message")?.scalar)
            {
                kind = .log(message: expression, level: level, logName: r.string("logName"))
            }
        case "setBody", "transform", "setHeader", "setProperty", "validate", "delay":
            let expression = stepExpression(&r, predicate: name == "validate")
            var headerName: String?
            if name == "setHeader" || name == "setProperty" {
                headerName = r.string("name", required: true)
            }
            if let expression {
                switch name {
                case "setBody": kind = .setBody(expression)
                case "transform": kind = .transform(expression)
                case "validate": kind = .validate(expression)
                case "delay": kind = .delay(expression)
                case "setHeader": kind = headerName.map { .setHeader(name: $0, expression) }
                default: kind = headerName.map { .setProperty(name: $0, expression) }
                }
            }
        case "setVariable":
            let expression = stepExpression(&r, predicate: false)
            if let variable = r.string("name", required: true),
                variableName(variable, at: r.node("name")!.location), let expression
            {
                kind = .setVariable(name: variable, expression)
            }
        case "setVariables":
            kind = setVariables(r)
        case "removeVariable":
            if let variable = r.string("name", required: true),
                variableName(variable, at: r.node("name")!.location),
                checkNamePattern(variable, at: r.node("name")!.location)
            {
                kind = .removeVariable(name: variable)
            }
        case "removeHeader", "removeProperty":
            let alias = name == "removeHeader" ? "headerName" : "propertyName"
            if let n = r.string("name") ?? r.string(alias) {
                kind = name == "removeHeader" ? .removeHeader(name: n) : .removeProperty(name: n)
            } else {
                error(r.location, "'\(name)' needs 'name'", hint: "add `name: ...`")
            }
        case "removeHeaders", "removeProperties":
            if let pattern = r.string("pattern", required: true),
                checkNamePattern(pattern, at: r.node("pattern")!.location)
            {
                let exclude = r.string("excludePattern")
                if let exclude, !checkNamePattern(exclude, at: r.node("excludePattern")!.location) {
                    break
                }
                kind =
                    name == "removeHeaders"
                    ? .removeHeaders(pattern: pattern, excludePattern: exclude)
                    : .removeProperties(pattern: pattern, excludePattern: exclude)
            }
        case "convertBodyTo":
            if let type = r.string("type", required: true) {
                kind = convertType(type, at: r.node("type")!.location)
            }
        case "choice":
            kind = choice(r)
        case "filter":
            if let expression = stepExpression(&r, predicate: true) {
                kind = .filter(expression, steps: nestedSteps(r))
            }
        case "marshal", "unmarshal":
            if let format = dataFormat(r) {
                kind = name == "marshal" ? .marshal(format) : .unmarshal(format)
            }
        case "split":
            let expression = stepExpression(&r, predicate: false)
            let strategy = aggregationStrategy(&r)
            let stopOnException = r.bool("stopOnException", default: false)
            if let expression {
                kind = .split(
                    SplitDefinition(
                        expression: expression, steps: nestedSteps(r), strategy: strategy,
                        stopOnException: stopOnException))
            }
        case "idempotentConsumer":
            kind = idempotentConsumer(&r)
        case "loop":
            if let expression = stepExpression(&r, predicate: false) {
                kind = .loop(
                    expression, steps: nestedSteps(r), copy: r.bool("copy", default: false))
            }
        case "multicast":
            kind = .multicast(steps: nestedSteps(r), strategy: aggregationStrategy(&r))
        case "recipientList":
            if let expression = stepExpression(&r, predicate: false) {
                kind = .recipientList(expression, delimiter: r.string("delimiter") ?? ",")
            }
        case "enrich":
            let strategy = aggregationStrategy(&r)
            if let expression = stepExpression(&r, predicate: false) {
                kind = .enrich(expression, strategy: strategy)
            }
        case "throttle":
            if let expression = stepExpression(&r, predicate: false) {
                kind = .throttle(
                    expression, periodMillis: r.int("timePeriodMillis", default: 1000) ?? 1000)
            }
        case "stop":
            kind = .stop
        case "throwException":
            let type = r.string("exceptionType", required: true)
            let message = r.string("message") ?? ""
            if let type { kind = .throwException(kind: type, message: message) }
        case "doTry":
            kind = doTry(r)
        case "aggregate":
            kind = aggregate(&r)
        case "circuitBreaker":
            kind = circuitBreaker(&r)
        default:
            error(location, "'\(name)' is not supported yet")
        }
        let send = r.string("variableSend")
        let receive = r.string("variableReceive")
        for (key, variable) in [("variableSend", send), ("variableReceive", receive)] {
            if let variable { _ = variableName(variable, at: r.node(key)!.location) }
        }
        absorb(&r)
        return kind.map {
            var step = StepDefinition($0, id: id, location: location)
            step.variableSend = send
            step.variableReceive = receive
            return step
        }
    }

    /// Exchange variables only: Camel's `global:` and `route:` variables live in the
    /// CamelContext, which a store-backed bus with many nodes does not share.
    mutating func variableName(_ name: String, at location: SourceLocation) -> Bool {
        guard !name.isEmpty else {
            error(location, "a variable needs a name", hint: "write e.g. `name: customer`")
            return false
        }
        for scope in ["global:", "route:"] where name.hasPrefix(scope) {
            error(
                location, "'\(scope)' variables are not supported: only exchange variables are",
                hint:
                    "drop the '\(scope)' prefix (the variable then lives with the exchange, and is stored with it), or keep shared values in application.properties"
            )
            return false
        }
        return true
    }

    /// `setVariables: {variables: [{name: a, simple: ...}, ...]}`.
    mutating func setVariables(_ r: MappingReader) -> StepKind? {
        guard let node = r.node("variables") else {
            error(
                r.location, "'setVariables' needs 'variables'",
                hint: "write `variables:` with a list of `- name: ...` and an expression")
            return nil
        }
        guard case .sequence(let items, _) = node else {
            error(node.location, "'variables' must be a list of {name, expression}")
            return nil
        }
        var named: [NamedExpression] = []
        for item in items {
            guard var v = reader(item, name: "variable") else { continue }
            v.rejectUnknownKeys(
                ["name", "expression"] + StepCatalog.languages + StepCatalog.refusedLanguages)
            let expression = stepExpression(&v, predicate: false)
            if let variable = v.string("name", required: true),
                variableName(variable, at: v.node("name")!.location), let expression
            {
                named.append(NamedExpression(name: variable, expression: expression))
            }
            absorb(&v)
        }
        return named.isEmpty ? nil : .setVariables(named)
    }

    mutating func shorthand(_ name: String, key: YAMLScalar, _ value: YAMLNode) -> StepDefinition? {
        let isURI = name == "to" || name == "wireTap"
        guard
            let text = scalarText(
                value, what: "'\(name)'", absent: isURI ? PlaceholderResolver.absent : "")
        else { return nil }
        let location = key.location
        switch name {
        case "to", "wireTap":
            guard let uri = endpointURI(Self.droppingAbsentOptions(text), at: value.location)
            else { return nil }
            return StepDefinition(
                name == "to"
                    ? .to(uri)
                    : .wireTap(
                        ExpressionDefinition(.simple, uri.description, location: value.location)),
                location: location)
        case "toD":
            guard let expression = simpleTemplate(text, at: value.scalar) else { return nil }
            guard checkDynamicScheme(text, at: value.location) else { return nil }
            return StepDefinition(.toD(expression), location: location)
        case "log":
            guard let expression = simpleTemplate(text, at: value.scalar) else { return nil }
            return StepDefinition(
                .log(message: expression, level: .INFO, logName: nil), location: location)
        case "removeHeader": return StepDefinition(.removeHeader(name: text), location: location)
        case "removeProperty":
            return StepDefinition(.removeProperty(name: text), location: location)
        case "removeVariable":
            guard variableName(text, at: value.location), checkNamePattern(text, at: value.location)
            else { return nil }
            return StepDefinition(.removeVariable(name: text), location: location)
        case "removeHeaders":
            guard checkNamePattern(text, at: value.location) else { return nil }
            return StepDefinition(
                .removeHeaders(pattern: text, excludePattern: nil), location: location)
        case "removeProperties":
            guard checkNamePattern(text, at: value.location) else { return nil }
            return StepDefinition(
                .removeProperties(pattern: text, excludePattern: nil), location: location)
        case "convertBodyTo":
            return convertType(text, at: value.location).map {
                StepDefinition($0, location: location)
            }
        default:
            error(
                value.location, "'\(name)' needs a mapping, not \(value.kindDescription)",
                hint: "indent its keys under `\(name):`")
            return nil
        }
    }

    mutating func endpointURI(_ text: String, at location: SourceLocation) -> EndpointURI? {
        do {
            let uri = try EndpointURI(text)
            return checkScheme(uri, at: location, role: .producer) ? uri : nil
        } catch {
            self.error(location, error.message, hint: error.hint)
            return nil
        }
    }

    /// A Simple template (the message of `log`, the uri of `toD`), compiled now.
    mutating func simpleTemplate(_ text: String, at scalar: YAMLScalar?) -> ExpressionDefinition? {
        let location = scalar?.location ?? SourceLocation(file: "", line: 0, column: 0)
        do {
            _ = try Simple(text)
            return ExpressionDefinition(.simple, text, location: location)
        } catch {
            self.error(
                scalar?.location(ofCharacter: error.position) ?? location,
                "invalid simple expression at position \(error.position): \(error.message)",
                hint: error.hint)
            return nil
        }
    }

    mutating func dynamicURI(_ r: MappingReader, location: SourceLocation) -> StepKind? {
        var r = r
        guard let node = r.node("uri"), let text = r.string("uri") else {
            error(r.location, "'toD' needs a 'uri'", hint: "add `uri: scheme:path`")
            return nil
        }
        var uri = text
        if let parameters = r.node("parameters"), case .mapping(let pairs, _) = parameters {
            let query = pairs.compactMap { pair in
                r.text(pair.value, key: pair.key.text).map { "\(pair.key.text)=\($0)" }
            }
            if !query.isEmpty {
                uri += (uri.contains("?") ? "&" : "?") + query.joined(separator: "&")
            }
        }
        absorb(&r)
        guard checkDynamicScheme(text, at: node.location),
            let expression = simpleTemplate(uri, at: node.scalar)
        else { return nil }
        return .toD(expression)
    }

    /// When the scheme of a dynamic URI is written out (not computed), it must be known.
    mutating func checkDynamicScheme(_ text: String, at location: SourceLocation) -> Bool {
        guard let colon = text.firstIndex(of: ":") else { return true }
        let scheme = text[..<colon]
        guard !scheme.contains("$"), !scheme.contains("{") else { return true }
        return checkScheme(
            EndpointURI(scheme: String(scheme), path: ""), at: location, role: .producer)
    }

    mutating func convertType(_ type: String, at location: SourceLocation) -> StepKind? {
        // As Camel's type converters take them: simple or fully qualified names, and the
        // primitives (`int`, `double`, `boolean`), besides the byte and DOM forms.
        let known = [
            "String", "java.lang.String", "byte[]", "[B", "Integer", "java.lang.Integer", "int",
            "Long", "java.lang.Long", "long", "Double", "java.lang.Double", "double",
            "BigDecimal", "java.math.BigDecimal", "Boolean", "java.lang.Boolean", "boolean",
            "Map", "java.util.Map", "List", "java.util.List",
            "org.w3c.dom.Document", "java.io.InputStream", "InputStream",
        ]
        guard known.contains(type) || (type != "Object" && SimpleType(javaName: type) != nil)
        else {
            error(
                location,
                "convertBodyTo type '\(type)' is not supported\(didYouMean(type, among: known))",
                hint: "use String, byte[], Integer, Long, Double, BigDecimal, Boolean, Map or List")
            return nil
        }
        return .convertBodyTo(type: type)
    }

    mutating func choice(_ r: MappingReader) -> StepKind? {
        var whens: [WhenDefinition] = []
        if let node = r.node("when") {
            guard case .sequence(let items, _) = node else {
                error(
                    node.location, "'when' must be a list of conditions",
                    hint: "write `when:` then `- simple: ...` with `steps:`")
                return nil
            }
            for item in items {
                guard var w = reader(item, name: "when") else { continue }
                w.rejectUnknownKeys(
                    ["id", "description", "steps", "expression"] + StepCatalog.languages
                        + StepCatalog.refusedLanguages)
                let predicate = stepExpression(&w, predicate: true)
                let steps = nestedSteps(w)
                absorb(&w)
                if let predicate {
                    whens.append(
                        WhenDefinition(predicate: predicate, steps: steps, location: w.location))
                }
            }
        } else {
            error(
                r.location, "'choice' needs at least one 'when'",
                hint: "add `when:` with a condition and steps")
        }
        var otherwise: [StepDefinition]?
        if let node = r.node("otherwise") {
            if case .sequence = node {
                otherwise = steps(node, in: "otherwise")
            } else if var o = reader(node, name: "otherwise") {
                o.rejectUnknownKeys(["id", "description", "steps"])
                otherwise = nestedSteps(o)
                absorb(&o)
            }
        }
        return .choice(whens: whens, otherwise: otherwise)
    }

    mutating func doTry(_ r: MappingReader) -> StepKind? {
        let body = nestedSteps(r)
        var catches: [CatchDefinition] = []
        if let node = r.node("doCatch") {
            let items: [YAMLNode]
            if case .sequence(let list, _) = node { items = list } else { items = [node] }
            for item in items {
                guard var c = reader(item, name: "doCatch") else { continue }
                c.rejectUnknownKeys(["id", "description", "exception", "onWhen", "steps"])
                let exceptions = c.strings("exception")
                var onWhen: ExpressionDefinition?
                if let node = c.node("onWhen"), var w = reader(node, name: "onWhen") {
                    w.rejectUnknownKeys(
                        ["id", "expression"] + StepCatalog.languages + StepCatalog.refusedLanguages)
                    onWhen = stepExpression(&w, predicate: true)
                    absorb(&w)
                }
                catches.append(
                    CatchDefinition(
                        exceptions: exceptions, onWhen: onWhen, steps: nestedSteps(c),
                        location: c.location))
                absorb(&c)
            }
        }
        var finally: [StepDefinition]?
        if let node = r.node("doFinally"), var f = reader(node, name: "doFinally") {
            f.rejectUnknownKeys(["id", "description", "steps"])
            finally = nestedSteps(f)
            absorb(&f)
        }
        if catches.isEmpty && finally == nil {
            error(
                r.location, "'doTry' needs a 'doCatch' or a 'doFinally'",
                hint: "add `doCatch:` with the exceptions to handle")
        }
        return .doTry(steps: body, catches: catches, finally: finally)
    }

    /// `aggregationStrategy`: one of Camel's built-in strategies by class or short name.
    mutating func idempotentConsumer(_ r: inout MappingReader) -> StepKind? {
        let key = stepExpression(&r, predicate: false)
        let repository = r.string("idempotentRepository", required: true)
        let eager = r.bool("eager", default: true)
        let skipDuplicate = r.bool("skipDuplicate", default: true)
        let removeOnFailure = r.bool("removeOnFailure", default: true)
        // Keys are confirmed when the block's steps finish (Caravan has no end-of-exchange
        // hook); accepted so Camel files load.
        _ = r.bool("completionEager", default: false)
        guard let key, var name = repository else { return nil }
        if name.hasPrefix("#bean:") { name = String(name.dropFirst(6)) }
        if name.hasPrefix("#") { name = String(name.dropFirst()) }
        if beanStrategies[name] != nil, let node = r.node("idempotentRepository") {
            error(
                node.location,
                "the bean '\(name)' is an aggregation strategy, not an idempotent repository",
                hint:
                    "declare a bean of type MemoryIdempotentRepository or JdbcMessageIdRepository, or name a repository of Caravan's own"
            )
            return nil
        }
        return .idempotentConsumer(
            IdempotentConsumerDefinition(
                key: key, repository: name, eager: eager, skipDuplicate: skipDuplicate,
                removeOnFailure: removeOnFailure, steps: nestedSteps(r)))
    }

    mutating func aggregationStrategy(_ r: inout MappingReader) -> AggregationStrategyName? {
        guard let node = r.node("aggregationStrategy"), let text = r.string("aggregationStrategy")
        else { return nil }
        // A bean by its name: `joiner`, `#joiner` or `#bean:joiner`.
        var beanName = text
        if beanName.hasPrefix("#bean:") { beanName = String(beanName.dropFirst(6)) }
        if beanName.hasPrefix("#") { beanName = String(beanName.dropFirst()) }
        if let bean = beanStrategies[beanName] { return bean }
        var name = text
        if name.hasPrefix("#class:") { name = String(name.dropFirst(7)) }
        if name.hasPrefix("#") { name = String(name.dropFirst()) }
        if let dot = name.lastIndex(of: ".") { name = String(name[name.index(after: dot)...]) }
        if let strategy = AggregationStrategyName(rawValue: name)
            ?? AggregationStrategyName.allCases.first(where: {
                $0.rawValue.lowercased().hasPrefix(name.lowercased()) && !name.isEmpty
            })
        {
            return strategy
        }
        error(
            node.location, "unknown aggregation strategy '\(text)'",
            hint:
                "use one of Camel's built-ins: \(AggregationStrategyName.allCases.map(\.rawValue).joined(separator: ", "))"
        )
        return nil
    }
}

extension LoadContext {
    mutating func aggregate(_ r: inout MappingReader) -> StepKind? {
        let correlation = r.node("correlationExpression").flatMap {
            conditionBlock($0, name: "correlationExpression", predicate: false)
        }
        if correlation == nil, !r.has("correlationExpression") {
            error(
                r.location, "'aggregate' needs 'correlationExpression'",
                hint: "e.g. `correlationExpression: {simple: \"${header.orderId}\"}`")
        }
        let predicate = r.node("completionPredicate").flatMap {
            conditionBlock($0, name: "completionPredicate", predicate: true)
        }
        let size = r.int("completionSize", default: nil)
        let timeout = r.int("completionTimeout", default: nil)
        let sizeExpression = r.node("completionSizeExpression").flatMap {
            conditionBlock($0, name: "completionSizeExpression", predicate: false)
        }
        let timeoutExpression = r.node("completionTimeoutExpression").flatMap {
            conditionBlock($0, name: "completionTimeoutExpression", predicate: false)
        }
        let interval = r.int("completionInterval", default: nil)
        let onNewGroup = r.bool("completionOnNewCorrelationGroup", default: false)
        if let interval, interval <= 0 {
            error(r.node("completionInterval")!.location, "completionInterval must be above 0 ms")
        }
        if size == nil, timeout == nil, predicate == nil, sizeExpression == nil,
            timeoutExpression == nil, interval == nil, !onNewGroup
        {
            error(
                r.location, "'aggregate' needs a completion condition",
                hint:
                    "set completionSize, completionTimeout, completionPredicate, completionSizeExpression, completionTimeoutExpression, completionInterval or completionOnNewCorrelationGroup"
            )
        }
        let strategy = aggregationStrategy(&r) ?? .groupedBody
        var definition = AggregateDefinition(
            correlation: correlation ?? ExpressionDefinition(.constant, "", location: r.location),
            strategy: strategy, completionSize: size,
            completionTimeout: timeout, completionPredicate: predicate,
            eagerCheckCompletion: r.bool("eagerCheckCompletion", default: false),
            ignoreInvalidCorrelationKeys: r.bool("ignoreInvalidCorrelationKeys", default: false),
            steps: nestedSteps(r))
        definition.completionSizeExpression = sizeExpression
        definition.completionTimeoutExpression = timeoutExpression
        definition.discardOnCompletionTimeout = r.bool("discardOnCompletionTimeout", default: false)
        definition.completionInterval = interval.flatMap { $0 > 0 ? $0 : nil }
        definition.completionOnNewCorrelationGroup = onNewGroup
        definition.closeCorrelationKeyOnCompletion = r.int(
            "closeCorrelationKeyOnCompletion", default: nil)
        return correlation == nil ? nil : .aggregate(definition)
    }

    mutating func circuitBreaker(_ r: inout MappingReader) -> StepKind? {
        var configuration = CircuitBreakerConfiguration()
        if let node = r.node("resilience4jConfiguration") ?? r.node("configuration"),
            var c = reader(node, name: "resilience4jConfiguration")
        {
            c.rejectUnknownKeys([
                "id", "failureRateThreshold", "minimumNumberOfCalls", "slidingWindowSize",
                "waitDurationInOpenState",
                "permittedNumberOfCallsInHalfOpenState", "slidingWindowType",
                "automaticTransitionFromOpenToHalfOpenEnabled",
            ])
            if let t = c.string("failureRateThreshold") {
                if let v = Double(t), v > 0, v <= 100 {
                    configuration.failureRateThreshold = v
                } else {
                    error(
                        c.node("failureRateThreshold")!.location,
                        "failureRateThreshold must be a percentage above 0 and at most 100")
                }
            }
            configuration.minimumNumberOfCalls = max(
                1, c.int("minimumNumberOfCalls", default: 100) ?? 100)
            configuration.slidingWindowSize = max(
                1, c.int("slidingWindowSize", default: 100) ?? 100)
            configuration.waitDurationInOpenState = max(
                0, c.int("waitDurationInOpenState", default: 60) ?? 60)
            configuration.permittedNumberOfCallsInHalfOpenState = max(
                1, c.int("permittedNumberOfCallsInHalfOpenState", default: 10) ?? 10)
            if let type = c.string("slidingWindowType"), type != "COUNT_BASED" {
                error(
                    c.node("slidingWindowType")!.location,
                    "only COUNT_BASED sliding windows are supported")
            }
            absorb(&c)
        }
        var fallback: [StepDefinition]?
        if let node = r.node("onFallback"), var f = reader(node, name: "onFallback") {
            f.rejectUnknownKeys(["id", "description", "steps", "fallbackViaNetwork"])
            fallback = nestedSteps(f)
            absorb(&f)
        }
        return .circuitBreaker(
            CircuitBreakerDefinition(
                steps: nestedSteps(r), fallback: fallback, configuration: configuration))
    }
}

extension LoadContext {
    /// A `removeHeaders`/`removeProperties` pattern must mean something: a name, a name
    /// ending in `*`, or a regular expression that compiles (one that does not would
    /// never match anything, silently).
    mutating func checkNamePattern(_ text: String, at location: SourceLocation) -> Bool {
        if text.hasSuffix("*") || text.isEmpty { return true }
        do {
            _ = try Regex(text)
            return true
        } catch {
            self.error(
                location,
                "'\(text)' is not a header name, a name ending in '*', nor a valid regular expression (\(error))",
                hint: "write an exact name, a prefix followed by '*', or fix the regular expression"
            )
            return false
        }
    }
}
