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

    func milliseconds(_ name: String, default fallback: Int) throws(ProcessingError) -> Duration {
        .milliseconds(try count(name, default: fallback))
    }
}
