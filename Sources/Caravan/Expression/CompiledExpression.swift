/// The expression languages Caravan understands (DESIGN §5).
public enum ExpressionLanguage: String, Sendable, CaseIterable {
    case simple, jsonpath, xpath, constant, header, exchangeProperty, tokenize
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
        case tokenize(Tokenizer)
    }

    public let language: ExpressionLanguage
    public let text: String
    public let compiled: Compiled

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
        case .header, .exchangeProperty:
            guard !text.isEmpty else {
                throw ExpressionError(
                    language: language.rawValue, expression: text, position: 1, "the name is empty",
                    hint: "give the \(language == .header ? "header" : "property") name")
            }
            compiled = language == .header ? .header(text) : .exchangeProperty(text)
        case .tokenize: compiled = .tokenize(try Tokenizer(token: text))
        }
    }

    public init(tokenizer: Tokenizer) {
        self.language = .tokenize
        self.text = tokenizer.token
        self.compiled = .tokenize(tokenizer)
    }

    /// The expression's value for `exchange`.
    public func evaluate(_ exchange: Exchange, context: SimpleContext = SimpleContext())
        throws(EvaluationError) -> Document
    {
        let message = exchange.message
        switch compiled {
        case .simple(let s): return try s.evaluate(exchange, context: context)
        case .jsonpath(let path):
            // A definite path (names and indexes only) yields its one value, as Camel's
            // JsonPath does; other paths yield the node list.
            return path.value(of: try document(of: message.body))
        case .xpath(let xpath): return try xpath.evaluate(try xmlTree(of: message.body)).document
        case .constant(let text): return .string(text)
        case .header(let name): return message.headers[name] ?? .null
        case .exchangeProperty(let name): return exchange.properties[name] ?? .null
        case .tokenize(let tokenizer):
            let source: String
            if let header = tokenizer.headerName {
                source = message.headers[header].map(SimpleCoercion.text) ?? ""
            } else {
                source = message.body.text
            }
            return .array(tokenizer.tokenize(source))
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
            return path.matches(try document(of: exchange.message.body))
        case .xpath(let xpath):
            return try xpath.evaluate(try xmlTree(of: exchange.message.body)).booleanValue
        default: return SimpleEvaluator.truthiness(try evaluate(exchange, context: context))
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
