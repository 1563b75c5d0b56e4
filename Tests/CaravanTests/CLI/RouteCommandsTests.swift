import Foundation
import Testing

/// `caravan validate` and `caravan test` on real files.
@Suite struct RouteCommandsTests {
    let cli = CLITests()

    func folder(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "caravan-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(
                toFile: (dir as NSString).appendingPathComponent(name), atomically: true,
                encoding: .utf8)
        }
        return dir
    }

    @Test func validateReportsEveryProblemAndExitsOne() async throws {
        let dir = try folder([
            "a.yaml": "- from:\n    uri: direct:a\n    stpes: []\n",
            "b.yaml": "- from: {uri: \"kafka:x\", steps: []}\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try await cli.caravan(["validate", dir])
        #expect(run.status == 1)
        #expect(
            run.stderr.contains(
                "a.yaml:3:5: error: unknown key 'stpes' in 'from' (did you mean 'steps'?)"))
        #expect(
            run.stderr.contains("b.yaml:1:15: error: the endpoint scheme 'kafka:' is not supported")
        )
        #expect(run.stdout.contains("2 files, 1 route, 2 errors"))
    }

    /// `resource:classpath:` is read beside the route file, `resource:file:` from the
    /// working folder or an absolute path; a missing one is an error at the expression.
    @Test func resourceExpressionsAreReadBesideTheRouteFileOrReportedWhereTheyAre() async throws {
        let dir = try folder([
            "greeting.txt": "Hello ${header.name}",
            "ok.yaml":
                "- from: {uri: direct:a, steps: [{setBody: {simple: \"resource:classpath:greeting.txt\"}}]}\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try await cli.caravan(["validate", dir]).status == 0)
        let absolute = (dir as NSString).appendingPathComponent("greeting.txt")
        try
            "- from: {uri: direct:b, steps: [{setBody: {constant: \"resource:file:\(absolute)\"}}, {setHeader: {name: x, simple: \"resource:classpath:nope.txt\"}}]}\n"
            .write(
                toFile: (dir as NSString).appendingPathComponent("bad.yaml"), atomically: true,
                encoding: .utf8)
        let run = try await cli.caravan(["validate", dir])
        #expect(run.status == 1)
        // The column follows the absolute path written before it on the line.
        #expect(
            run.stderr.contains(
                "bad.yaml:1:\(104 + absolute.count): error: the resource 'classpath:nope.txt' was not found (looked for \(dir)/nope.txt)"
            ), "\(run.stderr)")
        #expect(run.stdout.contains("1 error"))
    }

    /// An endpoint naming a policy that is not defined, or a policy that cannot be used:
    /// each at its position, and nothing starts.
    @Test func validateReportsSecurityPoliciesThatAreMissingOrUnusable() async throws {
        let routes = """
            - route:
                id: orders
                from: {uri: "platform-http:/orders?authPolicy=epr", steps: [{to: "log:x"}]}
            """
        let dir = try folder([
            "orders.yaml": routes,
            "application.properties":
                "caravan.auth.policies.erp.type=apiKey\ncaravan.auth.policies.erp.keys=k1\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let undefined = try await cli.caravan(["validate", dir])
        #expect(undefined.status == 1)
        #expect(
            undefined.stderr.contains(
                "orders.yaml:2:5: error: route 'orders': authPolicy 'epr' is not defined (did you mean 'erp'?) — define caravan.auth.policies.epr.type in application.properties (defined: erp)"
            ), "\(undefined.stderr)")

        let empty = try folder([
            "orders.yaml": routes.replacingOccurrences(of: "epr", with: "erp"),
            "application.properties":
                "# keys come later\ncaravan.auth.policies.erp.type=apiKey\ncaravan.auth.policies.erp.keys=\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let noKeys = try await cli.caravan(["validate", empty])
        #expect(noKeys.status == 1)
        #expect(
            noKeys.stderr.contains(
                "application.properties:3:1: error: caravan.auth.policies.erp.keys: the apiKey policy 'erp' has no keys"
            ), "\(noKeys.stderr)")
        let serve = try await cli.caravan(["serve", "--routes", empty, "--port", "0"])
        #expect(serve.status != 0)
        #expect(serve.stderr.contains("has no keys"))

        let tls = try folder([
            "orders.yaml": routes.replacingOccurrences(of: "?authPolicy=epr", with: ""),
            "application.properties":
                "caravan.server.tls.certificateChain=/nonexistent/tls.crt\ncaravan.server.tls.privateKey=/nonexistent/tls.key\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: tls) }
        let missing = try await cli.caravan(["validate", tls])
        #expect(missing.status == 1)
        #expect(
            missing.stderr.contains(
                "application.properties:1:1: error: caravan.server.tls.certificateChain: cannot read the certificate chain '/nonexistent/tls.crt'"
            ), "\(missing.stderr)")
    }

    @Test func validateAsJSONForEditors() async throws {
        let dir = try folder([
            "a.yaml": "- from: {uri: \"direct:a\", steps: [{setBdy: {constant: x}}]}\n"
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try await cli.caravan(["validate", "--format", "json", dir])
        #expect(run.status == 1)
        let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let diagnostics = report?["diagnostics"] as? [[String: Any]]
        #expect(diagnostics?.first?["line"] as? Int == 1)
        #expect(
            (diagnostics?.first?["message"] as? String)?.contains("did you mean 'setBody'") == true)
    }

    @Test func validateAcceptsTheExampleRoutes() async throws {
        let routes = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../routes").standardized.path
        let run = try await cli.caravan(["validate", routes])
        #expect(run.status == 0, "\(run.stderr)")
    }

    @Test func testRunsTheExampleRouteTests() async throws {
        let routes = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../routes").standardized.path
        let run = try await cli.caravan(["test", routes])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.hasSuffix("10 passed, 0 failed\n"))
    }

    /// A REST verb is a route like any other: a route test names it by its id.
    @Test func aRouteTestRunsARestVerbsRoute() async throws {
        let dir = try folder([
            "api.yaml": """
            - rest:
                path: /api
                get:
                  - path: /hello/{name}
                    id: hello-api
                    produces: text/plain
                    to: direct:hello
            - from:
                uri: direct:hello
                steps:
                  - setBody: {simple: "Hello ${header.name}"}
                  - to: mock:out
            """,
            "api.test.yaml": """
            - test:
                name: the verb's route greets the name in the path
                route: hello-api
                input: {body: "", headers: {name: Ann}}
                expect:
                  mock:out: {count: 1, messages: [{body: Hello Ann}]}
            """,
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try await cli.caravan(["test", dir])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.hasSuffix("1 passed, 0 failed\n"))
    }

    @Test func aFailingRouteTestPrintsADiffAndExitsOne() async throws {
        let dir = try folder([
            "r.yaml":
                "- route: {id: r, from: {uri: direct:in, steps: [{setBody: {simple: '{\"n\": ${body}}'}}, {to: \"seda:out\"}]}}\n",
            "r.test.yaml": """
            - test:
                name: doubles nothing
                route: r
                substitute: {"seda:*": mock:out}
                input: {body: "2"}
                expect:
                  mock:out: {count: 1, json: {n: 3}}
            """,
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try await cli.caravan(["test", dir])
        #expect(run.status == 1)
        #expect(run.stdout.contains("FAIL "))
        #expect(run.stdout.contains("-   \"n\": 3"))
        #expect(run.stdout.contains("+   \"n\": 2"))
        #expect(run.stdout.hasSuffix("0 passed, 1 failed\n"))
    }
}
