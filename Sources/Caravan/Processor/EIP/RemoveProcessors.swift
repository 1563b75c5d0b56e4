/// `removeHeader`, `removeHeaders`, `removeProperty`, `removeProperties`.
///
/// ```yaml
/// - removeHeaders:
///     pattern: "Camel*"
///     excludePattern: "CamelHttpResponseCode"
/// ```
/// Patterns follow Camel's rules: an exact name (headers ignore case), a trailing `*`
/// wildcard (`Camel*`, or `*` for all), else a regular expression matched in full.
struct RemoveProcessor: Processor {
    enum Target { case headers, properties }

    let target: Target
    let pattern: NamePattern
    let exclude: NamePattern?

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let keep: (String) -> Bool = { name in exclude?.matches(name) ?? false }
        switch target {
        case .headers:
            exchange.message.headers.removeAll { pattern.matches($0) && !keep($0) }
        case .properties:
            for name in exchange.properties.keys where pattern.matches(name) && !keep(name) {
                exchange.properties[name] = nil
            }
        }
    }
}

/// A Camel name pattern, compiled once.
struct NamePattern: Sendable {
    let text: String
    let ignoreCase: Bool
    let regex: CompiledRegex?

    init(_ text: String, ignoreCase: Bool) {
        self.text = text
        self.ignoreCase = ignoreCase
        regex = (try? Regex(text)).map { CompiledRegex(ignoreCase ? $0.ignoresCase() : $0) }
    }

    func matches(_ name: String) -> Bool {
        if ignoreCase ? name.caseInsensitiveEquals(text) : name == text { return true }
        if text == "*" { return true }
        if text.hasSuffix("*") {
            let prefix = String(text.dropLast())
            return ignoreCase
                ? name.lowercased().hasPrefix(prefix.lowercased()) : name.hasPrefix(prefix)
        }
        if let regex { return (try? regex.regex.wholeMatch(in: name)) != nil }
        return false
    }
}

/// A glob: `*` matches any run of characters (`http:*`, `*orders*`); everything else is
/// literal. Used for endpoint substitutions in route tests.
struct GlobPattern: Sendable {
    let parts: [String]

    init(_ text: String) {
        parts = text.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
    }

    func matches(_ s: String) -> Bool {
        guard parts.count > 1 else { return s == parts[0] }
        guard s.hasPrefix(parts[0]), s.hasSuffix(parts[parts.count - 1]),
            s.count >= parts[0].count + parts[parts.count - 1].count
        else {
            return false
        }
        var rest = Substring(s.dropFirst(parts[0].count).dropLast(parts[parts.count - 1].count))
        for middle in parts.dropFirst().dropLast() where !middle.isEmpty {
            guard let r = rest.range(of: middle) else { return false }
            rest = rest[r.upperBound...]
        }
        return true
    }
}
