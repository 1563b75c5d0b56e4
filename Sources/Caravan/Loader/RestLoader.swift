/// Reading Camel's REST DSL (`rest`, `restConfiguration`): each verb becomes a route from
/// `platform-http` — the verb's path under the rest's `path` and the configuration's
/// `contextPath`, its method, `consumes` (415 otherwise) and `InOut` (the route's reply is
/// the HTTP response) — that sends to the verb's `to`, usually a `direct:` route.
///
/// ```yaml
/// - rest:
///     path: /api
///     get:
///       - path: /hello/{name}
///         to: direct:hello
/// ```
/// becomes a route from `platform-http:/api/hello/{name}?httpMethodRestrict=GET&exchangePattern=InOut`
/// whose one step is `to: direct:hello`; `{name}` is a header, as in Camel.
extension LoadContext {
    static let restVerbs = ["get", "post", "put", "delete", "patch", "head"]
    static let restKeys =
        [
            "path", "consumes", "produces", "bindingMode", "tag", "apiDocs",
            "skipBindingOnErrorCode",
            "clientRequestValidation", "enableCORS", "securityDefinitions", "securityRequirements",
            "disabled",
        ] + restVerbs
    static let restVerbKeys = [
        "path", "to", "consumes", "produces", "bindingMode", "param", "responseMessage", "routeId",
        "type", "outType", "apiDocs", "deprecated", "skipBindingOnErrorCode",
        "clientRequestValidation", "enableCORS", "security", "disabled",
    ]
    static let restConfigurationKeys = [
        "component", "apiComponent", "producerComponent", "scheme", "host", "port",
        "contextPath", "apiContextPath", "bindingMode", "enableCORS", "hostNameResolver",
        "inlineRoutes", "clientRequestValidation", "skipBindingOnErrorCode", "dataFormatProperty",
        "componentProperty", "endpointProperty", "consumerProperty", "corsHeaders",
        "apiProperty", "useXForwardHeaders", "apiHost", "apiVendorExtension",
    ]

    /// One `rest` item, kept until the whole file is read (a `restConfiguration` may come
    /// after it).
    struct RestDefinition {
        var node: YAMLNode
        var location: SourceLocation
    }

    /// `restConfiguration`: the context path and binding mode the rest items use.
    mutating func restConfiguration(_ node: YAMLNode) -> (contextPath: String, bindingMode: String?)
    {
        guard var r = reader(node, name: "restConfiguration") else { return ("", nil) }
        r.rejectUnknownKeys(Self.restConfigurationKeys)
        if let component = r.string("component"), component != "platform-http" {
            error(
                r.node("component")!.location,
                "the REST component '\(component)' is not available: Caravan serves REST on its own HTTP server",
                hint: "drop `component`, or set it to platform-http")
        }
        let contextPath = r.string("contextPath") ?? ""
        let mode = r.string("bindingMode")
        if let mode { _ = bindingMode(mode, at: r.node("bindingMode")!.location) }
        absorb(&r)
        return (contextPath, mode)
    }

    /// The routes of one `rest` item.
    mutating func restRoutes(
        _ rest: RestDefinition, contextPath: String, bindingMode defaultMode: String?,
        generatedIds: inout Int
    ) -> [RouteDefinition] {
        guard var r = reader(rest.node, name: "rest") else { return [] }
        r.rejectUnknownKeys(Self.restKeys)
        if r.bool("disabled", default: false) {
            absorb(&r)
            return []
        }
        let base = r.string("path") ?? ""
        let consumes = r.string("consumes")
        let produces = r.string("produces")
        let restMode = r.string("bindingMode") ?? defaultMode
        var routes: [RouteDefinition] = []
        for verb in Self.restVerbs {
            guard let node = r.node(verb) else { continue }
            let items: [YAMLNode]
            switch node {
            case .sequence(let list, _): items = list
            default: items = [node]
            }
            for item in items {
                guard var v = reader(item, name: verb) else { continue }
                v.rejectUnknownKeys(Self.restVerbKeys)
                defer { absorb(&v) }
                if v.bool("disabled", default: false) { continue }
                let mode = v.string("bindingMode") ?? restMode
                if let mode,
                    !bindingMode(
                        mode, at: (v.node("bindingMode") ?? r.node("bindingMode") ?? item).location)
                {
                    continue
                }
                let path = Self.joinPaths([contextPath, base, v.string("path") ?? ""])
                var uri = EndpointURI(scheme: "platform-http", path: path)
                uri.set("httpMethodRestrict", verb.uppercased())
                uri.set("exchangePattern", "InOut")
                if let type = v.string("consumes") ?? consumes, !type.contains(",") {
                    uri.set("consumes", type)
                }
                if let type = v.string("produces") ?? produces { uri.set("produces", type) }
                guard let toNode = v.node("to") else {
                    error(
                        v.location, "the \(verb) of rest '\(path)' needs 'to'",
                        hint: "send it to a route: `to: direct:name`")
                    continue
                }
                let target: EndpointURI?
                if case .scalar = toNode {
                    target = scalarText(toNode, what: "'to'").flatMap {
                        endpointURI($0, at: toNode.location)
                    }
                } else if let t = reader(toNode, name: "to") {
                    target = endpoint(t, role: .producer)
                } else {
                    target = nil
                }
                guard let target else { continue }
                let id: String
                if let given = v.string("routeId") ?? v.string("id") {
                    id = given
                } else {
                    generatedIds += 1
                    id = "route\(generatedIds)"
                }
                routes.append(
                    RouteDefinition(
                        id: id, from: uri,
                        steps: [StepDefinition(.to(target), location: toNode.location)],
                        location: item.location, description: v.string("description")))
            }
        }
        absorb(&r)
        return routes
    }

    /// `off`, `auto` and `json` bind as Caravan does anyway (a JSON body is a document and
    /// a document reply is written as JSON); the XML modes need Java types.
    mutating func bindingMode(_ mode: String, at location: SourceLocation) -> Bool {
        switch mode.lowercased() {
        case "off", "auto", "json": return true
        default:
            error(
                location, "the REST binding mode '\(mode)' is not supported",
                hint: "use off, auto or json; convert XML with unmarshal/marshal in the route")
            return false
        }
    }

    /// `/api` + `orders/` + `/{id}` → `/api/orders/{id}`.
    static func joinPaths(_ parts: [String]) -> String {
        let segments = parts.flatMap { $0.split(separator: "/").map(String.init) }
        return "/" + segments.joined(separator: "/")
    }
}
