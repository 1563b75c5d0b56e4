import Foundation

/// Resolves Camel property placeholders in route files as Camel's properties component
/// does: `{{key}}`, `{{key:default}}`, `{{?key}}` (optional: an endpoint option whose value
/// is missing is dropped), `{{!key}}` (a boolean, negated), `{{key?nested=false}}`,
/// `{{env:NAME}}`, `{{sys:NAME}}`, `{{service:NAME}}` (and `service.name:` /
/// `service.port:`), each with an optional `:default`, and `\{{` … `\}}` for literal
/// braces. `{{secret:NAME}}` reads the secrets directory (`caravan.secrets.directory`, one
/// file per secret, as Kubernetes mounts a Secret) — so secrets never live in route files.
///
/// A key is looked up as Camel's default modes do: the environment first (the key as it
/// is, then in upper case with `.` and `-` as `_`: `orders.url` → `ORDERS_URL`), then the
/// system properties (`--property key=value`), then `application.properties`.
public struct PlaceholderResolver: Sendable {
    public var properties: [String: String]
    public var environment: [String: String]
    /// Camel's JVM system properties: given on the command line (`--property key=value`).
    public var systemProperties: [String: String]
    /// The secrets directory's files by name (read by the caller: the core does no I/O).
    public var secrets: [String: String]
    /// Where the secrets came from, for the hint when one is missing.
    public var secretsDirectory: String?

    public init(
        properties: [String: String] = [:], environment: [String: String] = [:],
        systemProperties: [String: String] = [:], secrets: [String: String] = [:],
        secretsDirectory: String? = nil
    ) {
        self.properties = properties
        self.environment = environment
        self.systemProperties = systemProperties
        self.secrets = secrets
        self.secretsDirectory = secretsDirectory
    }

    /// A placeholder that cannot be resolved: what and how to fix it.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var hint: String?
        public var description: String { message + (hint.map { " — \($0)" } ?? "") }
    }

    /// What an optional placeholder (`{{?key}}`) whose key is missing resolves to inside an
    /// endpoint URI: the loader drops the option that holds it.
    static let absent = "\u{1}caravan-absent\u{1}"

    /// `text` with every placeholder replaced (a property's value, say).
    public func resolved(_ text: String) throws(Problem) -> String {
        try resolve(text).get()
    }

    /// `text` with every placeholder replaced; a missing key without a default is a problem.
    /// A missing optional key gives `absent` (empty unless the caller drops what holds it).
    func resolve(_ text: String, depth: Int = 0, absent: String = "") -> Result<String, Problem> {
        guard text.contains("{{") || text.contains("\\}}") else { return .success(text) }
        if depth > 32 {
            return .failure(
                Problem(
                    message: "placeholders nest more than 32 levels deep",
                    hint: "check for a property that refers to itself"))
        }
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            // `\{{` is a literal `{{`, up to its `\}}` (a doubled backslash is one backslash).
            if rest[..<open.lowerBound].hasSuffix("\\") {
                let before = rest[..<open.lowerBound].dropLast()
                if before.hasSuffix("\\") {
                    out += before
                } else {
                    out += before + "{{"
                    rest = rest[open.upperBound...]
                    if let close = rest.range(of: "\\}}") {
                        out += rest[..<close.lowerBound] + "}}"
                        rest = rest[close.upperBound...]
                    }
                    continue
                }
            } else {
                out += rest[..<open.lowerBound]
            }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                return .failure(
                    Problem(
                        message: "the placeholder '\(rest[open.lowerBound...])' is never closed",
                        hint: "end it with }}"))
            }
            let inside = String(rest[open.upperBound..<close.lowerBound])
            switch lookup(inside, depth: depth, absent: absent) {
            case .success(let value): out += value
            case .failure(let problem): return .failure(problem)
            }
            rest = rest[close.upperBound...]
        }
        out += rest
        return .success(out)
    }

    func lookup(_ inside: String, depth: Int, absent: String = "") -> Result<String, Problem> {
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
            let (name, fallback) = Self.split(inside.dropFirst(4))
            if let value = environment[name] ?? environment[name.replacingDashes] {
                return .success(value)
            }
            if let fallback { return .success(fallback) }
            return .failure(
                Problem(
                    message: "the environment variable '\(name)' is not set",
                    hint: "set it, or give a default: {{env:\(name):value}}"))
        }
        if inside.hasPrefix("sys:") {
            let (name, fallback) = Self.split(inside.dropFirst(4))
            if let value = systemProperties[name] ?? fallback { return .success(value) }
            return .failure(
                Problem(
                    message: "the system property '\(name)' is not set",
                    hint:
                        "give it with --property \(name)=value, or a default: {{sys:\(name):value}}"
                ))
        }
        for function in ["service:", "service.name:", "service.port:"]
        where inside.hasPrefix(function) {
            let (name, fallback) = Self.split(inside.dropFirst(function.count))
            let prefix = name.uppercased().replacingDashes
            let host = environment[prefix + "_SERVICE_HOST"]
            let port = environment[prefix + "_SERVICE_PORT"]
            let value: String? =
                switch function {
                case "service.name:": host
                case "service.port:": port
                default: host.flatMap { h in port.map { "\(h):\($0)" } }
                }
            if let value = value ?? fallback { return .success(value) }
            return .failure(
                Problem(
                    message:
                        "the service '\(name)' is not defined: \(prefix)_SERVICE_HOST and \(prefix)_SERVICE_PORT are not both set",
                    hint: "set them, or give a default: {{\(function)\(name):host:port}}"))
        }
        var spec = Substring(inside)
        let optional = spec.hasPrefix("?")
        let negated = spec.hasPrefix("!")
        if optional || negated { spec = spec.dropFirst() }
        var nested = true
        if let option = spec.range(of: "?nested=") {
            nested = spec[option.upperBound...].lowercased() != "false"
            spec = spec[..<option.lowerBound]
        }
        let (rawKey, fallback) = Self.split(spec)
        let key = rawKey.trimmingXMLWhitespace()
        var value: String
        if let found = environment[key] ?? environment[key.environmentName]
            ?? systemProperties[key]
        {
            value = found
        } else if let found = properties[key] {
            guard nested else { return .success(found) }
            switch resolve(found, depth: depth + 1, absent: absent) {
            case .success(let v): value = v
            case .failure(let problem): return .failure(problem)
            }
        } else if let fallback {
            value = fallback
        } else if optional {
            return .success(absent)
        } else {
            return .failure(
                Problem(
                    message:
                        "the property '\(key)' is not defined\(didYouMean(key, among: properties.keys)) (looked in the environment as \(key.environmentName), the system properties and application.properties)",
                    hint: "define it in application.properties, or give a default: {{\(key):value}}"
                ))
        }
        guard negated else { return .success(value) }
        switch value.lowercased() {
        case "true": return .success("false")
        case "false": return .success("true")
        default:
            return .failure(
                Problem(
                    message: "{{!\(key)}} negates a boolean, but '\(key)' is '\(value)'",
                    hint: "give \(key) the value true or false"))
        }
    }

    /// `name:default` → (name, default); the default is everything after the first colon.
    static func split(_ spec: Substring) -> (String, String?) {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        return (String(parts[0]), parts.count > 1 ? String(parts[1]) : nil)
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

extension String {
    /// The environment variable Camel looks for a property key under: upper case, with
    /// `.` and `-` as `_` (`orders.url` → `ORDERS_URL`).
    var environmentName: String {
        uppercased().replacingOccurrences(of: ".", with: "_").replacingOccurrences(
            of: "-", with: "_")
    }

    /// Dashes as underscores (`APP-HOME` → `APP_HOME`): Linux has no dashes in variable
    /// names, and Camel looks for the underscore form as a fallback.
    var replacingDashes: String { replacingOccurrences(of: "-", with: "_") }
}
