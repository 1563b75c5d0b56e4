/// The five function extensions of RFC 9535 §2.4 and their declared types.
enum JSONPathFunction: String, Sendable, CaseIterable {
    case length, count, match, search, value

    enum ParameterType { case value, logical, nodes }
    enum ResultType { case value, logical }

    var parameters: [ParameterType] {
        switch self {
        case .length: [.value]
        case .count, .value: [.nodes]
        case .match, .search: [.value, .value]
        }
    }

    var result: ResultType {
        switch self {
        case .length, .count, .value: .value
        case .match, .search: .logical
        }
    }
}

/// Translates an I-Regexp (RFC 9485) into the syntax Swift's `Regex` understands:
/// `.` matches any character but CR and LF (`^` and `$` keep their anchor meaning, as the
/// compliance suite expects). Returns `nil` for a pattern that is not a valid I-Regexp shape (unbalanced
/// brackets, a trailing backslash), which makes `match`/`search` false as the RFC says.
func translateIRegexp(_ pattern: String) -> String? {
    var out = ""
    var inClass = false
    var iterator = pattern.unicodeScalars.makeIterator()
    var depth = 0
    while let c = iterator.next() {
        switch c {
        case "\\":
            guard let next = iterator.next() else { return nil }
            out.unicodeScalars.append(c)
            out.unicodeScalars.append(next)
        case "[" where !inClass:
            inClass = true
            out += "["
        case "]" where inClass:
            inClass = false
            out += "]"
        case "." where !inClass:
            out += "[^\\n\\r]"
        case "(" where !inClass:
            depth += 1
            out += "(?:"
        case ")" where !inClass:
            depth -= 1
            if depth < 0 { return nil }
            out += ")"
        default:
            out.unicodeScalars.append(c)
        }
    }
    return inClass || depth != 0 ? nil : out
}

/// Matches strings against I-Regexp patterns, compiling each pattern once.
struct IRegexpMatcher {
    var cache: [String: Regex<AnyRegexOutput>?] = [:]

    mutating func matches(_ pattern: String, _ text: String, whole: Bool) -> Bool {
        let regex: Regex<AnyRegexOutput>?
        if let cached = cache[pattern] {
            regex = cached
        } else {
            regex = translateIRegexp(pattern).flatMap { try? Regex($0) }?.matchingSemantics(
                .unicodeScalar)
            cache[pattern] = regex
        }
        guard let regex else { return false }
        if whole { return (try? regex.wholeMatch(in: text)) != nil }
        return (try? regex.firstMatch(in: text)) != nil
    }
}
