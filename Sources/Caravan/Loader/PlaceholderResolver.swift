/// Resolves Camel property placeholders in route files: `{{key}}`, `{{key:default}}`,
/// `{{env:NAME}}` and `{{env:NAME:default}}`, from a properties file and the environment,
/// and `{{secret:NAME}}` from the secrets directory (`caravan.secrets.directory`, one file
/// per secret, as Kubernetes mounts a Secret) — so secrets never live in route files.
public struct PlaceholderResolver: Sendable {
    public var properties: [String: String]
    public var environment: [String: String]
    /// The secrets directory's files by name (read by the caller: the core does no I/O).
    public var secrets: [String: String]
    /// Where the secrets came from, for the hint when one is missing.
    public var secretsDirectory: String?

    public init(
        properties: [String: String] = [:], environment: [String: String] = [:],
        secrets: [String: String] = [:], secretsDirectory: String? = nil
    ) {
        self.properties = properties
        self.environment = environment
        self.secrets = secrets
        self.secretsDirectory = secretsDirectory
    }

    /// A placeholder that cannot be resolved: what and how to fix it.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var hint: String?
        public var description: String { message + (hint.map { " — \($0)" } ?? "") }
    }

    /// `text` with every placeholder replaced (a property's value, say).
    public func resolved(_ text: String) throws(Problem) -> String {
        try resolve(text).get()
    }

    /// `text` with every placeholder replaced; a missing key without a default is a problem.
    func resolve(_ text: String, depth: Int = 0) -> Result<String, Problem> {
        guard text.contains("{{") else { return .success(text) }
        if depth > 32 {
            return .failure(
                Problem(
                    message: "placeholders nest more than 32 levels deep",
                    hint: "check for a property that refers to itself"))
        }
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                return .failure(
                    Problem(
                        message: "the placeholder '\(rest[open.lowerBound...])' is never closed",
                        hint: "end it with }}"))
            }
            let inside = String(rest[open.upperBound..<close.lowerBound])
            switch lookup(inside, depth: depth) {
            case .success(let value):
                out += value
            case .failure(let problem): return .failure(problem)
            }
            rest = rest[close.upperBound...]
        }
        out += rest
        return .success(out)
    }

    func lookup(_ inside: String, depth: Int) -> Result<String, Problem> {
        if inside.hasPrefix("secret:") {
            let name = String(inside.dropFirst(7))
            if let value = secrets[name] { return .success(value) }
            guard let secretsDirectory else {
                return .failure(
                    Problem(
                        message: "the secret '\(name)' cannot be read: no secrets directory is set",
                        hint: "set caravan.secrets.directory to the folder of secret files"))
            }
            return .failure(
                Problem(
                    message:
                        "there is no secret '\(name)' in \(secretsDirectory)\(didYouMean(name, among: secrets.keys))",
                    hint: "write it to the file \(secretsDirectory)/\(name)"))
        }
        if inside.hasPrefix("env:") || inside.hasPrefix("env.") {
            let spec = inside.dropFirst(4)
            let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            if let value = environment[name] { return .success(value) }
            if parts.count > 1 { return .success(String(parts[1])) }
            return .failure(
                Problem(
                    message: "the environment variable '\(name)' is not set",
                    hint: "set it, or give a default: {{env:\(name):value}}"))
        }
        let parts = inside.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let key = String(parts[0]).trimmingXMLWhitespace()
        if let value = properties[key] { return resolve(value, depth: depth + 1) }
        if parts.count > 1 { return .success(String(parts[1])) }
        return .failure(
            Problem(
                message:
                    "the property '\(key)' is not defined\(didYouMean(key, among: properties.keys))",
                hint: "define it in application.properties, or give a default: {{\(key):value}}"))
    }

    /// Parses a Java `.properties` text: `key=value`, `key: value` or `key value`, `#`/`!`
    /// comments, `\` line continuations and escapes.
    public static func parseProperties(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        var logical = ""
        var lines: [String] = []
        for raw in text.split(
            omittingEmptySubsequences: false,
            whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        {
            let line =
                logical.isEmpty
                ? raw.drop { $0 == " " || $0 == "\t" } : raw.drop { $0 == " " || $0 == "\t" }
            var trailing = 0
            for c in line.reversed() {
                if c == "\\" { trailing += 1 } else { break }
            }
            if trailing % 2 == 1 {
                logical += line.dropLast()
                continue
            }
            logical += line
            lines.append(logical)
            logical = ""
        }
        if !logical.isEmpty { lines.append(logical) }
        for line in lines {
            guard let first = line.first, first != "#", first != "!" else { continue }
            var key = ""
            var i = line.startIndex
            while i < line.endIndex {
                let c = line[i]
                if c == "\\", line.index(after: i) < line.endIndex {
                    i = line.index(after: i)
                    key.append(unescape(line[i]))
                } else if c == "=" || c == ":" || c == " " || c == "\t" {
                    break
                } else {
                    key.append(c)
                }
                i = line.index(after: i)
            }
            var rest = line[i...].drop { $0 == " " || $0 == "\t" }
            if rest.first == "=" || rest.first == ":" {
                rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
            }
            var value = ""
            var j = rest.startIndex
            while j < rest.endIndex {
                if rest[j] == "\\", rest.index(after: j) < rest.endIndex {
                    j = rest.index(after: j)
                    value.append(unescape(rest[j]))
                } else {
                    value.append(rest[j])
                }
                j = rest.index(after: j)
            }
            result[key] = value
        }
        return result
    }

    static func unescape(_ c: Character) -> Character {
        switch c {
        case "n": "\n"
        case "t": "\t"
        case "r": "\r"
        default: c
        }
    }
}
