/// Loads route files written in Caravan's subset of the Camel YAML DSL into
/// ``RouteDefinition``s, reporting every problem of every file at once.
///
/// The loader does no I/O: callers hand it the files' texts (the CLI and the server read
/// them), the properties and the environment for placeholders.
///
/// ```swift
/// let loader = RouteLoader(placeholders: PlaceholderResolver(properties: props))
/// let result = loader.load([RouteFile(path: "routes/orders.yaml", text: yaml)])
/// if !result.diagnostics.isEmpty { print(LoadFailure(result.diagnostics)) }
/// ```
public struct RouteLoader: Sendable {
    public var placeholders: PlaceholderResolver
    /// Reads `resource:` expressions; nil: they are errors.
    public var resources: (any ResourceReader)?

    public init(
        placeholders: PlaceholderResolver = PlaceholderResolver(),
        resources: (any ResourceReader)? = nil
    ) {
        self.placeholders = placeholders
        self.resources = resources
    }

    /// What a load produced: the routes that loaded cleanly, and every problem found.
    public struct Result: Sendable {
        public var routes: RouteSet
        public var diagnostics: [Diagnostic]

        public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    }

    public func load(_ files: [RouteFile]) -> Result {
        var set = RouteSet()
        var diagnostics: [Diagnostic] = []
        var generated = 0
        for file in files {
            let (fileSet, fileDiagnostics) = load(file, generatedIds: &generated)
            set.routes += fileSet.routes
            set.onExceptions += fileSet.onExceptions
            set.configurations += fileSet.configurations
            if let handler = fileSet.errorHandler {
                if let first = set.errorHandler {
                    diagnostics.append(
                        Diagnostic(
                            handler.location,
                            "a second top-level errorHandler; the first is at \(first.location)",
                            hint:
                                "keep one, or use routeConfiguration with an id for different routes"
                        ))
                } else {
                    set.errorHandler = handler
                }
            }
            diagnostics += fileDiagnostics
        }
        let routes = set.routes
        // Every routeConfigurationId must name a configuration (wildcards may match none).
        let configurationIds = Set(set.configurations.compactMap(\.id))
        for route in routes {
            for id in route.routeConfigurationIds
            where !id.contains("*") && !configurationIds.contains(id) {
                diagnostics.append(
                    Diagnostic(
                        route.location,
                        "route '\(route.id)' uses routeConfiguration '\(id)', which no file defines\(didYouMean(id, among: configurationIds))",
                        hint: "define `- routeConfiguration: {id: \(id), ...}`"))
            }
        }
        // Duplicate ids across all files.
        var seen: [String: SourceLocation] = [:]
        for route in routes {
            if let first = seen[route.id] {
                diagnostics.append(
                    Diagnostic(
                        route.location,
                        "duplicate route id '\(route.id)', first defined at \(first)",
                        hint: "give every route its own id"))
            } else {
                seen[route.id] = route.location
            }
        }
        return Result(routes: set, diagnostics: diagnostics)
    }

    func load(_ file: RouteFile, generatedIds: inout Int) -> (RouteSet, [Diagnostic]) {
        let root: YAMLNode?
        switch YAMLNode.parse(file.text, file: file.path) {
        case .success(let node): root = node
        case .failure(let diagnostic): return (RouteSet(), [diagnostic])
        }
        guard let root else { return (RouteSet(), []) }
        guard case .sequence(let items, _) = root else {
            // A Kubernetes resource (Camel K's Integration, a Pipe, a Kamelet) holds routes
            // but is not a route file.
            if case .mapping(let pairs, _) = root,
                let kind = pairs.first(where: { $0.key.text == "kind" })?.value,
                case .scalar(let name) = kind
            {
                let problem = Diagnostic(
                    kind.location,
                    "this is a Kubernetes resource (kind: \(name.text)), not a route file",
                    hint: name.text == "Integration"
                        ? "put the routes of its spec.flows (a YAML list) in a route file of their own"
                        : "Caravan runs route files: a YAML list of items such as `- route:`")
                return (RouteSet(), [problem])
            }
            let problem = Diagnostic(
                root.location, "a route file is a YAML list of items, not \(root.kindDescription)",
                hint: "start each item with `- route:` or `- from:`")
            return (RouteSet(), [problem])
        }
        var context = LoadContext(placeholders: placeholders)
        context.resources = resources.map { ($0, file.path) }
        var set = RouteSet()
        var routes: [RouteDefinition] = []
        var rests: [LoadContext.RestDefinition] = []
        var restConfiguration: (contextPath: String, bindingMode: String?) = ("", nil)
        for item in items {
            guard case .mapping(let pairs, let location) = item, pairs.count == 1 else {
                context.error(
                    item.location, "each item of a route file is a mapping with exactly one key",
                    hint: "items are \(StepCatalog.items.joined(separator: ", "))")
                continue
            }
            let key = context.dslKey(pairs[0].key)
            let value = pairs[0].value
            switch key.text {
            case "route":
                if let route = context.route(value, generatedIds: &generatedIds) {
                    routes.append(route)
                }
            case "from":
                generatedIds += 1
                if let route = context.bareFrom(
                    value, id: "route\(generatedIds)", location: location)
                {
                    routes.append(route)
                }
            case "errorHandler":
                if let handler = context.errorHandler(value) {
                    if let first = set.errorHandler {
                        context.error(
                            key.location,
                            "a second top-level errorHandler; the first is at \(first.location)",
                            hint: "keep one")
                    } else {
                        set.errorHandler = handler
                    }
                }
            case "onException":
                if let o = context.onException(value) { set.onExceptions.append(o) }
            case "routeConfiguration":
                if let c = context.routeConfiguration(value) { set.configurations.append(c) }
            case "beans":
                context.beans(value)
            case "rest":
                rests.append(LoadContext.RestDefinition(node: value, location: location))
            case "restConfiguration":
                restConfiguration = context.restConfiguration(value)
            case "templatedRoute", "routeTemplate", "kamelet", "camelContext":
                context.error(
                    key.location, "'\(key.text)' is outside the Camel subset Caravan supports",
                    hint: "items are \(StepCatalog.items.joined(separator: ", "))")
            default:
                context.error(
                    key.location,
                    "unknown item '\(key.text)'\(didYouMean(key.text, among: StepCatalog.items))",
                    hint: "items are \(StepCatalog.items.joined(separator: ", "))")
            }
        }
        for rest in rests {
            routes += context.restRoutes(
                rest, contextPath: restConfiguration.contextPath,
                bindingMode: restConfiguration.bindingMode, generatedIds: &generatedIds)
        }
        // Report in file order, whatever order the checks ran in.
        let sorted = context.diagnostics.enumerated().sorted { a, b in
            (a.element.location.line, a.element.location.column, a.offset) < (
                b.element.location.line, b.element.location.column, b.offset
            )
        }.map(\.element)
        set.routes = routes
        return (set, sorted)
    }
}

/// A route file's path (for diagnostics) and its text.
public struct RouteFile: Sendable {
    public var path: String
    public var text: String

    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }
}
