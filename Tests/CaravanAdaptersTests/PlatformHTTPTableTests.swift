import Caravan
import CaravanAdapters
import Testing

@Suite struct PlatformHTTPTableTests {
    func table(_ yaml: String) throws -> PlatformHTTPTable {
        let loaded = RouteLoader().load([RouteFile(path: "r.yaml", text: yaml)])
        try #require(loaded.errors.isEmpty, "\(loaded.errors)")
        return try PlatformHTTPTable(routes: loaded.routes)
    }

    @Test func pathsMethodsAndParametersMatchAsCamelWritesThem() throws {
        let t = try table(
            """
            - route: {id: list, from: {uri: "platform-http:/orders?httpMethodRestrict=GET", steps: [{to: "log:x"}]}}
            - route: {id: create, from: {uri: "platform-http:/orders?httpMethodRestrict=POST,PUT", steps: [{to: "log:x"}]}}
            - route: {id: one, from: {uri: "platform-http:/orders/{id}", steps: [{to: "log:x"}]}}
            - route: {id: files, from: {uri: "platform-http:/files/*", steps: [{to: "log:x"}]}}
            """)
        guard case .found(let list, _) = t.match(path: "/orders", method: "GET") else {
            Issue.record("GET /orders")
            return
        }
        #expect(list.routeId == "list")
        guard case .found(let create, _) = t.match(path: "/orders/", method: "put") else {
            Issue.record("PUT /orders/")
            return
        }
        #expect(create.routeId == "create")
        guard
            case .found(let one, let parameters) = t.match(path: "/orders/A%201", method: "DELETE")
        else {
            Issue.record("DELETE /orders/A%201")
            return
        }
        #expect(one.routeId == "one")
        #expect(parameters.map(\.0) == ["id"] && parameters.map(\.1) == ["A 1"])
        guard case .found(let files, _) = t.match(path: "/files/a/b.txt", method: "GET") else {
            Issue.record("GET /files/a/b.txt")
            return
        }
        #expect(files.routeId == "files")
        guard case .methodNotAllowed(let allowed) = t.match(path: "/orders", method: "DELETE")
        else {
            Issue.record("DELETE /orders")
            return
        }
        #expect(allowed == ["GET", "POST", "PUT"])
        guard case .notFound = t.match(path: "/invoices", method: "GET") else {
            Issue.record("GET /invoices")
            return
        }
    }

    @Test func badOptionsAreRefusedNamingTheRoute() throws {
        for (uri, expected) in [
            ("platform-http:/a?exchangePattern=InOptional", "exchangePattern 'InOptional'"),
            ("platform-http:/a?consume=application/json", "did you mean 'consumes'"),
        ] {
            let loaded = RouteLoader().load([
                RouteFile(
                    path: "r.yaml",
                    text: "- route: {id: a, from: {uri: \"\(uri)\", steps: [{to: \"log:x\"}]}}")
            ])
            do {
                _ = try PlatformHTTPTable(routes: loaded.routes)
                Issue.record("\(uri) was accepted")
            } catch {
                #expect(error.message.contains("route 'a'") && error.message.contains(expected))
            }
        }
    }
}
