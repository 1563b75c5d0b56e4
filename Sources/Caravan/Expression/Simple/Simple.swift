import Foundation

/// A compiled expression or predicate in Camel's Simple language.
///
/// Compile once when a route loads; evaluate for every exchange:
///
/// ```swift
/// let big = try Simple("${body[total]} > 1000 && ${header.region} == 'EU'", mode: .predicate)
/// try big.matches(exchange)
/// let name = try Simple("order-${body[id]}.xml")
/// try name.evaluate(exchange)  // "order-A-1001.xml"
/// ```
///
/// As in Camel, binary operators need a space on both sides (`${x} == 1`, not
/// `${x}==1`), `&&` and `||` combine conditions left to right without precedence, the
/// right side is converted to the left side's type, and numeric strings compare as
/// numbers. See `docs/expressions.md` for the functions and operators supported.
public struct Simple: Sendable {
    /// How to read the text.
    public enum Mode: Sendable {
        /// A text template: `${...}` functions in literal text (Camel's expression parser).
        case expression
        /// A condition with operators (Camel's predicate parser); without operators the
        /// template's value is the condition.
        case predicate
        /// A predicate when the text holds a binary or logical operator, else an expression.
        case automatic
    }

    public let text: String
    let root: SimpleNode

    /// Whether the text compiled to a condition (its value is a boolean).
    public var isPredicate: Bool {
        if case .template = root { return false }
        return true
    }

    public init(_ text: String, mode: Mode = .expression) throws(ExpressionError) {
        self.text = text
        let parser = SimpleParser(text)
        switch mode {
        case .expression: root = .template(try parser.parseTemplate())
        case .predicate: root = try parser.parsePredicate()
        case .automatic:
            root =
                try parser.hasOperators()
                ? parser.parsePredicate() : .template(try parser.parseTemplate())
        }
    }

    /// The value: a string for templates with text, the function's own value for a lone
    /// `${...}`, a boolean for predicates.
    public func evaluate(_ exchange: Exchange, context: SimpleContext = SimpleContext())
        throws(EvaluationError) -> Document
    {
        let evaluator = SimpleEvaluator(exchange: exchange, context: context)
        switch root {
        case .template(let t): return try evaluator.value(t)
        default: return .bool(try evaluator.test(root))
        }
    }

    /// The value as a condition, with Camel's rules for non-boolean values: `"true"` and
    /// `"false"` (any case) are booleans, any other non-null value is true.
    public func matches(_ exchange: Exchange, context: SimpleContext = SimpleContext())
        throws(EvaluationError) -> Bool
    {
        try SimpleEvaluator(exchange: exchange, context: context).test(root)
    }
}

/// What Simple reads from outside the exchange: the clock, the environment, randomness.
/// Kept out of the evaluator so the core does no I/O and tests can fix them.
public struct SimpleContext: Sendable {
    /// Seconds since 1970 (the system clock by default).
    public var now: @Sendable () -> Double
    /// `${env.NAME}` reads from here; nil (the default) reads the process environment
    /// when the expression is evaluated, so that every command (`serve`, `test`, `eval`)
    /// sees the same.
    public var environment: [String: String]?
    /// The time zone for `${date:...}` (default: the system's).
    public var timeZoneIdentifier: String?

    public init(
        now: @escaping @Sendable () -> Double = { systemNow() },
        environment: [String: String]? = nil, timeZoneIdentifier: String? = nil
    ) {
        self.now = now
        self.environment = environment
        self.timeZoneIdentifier = timeZoneIdentifier
    }

    /// The environment variable `name`, from ``environment`` or the process.
    func environmentValue(_ name: String) -> String? {
        guard let environment else { return getenv(name).map { String(cString: $0) } }
        return environment[name]
    }
}
