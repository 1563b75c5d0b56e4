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
    /// `resultType`: the value converted to this Java type's equivalent (`Integer`, `int`,
    /// `java.lang.String`, `Map` …).
    public var resultType: String? = nil
    /// Options of Camel's `jsonpath` language.
    public var jsonpath: JSONPathOptions? = nil

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
        var compiled = try compileText(predicate: predicate)
        compiled.jsonpathOptions = jsonpath ?? JSONPathOptions()
        if let resultType {
            guard let type = SimpleType(javaName: resultType) else {
                throw ExpressionError(
                    language: language.rawValue, expression: text, position: 1,
                    "unknown resultType '\(resultType)'",
                    hint: "use String, Integer, Long, Double, Boolean, Map or List (or int, long …)"
                )
            }
            compiled.resultType = type
        }
        return compiled
    }

    private func compileText(predicate: Bool) throws(ExpressionError) -> CompiledExpression {
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

/// Camel's `jsonpath` language options.
public struct JSONPathOptions: Sendable, Hashable, Codable {
    /// A body (or source) that is not JSON gives null instead of failing the exchange.
    public var suppressExceptions = false
    /// Each value as JSON text (objects and arrays written out; scalars as their text).
    public var writeAsString = false
    /// A one-element array result becomes that element.
    public var unpackArray = false
    /// Always a list, even for a definite path (Jayway's `ALWAYS_RETURN_LIST`).
    public var alwaysReturnList = false
    /// Where the JSON comes from instead of the body: `header:NAME`, `property:NAME` or
    /// `variable:NAME` (a bare name is a variable, as in Camel 4).
    public var source: String? = nil

    public init() {}
}
