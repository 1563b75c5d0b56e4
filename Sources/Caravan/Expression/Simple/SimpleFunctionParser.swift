/// Parses the text inside `${...}` into a ``SimpleFunction``.
struct SimpleFunctionParser {
    let expression: String
    /// The function text (between `${` and `}`) and its 1-based position in `expression`.
    let text: String
    let position: Int

    /// `jsonpath(exp)` / `jq(exp)`, or with an input other than the body:
    /// `jq(variable:beer,.name)`, `jsonpath(header:order,$.id)`,
    /// `jq(exchangeProperty:x,.a)` (Camel's Simple functions).
    func json(_ language: String, _ arguments: String) throws(ExpressionError) -> SimpleFunction {
        var text = arguments.trimmingXMLWhitespace()
        var input = SimpleJSONInput.body
        for (prefix, source) in [
            ("header:", SimpleJSONInput.header), ("exchangeProperty:", SimpleJSONInput.property),
            ("variable:", SimpleJSONInput.variable),
        ] where text.hasPrefix(prefix) {
            guard let comma = text.firstIndex(of: ",") else {
                throw error(
                    "\(language)(\(prefix)name, expression) needs the expression after a comma",
                    hint:
                        "write e.g. ${\(language)(\(prefix)name,\(language == "jq" ? ".id" : "$.id"))}"
                )
            }
            input = source(
                String(text[text.index(text.startIndex, offsetBy: prefix.count)..<comma]))
            text = String(text[text.index(after: comma)...]).trimmingXMLWhitespace()
        }
        let start = position + language.count + 1
        if language == "jq" {
            do {
                return .jq(try JQ(text), input)
            } catch {
                throw ExpressionError(
                    language: "simple", expression: expression, position: start,
                    "in jq(): " + error.message, hint: error.hint)
            }
        }
        do {
            return .jsonpath(try JSONPath(text), input)
        } catch {
            throw ExpressionError(
                language: "simple", expression: expression,
                position: start + error.position - 1, "in jsonpath(): " + error.message,
                hint: error.hint)
        }
    }

    func parse() throws(ExpressionError) -> SimpleFunction {
        let t = text.trimmingXMLWhitespace()
        if t.isEmpty {
            throw error("an empty ${} function", hint: "write e.g. ${body} or ${header.name}")
        }

        // Fixed names first.
        switch t {
        case "exchangeId", "id", "messageId": return .exchangeId
        case "routeId": return .routeId
        case "exception", "exception.message", "exception.getMessage()": return .exceptionMessage
        case "exception.stacktrace", "exception.stackTrace": return .exceptionStackTrace
        case "uuid": return .uuid
        case "null": return .null
        default: break
        }

        for prefix in ["in.body", "body", "message.body"]
        where t == prefix || t.hasPrefix(prefix + ".") || t.hasPrefix(prefix + "[")
            || t.hasPrefix(prefix + "?")
        {
            return .body(try path(String(t.dropFirst(prefix.count)), offset: prefix.count))
        }
        for prefix in ["in.headers", "headers"] where t == prefix {
            return .headers(SimplePath())
        }
        for prefix in ["in.header", "in.headers", "headers", "header"] {
            if let rest = t.dropPrefix(prefix),
                let (name, tail, tailOffset) = try memberName(rest, offset: prefix.count)
            {
                return .header(name, try path(tail, offset: tailOffset))
            }
        }
        if t == "variables" { return .variables(SimplePath()) }
        if let rest = t.dropPrefix("variables"), rest.first == "." || rest.first == "[" {
            return .variables(try path(String(rest), offset: "variables".count))
        }
        if let rest = t.dropPrefix("variable"),
            let (name, tail, tailOffset) = try memberName(rest, offset: "variable".count)
        {
            return .variable(name, try path(tail, offset: tailOffset))
        }
        for prefix in ["exchangeProperty", "exchangeProperties", "property"] {
            if let rest = t.dropPrefix(prefix),
                let (name, tail, tailOffset) = try memberName(rest, offset: prefix.count)
            {
                return .property(name, try path(tail, offset: tailOffset))
            }
        }
        for prefix in ["env.", "env:", "sysenv.", "sysenv:"] {
            if let name = t.dropPrefix(prefix) {
                guard !name.isEmpty else {
                    throw error("\(prefix) needs a variable name", hint: "write e.g. ${env.HOME}")
                }
                return .env(String(name))
            }
        }
        if let rest = t.dropPrefix("file:") {
            guard let part = SimpleFilePart(rawValue: String(rest)) else {
                throw error(
                    "unknown file function 'file:\(rest)'",
                    hint: "use one of "
                        + SimpleFilePart.allCases.map { "file:\($0.rawValue)" }.joined(
                            separator: ", "))
            }
            return .file(part)
        }
        if let rest = t.dropPrefix("date-with-timezone:") {
            let parts = rest.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                .map(String.init)
            guard parts.count >= 2 else {
                throw error(
                    "date-with-timezone needs a source and a time zone",
                    hint: "write e.g. ${date-with-timezone:now:UTC:yyyy-MM-dd}")
            }
            return .date(
                try dateSource(parts[0]), timeZone: parts[1],
                pattern: parts.count > 2 ? parts[2] : nil)
        }
        if let rest = t.dropPrefix("date:") {
            let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                .map(String.init)
            return .date(
                try dateSource(parts[0]), timeZone: nil, pattern: parts.count > 1 ? parts[1] : nil)
        }
        if let args = call(t, "random") {
            let numbers = args.map { Int($0.trimmingXMLWhitespace()) }
            switch numbers.count {
            case 1 where numbers[0] != nil && numbers[0]! > 0:
                return .random(min: 0, max: numbers[0]!)
            case 2 where numbers[0] != nil && numbers[1] != nil && numbers[0]! < numbers[1]!:
                return .random(min: numbers[0]!, max: numbers[1]!)
            default:
                throw error("random takes random(max) or random(min,max) with integers, min < max")
            }
        }
        for (name, mandatory) in [("bodyAs", false), ("mandatoryBodyAs", true)] {
            if let (inner, tail) = callWithTail(t, name) {
                guard let type = SimpleType(javaName: inner) else { throw unknownType(inner) }
                return .bodyAs(
                    type, mandatory: mandatory, try path(tail, offset: t.count - tail.count))
            }
        }
        for (function, what) in [("headerAs", "a header"), ("variableAs", "a variable")] {
            guard let args = call(t, function) else { continue }
            guard args.count == 2 else {
                throw error(
                    "\(function) takes \(what) name and a type: \(function)(name, Integer)")
            }
            guard let type = SimpleType(javaName: args[1]) else { throw unknownType(args[1]) }
            let name = args[0].trimmingXMLWhitespace()
            return function == "headerAs" ? .headerAs(name, type) : .variableAs(name, type)
        }
        for language in ["jsonpath", "jq"] where t.hasPrefix(language + "(") && t.hasSuffix(")") {
            return try json(language, String(t.dropFirst(language.count + 1).dropLast()))
        }
        for refused in [
            "bean:", "ref:", "type:", "properties:", "sys.", "camelContext", "messageHistory",
            "groovy", "ognl",
        ] where t.hasPrefix(refused) {
            throw error(
                "'\(t)' is outside the Simple subset Caravan supports", hint: Self.supportedList)
        }
        let name = t.prefix { $0.isLetter || $0 == "." || $0 == ":" || $0 == "-" }
        throw error(
            "unknown function '\(name.isEmpty ? t : String(name))'" + suggestion(String(name)),
            hint: Self.supportedList)
    }

    static let supportedList =
        "supported: body, header.x, headers, exchangeProperty.x, variable.x, variables, exchangeId, routeId, exception.message, date:now:pattern, random(a,b), uuid, env.NAME, file:name, jsonpath(...), jq(...), bodyAs(Type), headerAs(name,Type), variableAs(name,Type)"

    static let knownNames = [
        "body", "header", "headers", "exchangeProperty", "variable", "variables", "exchangeId",
        "routeId", "exception",
        "date", "random", "uuid", "env", "file", "jsonpath", "jq", "bodyAs", "headerAs",
        "variableAs",
        "mandatoryBodyAs", "null", "in.body", "in.header",
    ]

    func suggestion(_ name: String) -> String {
        didYouMean(
            String(name.split(separator: ".").first ?? Substring(name)), among: Self.knownNames)
    }

    func unknownType(_ name: String) -> ExpressionError {
        error(
            "unknown type '\(name.trimmingXMLWhitespace())'",
            hint: "use String, Integer, Long, Double, BigDecimal, Boolean, Map or List")
    }

    /// `.name`, `[name]`, `['name']` or `:name` after header/exchangeProperty; returns the
    /// name, the rest of the text and the rest's offset in the function text.
    func memberName(_ rest: Substring, offset: Int) throws(ExpressionError) -> (
        String, String, Int
    )? {
        guard let first = rest.first else { return nil }
        if first == "." || first == ":" {
            let body = rest.dropFirst()
            let name = body.prefix { $0 != "." && $0 != "[" && $0 != "?" }
            guard !name.isEmpty else { throw error("a name is missing after '\(first)'") }
            let tail = body.dropFirst(name.count)
            return (String(name), String(tail), offset + 1 + name.count)
        }
        if first == "[" {
            guard let close = rest.firstIndex(of: "]") else {
                throw error("'[' is never closed", hint: "add ']'")
            }
            var name = String(rest[rest.index(after: rest.startIndex)..<close])
                .trimmingXMLWhitespace()
            if name.count >= 2,
                (name.hasPrefix("'") && name.hasSuffix("'"))
                    || (name.hasPrefix("\"") && name.hasSuffix("\""))
            {
                name = String(name.dropFirst().dropLast())
            }
            guard !name.isEmpty else { throw error("an empty name in []") }
            let tail = rest[rest.index(after: close)...]
            return (
                name, String(tail), offset + rest.distance(from: rest.startIndex, to: close) + 1
            )
        }
        return nil
    }

    /// Parses `.a?.b[0][last].size()` into steps.
    func path(_ text: String, offset: Int) throws(ExpressionError) -> SimplePath {
        var steps: [SimplePath.Step] = []
        var rest = Substring(text)
        while let c = rest.first {
            let here = offset + (text.count - rest.count)
            if c == "?" {
                rest = rest.dropFirst()  // null-safe navigation: every step is null-safe here
                continue
            }
            if c == "." {
                rest = rest.dropFirst()
                let name = rest.prefix { $0 != "." && $0 != "[" && $0 != "?" && $0 != "(" }
                guard !name.isEmpty else { throw error(at: here, "a name is missing after '.'") }
                rest = rest.dropFirst(name.count)
                if rest.hasPrefix("()") {
                    guard let method = SimpleMethod(rawValue: String(name)) else {
                        throw error(
                            at: here, "unknown method '\(name)()'",
                            hint: "supported methods: "
                                + SimpleMethod.allCases.map { "\($0.rawValue)()" }.joined(
                                    separator: ", "))
                    }
                    rest = rest.dropFirst(2)
                    steps.append(.method(method))
                } else if rest.first == "(" {
                    throw error(
                        at: here, "method '\(name)' with arguments is not supported",
                        hint: "supported methods: "
                            + SimpleMethod.allCases.map { "\($0.rawValue)()" }.joined(
                                separator: ", "))
                } else {
                    steps.append(.key(String(name)))
                }
                continue
            }
            if c == "[" {
                guard let close = rest.firstIndex(of: "]") else {
                    throw error(at: here, "'[' is never closed", hint: "add ']'")
                }
                var inner = String(rest[rest.index(after: rest.startIndex)..<close])
                    .trimmingXMLWhitespace()
                rest = rest[rest.index(after: close)...]
                if inner.count >= 2,
                    (inner.hasPrefix("'") && inner.hasSuffix("'"))
                        || (inner.hasPrefix("\"") && inner.hasSuffix("\""))
                {
                    steps.append(.key(String(inner.dropFirst().dropLast())))
                } else if let i = Int(inner) {
                    steps.append(.index(i))
                } else if inner == "last" {
                    steps.append(.last(minus: 0))
                } else if inner.hasPrefix("last-"), let n = Int(inner.dropFirst(5)) {
                    steps.append(.last(minus: n))
                } else {
                    guard !inner.isEmpty else { throw error(at: here, "an empty []") }
                    inner = inner.trimmingXMLWhitespace()
                    steps.append(.key(inner))
                }
                continue
            }
            throw error(
                at: here, "unexpected '\(c)' after the function",
                hint: "access members with .name or [name], call methods with .size()")
        }
        return SimplePath(steps: steps)
    }

    func dateSource(_ text: String) throws(ExpressionError) -> SimpleDateSource {
        if text.hasPrefix("now") {
            var offset = 0.0
            var rest = text.dropFirst(3)
            while let sign = rest.first {
                guard sign == "+" || sign == "-" else {
                    throw error(
                        "invalid date offset '\(rest)'", hint: "write e.g. now-1h or now+30m")
                }
                rest = rest.dropFirst()
                let digits = rest.prefix { $0.isNumber }
                rest = rest.dropFirst(digits.count)
                guard let n = Double(digits), let unit = rest.first else {
                    throw error(
                        "invalid date offset in '\(text)'", hint: "write e.g. now-1h or now+30m")
                }
                rest = rest.dropFirst()
                let seconds: Double
                switch unit {
                case "d": seconds = 86400
                case "h": seconds = 3600
                case "m": seconds = 60
                case "s": seconds = 1
                default: throw error("unknown date offset unit '\(unit)'", hint: "use d, h, m or s")
                }
                offset += (sign == "+" ? 1 : -1) * n * seconds
            }
            return .now(offsetSeconds: offset)
        }
        for prefix in ["header.", "in.header."] where text.hasPrefix(prefix) {
            return .header(String(text.dropFirst(prefix.count)))
        }
        if text.hasPrefix("exchangeProperty.") {
            return .property(String(text.dropFirst("exchangeProperty.".count)))
        }
        throw error(
            "unknown date source '\(text)'", hint: "use now, header.name or exchangeProperty.name")
    }

    /// `name(a,b)` → ["a", "b"].
    func call(_ t: String, _ name: String) -> [String]? {
        guard t.hasPrefix(name + "("), t.hasSuffix(")") else { return nil }
        return t.dropFirst(name.count + 1).dropLast().split(
            separator: ",", omittingEmptySubsequences: false
        ).map { String($0) }
    }

    /// `name(inner)rest` → (inner, rest).
    func callWithTail(_ t: String, _ name: String) -> (String, String)? {
        guard t.hasPrefix(name + "("), let close = t.firstIndex(of: ")") else { return nil }
        let inner = t[t.index(t.startIndex, offsetBy: name.count + 1)..<close]
        return (String(inner), String(t[t.index(after: close)...]))
    }

    func error(_ message: String, hint: String? = nil) -> ExpressionError {
        ExpressionError(
            language: "simple", expression: expression, position: position, message, hint: hint)
    }

    func error(at offset: Int, _ message: String, hint: String? = nil) -> ExpressionError {
        ExpressionError(
            language: "simple", expression: expression, position: position + offset, message,
            hint: hint)
    }
}

extension String {
    func dropPrefix(_ prefix: String) -> Substring? {
        hasPrefix(prefix) ? dropFirst(prefix.count) : nil
    }
}

/// Edit distance counting a swap of neighbours as one edit (optimal string alignment), for
/// "did you mean" suggestions: `stpes` is one edit from `steps`.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased()), b = Array(b.lowercased())
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
            }
        }
    }
    return d[a.count][b.count]
}
