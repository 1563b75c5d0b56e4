import Yams

/// A YAML node with its position, converted from Yams once so the loader works on plain
/// `Sendable` values and every diagnostic can point at the line and column.
indirect enum YAMLNode: Sendable {
    case scalar(YAMLScalar)
    case mapping([(key: YAMLScalar, value: YAMLNode)], SourceLocation)
    case sequence([YAMLNode], SourceLocation)

    var location: SourceLocation {
        switch self {
        case .scalar(let s): s.location
        case .mapping(_, let l), .sequence(_, let l): l
        }
    }

    /// What the node is, for messages: "a mapping", "a list", "the text 'x'".
    var kindDescription: String {
        switch self {
        case .scalar(let s): s.isNull ? "an empty value" : "the value '\(s.text)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }

    var scalar: YAMLScalar? {
        if case .scalar(let s) = self { return s }
        return nil
    }
}

/// A scalar: its text, whether it was quoted (quoted text is never a number, boolean
/// or null), and where it is.
struct YAMLScalar: Sendable {
    var text: String
    var plain: Bool
    var location: SourceLocation
    /// Quoted with ' or " (the text starts one column after the mark).
    var quoted = false
    /// A literal or folded block (`|`, `>`): the text starts on the next line.
    var block = false

    /// Where character `position` (1-based) of the text is, when that can be known.
    func location(ofCharacter position: Int) -> SourceLocation {
        guard !block, !text.prefix(max(0, position - 1)).contains("\n") else { return location }
        var l = location
        l.column += position - 1 + (quoted ? 1 : 0)
        return l
    }

    /// `~`, `null` or nothing, unquoted.
    var isNull: Bool {
        plain && (text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL")
    }

    var bool: Bool? {
        guard plain else { return text == "true" ? true : (text == "false" ? false : nil) }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    var int: Int? { Int(text) }
}

extension YAMLNode {
    /// Parses `text` into nodes; a syntax error becomes one diagnostic with its position.
    static func parse(_ text: String, file: String) -> Result<YAMLNode?, Diagnostic> {
        do {
            guard let root = try Yams.compose(yaml: withoutLauncherLine(text)) else {
                return .success(nil)
            }
            return .success(try convert(root, file: file))
        } catch let error as YamlError {
            return .failure(diagnostic(for: error, file: file))
        } catch let error as ConversionError {
            return .failure(error.diagnostic)
        } catch {
            return .failure(
                Diagnostic(
                    SourceLocation(file: file, line: 1, column: 1), "cannot read the YAML: \(error)"
                ))
        }
    }

    /// A first line that launches the file as a script (`///usr/bin/env jbang ... "$0"`,
    /// `#!/usr/bin/env ...`), as Camel JBang's examples have, is not YAML: it becomes a
    /// comment, so every other line keeps its number.
    static func withoutLauncherLine(_ text: String) -> String {
        guard text.hasPrefix("///") || text.hasPrefix("#!") else { return text }
        return "#" + text
    }

    struct ConversionError: Error { var diagnostic: Diagnostic }

    private static func convert(_ node: Node, file: String) throws -> YAMLNode {
        func location(_ mark: Mark?) -> SourceLocation {
            SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
        }
        switch node {
        case .scalar(let s):
            return .scalar(
                YAMLScalar(
                    text: s.string, plain: s.style == .plain, location: location(s.mark),
                    quoted: s.style == .singleQuoted || s.style == .doubleQuoted,
                    block: s.style == .literal || s.style == .folded))
        case .mapping(let m):
            var pairs: [(key: YAMLScalar, value: YAMLNode)] = []
            for (key, value) in m {
                guard case .scalar(let k) = key else {
                    throw ConversionError(
                        diagnostic: Diagnostic(
                            location(key.mark), "a mapping key must be plain text",
                            hint: "write keys as `name: value`"))
                }
                pairs.append(
                    (
                        YAMLScalar(
                            text: k.string, plain: k.style == .plain, location: location(k.mark)),
                        try convert(value, file: file)
                    ))
            }
            return .mapping(pairs, location(m.mark))
        case .sequence(let s):
            return .sequence(try s.map { try convert($0, file: file) }, location(s.mark))
        case .alias(let a):
            throw ConversionError(
                diagnostic: Diagnostic(
                    location(a.mark), "YAML aliases (*name) are not supported in route files",
                    hint: "repeat the content instead"))
        }
    }

    private static func diagnostic(for error: YamlError, file: String) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let where_ = context.map { " (\($0.text) at \($0.mark))" } ?? ""
            return Diagnostic(
                SourceLocation(file: file, line: mark.line, column: mark.column),
                "YAML syntax: \(problem)\(where_)",
                hint: "check the indentation and quoting on this line")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return Diagnostic(
                SourceLocation(file: file, line: context.mark.line, column: context.mark.column),
                "duplicate key\(duplicates.count == 1 ? "" : "s") \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in one mapping",
                hint: "each key may appear once; list repeated steps under `steps:`")
        case .reader(let problem, _, _, _):
            return Diagnostic(
                SourceLocation(file: file, line: 1, column: 1), "cannot read the file: \(problem)",
                hint: "save it as UTF-8")
        default:
            return Diagnostic(SourceLocation(file: file, line: 1, column: 1), "YAML: \(error)")
        }
    }
}
