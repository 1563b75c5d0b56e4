/// Evaluates a parsed query (RFC 9535 §2.3–2.5).
struct JSONPathEvaluator {
    let root: Document
    var regexes = IRegexpMatcher()

    init(root: Document) { self.root = root }

    mutating func select(_ query: JSONPathQuery, from current: Document) -> [Document] {
        var nodes = [query.absolute ? root : current]
        for segment in query.segments {
            var next: [Document] = []
            for node in nodes {
                if segment.descendant {
                    var visited: [Document] = []
                    JSONPathEvaluator.collectDescendants(node, into: &visited)
                    for n in visited { apply(segment.selectors, to: n, into: &next) }
                } else {
                    apply(segment.selectors, to: node, into: &next)
                }
            }
            nodes = next
            if nodes.isEmpty { break }
        }
        return nodes
    }

    /// The node itself, then its descendants in document order.
    static func collectDescendants(_ node: Document, into out: inout [Document]) {
        out.append(node)
        switch node {
        case .array(let elements): for e in elements { collectDescendants(e, into: &out) }
        case .object(let object): for m in object { collectDescendants(m.value, into: &out) }
        default: break
        }
    }

    mutating func apply(
        _ selectors: [JSONPathSelector], to node: Document, into out: inout [Document]
    ) {
        for selector in selectors {
            switch selector {
            case .name(let name):
                if case .object(let object) = node, let v = object[name] { out.append(v) }
            case .wildcard:
                switch node {
                case .array(let elements): out.append(contentsOf: elements)
                case .object(let object): out.append(contentsOf: object.map(\.value))
                default: break
                }
            case .index(let i):
                if let v = node[i] { out.append(v) }
            case .slice(let start, let end, let step):
                if case .array(let elements) = node {
                    for i in JSONPathEvaluator.sliceIndices(
                        count: elements.count, start: start, end: end, step: step ?? 1)
                    {
                        out.append(elements[i])
                    }
                }
            case .filter(let expression):
                switch node {
                case .array(let elements):
                    for e in elements where test(expression, e) { out.append(e) }
                case .object(let object):
                    for m in object where test(expression, m.value) { out.append(m.value) }
                default: break
                }
            }
        }
    }

    /// RFC 9535 §2.3.4.2.2.
    static func sliceIndices(count len: Int, start: Int?, end: Int?, step: Int) -> [Int] {
        guard step != 0 else { return [] }
        func normalize(_ i: Int) -> Int { i >= 0 ? i : len + i }
        var result: [Int] = []
        if step > 0 {
            let lower = min(max(normalize(start ?? 0), 0), len)
            let upper = min(max(normalize(end ?? len), 0), len)
            var i = lower
            while i < upper {
                result.append(i)
                i += step
            }
        } else {
            let upper = min(max(normalize(start ?? len - 1), -1), len - 1)
            let lower = min(max(end.map(normalize) ?? -1, -1), len - 1)
            var i = upper
            while lower < i {
                result.append(i)
                i += step
            }
        }
        return result
    }

    // MARK: - Filters

    mutating func test(_ expression: JSONPathLogical, _ current: Document) -> Bool {
        switch expression {
        case .or(let terms):
            for t in terms where test(t, current) { return true }
            return false
        case .and(let terms):
            for t in terms where !test(t, current) { return false }
            return true
        case .not(let inner):
            return !test(inner, current)
        case .exists(let query):
            return !select(query, from: current).isEmpty
        case .function(let call):
            return logical(call, current)
        case .jayway(let l, let op, let r):
            return jayway(l, op, r, current)
        case .comparison(let l, let op, let r):
            let left = value(l, current)
            let right = value(r, current)
            switch op {
            case .equal: return JSONPathEvaluator.equal(left, right)
            case .notEqual: return !JSONPathEvaluator.equal(left, right)
            case .less: return JSONPathEvaluator.less(left, right)
            case .lessOrEqual:
                return JSONPathEvaluator.less(left, right) || JSONPathEvaluator.equal(left, right)
            case .greater: return JSONPathEvaluator.less(right, left)
            case .greaterOrEqual:
                return JSONPathEvaluator.less(right, left) || JSONPathEvaluator.equal(left, right)
            }
        }
    }

    /// A comparable's value; `nil` is the RFC's "Nothing".
    mutating func value(_ c: JSONPathComparable, _ current: Document) -> Document? {
        switch c {
        case .literal(let d): return d
        case .singularQuery(let q): return select(q, from: current).first
        case .function(let call): return valueFunction(call, current)
        }
    }

    mutating func valueFunction(_ call: JSONPathFunctionCall, _ current: Document) -> Document? {
        switch call.function {
        case .length:
            guard case .value(let c) = call.arguments[0], let v = value(c, current) else {
                return nil
            }
            switch v {
            case .string(let s): return .number(DecimalText(s.unicodeScalars.count))
            case .array(let a): return .number(DecimalText(a.count))
            case .object(let o): return .number(DecimalText(o.count))
            default: return nil
            }
        case .count:
            guard case .nodes(let q) = call.arguments[0] else { return nil }
            return .number(DecimalText(select(q, from: current).count))
        case .value:
            guard case .nodes(let q) = call.arguments[0] else { return nil }
            let nodes = select(q, from: current)
            return nodes.count == 1 ? nodes[0] : nil
        case .match, .search:
            return nil
        }
    }

    mutating func logical(_ call: JSONPathFunctionCall, _ current: Document) -> Bool {
        guard call.function == .match || call.function == .search,
            case .value(let a) = call.arguments[0], case .value(let b) = call.arguments[1],
            case .string(let text)? = value(a, current),
            case .string(let pattern)? = value(b, current)
        else { return false }
        return regexes.matches(pattern, text, whole: call.function == .match)
    }

    static func equal(_ a: Document?, _ b: Document?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (nil, _), (_, nil): return false
        case (.number(let x)?, .number(let y)?): return x.doubleValue == y.doubleValue
        case (.array(let x)?, .array(let y)?):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x)?, .object(let y)?):
            guard x.count == y.count else { return false }
            return x.allSatisfy { m in y[m.key].map { equal(m.value, $0) } ?? false }
        default: return a == b
        }
    }

    static func less(_ a: Document?, _ b: Document?) -> Bool {
        switch (a, b) {
        case (.number(let x)?, .number(let y)?): return x.doubleValue < y.doubleValue
        case (.string(let x)?, .string(let y)?):
            return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars)
        default: return false
        }
    }
}
