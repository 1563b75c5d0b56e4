/// Parses RFC 9535 query text into a ``JSONPathQuery``, checking the RFC's well-typedness
/// rules for function expressions as it goes.
struct JSONPathParser {
    let text: String
    let scalars: [Unicode.Scalar]
    var index = 0
    /// Accept Jayway's filter operators (Camel's jsonpath), besides RFC 9535's.
    var jayway = false
    /// How deep parentheses and filters nest here: bounded, so a hostile expression
    /// cannot exhaust the stack (the fuzzer's `$.o[?((((…` did).
    var nesting = 0
    static let maxNesting = 64

    static let maxSafeInteger = 9_007_199_254_740_991  // 2^53 - 1, the RFC's I-JSON range

    init(_ text: String) {
        self.text = text
        self.scalars = Array(text.unicodeScalars)
    }

    mutating func parseRootQuery() throws(ExpressionError) -> JSONPathQuery {
        guard peek() == "$" else {
            throw error("a JSONPath query starts with '$'", hint: "write e.g. $.items[0]")
        }
        index += 1
        let query = JSONPathQuery(absolute: true, segments: try parseSegments())
        if index < scalars.count {
            throw error(
                "unexpected '\(scalars[index].escapedForMessage)'",
                hint: "segments are .name, ..name, [selectors] or ..[selectors]")
        }
        return query
    }

    // MARK: - Segments and selectors

    mutating func parseSegments() throws(ExpressionError) -> [JSONPathSegment] {
        var segments: [JSONPathSegment] = []
        while true {
            let save = index
            skipBlank()
            guard let c = peek() else { index = save; return segments }
            if c == "." {
                index += 1
                if peek() == "." {
                    index += 1
                    if peek() == "[" {
                        segments.append(
                            JSONPathSegment(descendant: true, selectors: try parseBracketed()))
                    } else if peek() == "*" {
                        index += 1
                        segments.append(JSONPathSegment(descendant: true, selectors: [.wildcard]))
                    } else {
                        segments.append(
                            JSONPathSegment(
                                descendant: true, selectors: [.name(try parseMemberName())]))
                    }
                } else if peek() == "*" {
                    index += 1
                    segments.append(JSONPathSegment(descendant: false, selectors: [.wildcard]))
                } else {
                    segments.append(
                        JSONPathSegment(
                            descendant: false, selectors: [.name(try parseMemberName())]))
                }
            } else if c == "[" {
                segments.append(JSONPathSegment(descendant: false, selectors: try parseBracketed()))
            } else {
                index = save
                return segments
            }
        }
    }

    mutating func parseMemberName() throws(ExpressionError) -> String {
        guard let first = peek(), isNameFirst(first) else {
            throw error(
                "expected a member name, '*' or '[' here",
                hint: "names with other characters need brackets: ['my name']")
        }
        var name = String.UnicodeScalarView()
        while let c = peek(), isNameFirst(c) || ("0"..."9").contains(c) {
            name.append(c)
            index += 1
        }
        return String(name)
    }

    func isNameFirst(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_"
            || (c.value >= 0x80 && !(0xD800...0xDFFF).contains(c.value))
    }

    mutating func parseBracketed() throws(ExpressionError) -> [JSONPathSelector] {
        let open = index
        index += 1  // [
        var selectors: [JSONPathSelector] = []
        while true {
            skipBlank()
            selectors.append(try parseSelector())
            skipBlank()
            switch peek() {
            case ",":
                index += 1
            case "]":
                index += 1
                return selectors
            case nil:
                throw error(at: open, "'[' is never closed", hint: "add ']'")
            default:
                throw error("expected ',' or ']' after a selector")
            }
        }
    }

    mutating func parseSelector() throws(ExpressionError) -> JSONPathSelector {
        guard let c = peek() else {
            throw error("expected a selector", hint: "add e.g. 0, 'name', *, 1:3 or ?@.x")
        }
        switch c {
        case "'", "\"":
            return .name(try parseStringLiteral())
        case "*":
            index += 1
            return .wildcard
        case "?":
            index += 1
            skipBlank()
            return .filter(try parseLogical())
        case ":", "-", "0"..."9":
            let start = peek() == ":" ? nil : try parseInteger()
            skipBlank()
            guard peek() == ":" else {
                guard let start else { throw error("expected an index") }
                return .index(start)
            }
            index += 1
            skipBlank()
            let end = isIntegerStart() ? try parseInteger() : nil
            skipBlank()
            var step: Int?
            if peek() == ":" {
                index += 1
                skipBlank()
                step = isIntegerStart() ? try parseInteger() : nil
            }
            return .slice(start: start, end: end, step: step)
        default:
            throw error(
                "'\(c.escapedForMessage)' cannot start a selector",
                hint: "selectors are 'name', *, an index, a slice start:end:step or a filter ?expr")
        }
    }

    func isIntegerStart() -> Bool {
        guard let c = peek() else { return false }
        return c == "-" || ("0"..."9").contains(c)
    }

    /// `0 / -?[1-9][0-9]*` within ±(2^53 − 1).
    mutating func parseInteger() throws(ExpressionError) -> Int {
        let start = index
        var negative = false
        if peek() == "-" {
            negative = true
            index += 1
        }
        guard let first = peek(), ("0"..."9").contains(first) else {
            throw error("expected digits")
        }
        if first == "0" {
            index += 1
            if negative { throw error(at: start, "-0 is not a valid index", hint: "write 0") }
            if let c = peek(), ("0"..."9").contains(c) {
                throw error(at: start, "an integer may not have leading zeros")
            }
            return 0
        }
        var value = 0
        while let c = peek(), ("0"..."9").contains(c) {
            value = value * 10 + Int(c.value - 48)
            if value > JSONPathParser.maxSafeInteger {
                throw error(at: start, "the integer is outside the range ±(2^53 − 1)")
            }
            index += 1
        }
        return negative ? -value : value
    }

    mutating func parseStringLiteral() throws(ExpressionError) -> String {
        let open = index
        let quote = scalars[index]
        index += 1
        var value = String.UnicodeScalarView()
        while let c = peek() {
            index += 1
            if c == quote { return String(value) }
            if c.value < 0x20 {
                throw error(
                    at: index - 1, "a control character in a string literal",
                    hint: "escape it, e.g. \\n")
            }
            if c != "\\" {
                value.append(c)
                continue
            }
            guard let e = peek() else { break }
            index += 1
            switch e {
            case "b": value.append("\u{8}")
            case "f": value.append("\u{C}")
            case "n": value.append("\n")
            case "r": value.append("\r")
            case "t": value.append("\t")
            case "/": value.append("/")
            case "\\": value.append("\\")
            case "'" where quote == "'", "\"" where quote == "\"": value.append(e)
            case "u":
                var code = try parseHex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard peek() == "\\", index + 1 < scalars.count, scalars[index + 1] == "u"
                    else {
                        throw error(at: index - 6, "a high surrogate without its low surrogate")
                    }
                    index += 2
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw error(
                            at: index - 6,
                            "a high surrogate followed by something other than a low surrogate")
                    }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(code) {
                    throw error(at: index - 6, "a lone low surrogate")
                }
                value.append(Unicode.Scalar(code)!)
            default:
                throw error(
                    at: index - 2, "invalid escape '\\\(e.escapedForMessage)' in a string literal",
                    hint: "valid escapes are \\b \\f \\n \\r \\t \\/ \\\\ \\uXXXX and the quote")
            }
        }
        throw error(at: open, "the string literal is never closed", hint: "end it with \(quote)")
    }

    mutating func parseHex4() throws(ExpressionError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let c = peek(), let digit = c.hexDigitValue else {
                throw error("\\u needs four hexadecimal digits")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    // MARK: - Filter expressions

    /// `||` (`op` "|") over `&&` (`op` "&") over basic expressions.
    mutating func parseLogical(_ op: Unicode.Scalar = "|") throws(ExpressionError)
        -> JSONPathLogical
    {
        var terms = [try parseLogicalOperand(op)]
        while true {
            let save = index
            skipBlank()
            guard peek() == op, peek(1) == op else {
                index = save
                break
            }
            index += 2
            skipBlank()
            terms.append(try parseLogicalOperand(op))
        }
        if terms.count == 1 { return terms[0] }
        return op == "|" ? .or(terms) : .and(terms)
    }

    mutating func parseLogicalOperand(_ op: Unicode.Scalar) throws(ExpressionError)
        -> JSONPathLogical
    {
        op == "|" ? try parseLogical("&") : try parseBasic()
    }

    /// paren-expr / comparison-expr / test-expr
    mutating func parseBasic() throws(ExpressionError) -> JSONPathLogical {
        let start = index
        nesting += 1
        defer { nesting -= 1 }
        guard nesting <= Self.maxNesting else {
            throw error(
                "the expression nests more than \(Self.maxNesting) levels of parentheses and filters",
                hint: "flatten it: combine conditions with && and ||")
        }
        if peek() == "!" {
            index += 1
            skipBlank()
            if peek() == "(" {
                return .not(try parseParenthesized())
            }
            let operand = try parseOperand()
            switch operand {
            case .query(let q): return .not(.exists(q))
            case .function(let call) where call.function.result == .logical:
                return .not(.function(call))
            default:
                throw error(
                    at: start,
                    "'!' applies to a query, a logical function or a parenthesised expression")
            }
        }
        if peek() == "(" { return try parseParenthesized() }

        let leftStart = index
        let left = try parseOperand()
        let save = index
        skipBlank()
        if let op = parseComparisonOperator() {
            skipBlank()
            let rightStart = index
            let right = try parseOperand()
            return .comparison(
                try comparable(left, at: leftStart), op, try comparable(right, at: rightStart))
        }
        if jayway, let op = parseJaywayOperator() {
            skipBlank()
            let right = try parseJaywayOperand(for: op)
            return .jayway(try comparable(left, at: leftStart), op, right)
        }
        index = save
        switch left {
        case .query(let q): return .exists(q)
        case .function(let call):
            guard call.function.result == .logical else {
                throw error(
                    at: leftStart,
                    "\(call.function.rawValue)() returns a value, which cannot be a test on its own",
                    hint: "compare it, e.g. \(call.function.rawValue)(@.x) > 0")
            }
            return .function(call)
        case .literal:
            throw error(
                at: leftStart, "a literal cannot be a test on its own",
                hint: "compare it with something, e.g. @.x == 1")
        }
    }

    mutating func parseParenthesized() throws(ExpressionError) -> JSONPathLogical {
        let open = index
        index += 1
        skipBlank()
        let inner = try parseLogical()
        skipBlank()
        guard peek() == ")" else { throw error(at: open, "'(' is never closed", hint: "add ')'") }
        index += 1
        return inner
    }

    mutating func parseComparisonOperator() -> JSONPathComparison? {
        guard let c = peek() else { return nil }
        let next = peek(1)
        switch (c, next) {
        case ("=", "="): index += 2; return .equal
        case ("!", "="): index += 2; return .notEqual
        case ("<", "="): index += 2; return .lessOrEqual
        case (">", "="): index += 2; return .greaterOrEqual
        case ("<", _): index += 1; return .less
        case (">", _): index += 1; return .greater
        default: return nil
        }
    }

    enum Operand {
        case literal(Document)
        case query(JSONPathQuery)
        case function(JSONPathFunctionCall)
    }

    mutating func parseOperand() throws(ExpressionError) -> Operand {
        guard let c = peek() else { throw error("expected a query, a literal or a function") }
        switch c {
        case "@", "$":
            index += 1
            return .query(JSONPathQuery(absolute: c == "$", segments: try parseSegments()))
        case "'", "\"":
            return .literal(.string(try parseStringLiteral()))
        case "-", "0"..."9":
            return .literal(.number(try parseNumberLiteral()))
        case "a"..."z":
            var name = String.UnicodeScalarView()
            let start = index
            while let c = peek(), ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "_" {
                name.append(c)
                index += 1
            }
            let word = String(name)
            if peek() == "(" {
                return .function(try parseFunctionCall(word, at: start))
            }
            switch word {
            case "true": return .literal(.bool(true))
            case "false": return .literal(.bool(false))
            case "null": return .literal(.null)
            default:
                throw error(
                    at: start, "unknown word '\(word)'",
                    hint:
                        "literals are true, false, null, numbers and 'strings'; functions need '('")
            }
        default:
            throw error(
                "'\(c.escapedForMessage)' cannot start an operand",
                hint: "write @.x, $.x, a literal or a function call")
        }
    }

    mutating func parseNumberLiteral() throws(ExpressionError) -> DecimalText {
        let start = index
        var text = String.UnicodeScalarView()
        while let c = peek(),
            ("0"..."9").contains(c) || c == "-" || c == "+" || c == "." || c == "e" || c == "E"
        {
            // '+'/'-' only directly after an exponent marker or at the start
            if (c == "+" || c == "-"), let last = text.last, last != "e", last != "E" { break }
            text.append(c)
            index += 1
        }
        guard let number = DecimalText(validating: String(text)) else {
            throw error(at: start, "'\(String(text))' is not a valid number")
        }
        return number
    }

    mutating func parseFunctionCall(_ name: String, at start: Int) throws(ExpressionError)
        -> JSONPathFunctionCall
    {
        guard let function = JSONPathFunction(rawValue: name) else {
            throw error(
                at: start, "unknown function '\(name)'",
                hint: "the functions are length, count, match, search and value")
        }
        index += 1  // (
        var arguments: [JSONPathArgument] = []
        skipBlank()
        if peek() != ")" {
            while true {
                skipBlank()
                let argStart = index
                guard arguments.count < function.parameters.count else {
                    throw error(
                        at: argStart,
                        "\(name)() takes \(function.parameters.count) argument\(function.parameters.count == 1 ? "" : "s")"
                    )
                }
                arguments.append(
                    try parseArgument(for: function.parameters[arguments.count], of: function))
                skipBlank()
                if peek() == "," {
                    index += 1
                    continue
                }
                break
            }
        }
        guard peek() == ")" else { throw error("expected ',' or ')' in the call to \(name)()") }
        index += 1
        guard arguments.count == function.parameters.count else {
            throw error(
                at: start,
                "\(name)() takes \(function.parameters.count) argument\(function.parameters.count == 1 ? "" : "s"), not \(arguments.count)"
            )
        }
        return JSONPathFunctionCall(function: function, arguments: arguments)
    }

    /// Parses one argument and applies the RFC's type rules (§2.4.3) to it.
    mutating func parseArgument(
        for parameter: JSONPathFunction.ParameterType, of function: JSONPathFunction
    )
        throws(ExpressionError) -> JSONPathArgument
    {
        let start = index
        let name = function.rawValue
        if peek() != "(" && peek() != "!" {
            let operand = try parseOperand()
            let end = index
            skipBlank()
            if peek() == "," || peek() == ")" {
                index = end
                switch (parameter, operand) {
                case (.value, .literal(let d)): return .value(.literal(d))
                case (.value, .query(let q)):
                    guard q.isSingular else {
                        throw error(
                            at: start,
                            "\(name)() needs a single value here, but the query can select several nodes",
                            hint: "use a singular query (names and indexes only) or value(...)")
                    }
                    return .value(.singularQuery(q))
                case (.value, .function(let call)):
                    guard call.function.result == .value else {
                        throw error(
                            at: start,
                            "\(call.function.rawValue)() returns a logical value, not a value \(name)() can use"
                        )
                    }
                    return .value(.function(call))
                case (.nodes, .query(let q)): return .nodes(q)
                case (.nodes, _):
                    throw error(at: start, "\(name)() needs a query here (e.g. @.items[*])")
                case (.logical, .query(let q)): return .logical(.exists(q))
                case (.logical, .function(let call)) where call.function.result == .logical:
                    return .logical(.function(call))
                case (.logical, _):
                    throw error(at: start, "\(name)() needs a logical expression here")
                }
            }
            index = start
        }
        let logical = try parseLogical()
        guard parameter == .logical else {
            throw error(
                at: start,
                "\(name)() needs a \(parameter == .nodes ? "query" : "value") here, not a logical expression"
            )
        }
        return .logical(logical)
    }

    func comparable(_ operand: Operand, at position: Int) throws(ExpressionError)
        -> JSONPathComparable
    {
        switch operand {
        case .literal(let d): return .literal(d)
        case .query(let q):
            guard q.isSingular else {
                throw error(
                    at: position, "a comparison needs a singular query (names and indexes only)",
                    hint: "wildcards, slices, filters and '..' can select several nodes")
            }
            return .singularQuery(q)
        case .function(let call):
            guard call.function.result == .value else {
                throw error(
                    at: position,
                    "\(call.function.rawValue)() returns a logical value, which cannot be compared",
                    hint: "use it as a test on its own: ?\(call.function.rawValue)(...)")
            }
            return .function(call)
        }
    }

    // MARK: - Helpers

    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    mutating func skipBlank() {
        while let c = peek(), c == " " || c == "\t" || c == "\n" || c == "\r" { index += 1 }
    }

    func error(_ message: String, hint: String? = nil) -> ExpressionError {
        error(at: index, message, hint: hint)
    }

    func error(at position: Int, _ message: String, hint: String? = nil) -> ExpressionError {
        ExpressionError(
            language: "jsonpath", expression: text, position: position + 1, message, hint: hint)
    }
}

extension Unicode.Scalar {
    var hexDigitValue: Int? {
        switch self {
        case "0"..."9": Int(value - 48)
        case "a"..."f": Int(value - 87)
        case "A"..."F": Int(value - 55)
        default: nil
        }
    }

    /// The character as it can be shown inside quotes in a message.
    var escapedForMessage: String {
        switch self {
        case "\n": "\\n"
        case "\r": "\\r"
        case "\t": "\\t"
        default: value < 0x20 ? "U+\(String(value, radix: 16, uppercase: true))" : String(self)
        }
    }
}
