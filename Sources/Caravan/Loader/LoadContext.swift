import Foundation

/// The state of loading one file: placeholders and the diagnostics found so far. The
/// step, expression and data-format readers are extensions of it, one file each.
struct LoadContext {
    let placeholders: PlaceholderResolver
    var diagnostics: [Diagnostic] = []
    /// Reads `resource:` expressions, and the route file being loaded.
    var resources: (reader: any ResourceReader, file: String)?
    /// Aggregation strategies declared under `beans`, by bean name.
    var beanStrategies: [String: AggregationStrategyName] = [:]

    init(placeholders: PlaceholderResolver) { self.placeholders = placeholders }

    mutating func error(_ location: SourceLocation, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(location, message, hint: hint))
    }

    mutating func reader(_ node: YAMLNode, name: String) -> MappingReader? {
        MappingReader(node, name: name, placeholders: placeholders, diagnostics: &diagnostics)
    }

    /// `key` in the DSL's current spelling (see ``MappingReader/dslKey(_:_:)``).
    mutating func dslKey(_ key: YAMLScalar) -> YAMLScalar {
        MappingReader.dslKey(key, &diagnostics)
    }

    /// Moves a reader's diagnostics into the context.
    mutating func absorb(_ reader: inout MappingReader) {
        diagnostics += reader.diagnostics
        reader.diagnostics = []
    }

    /// A scalar's text with placeholders resolved, or a diagnostic. `absent` is what a
    /// missing optional placeholder (`{{?key}}`) gives.
    mutating func scalarText(_ node: YAMLNode, what: String, absent: String = "") -> String? {
        guard case .scalar(let s) = node else {
            error(node.location, "\(what) must be a value, not \(node.kindDescription)")
            return nil
        }
        switch placeholders.resolve(s.isNull ? "" : s.text, absent: absent) {
        case .success(let t): return t
        case .failure(let p):
            error(s.location, p.message, hint: p.hint)
            return nil
        }
    }

    static func droppingAbsentOptions(_ uri: String) -> String {
        guard uri.contains(PlaceholderResolver.absent) else { return uri }
        guard let mark = uri.firstIndex(of: "?") else {
            return uri.replacingOccurrences(of: PlaceholderResolver.absent, with: "")
        }
        let kept = uri[uri.index(after: mark)...].split(separator: "&")
            .filter { !$0.contains(PlaceholderResolver.absent) }
        let base = uri[..<mark].replacingOccurrences(of: PlaceholderResolver.absent, with: "")
        return kept.isEmpty ? base : base + "?" + kept.joined(separator: "&")
    }

    // MARK: - Routes

    mutating func route(_ node: YAMLNode, generatedIds: inout Int) -> RouteDefinition? {
        guard var r = reader(node, name: "route") else { return nil }
        r.rejectUnknownKeys(StepCatalog.routeKeys)
        let id: String
        if let given = r.string("id") {
            id = given
        } else {
            generatedIds += 1
            id = "route\(generatedIds)"
        }
        let description = r.string("description")
        let configurationIds = (r.string("routeConfigurationId") ?? "").split(separator: ",").map {
            String($0).trimmingXMLWhitespace()
        }.filter { !$0.isEmpty }
        let autoStartup = r.bool("autoStartup", default: true)
        let handler = r.node("errorHandler").flatMap { errorHandler($0) }
        let fromNode = r.node("from")
        absorb(&r)
        guard let fromNode else {
            error(
                r.location, "route '\(id)' has no 'from'",
                hint: "add `from: {uri: ..., steps: [...]}`")
            return nil
        }
        guard let (uri, steps, receive) = from(fromNode) else { return nil }
        var route = RouteDefinition(
            id: id, from: uri, steps: steps, location: r.location, description: description,
            routeConfigurationIds: configurationIds, autoStartup: autoStartup, errorHandler: handler
        )
        route.variableReceive = receive
        return route
    }

    mutating func bareFrom(_ node: YAMLNode, id: String, location: SourceLocation)
        -> RouteDefinition?
    {
        guard let (uri, steps, receive) = from(node) else { return nil }
        var route = RouteDefinition(id: id, from: uri, steps: steps, location: location)
        route.variableReceive = receive
        return route
    }

    /// The consumer, the steps and `variableReceive` of a `from`.
    mutating func from(_ node: YAMLNode) -> (EndpointURI, [StepDefinition], String?)? {
        guard var r = reader(node, name: "from") else { return nil }
        r.rejectUnknownKeys(StepCatalog.fromKeys)
        let receive = r.string("variableReceive")
        if let receive { _ = variableName(receive, at: r.node("variableReceive")!.location) }
        absorb(&r)
        guard let uri = endpoint(r, role: .consumer) else { return nil }
        var steps: [StepDefinition] = []
        if let stepsNode = r.node("steps") { steps = self.steps(stepsNode, in: "from") }
        return (uri, steps, receive)
    }

    enum EndpointRole { case consumer, producer }

    /// `uri` plus `parameters`, merged as Camel merges them; the scheme must be known.
    mutating func endpoint(_ r: MappingReader, role: EndpointRole, uriNode: YAMLNode? = nil)
        -> EndpointURI?
    {
        var r = r
        guard let node = uriNode ?? r.node("uri") else {
            error(r.location, "'\(r.name)' needs a 'uri'", hint: "add `uri: scheme:path`")
            return nil
        }
        guard let resolved = scalarText(node, what: "the uri", absent: PlaceholderResolver.absent)
        else { return nil }
        // An option whose value is a missing optional placeholder is left out, as Camel
        // does (`file:out?bufferSize={{?size}}` is `file:out` without `size`).
        let text = Self.droppingAbsentOptions(resolved)
        var uri: EndpointURI
        do {
            uri = try EndpointURI(text)
        } catch {
            self.error(node.location, error.message, hint: error.hint)
            return nil
        }
        if let parameters = r.node("parameters") {
            if case .mapping(let pairs, _) = parameters {
                for pair in pairs {
                    if case .scalar(let raw) = pair.value,
                        case .success(let v) = placeholders.resolve(
                            raw.text, absent: PlaceholderResolver.absent),
                        v.contains(PlaceholderResolver.absent)
                    {
                        continue  // a missing optional placeholder: the option is left out
                    }
                    // `show-body-type` is Camel's kebab-case spelling of `showBodyType`.
                    let name = dslKey(pair.key).text
                    if let value = r.text(pair.value, key: pair.key.text) {
                        uri.set(name, value)
                    }
                }
            } else {
                error(
                    parameters.location, "'parameters' must be a mapping of option names to values")
            }
        }
        absorb(&r)
        uri.movePathParameterIntoPath()
        if role == .consumer, uri.scheme == "rest" {
            guard let served = restConsumer(uri, at: node.location) else { return nil }
            uri = served
        }
        guard checkScheme(uri, at: node.location, role: role) else { return nil }
        if uri.path.isEmpty {
            error(
                node.location, "the '\(uri.scheme):' endpoint has no path",
                hint:
                    "write \(uri.scheme):name, or give '\(EndpointURI.pathParameters[uri.scheme] ?? "path")' in parameters"
            )
            return nil
        }
        return uri
    }

    /// The rest component's consumer, `rest:verb:path[:uriTemplate]`, is served as the REST
    /// DSL serves a verb: `platform-http` on that path for that method, answering from the
    /// route.
    mutating func restConsumer(_ uri: EndpointURI, at location: SourceLocation) -> EndpointURI? {
        let parts = uri.path.split(separator: ":", maxSplits: 2).map(String.init)
        let verbs = ["get", "post", "put", "delete", "patch", "head", "options"]
        guard parts.count >= 2, verbs.contains(parts[0].lowercased()) else {
            error(
                location, "'rest:\(uri.path)' names no method and path",
                hint: "write rest:get:/hello (or post, put, delete, patch)")
            return nil
        }
        var served = EndpointURI(
            scheme: "platform-http", path: Self.joinPaths(Array(parts.dropFirst())))
        for option in uri.options where option.name == "consumes" {
            served.set("consumes", option.value)
        }
        served.set("httpMethodRestrict", parts[0].uppercased())
        served.set("exchangePattern", "InOut")
        return served
    }

    mutating func checkScheme(_ uri: EndpointURI, at location: SourceLocation, role: EndpointRole)
        -> Bool
    {
        guard EndpointURI.knownSchemes.contains(uri.scheme) else {
            error(
                location,
                "the endpoint scheme '\(uri.scheme):' is not supported\(didYouMean(uri.scheme, among: EndpointURI.knownSchemes))",
                hint:
                    "Caravan supports \(EndpointURI.knownSchemes.sorted().map { $0 + ":" }.joined(separator: ", "))"
            )
            return false
        }
        switch (role, uri.scheme) {
        case (.consumer, "http"), (.consumer, "https"), (.consumer, "log"), (.consumer, "mock"):
            error(
                location, "'\(uri.scheme):' cannot start a route",
                hint: "routes start from platform-http, file, timer, seda or direct")
            return false
        case (.producer, "platform-http"), (.producer, "timer"):
            error(
                location, "'\(uri.scheme):' can only start a route, not receive messages",
                hint: "send to direct:, seda:, http:, file:, log: or mock:")
            return false
        default:
            return true
        }
    }
}
