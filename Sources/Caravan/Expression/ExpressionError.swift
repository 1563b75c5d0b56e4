/// An invalid expression: the language, the 1-based position (in characters) inside the
/// expression, what is wrong and how to fix it.
///
/// ```
/// jsonpath at 5: expected ']' to close the selector — add ']'
/// ```
public struct ExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    public let language: String
    public let expression: String
    /// 1-based character position in the expression.
    public let position: Int
    public let message: String
    public let hint: String?

    public init(
        language: String, expression: String, position: Int, _ message: String, hint: String? = nil
    ) {
        self.language = language
        self.expression = expression
        self.position = position
        self.message = message
        self.hint = hint
    }

    public var description: String {
        "\(language) expression at position \(position): \(message)"
            + (hint.map { " — \($0)" } ?? "")
    }

    /// The expression with a caret under the position, for terminals.
    public var pointer: String {
        let line = expression.replacingNewlines()
        return line + "\n" + String(repeating: " ", count: max(0, position - 1)) + "^"
    }
}

/// A failure while evaluating a valid expression against a message (a body that does not
/// parse, a function applied to the wrong type).
public struct EvaluationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    /// Set when the failure is a body that does not parse: its format says which parse
    /// error a route reports (a malformed JSON body is a `JsonParseException`).
    public let unreadableBody: FormatError.Format?

    public init(_ message: String) {
        self.message = message
        self.unreadableBody = nil
    }

    /// The body could not be read as `what` (a document, XML).
    public static func bodyUnreadable(_ error: FormatError, as what: String) -> EvaluationError {
        EvaluationError("cannot read the body as \(what): \(error)", unreadableBody: error.format)
    }

    init(_ message: String, unreadableBody: FormatError.Format?) {
        self.message = message
        self.unreadableBody = unreadableBody
    }

    public var description: String { message }
}

extension String {
    func replacingNewlines() -> String {
        String(unicodeScalars.map { $0 == "\n" || $0 == "\r" || $0 == "\t" ? " " : Character($0) })
    }
}
