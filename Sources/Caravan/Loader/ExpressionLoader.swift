/// Reading expressions in both spellings Camel accepts:
///
/// ```yaml
/// - filter:
///     simple: "${header.x} > 1"                          # shorthand
/// - filter:
///     expression: {simple: {expression: "${header.x} > 1"}}   # canonical
/// - split:
///     tokenize: {token: "\n", skipFirst: true}
/// ```
///
/// Every expression is compiled here, so a syntax error is a load error at its position.
extension LoadContext {
    /// Options each language accepts in its mapping form.
    static let languageOptions: [String: [String]] = [
        "simple": ["expression", "resultType", "trim", "id"],
        "constant": ["expression", "resultType", "trim", "id"],
        "jsonpath": [
            "expression", "resultType", "suppressExceptions", "allowSimple", "allowEasyPredicate",
            "writeAsString", "unpackArray", "option", "source", "headerName", "propertyName",
            "variableName", "trim", "id",
        ],
        "xpath": [
            "expression", "resultType", "namespace", "documentType", "saxon", "factoryRef",
            "objectModel", "logNamespaces", "threadSafety", "preCompile", "trim", "id",
        ],
        "jq": [
            "expression", "resultType", "source", "headerName", "propertyName", "variableName",
            "trim", "id",
        ],
        "header": ["expression", "trim", "id"],
        "exchangeProperty": ["expression", "trim", "id"],
        "variable": ["expression", "trim", "id"],
        "tokenize": [
            "token", "regex", "group", "groupDelimiter", "skipFirst", "headerName", "includeTokens",
            "trim", "id",
        ],
    ]

    /// The expression of a step: `expression:` or one language key. `required` reports a
    /// missing one; `predicate` compiles Simple as a condition.
    mutating func stepExpression(_ r: inout MappingReader, predicate: Bool, required: Bool = true)
        -> ExpressionDefinition?
    {
        let languageKeys = r.pairs.filter {
            StepCatalog.languages.contains($0.key.text)
                || StepCatalog.refusedLanguages.contains($0.key.text)
        }
        let canonical = r.node("expression")
        if canonical != nil, let extra = languageKeys.first {
            error(
                extra.key.location, "'\(r.name)' has both 'expression' and '\(extra.key.text)'",
                hint: "keep one of them")
            return nil
        }
        if languageKeys.count > 1 {
            error(
                languageKeys[1].key.location,
                "'\(r.name)' has more than one expression ('\(languageKeys[0].key.text)' and '\(languageKeys[1].key.text)')",
                hint: "keep one of them")
            return nil
        }
        if let canonical { return expression(canonical, predicate: predicate, owner: r.name) }
        if let pair = languageKeys.first {
            return languageExpression(pair.key, pair.value, predicate: predicate)
        }
        if required {
            error(
                r.location, "'\(r.name)' needs an expression",
                hint: "add e.g. `simple: \"${body}\"` or `expression: {constant: ...}`")
        }
        return nil
    }

    /// The expression text, or for `resource:...` the resource's content (Camel's
    /// languages load a static resource when the route starts).
    mutating func resource(_ text: String, at location: SourceLocation) -> String? {
        guard text.hasPrefix("resource:") else { return text }
        let reference = String(text.dropFirst("resource:".count))
        guard let (reader, file) = resources else {
            error(
                location, "'\(text)' names a resource, which cannot be read here",
                hint: "write the expression itself")
            return nil
        }
        do {
            return try reader.read(reference, forRouteFile: file)
        } catch {
            self.error(location, error.message, hint: error.hint)
            return nil
        }
    }

    /// `expression: {language: ...}` (a mapping with one language key).
    mutating func expression(_ node: YAMLNode, predicate: Bool, owner: String)
        -> ExpressionDefinition?
    {
        guard case .mapping(let pairs, _) = node, pairs.count == 1 else {
            error(
                node.location,
                "'expression' of '\(owner)' must be a mapping with one language, e.g. `{simple: \"${body}\"}`"
            )
            return nil
        }
        return languageExpression(pairs[0].key, pairs[0].value, predicate: predicate)
    }

    /// `simple: "text"` or `simple: {expression: "text", ...options}`.
    mutating func languageExpression(_ key: YAMLScalar, _ value: YAMLNode, predicate: Bool)
        -> ExpressionDefinition?
    {
        let name = key.text
        if StepCatalog.refusedLanguages.contains(name) {
            error(
                key.location, "the '\(name)' language is outside the subset Caravan supports",
                hint: "use one of \(StepCatalog.languages.joined(separator: ", "))")
            return nil
        }
        guard let language = ExpressionLanguage(rawValue: name) else {
            error(
                key.location,
                "unknown language '\(name)'\(didYouMean(name, among: StepCatalog.languages))",
                hint: "use one of \(StepCatalog.languages.joined(separator: ", "))")
            return nil
        }
        var definition: ExpressionDefinition
        var textScalar: YAMLScalar?
        switch value {
        case .scalar(let s):
            guard let given = scalarText(value, what: "the \(name) expression"),
                let text = resource(given, at: s.location)
            else { return nil }
            definition = ExpressionDefinition(language, text, location: s.location)
            // Positions inside a resource's text are not positions in this file.
            textScalar = given == text ? s : nil
        case .mapping:
            guard var r = reader(value, name: name) else { return nil }
            r.rejectUnknownKeys(LoadContext.languageOptions[name] ?? ["expression"])
            let textKey = language == .tokenize ? "token" : "expression"
            guard let given = r.string(textKey, required: true),
                let text = resource(given, at: r.node(textKey)?.location ?? r.location)
            else {
                absorb(&r)
                return nil
            }
            textScalar = given == text ? r.node(textKey)?.scalar : nil
            definition = ExpressionDefinition(
                language, text, location: textScalar?.location ?? r.location)
            if language == .tokenize {
                var o = ExpressionDefinition.TokenizeOptions()
                o.regex = r.bool("regex", default: false)
                o.headerName = r.string("headerName")
                o.group = r.int("group", default: 0) ?? 0
                o.groupDelimiter = r.string("groupDelimiter")
                o.skipFirst = r.bool("skipFirst", default: false)
                if r.bool("includeTokens", default: false) {
                    error(
                        r.node("includeTokens")!.location,
                        "tokenize's includeTokens is not supported")
                }
                definition.tokenize = o
            }
            if language == .xpath, let namespaces = r.node("namespace") {
                definition.namespaces = namespaceBindings(namespaces)
            }
            if r.has("resultType"), let type = r.string("resultType") {
                if SimpleType(javaName: type) == nil {
                    error(
                        r.node("resultType")!.location, "unknown resultType '\(type)'",
                        hint:
                            "use String, Integer, Long, Double, Boolean, Map or List (simple, java.lang. or primitive names)"
                    )
                } else {
                    definition.resultType = type
                }
            }
            // jq reads its JSON from the same sources as jsonpath (`source`, `headerName` …).
            if language == .jsonpath || language == .jq {
                definition.jsonpath = jsonpathOptions(&r)
            }
            absorb(&r)
        default:
            error(
                value.location,
                "the \(name) expression must be text or a mapping with 'expression', not \(value.kindDescription)"
            )
            return nil
        }
        if language == .tokenize, definition.tokenize == nil {
            definition.tokenize = ExpressionDefinition.TokenizeOptions()
        }
        do {
            _ = try definition.compile(predicate: predicate)
        } catch {
            let location = textScalar?.location(ofCharacter: error.position) ?? definition.location
            self.error(
                location,
                "invalid \(name) expression at position \(error.position): \(error.message)",
                hint: error.hint)
            return nil
        }
        return definition
    }

    /// XPath `namespace:` as a list of `{key, value}` or a mapping of prefix to URI.
    mutating func namespaceBindings(_ node: YAMLNode) -> [String: String] {
        var result: [String: String] = [:]
        switch node {
        case .mapping(let pairs, _):
            for pair in pairs {
                if let uri = scalarText(pair.value, what: "a namespace URI") {
                    result[pair.key.text] = uri
                }
            }
        case .sequence(let items, _):
            for item in items {
                guard var r = reader(item, name: "namespace") else { continue }
                r.rejectUnknownKeys(["key", "value"])
                if let key = r.string("key", required: true),
                    let value = r.string("value", required: true)
                {
                    result[key] = value
                }
                absorb(&r)
            }
        default:
            error(
                node.location,
                "'namespace' must be a list of {key, value} or a mapping of prefixes to URIs")
        }
        return result
    }
}

extension LoadContext {
    /// Jayway's options by Camel's name, as `option:` takes them (comma-separated).
    static let jaywayOptions = [
        "ALWAYS_RETURN_LIST", "SUPPRESS_EXCEPTIONS", "DEFAULT_PATH_LEAF_TO_NULL",
    ]

    /// The `jsonpath` language's options of a mapping.
    mutating func jsonpathOptions(_ r: inout MappingReader) -> JSONPathOptions {
        var o = JSONPathOptions()
        o.suppressExceptions = r.bool("suppressExceptions", default: false)
        o.writeAsString = r.bool("writeAsString", default: false)
        o.unpackArray = r.bool("unpackArray", default: false)
        if let header = r.string("headerName") { o.source = "header:" + header }
        if let property = r.string("propertyName") { o.source = "property:" + property }
        if let variable = r.string("variableName") { o.source = "variable:" + variable }
        if let source = r.string("source"), !source.isEmpty { o.source = source }
        if let options = r.string("option") {
            for option in options.split(separator: ",").map({ $0.trimmingXMLWhitespace() }) {
                switch option {
                case "ALWAYS_RETURN_LIST": o.alwaysReturnList = true
                case "SUPPRESS_EXCEPTIONS": o.suppressExceptions = true
                // Caravan's paths already give null for a missing leaf.
                case "DEFAULT_PATH_LEAF_TO_NULL": break
                default:
                    error(
                        r.node("option")!.location,
                        "the jsonpath option '\(option)' is not supported\(didYouMean(option, among: Self.jaywayOptions))",
                        hint: "supported: \(Self.jaywayOptions.joined(separator: ", "))")
                }
            }
        }
        return o
    }
}
