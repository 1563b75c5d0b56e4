/// Turns Simple text into a ``SimpleNode``: templates (text and `${...}`) and predicates
/// (operands, whitespace-separated operators, `&&`/`||` left to right).
struct SimpleParser {
    let text: String
    let chars: [Character]

    init(_ text: String) {
        self.text = text
        self.chars = Array(text)
    }

    // MARK: - Templates

    func parseTemplate() throws(ExpressionError) -> SimpleTemplate {
        try parseTemplate(from: 0, to: chars.count)
    }

    /// Parses `chars[start..<end]` as literal text with functions; `\n`, `\t`, `\r` escape.
    func parseTemplate(from start: Int, to end: Int) throws(ExpressionError) -> SimpleTemplate {
        var parts: [SimpleTemplate.Part] = []
        var literal = ""
        var i = start
        while i < end {
            let c = chars[i]
            if let (open, bodyStart) = functionStart(at: i) {
                let close = try functionEnd(from: bodyStart, openedAt: open, limit: end)
                if !literal.isEmpty {
                    parts.append(.text(literal))
                    literal = ""
                }
                let inner = String(chars[bodyStart..<close])
                parts.append(
                    .function(
                        try SimpleFunctionParser(
                            expression: text, text: inner, position: bodyStart + 1
                        ).parse()))
                i = close + 1
                continue
            }
            if c == "\\", i + 1 < end,
                let escaped = ["n": "\n", "t": "\t", "r": "\r"][chars[i + 1]]
            {
                literal += escaped
                i += 2
                continue
            }
            literal.append(c)
            i += 1
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        return SimpleTemplate(parts: parts)
    }

    /// `${` or `$simple{` at `i`: returns the position of `$` and where the body starts.
    func functionStart(at i: Int) -> (Int, Int)? {
        guard chars[i] == "$", i + 1 < chars.count else { return nil }
        if chars[i + 1] == "{" { return (i, i + 2) }
        let simple = Array("simple{")
        if i + 1 + simple.count <= chars.count,
            Array(chars[(i + 1)..<(i + 1 + simple.count)]) == simple
        {
            return (i, i + 1 + simple.count)
        }
        return nil
    }

    /// The index of the `}` closing a function body, balancing nested braces.
    func functionEnd(from bodyStart: Int, openedAt open: Int, limit: Int) throws(ExpressionError)
        -> Int
    {
        var depth = 0
        var j = bodyStart
        while j < limit {
            switch chars[j] {
            case "{": depth += 1
            case "}":
                if depth == 0 { return j }
                depth -= 1
            default: break
            }
            j += 1
        }
        throw error(at: open, "the function ${ is never closed", hint: "add '}'")
    }

    // MARK: - Predicates

    /// A predicate word: a quoted string, or a run of non-space characters.
    struct Word {
        var start: Int
        var end: Int
        var quoted: Bool
        /// The raw text (without quotes).
        var raw: String
        /// Whether it holds `${...}`.
        var hasFunction: Bool

        /// Where the word starts, its opening quote included.
        var position: Int { quoted ? start - 1 : start }
    }

    static let operators: Set<String> = Set(SimpleOperator.allCases.map(\.rawValue))

    func words() throws(ExpressionError) -> [Word] {
        var result: [Word] = []
        var i = 0
        let n = chars.count
        while i < n {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
                continue
            }
            if c == "'" || c == "\"" {
                var j = i + 1
                var hasFunction = false
                while j < n, chars[j] != c {
                    if let (open, bodyStart) = functionStart(at: j) {
                        j = try functionEnd(from: bodyStart, openedAt: open, limit: n) + 1
                        hasFunction = true
                    } else {
                        j += 1
                    }
                }
                guard j < n else {
                    throw error(
                        at: i, "the quote \(c) is never closed", hint: "add the closing \(c)")
                }
                result.append(
                    Word(
                        start: i + 1, end: j, quoted: true, raw: String(chars[(i + 1)..<j]),
                        hasFunction: hasFunction))
                i = j + 1
                continue
            }
            var j = i
            var hasFunction = false
            while j < n, !chars[j].isWhitespace {
                if let (open, bodyStart) = functionStart(at: j) {
                    j = try functionEnd(from: bodyStart, openedAt: open, limit: n) + 1
                    hasFunction = true
                } else {
                    j += 1
                }
            }
            result.append(
                Word(
                    start: i, end: j, quoted: false, raw: String(chars[i..<j]),
                    hasFunction: hasFunction))
            i = j
        }
        return result
    }

    func isOperator(_ w: Word) -> Bool {
        !w.quoted && !w.hasFunction && SimpleParser.operators.contains(w.raw)
    }
    func isLogical(_ w: Word) -> Bool {
        !w.quoted && !w.hasFunction && (w.raw == "&&" || w.raw == "||")
    }

    func hasOperators() throws(ExpressionError) -> Bool {
        try words().contains { isOperator($0) || isLogical($0) }
    }

    func parsePredicate() throws(ExpressionError) -> SimpleNode {
        var ws = try words()
        // `starts with` / `ends with` are accepted as two words, as in Camel.
        var k = 0
        while k + 1 < ws.count {
            if !ws[k].quoted, !ws[k + 1].quoted, ws[k + 1].raw == "with",
                ws[k].raw == "starts" || ws[k].raw == "ends"
            {
                ws[k].raw = ws[k].raw == "starts" ? "startsWith" : "endsWith"
                ws[k].end = ws[k + 1].end
                ws.remove(at: k + 1)
            }
            k += 1
        }
        guard ws.contains(where: { isOperator($0) || isLogical($0) }) else {
            return .template(try parseTemplate())
        }
        var i = 0
        var node = try condition(ws, &i)
        while i < ws.count {
            let w = ws[i]
            guard isLogical(w) else {
                throw error(
                    at: w.position, "expected && or || before '\(w.raw)'",
                    hint: "combine conditions with && or ||; quote text that contains spaces")
            }
            i += 1
            guard i < ws.count else {
                throw error(at: w.position, "\(w.raw) has no right-hand condition")
            }
            let right = try condition(ws, &i)
            node = w.raw == "&&" ? .and(node, right) : .or(node, right)
        }
        return node
    }

    func condition(_ ws: [Word], _ i: inout Int) throws(ExpressionError) -> SimpleNode {
        let leftWord = ws[i]
        if isOperator(leftWord) || isLogical(leftWord) {
            throw error(
                at: leftWord.position, "\(leftWord.raw) has no left-hand side",
                hint: "write e.g. ${header.x} \(leftWord.raw) 'value'")
        }
        let left = try operand(leftWord)
        i += 1
        guard i < ws.count, isOperator(ws[i]) else {
            if i < ws.count, !isLogical(ws[i]) {
                throw error(
                    at: ws[i].position,
                    "expected an operator after '\(leftWord.raw)', found '\(ws[i].raw)'",
                    hint:
                        "operators need a space on each side, e.g. ${body} == 'x'; quote text with spaces"
                )
            }
            guard case .template(let t) = left else {
                // A lone literal: its truthiness.
                return .template(SimpleTemplate(parts: [.text(leftWord.raw)]))
            }
            return .template(t)
        }
        let opWord = ws[i]
        let op = SimpleOperator(rawValue: opWord.raw)!
        i += 1
        guard i < ws.count, !isOperator(ws[i]), !isLogical(ws[i]) else {
            throw error(
                at: opWord.start, "the operator \(opWord.raw) has no right-hand side",
                hint: "write e.g. ${header.x} \(opWord.raw) 'value'")
        }
        let rightWord = ws[i]
        let right = try operand(rightWord)
        i += 1
        if case .template(let lt) = left, lt.parts.isEmpty {
            throw error(at: leftWord.position, "empty left-hand side")
        }
        return .binary(left, op, right, try compileRegex(op, right, at: rightWord))
    }

    func operand(_ w: Word) throws(ExpressionError) -> SimpleOperand {
        let template = try parseTemplate(from: w.start, to: w.end)
        if w.quoted { return .quoted(template) }
        if !w.hasFunction {
            switch w.raw {
            case "null": return .null
            case "true": return .bool(true)
            case "false": return .bool(false)
            default:
                if let n = SimpleParser.numericLiteral(w.raw) { return .number(n) }
            }
        }
        return .template(template)
    }

    /// Camel's numeric literal: an optional sign, digits, an optional fraction.
    static func numericLiteral(_ s: String) -> DecimalText? {
        var body = Substring(s)
        if body.first == "-" || body.first == "+" { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count),
            parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } })
        else { return nil }
        let text = s.hasPrefix("+") ? String(s.dropFirst()) : s
        // "007" is a number to Camel; JSON number text has no leading zeros, so normalise it.
        return DecimalText(validating: text) ?? Double(text).flatMap { DecimalText($0) }
    }

    /// A constant regex pattern compiles now, so a bad one is a load error.
    func compileRegex(_ op: SimpleOperator, _ right: SimpleOperand, at w: Word)
        throws(ExpressionError) -> CompiledRegex?
    {
        guard op == .regex || op == .notRegex else { return nil }
        let pattern: String
        switch right {
        case .quoted(let t), .template(let t):
            guard let constant = t.constantText else { return nil }
            pattern = constant
        case .number(let n): pattern = n.text
        default: return nil
        }
        do {
            return CompiledRegex(try Regex(pattern))
        } catch {
            throw self.error(at: w.start, "invalid regular expression '\(pattern)': \(error)")
        }
    }

    func error(at index: Int, _ message: String, hint: String? = nil) -> ExpressionError {
        ExpressionError(
            language: "simple", expression: text, position: index + 1, message, hint: hint)
    }
}
