import Caravan

/// A consumer endpoint's options, read for the route it starts: unknown names and bad
/// values are errors that name the route, the scheme and the option (and what was meant).
struct ConsumerOptions {
    let routeId: String
    let uri: EndpointURI

    init(routeId: String, uri: EndpointURI, known: Set<String>) throws(ProcessingError) {
        self.routeId = routeId
        self.uri = uri
        for o in uri.options where !known.contains(o.name) {
            throw invalid("unknown option '\(o.name)'\(didYouMean(o.name, among: Array(known)))")
        }
    }

    func invalid(_ what: String) -> ProcessingError {
        ProcessingError(
            .illegalArgument, "route '\(routeId)': \(uri.scheme): \(what)",
            endpoint: uri.description)
    }

    subscript(name: String) -> String? { uri[option: name] }

    /// `name=true`.
    func flag(_ name: String) -> Bool { uri[option: name] == "true" }

    /// A whole number of 0 or more.
    func count(_ name: String, default fallback: Int) throws(ProcessingError) -> Int {
        guard let text = uri[option: name] else { return fallback }
        guard let n = Int(text), n >= 0 else {
            throw invalid("\(name)=\(text) is not a whole number of 0 or more")
        }
        return n
    }

    /// A time in milliseconds, as Camel reads one: a number, or a duration such as `3s`,
    /// `500ms`, `1m30s`, `2h` (units d, h, m, s, ms).
    func milliseconds(_ name: String, default fallback: Int) throws(ProcessingError) -> Int {
        guard let text = uri[option: name] else { return fallback }
        guard let n = Self.milliseconds(text) else {
            throw invalid(
                "\(name)=\(text) is not a time: write milliseconds (5000) or a duration (5s, 1m30s, 500ms)"
            )
        }
        return n
    }

    /// `text` in milliseconds (Camel's TimeUtils): nil when it is neither a whole number
    /// nor a sequence of number-and-unit parts.
    static func milliseconds(_ text: String) -> Int? {
        if let n = Int(text), n >= 0 { return n }
        let units: [(String, Int)] = [
            ("ms", 1), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000),
        ]
        var rest = Substring(text.lowercased())
        var total = 0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let n = Int(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let (unit, factor) = units.first(where: { rest.hasPrefix($0.0) }) else {
                return nil
            }
            rest = rest.dropFirst(unit.count)
            let (product, overflow) = n.multipliedReportingOverflow(by: factor)
            guard !overflow else { return nil }
            total += product
        }
        return total
    }
}
