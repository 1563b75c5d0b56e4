/// An expression as a route file writes it: the language, the text and the language's
/// options. Compiled once into a ``CompiledExpression`` when the route is built.
public struct ExpressionDefinition: Sendable, Hashable, Codable {
    public var language: ExpressionLanguage
    public var text: String
    /// XPath namespace bindings (prefix → URI).
    public var namespaces: [String: String]
    /// `tokenize` options.
    public var tokenize: TokenizeOptions?
    public var location: SourceLocation

    public struct TokenizeOptions: Sendable, Hashable, Codable {
        public var regex = false
        public var headerName: String?
        public var group = 0
        public var groupDelimiter: String?
        public var skipFirst = false

        public init() {}
    }

    public init(
        _ language: ExpressionLanguage, _ text: String, location: SourceLocation,
        namespaces: [String: String] = [:], tokenize: TokenizeOptions? = nil
    ) {
        self.language = language
        self.text = text
        self.location = location
        self.namespaces = namespaces
        self.tokenize = tokenize
    }

    /// Compiles the expression; `predicate` reads Simple as a condition.
    public func compile(predicate: Bool = false) throws(ExpressionError) -> CompiledExpression {
        if language == .tokenize {
            let o = tokenize ?? TokenizeOptions()
            return CompiledExpression(
                tokenizer: try Tokenizer(
                    token: text, regex: o.regex, headerName: o.headerName, group: o.group,
                    groupDelimiter: o.groupDelimiter, skipFirst: o.skipFirst))
        }
        return predicate
            ? try CompiledExpression.predicate(language, text, namespaces: namespaces)
            : try CompiledExpression(language, text, namespaces: namespaces)
    }
}

extension ExpressionLanguage: Codable {}
