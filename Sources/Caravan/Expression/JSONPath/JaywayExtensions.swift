import Foundation

/// What Camel's `jsonpath` language (Jayway JsonPath) accepts beyond RFC 9535: functions
/// at the end of a path and more filter operators. A query that is valid RFC 9535 is
/// evaluated as the RFC says; only one the RFC refuses is read again with these.
///
/// ```
/// $.items.length()            $..price.sum()           $.tags.concat('-', 'x')
/// $.items[?(@.sku =~ /A-.*/i)]   $.items[?(@.size in ['S', 'M'])]   $[?(@.tags empty false)]
/// ```

/// A Jayway function at the end of a path, applied to what the path selects: the single
/// node of a definite path (names and indexes), else the list of nodes.
enum JaywayFunction: Sendable {
    case length
    case min, max, avg, sum, stddev
    case keys, first, last
    case index(Int)
    case concat([Document])
    case append([Document])

    static let names = [
        "length", "size", "min", "max", "avg", "sum", "stddev", "keys", "first", "last", "index",
        "concat", "append",
    ]

    /// The function's value; null where Jayway fails (an aggregate of nothing, `first()` of
    /// an empty array) — Camel then fails the exchange unless `suppressExceptions`.
    func apply(to model: Document) -> Document {
        let items: [Document]
        if case .array(let a) = model { items = a } else { items = [model] }
        let numbers = items.compactMap { item -> Double? in
            if case .number(let n) = item { return n.doubleValue }
            return nil
        }
        func number(_ d: Double) -> Document { DecimalText(d).map(Document.number) ?? .null }
        switch self {
        case .length:
            switch model {
            case .array(let a): return .number(DecimalText(a.count))
            case .object(let o): return .number(DecimalText(o.count))
            case .string(let s): return .number(DecimalText(s.count))
            default: return .null
            }
        case .min: return numbers.min().map(number) ?? .null
        case .max: return numbers.max().map(number) ?? .null
        case .sum: return numbers.isEmpty ? .null : number(numbers.reduce(0, +))
        case .avg:
            return numbers.isEmpty ? .null : number(numbers.reduce(0, +) / Double(numbers.count))
        case .stddev:
            guard !numbers.isEmpty else { return .null }
            let mean = numbers.reduce(0, +) / Double(numbers.count)
            let variance =
                numbers.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(numbers.count)
            return number(variance.squareRoot())
        case .keys:
            guard case .object(let o) = model else { return .null }
            return .array(o.map { .string($0.key) })
        case .first: return items.first ?? .null
        case .last: return items.last ?? .null
        case .index(let i):
            let at = i >= 0 ? i : items.count + i
            return items.indices.contains(at) ? items[at] : .null
        case .concat(let extra):
            return .string((items + extra).map { SimpleCoercion.text($0) }.joined())
        case .append(let extra):
            return .array(items + extra)
        }
    }
}

/// Jayway's filter operators beyond RFC 9535's comparisons.
enum JaywayOperator: String, Sendable {
    case matches = "=~"
    case `in`, nin, subsetof, anyof, noneof, size, empty
}

extension JSONPathEvaluator {
    /// `left op right` as Jayway evaluates it; a missing left side is false.
    mutating func jayway(
        _ left: JSONPathComparable, _ op: JaywayOperator, _ right: JaywayOperand,
        _ current: Document
    ) -> Bool {
        guard let l = value(left, current) else { return false }
        func list(_ d: Document?) -> [Document]? {
            if case .array(let a)? = d { return a }
            return nil
        }
        func contains(_ items: [Document], _ d: Document) -> Bool {
            items.contains { JSONPathEvaluator.equal($0, d) }
        }
        switch (op, right) {
        case (.matches, .regex(let regex)):
            guard case .string(let text) = l else { return false }
            return (try? regex.regex.wholeMatch(in: text)) != nil
        case (.size, _):
            let wanted: Document?
            if case .value(let c) = right { wanted = value(c, current) } else { wanted = nil }
            guard case .number(let n)? = wanted else { return false }
            switch l {
            case .array(let a): return Double(a.count) == n.doubleValue
            case .string(let s): return Double(s.count) == n.doubleValue
            case .object(let o): return Double(o.count) == n.doubleValue
            default: return false
            }
        case (.empty, .value(let c)):
            guard case .bool(let wanted)? = value(c, current) else { return false }
            let isEmpty: Bool
            switch l {
            case .array(let a): isEmpty = a.isEmpty
            case .string(let s): isEmpty = s.isEmpty
            case .object(let o): isEmpty = o.isEmpty
            default: return false
            }
            return isEmpty == wanted
        case (.in, .value(let c)):
            guard let r = list(value(c, current)) else { return false }
            return contains(r, l)
        case (.nin, .value(let c)):
            guard let r = list(value(c, current)) else { return false }
            return !contains(r, l)
        case (.subsetof, .value(let c)):
            guard let r = list(value(c, current)), let items = list(l) else { return false }
            return items.allSatisfy { contains(r, $0) }
        case (.anyof, .value(let c)):
            guard let r = list(value(c, current)), let items = list(l) else { return false }
            return items.contains { contains(r, $0) }
        case (.noneof, .value(let c)):
            guard let r = list(value(c, current)), let items = list(l) else { return false }
            return !items.contains { contains(r, $0) }
        default:
            return false
        }
    }
}

/// The right side of a Jayway operator.
enum JaywayOperand: Sendable {
    case value(JSONPathComparable)
    /// `/pattern/flags` (flag `i`: ignore case), matched against the whole string.
    case regex(CompiledRegex)
}

extension JSONPathParser {
    /// A Jayway operator after a filter's left operand, if one follows.
    mutating func parseJaywayOperator() -> JaywayOperator? {
        if peek() == "=", peek(1) == "~" {
            index += 2
            return .matches
        }
        let save = index
        var word = ""
        while let c = peek(), ("a"..."z").contains(c) {
            word.unicodeScalars.append(c)
            index += 1
        }
        if let op = JaywayOperator(rawValue: word), op != .matches,
            peek().map({ $0 == " " || $0 == "[" || $0 == "'" || $0 == "@" || $0 == "$" }) ?? false
        {
            return op
        }
        index = save
        return nil
    }

    /// The right side of `op`: a regular expression literal for `=~`, else a literal (an
    /// array `['a', 1]` too), a query or a function.
    mutating func parseJaywayOperand(for op: JaywayOperator) throws(ExpressionError)
        -> JaywayOperand
    {
        let start = index
        if op == .matches {
            guard peek() == "/" else {
                throw error("'=~' needs a regular expression: /pattern/ or /pattern/i")
            }
            index += 1
            var pattern = ""
            while let c = peek(), c != "/" {
                if c == "\\", let next = peek(1) {
                    pattern.unicodeScalars.append(c)
                    pattern.unicodeScalars.append(next)
                    index += 2
                    continue
                }
                pattern.unicodeScalars.append(c)
                index += 1
            }
            guard peek() == "/" else {
                throw error(at: start, "the regular expression is never closed")
            }
            index += 1
            var ignoreCase = false
            while let c = peek(), ("a"..."z").contains(c) {
                if c == "i" { ignoreCase = true }
                index += 1
            }
            guard let regex = try? Regex(pattern) else {
                throw error(at: start, "'\(pattern)' is not a valid regular expression")
            }
            return .regex(CompiledRegex(ignoreCase ? regex.ignoresCase() : regex))
        }
        if peek() == "[" { return .value(.literal(try parseArrayLiteral())) }
        return .value(try comparable(try parseOperand(), at: start))
    }

    /// `['a', "b", 1, true, null]`.
    mutating func parseArrayLiteral() throws(ExpressionError) -> Document {
        let open = index
        index += 1
        var items: [Document] = []
        while true {
            skipBlank()
            if peek() == "]" {
                index += 1
                return .array(items)
            }
            if !items.isEmpty {
                guard peek() == "," else {
                    throw error(at: open, "an array literal needs ',' between items")
                }
                index += 1
                skipBlank()
            }
            guard case .literal(let d) = try parseOperand() else {
                throw error(at: open, "an array literal holds literals only")
            }
            items.append(d)
        }
    }
}

extension JSONPath {
    /// `text` split into the path and Jayway's function at its end, when it ends with one.
    static func trailingFunction(_ text: String) throws(ExpressionError) -> (
        String, JaywayFunction
    )? {
        guard text.hasSuffix(")"), let open = text.lastIndex(of: "("),
            let dot = text[..<open].lastIndex(of: ".")
        else { return nil }
        let name = String(text[text.index(after: dot)..<open])
        guard JaywayFunction.names.contains(name) else { return nil }
        let path = String(text[..<dot])
        let argumentText = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
        var parser = JSONPathParser("[" + argumentText + "]")
        let arguments: [Document]
        do {
            guard case .array(let a) = try parser.parseArrayLiteral() else { return nil }
            arguments = a
        } catch {
            throw ExpressionError(
                language: "jsonpath", expression: text,
                position: text.distance(from: text.startIndex, to: open) + 2,
                "the arguments of \(name)() must be literals", hint: "write e.g. \(name)('-', 1)")
        }
        let function: JaywayFunction
        switch name {
        case "length", "size": function = .length
        case "min": function = .min
        case "max": function = .max
        case "avg": function = .avg
        case "sum": function = .sum
        case "stddev": function = .stddev
        case "keys": function = .keys
        case "first": function = .first
        case "last": function = .last
        case "index":
            guard arguments.count == 1, case .number(let n) = arguments[0], let i = Int(n.text)
            else {
                throw ExpressionError(
                    language: "jsonpath", expression: text, position: text.count,
                    "index() takes one whole number", hint: "write e.g. index(0) or index(-1)")
            }
            function = .index(i)
        case "concat": function = .concat(arguments)
        default: function = .append(arguments)
        }
        return (path, function)
    }
}
