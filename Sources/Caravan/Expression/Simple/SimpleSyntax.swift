/// The compiled form of a Simple expression.
indirect enum SimpleNode: Sendable {
    case template(SimpleTemplate)
    case binary(SimpleOperand, SimpleOperator, SimpleOperand, CompiledRegex?)
    case and(SimpleNode, SimpleNode)
    case or(SimpleNode, SimpleNode)
}

/// Literal text with `${...}` functions.
struct SimpleTemplate: Sendable {
    enum Part: Sendable {
        case text(String)
        case function(SimpleFunction)
    }

    var parts: [Part]

    /// The literal text when there are no functions.
    var constantText: String? {
        var s = ""
        for part in parts {
            guard case .text(let t) = part else { return nil }
            s += t
        }
        return s
    }
}

/// One side of a binary operator.
enum SimpleOperand: Sendable {
    case template(SimpleTemplate)
    /// Text from quotes: always a string, even when it looks like a number.
    case quoted(SimpleTemplate)
    case number(DecimalText)
    case bool(Bool)
    case null
}

enum SimpleOperator: String, Sendable, CaseIterable {
    case equal = "==", equalIgnoreCase = "=~", notEqual = "!=", notEqualIgnoreCase = "!=~"
    case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="
    case contains, notContains = "!contains", containsIgnoreCase = "~~", notContainsIgnoreCase =
        "!~~"
    case regex, notRegex = "!regex", `in`, notIn = "!in", `is`, notIs = "!is"
    case range, notRange = "!range", startsWith, notStartsWith = "!startsWith", endsWith,
        notEndsWith = "!endsWith"
}

/// A regular expression compiled when the route loads. `Regex` is not `Sendable`, but
/// matching never mutates it, so sharing one across tasks is safe.
final class CompiledRegex: @unchecked Sendable {
    let regex: Regex<AnyRegexOutput>

    init(_ regex: Regex<AnyRegexOutput>) { self.regex = regex }
}
