/// Reads one YAML mapping of a route file: typed values with their positions, and a
/// record of which keys were used so unknown keys are reported (with "did you mean").
struct MappingReader {
    /// What the mapping is ("filter", "route"), for messages.
    let name: String
    let pairs: [(key: YAMLScalar, value: YAMLNode)]
    let location: SourceLocation
    let placeholders: PlaceholderResolver
    var diagnostics: [Diagnostic] = []

    init?(
        _ node: YAMLNode, name: String, placeholders: PlaceholderResolver,
        diagnostics: inout [Diagnostic]
    ) {
        switch node {
        case .mapping(let pairs, let location):
            self.pairs = pairs.map { (Self.dslKey($0.key, &diagnostics), $0.value) }
            self.location = location
        case .scalar(let s) where s.isNull:
            self.pairs = []
            self.location = s.location
        default:
            diagnostics.append(
                Diagnostic(
                    node.location, "'\(name)' needs a mapping, not \(node.kindDescription)",
                    hint: "indent its keys under `\(name):`"))
            return nil
        }
        self.name = name
        self.placeholders = placeholders
    }

    func node(_ key: String) -> YAMLNode? { pairs.last { $0.key.text == key }?.value }

    func has(_ key: String) -> Bool { pairs.contains { $0.key.text == key } }

    var keys: [String] { pairs.map(\.key.text) }

    /// A scalar's text with placeholders resolved.
    mutating func string(_ key: String, required: Bool = false) -> String? {
        guard let node = node(key) else {
            if required {
                diagnostics.append(
                    Diagnostic(location, "'\(name)' needs '\(key)'", hint: "add `\(key): ...`"))
            }
            return nil
        }
        return text(node, key: key)
    }

    mutating func text(_ node: YAMLNode, key: String) -> String? {
        guard case .scalar(let s) = node else {
            diagnostics.append(
                Diagnostic(
                    node.location,
                    "'\(key)' of '\(name)' must be a value, not \(node.kindDescription)"))
            return nil
        }
        if s.isNull { return "" }
        return resolve(s)
    }

    mutating func resolve(_ s: YAMLScalar) -> String? {
        switch placeholders.resolve(s.text) {
        case .success(let t): return t
        case .failure(let problem):
            diagnostics.append(Diagnostic(s.location, problem.message, hint: problem.hint))
            return nil
        }
    }

    mutating func bool(_ key: String, default value: Bool) -> Bool {
        guard let node = node(key) else { return value }
        guard let text = text(node, key: key) else { return value }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default:
            diagnostics.append(
                Diagnostic(
                    node.location, "'\(key)' of '\(name)' must be true or false, not '\(text)'"))
            return value
        }
    }

    mutating func int(_ key: String, default value: Int?) -> Int? {
        guard let node = node(key) else { return value }
        guard let text = text(node, key: key) else { return value }
        guard let n = Int(text) else {
            diagnostics.append(
                Diagnostic(
                    node.location, "'\(key)' of '\(name)' must be a whole number, not '\(text)'"))
            return value
        }
        return n
    }

    /// A list of scalars (a YAML list, or one value).
    mutating func strings(_ key: String) -> [String] {
        guard let node = node(key) else { return [] }
        switch node {
        case .sequence(let items, _): return items.compactMap { text($0, key: key) }
        default: return text(node, key: key).map { [$0] } ?? []
        }
    }

    /// Keys that Camel's YAML DSL allows on any element and that never change what it is.
    static let metadataKeys: Set<String> = ["id", "description", "note"]

    /// Reports keys outside `allowed` (and ``metadataKeys``), with a suggestion.
    mutating func rejectUnknownKeys(_ allowed: [String]) {
        for pair in pairs
        where !allowed.contains(pair.key.text) && !Self.metadataKeys.contains(pair.key.text) {
            let key = pair.key.text
            diagnostics.append(
                Diagnostic(
                    pair.key.location,
                    "unknown key '\(key)' in '\(name)'\(didYouMean(key, among: allowed))",
                    hint: "the keys of '\(name)' are: \(allowed.joined(separator: ", "))"))
        }
    }
}

extension MappingReader {
    /// A key of the DSL in its current spelling: Camel 3 and Camel K files write keys and
    /// step names in kebab case (`set-body`, `dead-letter-uri`, `to-d`), which Camel 4
    /// still reads; they are taken as their camel-case names, with a warning.
    static func dslKey(_ key: YAMLScalar, _ diagnostics: inout [Diagnostic]) -> YAMLScalar {
        guard let camel = camelCase(kebab: key.text) else { return key }
        diagnostics.append(
            Diagnostic(
                key.location, "'\(key.text)' is the kebab-case spelling of '\(camel)'",
                hint: "write '\(camel)', the spelling of Camel 4's YAML DSL", severity: .warning))
        var renamed = key
        renamed.text = camel
        return renamed
    }

    /// `set-body` → `setBody`; nil for a text that is not lowercase words joined by `-`.
    static func camelCase(kebab text: String) -> String? {
        let words = text.split(separator: "-", omittingEmptySubsequences: false)
        guard words.count > 1,
            words.allSatisfy({ word in
                !word.isEmpty
                    && word.unicodeScalars.allSatisfy {
                        ("a"..."z").contains($0) || ("0"..."9").contains($0)
                    }
            }),
            let first = words.first, first.first.map({ ("a"..."z").contains($0) }) == true
        else { return nil }
        return String(first)
            + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }
            .joined()
    }
}
