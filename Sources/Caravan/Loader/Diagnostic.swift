/// A place in a route file: 1-based line and column (columns count Unicode scalars).
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem found while loading route files, printed the way compilers print them:
///
/// ```
/// routes/orders.yaml:12:9: error: unknown key 'stpes' in 'filter' (did you mean 'steps'?) — the keys of 'filter' are: id, description, expression, steps, ...
/// ```
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable { case error, warning }

    public var location: SourceLocation
    public var severity: Severity
    /// What is wrong.
    public var message: String
    /// How to fix it.
    public var hint: String?

    public init(
        _ location: SourceLocation, _ message: String, hint: String? = nil,
        severity: Severity = .error
    ) {
        self.location = location
        self.severity = severity
        self.message = message
        self.hint = hint
    }

    public var description: String {
        "\(location): \(severity.rawValue): \(message)" + (hint.map { " — \($0)" } ?? "")
    }
}

/// The diagnostics of a load: every problem of every file, not just the first.
public struct LoadFailure: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// " (did you mean 'x'?)" when one of `candidates` is close to `word`, else "".
public func didYouMean(_ word: String, among candidates: some Sequence<String>) -> String {
    // Closest first; then the longest shared prefix, the nearest length, alphabetical —
    // so the suggestion never depends on hash order.
    let ranked = candidates.map { c in
        (
            candidate: c, distance: editDistance(word, c),
            prefix: zip(word.lowercased(), c.lowercased()).prefix { $0 == $1 }.count
        )
    }.min { a, b in
        (a.distance, -a.prefix, abs(a.candidate.count - word.count), a.candidate) < (
            b.distance, -b.prefix, abs(b.candidate.count - word.count), b.candidate
        )
    }
    let limit = word.count <= 3 ? 1 : min(3, max(2, word.count / 3))
    // Distance 0 is a word that differs only in case (`clientauth`): worth saying too.
    guard let best = ranked, best.candidate != word, best.distance <= limit else { return "" }
    return " (did you mean '\(best.candidate)'?)"
}
