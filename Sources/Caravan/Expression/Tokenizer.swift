/// Camel's `tokenize` language, for `split`: cuts the body (or a header) into pieces.
///
/// ```yaml
/// - split:
///     tokenize: {token: "\n", skipFirst: true, group: 100}
/// ```
public struct Tokenizer: Sendable {
    public var token: String
    /// `token` is a regular expression.
    public var regex: Bool
    /// Tokenize this header instead of the body.
    public var headerName: String?
    /// Groups of this many pieces, joined by `groupDelimiter` (0 = no grouping).
    public var group: Int
    public var groupDelimiter: String?
    /// Drop the first piece (a header line).
    public var skipFirst: Bool
    let compiled: CompiledRegex?

    public init(
        token: String, regex: Bool = false, headerName: String? = nil, group: Int = 0,
        groupDelimiter: String? = nil, skipFirst: Bool = false
    ) throws(ExpressionError) {
        guard !token.isEmpty else {
            throw ExpressionError(
                language: "tokenize", expression: token, position: 1, "the token is empty",
                hint: "set token, e.g. \",\" or \"\\n\"")
        }
        guard group >= 0 else {
            throw ExpressionError(
                language: "tokenize", expression: token, position: 1,
                "group must be 0 or more, not \(group)")
        }
        self.token = token
        self.regex = regex
        self.headerName = headerName
        self.group = group
        self.groupDelimiter = groupDelimiter
        self.skipFirst = skipFirst
        if regex {
            do {
                compiled = CompiledRegex(try Regex(token))
            } catch {
                throw ExpressionError(
                    language: "tokenize", expression: token, position: 1,
                    "invalid regular expression: \(error)")
            }
        } else {
            compiled = nil
        }
    }

    /// The pieces, as strings. A trailing empty piece (text ending with the token) is
    /// dropped, as Camel's scanner does.
    public func tokenize(_ text: String) -> [Document] {
        var pieces: [String]
        if let compiled {
            pieces = text.split(separator: compiled.regex, omittingEmptySubsequences: false).map(
                String.init)
        } else if token == "\n" {
            // A newline token also splits CRLF text cleanly.
            pieces = text.split(
                omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }
            ).map(String.init)
        } else {
            pieces = text.split(separator: token, omittingEmptySubsequences: false).map(String.init)
        }
        if pieces.last == "" { pieces.removeLast() }
        if skipFirst, !pieces.isEmpty { pieces.removeFirst() }
        guard group > 0 else { return pieces.map(Document.string) }
        let delimiter = groupDelimiter ?? (regex ? "" : token)
        return stride(from: 0, to: pieces.count, by: group).map {
            .string(pieces[$0..<min($0 + group, pieces.count)].joined(separator: delimiter))
        }
    }
}
