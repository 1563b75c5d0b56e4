import Testing

@testable import Caravan

/// Placeholders as Camel's properties component resolves them.
@Suite struct PlaceholderResolverTests {
    let resolver = PlaceholderResolver(
        properties: [
            "orders.url": "http://files", "cool.foo": "result", "cool.concat": "mock:{{cool.foo}}",
            "json": #"{"a":{"b":1}}"#, "ftp.enabled": "true", "shadowed": "from-file",
        ],
        environment: [
            "ORDERS_URL": "http://env", "APP_HOME": "/opt/app", "FOO_SERVICE_HOST": "db",
            "FOO_SERVICE_PORT": "5432",
        ],
        systemProperties: ["shadowed": "from-system", "only.sys": "s"])

    func resolve(_ text: String) throws -> String { try resolver.resolved(text) }

    @Test func theEnvironmentWinsOverSystemPropertiesWhichWinOverTheFile() throws {
        #expect(try resolve("{{orders.url}}") == "http://env")  // ORDERS_URL
        #expect(try resolve("{{shadowed}}") == "from-system")
        #expect(try resolve("{{only.sys}}") == "s")
        #expect(try resolve("{{sys:only.sys}}") == "s")
        #expect(try resolve("{{sys:missing:fallback}}") == "fallback")
    }

    @Test func nestedDefaultsNegationAndEscapes() throws {
        #expect(try resolve("{{cool.concat}}") == "mock:result")
        #expect(try resolve("{{missing:log:foo}}") == "log:foo")
        #expect(try resolve("{{!ftp.enabled}}") == "false")
        #expect(try resolve("{{json?nested=false}}") == #"{"a":{"b":1}}"#)
        #expect(try resolve(#"q=\{{ name \}}"#) == "q={{ name }}")
        #expect(try resolve(#"\\{{cool.foo}}"#) == #"\result"#)
        #expect(try resolve("{{?missing}}") == "")
    }

    @Test func environmentFunctionsFollowCamelsNaming() throws {
        #expect(try resolve("{{env:APP-HOME}}/etc") == "/opt/app/etc")  // dash → underscore
        #expect(try resolve("{{service:foo}}") == "db:5432")
        #expect(try resolve("{{service.name:foo}}") == "db")
        #expect(try resolve("{{service.port:foo}}") == "5432")
        #expect(try resolve("{{service:bar:localhost:8080}}") == "localhost:8080")
    }

    @Test func aMissingKeySaysWhereItLooked() {
        #expect {
            try resolve("{{order.topic}}")
        } throws: { error in
            "\(error)".contains(
                "looked in the environment as ORDER_TOPIC, the system properties and application.properties"
            )
        }
        #expect(throws: PlaceholderResolver.Problem.self) { try resolve("{{!cool.foo}}") }
    }

    @Test func anOptionalPlaceholderDropsItsEndpointOption() throws {
        let result = load(
            """
            - from:
                uri: "direct:in"
                steps:
                  - to: "file:out?bufferSize={{?size}}&fileExist=Append"
                  - to: {uri: "file:out", parameters: {bufferSize: "{{?size}}", charset: utf-8}}
            """)
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        let steps = try #require(result.routes.routes.first).steps
        guard case .to(let first) = steps[0].kind, case .to(let second) = steps[1].kind else {
            Issue.record("not two sends")
            return
        }
        #expect(first.description == "file:out?fileExist=Append")
        #expect(second.description == "file:out?charset=utf-8")
    }
}
