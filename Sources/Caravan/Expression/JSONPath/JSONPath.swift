/// A compiled JSONPath query: RFC 9535, and — for what the RFC refuses — Jayway
/// JsonPath's extensions, as Camel's `jsonpath` language has them (``JaywayFunction``,
/// ``JaywayOperator``).
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
    /// Jayway's function at the end of the path (`$.items.length()`).
    let tail: JaywayFunction?

    public init(_ expression: String) throws(ExpressionError) {
        self.expression = expression
        var strict = JSONPathParser(expression)
        do {
            self.query = try strict.parseRootQuery()
            self.tail = nil
            return
        } catch let rfcError {
            // What RFC 9535 refuses is read again with Jayway's extensions; the error that
            // got further into the text is the one reported.
            var jaywayError: ExpressionError
            do {
                var text = expression
                var tail: JaywayFunction?
                if let (path, function) = try JSONPath.trailingFunction(expression) {
                    text = path
                    tail = function
                }
                var parser = JSONPathParser(text)
                parser.jayway = true
                self.query = try parser.parseRootQuery()
                self.tail = tail
                return
            } catch {
                jaywayError = error
            }
            throw jaywayError.position > rfcError.position ? jaywayError : rfcError
        }
    }

    /// The values the query selects from `root` (with a function at its end: its value).
    public func evaluate(_ root: Document) -> [Document] {
        var evaluator = JSONPathEvaluator(root: root)
        let nodes = evaluator.select(query, from: root)
        guard let tail else { return nodes }
        return [tail.apply(to: query.isSingular ? (nodes.first ?? .null) : .array(nodes))]
    }

    /// The value as Camel's jsonpath gives it: a definite path's one value (names and
    /// indexes only; null when it selects nothing), a function's value, else the list.
    public func value(of root: Document) -> Document {
        let nodes = evaluate(root)
        return tail != nil || query.isSingular ? (nodes.first ?? .null) : .array(nodes)
    }

    /// Whether the query holds for `root`: a one-value result by its truthiness, a list
    /// when it is not empty.
    public func matches(_ root: Document) -> Bool {
        let nodes = evaluate(root)
        if tail != nil || query.isSingular {
            return nodes.first.map(SimpleEvaluator.truthiness) ?? false
        }
        return !nodes.isEmpty
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
    /// Jayway's `=~`, `in`, `nin`, `subsetof`, `anyof`, `noneof`, `size`, `empty`.
    case jayway(JSONPathComparable, JaywayOperator, JaywayOperand)
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
