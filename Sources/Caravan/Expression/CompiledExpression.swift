/// The expression languages Caravan understands (DESIGN §5).
public enum ExpressionLanguage: String, Sendable, CaseIterable {
    case simple, jsonpath, xpath, constant, header, exchangeProperty, variable, tokenize, jq
}

/// An expression in any supported language, compiled once and evaluated per exchange.
///
/// ```swift
/// let total = try CompiledExpression(.jsonpath, "$.total")
/// try total.evaluate(exchange)         // 1250.50
/// try total.matches(exchange)          // true (a non-empty result)
/// ```
public struct CompiledExpression: Sendable {
    public enum Compiled: Sendable {
        case simple(Simple)
        case jsonpath(JSONPath)
        case xpath(XPath)
        case constant(String)
        case header(String)
        case exchangeProperty(String)
        /// Camel 4.4's `variable` language: the exchange variable of that name.
        case variable(String)
        case tokenize(Tokenizer)
        case jq(JQ)
    }

    public let language: ExpressionLanguage
    public let text: String
    public let compiled: Compiled
    /// The value converted to this type (`resultType`).
    var resultType: SimpleType? = nil
    /// How a `jsonpath` expression reads its source and shapes its value.
    public var jsonpathOptions = JSONPathOptions()

    /// Compiles `text`. Simple compiles as a template; use ``predicate(_:_:)`` where a
    /// condition is expected (`filter`, `when`).
    public init(_ language: ExpressionLanguage, _ text: String, namespaces: [String: String] = [:])
        throws(ExpressionError)
    {
        try self.init(language, text, namespaces: namespaces, simpleMode: .expression)
    }

    /// Compiles `text` where a condition is expected.
    public static func predicate(
        _ language: ExpressionLanguage, _ text: String, namespaces: [String: String] = [:]
    ) throws(ExpressionError) -> CompiledExpression {
        try CompiledExpression(language, text, namespaces: namespaces, simpleMode: .predicate)
    }

    init(
        _ language: ExpressionLanguage, _ text: String, namespaces: [String: String],
        simpleMode: Simple.Mode
    ) throws(ExpressionError) {
        self.language = language
        self.text = text
        switch language {
        case .simple: compiled = .simple(try Simple(text, mode: simpleMode))
        case .jsonpath: compiled = .jsonpath(try JSONPath(text))
        case .xpath: compiled = .xpath(try XPath(text, namespaces: namespaces))
        case .constant: compiled = .constant(text)
        case .header, .exchangeProperty, .variable:
            guard !text.isEmpty else {
                throw ExpressionError(
                    language: language.rawValue, expression: text, position: 1, "the name is empty",
                    hint:
                        "give the \(language == .exchangeProperty ? "property" : language.rawValue) name"
                )
            }
            switch language {
            case .header: compiled = .header(text)
            case .variable: compiled = .variable(text)
            default: compiled = .exchangeProperty(text)
            }
        case .tokenize: compiled = .tokenize(try Tokenizer(token: text))
        case .jq: compiled = .jq(try JQ(text))
        }
    }

    public init(tokenizer: Tokenizer) {
        self.language = .tokenize
        self.text = tokenizer.token
        self.compiled = .tokenize(tokenizer)
    }

    /// The expression's value for `exchange` (converted to ``resultType``, when set).
    public func evaluate(_ exchange: Exchange, context: SimpleContext = SimpleContext())
        throws(EvaluationError) -> Document
    {
        let value = try evaluateRaw(exchange, context: context)
        guard let resultType else { return value }
        return try SimpleEvaluator.convert(
            value, to: resultType, what: "the \(language.rawValue) value")
    }

    private func evaluateRaw(_ exchange: Exchange, context: SimpleContext)
        throws(EvaluationError) -> Document
    {
        let message = exchange.message
        switch compiled {
        case .simple(let s): return try s.evaluate(exchange, context: context)
        case .jsonpath(let path):
            let o = jsonpathOptions
            guard let source = try jsonSource(exchange) else { return .null }
            // A definite path (names and indexes only) yields its one value, as Camel's
            // JsonPath does; other paths yield the node list.
            var value = o.alwaysReturnList ? .array(path.evaluate(source)) : path.value(of: source)
            if o.unpackArray, case .array(let items) = value, items.count == 1 { value = items[0] }
            if o.writeAsString {
                func written(_ d: Document) -> Document {
                    switch d {
                    case .object, .array: .string(JSONWriter().string(d))
                    default: d == .null ? .null : .string(SimpleCoercion.text(d))
                    }
                }
                if case .array(let items) = value {
                    value = .array(items.map(written))
                } else {
                    value = written(value)
                }
            }
            return value
        case .xpath(let xpath): return try xpath.evaluate(try xmlTree(of: message.body)).document
        case .constant(let text): return .string(text)
        case .header(let name): return message.headers[name] ?? .null
        case .exchangeProperty(let name): return exchange.properties[name] ?? .null
        case .variable(let name): return exchange.variables[name] ?? .null
        case .tokenize(let tokenizer):
            let source: String
            if let header = tokenizer.headerName {
                source = message.headers[header].map(SimpleCoercion.text) ?? ""
            } else {
                source = message.body.text
            }
            return .array(tokenizer.tokenize(source))
        case .jq(let jq):
            guard let source = try jsonSource(exchange) else { return .null }
            return try jq.evaluate(source)
        }
    }

    /// The expression's value as a condition: Simple predicates as they are, XPath's
    /// `boolean()`, a non-empty JSONPath node list, other values by Simple's truthiness.
    public func matches(_ exchange: Exchange, context: SimpleContext = SimpleContext())
        throws(EvaluationError) -> Bool
    {
        switch compiled {
        case .simple(let s): return try s.matches(exchange, context: context)
        case .jsonpath(let path):
            guard let source = try jsonSource(exchange) else { return false }
            return path.matches(source)
        case .xpath(let xpath):
            return try xpath.evaluate(try xmlTree(of: exchange.message.body)).booleanValue
        default: return SimpleEvaluator.truthiness(try evaluate(exchange, context: context))
        }
    }

    /// The JSON a `jsonpath` expression reads: the body, or its `source`; nil when it is
    /// not JSON and `suppressExceptions` is set.
    func jsonSource(_ exchange: Exchange) throws(EvaluationError) -> Document? {
        let o = jsonpathOptions
        do throws(EvaluationError) {
            guard let source = o.source, !source.isEmpty else {
                return try document(of: exchange.message.body)
            }
            let value: Document?
            if source.hasPrefix("header:") {
                value = exchange.message.headers[String(source.dropFirst(7))]
            } else if source.hasPrefix("property:") {
                value = exchange.properties[String(source.dropFirst(9))]
            } else {
                let name = source.hasPrefix("variable:") ? String(source.dropFirst(9)) : source
                value = exchange.variables[name]
            }
            // Text is read as JSON, as Camel reads a String source.
            if case .string(let text)? = value {
                do { return try JSONReader().read(text) } catch {
                    throw EvaluationError("the jsonpath source \(source) is not JSON: \(error)")
                }
            }
            return value ?? .null
        } catch {
            if o.suppressExceptions { return nil }
            throw error
        }
    }

    func document(of body: Body) throws(EvaluationError) -> Document {
        do { return try body.document() } catch {
            throw EvaluationError.bodyUnreadable(error, as: "a document")
        }
    }

    func xmlTree(of body: Body) throws(EvaluationError) -> XMLTree {
        do { return try body.xmlTree() } catch {
            throw EvaluationError.bodyUnreadable(error, as: "XML")
        }
    }
}

extension CompiledExpression {
    /// Simple text read as a predicate when it holds an operator, else as a template (what
    /// `caravan eval` does, since it has no surrounding step to say which is meant).
    public init(simpleAutomatic text: String) throws(ExpressionError) {
        try self.init(.simple, text, namespaces: [:], simpleMode: .automatic)
    }
}
