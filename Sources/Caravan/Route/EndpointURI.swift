/// An endpoint URI split into scheme, path and options, as Camel reads
/// `scheme:path?option=value&...` (options from a separate `parameters` mapping are merged
/// in, the mapping winning).
///
/// ```swift
/// let uri = try EndpointURI("file:out/orders?fileName=${header.id}.xml")
/// uri.scheme      // "file"
/// uri.path        // "out/orders"
/// uri.options     // [("fileName", "${header.id}.xml")]
/// ```
public struct EndpointURI: Sendable, Hashable, Codable, CustomStringConvertible {
    public var scheme: String
    /// What follows the scheme, without the query (`//host/path` for http).
    public var path: String
    /// Options in order.
    public var options: [Option]

    public struct Option: Sendable, Hashable, Codable {
        public var name: String
        public var value: String
    }

    /// The schemes Caravan knows (DESIGN §7).
    public static let knownSchemes: Set<String> = [
        "platform-http", "http", "https", "file", "timer", "seda", "direct", "log", "mock",
    ]

    public init(scheme: String, path: String, options: [Option] = []) {
        self.scheme = scheme
        self.path = path
        self.options = options
    }

    /// Splits `text`; a missing scheme is an error. Option values are taken as written
    /// (Camel's `RAW(...)` wrapper is unwrapped; `+` and `%XX` are decoded).
    public init(_ text: String) throws(EndpointURIError) {
        // `uri: file` with the path in `parameters` (Camel's canonical form) has no colon;
        // an unknown component written so (`uri: jms`) is that component, refused later
        // as a scheme Caravan does not support.
        if EndpointURI.knownSchemes.contains(text) || EndpointURI.isComponentName(text) {
            scheme = text
            path = ""
            options = []
            return
        }
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
            throw EndpointURIError(
                "'\(text)' has no scheme",
                hint: "write scheme:path, e.g. direct:orders or http://host/path")
        }
        scheme = String(text[..<colon])
        guard
            scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." })
        else {
            throw EndpointURIError(
                "'\(scheme)' is not a valid scheme", hint: "write scheme:path, e.g. direct:orders")
        }
        var rest = text[text.index(after: colon)...]
        options = []
        if let q = EndpointURI.queryStart(rest) {
            let query = rest[rest.index(after: q)...]
            rest = rest[..<q]
            for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
                let parts = pair.split(
                    separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(parts[0])
                var value = parts.count > 1 ? String(parts[1]) : ""
                if value.hasPrefix("RAW("), value.hasSuffix(")") {
                    value = String(value.dropFirst(4).dropLast())
                } else {
                    value = EndpointURI.percentDecode(value)
                }
                options.append(Option(name: name, value: value))
            }
        }
        path = String(rest)
    }

    /// A bare component name, as Camel's canonical form writes it: a letter, then letters,
    /// digits and dashes (`jms`, `aws2-s3`).
    static func isComponentName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.properties.isAlphabetic,
            first.isASCII
        else { return false }
        return text.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-")
        }
    }

    /// The `?` that starts the query, skipping any inside `${...}`.
    static func queryStart(_ s: Substring) -> Substring.Index? {
        var depth = 0
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if c == "$", s.index(after: i) < s.endIndex, s[s.index(after: i)] == "{" { depth += 1 }
            if c == "}", depth > 0 { depth -= 1 }
            if c == "?", depth == 0 { return i }
            i = s.index(after: i)
        }
        return nil
    }

    static func percentDecode(_ s: String) -> String {
        guard s.contains("%") || s.contains("+") else { return s }
        var bytes: [UInt8] = []
        var u = Array(s.utf8)[...]
        while let b = u.first {
            u = u.dropFirst()
            if b == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if b == UInt8(ascii: "%"), u.count >= 2,
                let h = Unicode.Scalar(u[u.startIndex]).hexDigitValue,
                let l = Unicode.Scalar(u[u.startIndex + 1]).hexDigitValue
            {
                bytes.append(UInt8(h * 16 + l))
                u = u.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The option that holds the path when a route file gives it in `parameters`
    /// (`uri: file` + `parameters: {directoryName: out}`), per component.
    public static let pathParameters: [String: String] = [
        "file": "directoryName", "platform-http": "path", "timer": "timerName", "direct": "name",
        "seda": "name",
        "mock": "name", "log": "loggerName", "http": "httpUri", "https": "httpUri",
    ]

    /// Moves the path option into the path when the path is empty (Camel's merge of
    /// `uri` and `parameters`).
    public mutating func movePathParameterIntoPath() {
        guard path.isEmpty, let name = EndpointURI.pathParameters[scheme],
            let value = self[option: name]
        else { return }
        options.removeAll { $0.name == name }
        if scheme == "http" || scheme == "https" {
            path =
                value.hasPrefix("\(scheme)://")
                ? String(value.dropFirst(scheme.count + 1)) : "//" + value
        } else {
            path = value
        }
    }

    /// The value of option `name`, if set.
    public subscript(option name: String) -> String? {
        options.last { $0.name == name }?.value
    }

    /// Sets or replaces an option.
    public mutating func set(_ name: String, _ value: String) {
        if let i = options.lastIndex(where: { $0.name == name }) {
            options[i].value = value
        } else {
            options.append(Option(name: name, value: value))
        }
    }

    public var description: String {
        let query = options.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        return "\(scheme):\(path)" + (query.isEmpty ? "" : "?\(query)")
    }
}

/// An endpoint URI that cannot be read.
public struct EndpointURIError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let hint: String?

    init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String { message + (hint.map { " — \($0)" } ?? "") }
}
