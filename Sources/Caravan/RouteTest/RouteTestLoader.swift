/// Reads `*.test.yaml` files into ``RouteTestDefinition``s, with diagnostics as precise as
/// the route loader's.
public struct RouteTestLoader: Sendable {
    public var placeholders: PlaceholderResolver

    public init(placeholders: PlaceholderResolver = PlaceholderResolver()) {
        self.placeholders = placeholders
    }

    /// `readFile` resolves `bodyFile` (relative to the test file); the loader itself does
    /// no I/O.
    public func load(_ file: RouteFile, readFile: (String) -> [UInt8]?) -> (
        tests: [RouteTestDefinition], diagnostics: [Diagnostic]
    ) {
        let root: YAMLNode?
        switch YAMLNode.parse(file.text, file: file.path) {
        case .success(let node): root = node
        case .failure(let d): return ([], [d])
        }
        guard let root else { return ([], []) }
        var context = LoadContext(placeholders: placeholders)
        guard case .sequence(let items, _) = root else {
            context.error(root.location, "a test file is a YAML list of `- test:` items")
            return ([], context.diagnostics)
        }
        var tests: [RouteTestDefinition] = []
        for item in items {
            guard case .mapping(let pairs, _) = item, pairs.count == 1, pairs[0].key.text == "test"
            else {
                context.error(item.location, "each item of a test file is `- test: {...}`")
                continue
            }
            if let t = context.routeTest(pairs[0].value, readFile: readFile) { tests.append(t) }
        }
        return (tests, context.diagnostics)
    }
}

extension LoadContext {
    mutating func routeTest(_ node: YAMLNode, readFile: (String) -> [UInt8]?)
        -> RouteTestDefinition?
    {
        guard var r = reader(node, name: "test") else { return nil }
        r.rejectUnknownKeys(["name", "route", "substitute", "input", "expect", "expectError"])
        let name = r.string("name") ?? "test at line \(r.location.line)"
        let route = r.string("route", required: true)
        var substitutions: [(String, String)] = []
        if let s = r.node("substitute") {
            if case .mapping(let pairs, _) = s {
                for pair in pairs {
                    if let mock = scalarText(pair.value, what: "a substitution"),
                        let pattern = placeholderResolved(pair.key)
                    {
                        guard mock.hasPrefix("mock:") else {
                            error(
                                pair.value.location,
                                "'\(pattern)' must be replaced by a mock: endpoint, not '\(mock)'",
                                hint: "write e.g. mock:approvals")
                            continue
                        }
                        substitutions.append((pattern, String(mock.dropFirst(5))))
                    }
                }
            } else {
                error(
                    s.location,
                    "'substitute' maps endpoint patterns to mocks, e.g. `\"http:*\": mock:http`")
            }
        }
        var body: [UInt8] = []
        var headers: [(String, String)] = []
        if let inputNode = r.node("input"), var input = reader(inputNode, name: "input") {
            input.rejectUnknownKeys(["body", "bodyFile", "headers", "json"])
            if let text = input.string("body") { body = Array(text.utf8) }
            if let json = input.node("json") { body = JSONWriter().bytes(yamlDocument(json)) }
            if let path = input.string("bodyFile") {
                if let bytes = readFile(path) {
                    body = bytes
                } else {
                    error(
                        input.node("bodyFile")!.location, "cannot read the body file '\(path)'",
                        hint: "paths are relative to the test file")
                }
            }
            headers = stringPairs(input.node("headers"))
            absorb(&input)
        }
        var expectations: [EndpointExpectation] = []
        if let expectNode = r.node("expect") {
            if case .mapping(let pairs, _) = expectNode {
                for pair in pairs {
                    if let e = endpointExpectation(pair.key.text, pair.value) {
                        expectations.append(e)
                    }
                }
            } else {
                error(
                    expectNode.location,
                    "'expect' maps endpoints (mock:name) to what they must receive")
            }
        }
        let expectedError = r.string("expectError")
        absorb(&r)
        guard let route else { return nil }
        return RouteTestDefinition(
            name: name, route: route, substitutions: substitutions, body: body, headers: headers,
            expectations: expectations,
            expectedError: expectedError, location: r.location)
    }

    mutating func placeholderResolved(_ s: YAMLScalar) -> String? {
        switch placeholders.resolve(s.text) {
        case .success(let t): return t
        case .failure(let p):
            error(s.location, p.message, hint: p.hint)
            return nil
        }
    }

    mutating func endpointExpectation(_ endpoint: String, _ node: YAMLNode) -> EndpointExpectation?
    {
        guard endpoint.hasPrefix("mock:") else {
            error(
                node.location, "expectations are on mock endpoints, not '\(endpoint)'",
                hint: "substitute the endpoint with a mock first")
            return nil
        }
        guard var r = reader(node, name: endpoint) else { return nil }
        r.rejectUnknownKeys(["count", "messages", "body", "json", "xml", "headers"])
        let count = r.int("count", default: nil)
        var messages: [MessageExpectation] = []
        if let list = r.node("messages") {
            if case .sequence(let items, _) = list {
                for item in items {
                    guard var m = reader(item, name: "message") else { continue }
                    m.rejectUnknownKeys(["body", "json", "xml", "headers"])
                    messages.append(messageExpectation(&m))
                    absorb(&m)
                }
            } else {
                error(list.location, "'messages' is a list, one item per message in order")
            }
        } else if r.has("body") || r.has("json") || r.has("xml") || r.has("headers") {
            messages.append(messageExpectation(&r))
        }
        absorb(&r)
        return EndpointExpectation(
            endpoint: String(endpoint.dropFirst(5)), count: count, messages: messages)
    }

    mutating func messageExpectation(_ r: inout MappingReader) -> MessageExpectation {
        var body: MessageExpectation.Body?
        if let text = r.string("body") { body = .text(text) }
        if let json = r.node("json") {
            // Text is parsed as JSON; YAML structure is taken as the document itself.
            if case .scalar(let s) = json,
                !s.plain || s.text.hasPrefix("{") || s.text.hasPrefix("[")
            {
                do { body = .json(try JSONReader().read(s.text)) } catch {
                    self.error(s.location, "the expected JSON does not parse: \(error)")
                }
            } else {
                body = .json(yamlDocument(json))
            }
        }
        if let xmlNode = r.node("xml"), let xml = r.text(xmlNode, key: "xml") {
            do { body = .xml(try XMLReader().read(xml)) } catch {
                self.error(xmlNode.location, "the expected XML does not parse: \(error)")
            }
        }
        return MessageExpectation(body: body, headers: stringPairs(r.node("headers")))
    }

    mutating func stringPairs(_ node: YAMLNode?) -> [(String, String)] {
        guard let node else { return [] }
        guard case .mapping(let pairs, _) = node else {
            error(node.location, "'headers' must be a mapping of names to values")
            return []
        }
        return pairs.compactMap { p in
            scalarText(p.value, what: "a header value").map { (p.key.text, $0) }
        }
    }

    /// A YAML value as a document: plain numbers and booleans keep their type.
    func yamlDocument(_ node: YAMLNode) -> Document {
        switch node {
        case .scalar(let s):
            if s.isNull { return .null }
            if let b = s.bool, s.plain { return .bool(b) }
            if s.plain, let n = DecimalText(validating: s.text) { return .number(n) }
            return .string(s.text)
        case .sequence(let items, _): return .array(items.map(yamlDocument))
        case .mapping(let pairs, _):
            return .object(
                DocumentObject(pairs.map { .init(key: $0.key.text, value: yamlDocument($0.value)) })
            )
        }
    }
}
