/// A compiled RFC 9535 JSONPath query.
///
/// Compile once, evaluate many times; the result is the node list in the order the RFC
/// defines (document order for arrays, member order for objects):
///
/// ```swift
/// let hazmat = try JSONPath("$.items[?@.hazmat == true].sku")
/// hazmat.evaluate(order)  // ["X-1"]
/// ```
///
/// Complete: name, index, wildcard, slice and filter selectors, child and descendant
/// segments, comparisons, `&&` `||` `!`, and the five functions `length`, `count`,
/// `match`, `search`, `value` with the RFC's type rules (an ill-typed query is invalid).
public struct JSONPath: Sendable {
    /// The query text as written.
    public let expression: String
    let query: JSONPathQuery

    public init(_ expression: String) throws(ExpressionError) {
        self.expression = expression
        var parser = JSONPathParser(expression)
        self.query = try parser.parseRootQuery()
    }

    /// The values the query selects from `root`.
    public func evaluate(_ root: Document) -> [Document] {
        var evaluator = JSONPathEvaluator(root: root)
        return evaluator.select(query, from: root)
    }
}

// MARK: - The syntax tree

struct JSONPathQuery: Sendable {
    /// `$` (absolute) or `@` (relative to the current node in a filter).
    var absolute: Bool
    var segments: [JSONPathSegment]

    /// A singular query selects at most one node: only name and index selectors, one per segment.
    var isSingular: Bool {
        segments.allSatisfy { segment in
            guard !segment.descendant, segment.selectors.count == 1 else { return false }
            switch segment.selectors[0] {
            case .name, .index: return true
            default: return false
            }
        }
    }
}

struct JSONPathSegment: Sendable {
    var descendant: Bool
    var selectors: [JSONPathSelector]
}

enum JSONPathSelector: Sendable {
    case name(String)
    case wildcard
    case index(Int)
    case slice(start: Int?, end: Int?, step: Int?)
    case filter(JSONPathLogical)
}

indirect enum JSONPathLogical: Sendable {
    case or([JSONPathLogical])
    case and([JSONPathLogical])
    case not(JSONPathLogical)
    case comparison(JSONPathComparable, JSONPathComparison, JSONPathComparable)
    /// An existence test: the query selects at least one node.
    case exists(JSONPathQuery)
    /// A function whose result is logical (`match`, `search`).
    case function(JSONPathFunctionCall)
}

enum JSONPathComparison: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">",
        greaterOrEqual = ">="
}

/// One side of a comparison: a value, or "nothing" when a query selects no node.
indirect enum JSONPathComparable: Sendable {
    case literal(Document)
    case singularQuery(JSONPathQuery)
    case function(JSONPathFunctionCall)
}

struct JSONPathFunctionCall: Sendable {
    var function: JSONPathFunction
    var arguments: [JSONPathArgument]
}

enum JSONPathArgument: Sendable {
    case value(JSONPathComparable)
    case nodes(JSONPathQuery)
    case logical(JSONPathLogical)
}
