import Testing

@testable import Caravan

/// Exchange variables (Camel 4.4+): set, read in Simple, removed, kept in a snapshot, and
/// used to send and receive without touching the message.
@Suite struct VariableTests {
    @Test func variablesAreSetReadAndRemovedApartFromTheMessage() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - setVariable: {name: customer, jsonpath: "$.customer"}
                  - setVariables:
                      variables:
                        - {name: total, simple: "${body[total]}"}
                        - {name: line, simple: "${variable.customer} owes ${variable:total}"}
                  - setBody: {simple: "${variable[line]}"}
                  - to: mock:line
                  - removeVariable: {name: "c*"}
                  - setBody: {simple: "${variables}"}
                  - to: mock:rest
            """)
        let outcome = await routes.run(#"{"customer": "ACME", "total": 12}"#)
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        #expect(routes.bodies("line") == ["ACME owes 12"])
        #expect(routes.bodies("rest") == [#"{"line":"ACME owes 12","total":12}"#])
        #expect(outcome.exchange.message.headers.isEmpty, "variables are not headers")
        #expect(outcome.exchange.variables.keys.sorted() == ["line", "total"])
    }

    /// Camel 4.4's `variable` language: a variable's value as an expression.
    @Test func theVariableLanguageReadsAVariable() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - setVariable: {name: customer, jsonpath: "$.customer"}
                  - setHeader: {name: who, variable: customer}
                  - setVariable: {name: count, constant: "42"}
                  - setHeader: {name: next, simple: "${variableAs(count, Integer)}"}
                  - setBody: {expression: {variable: {expression: missing}}}
                  - to: mock:out
            """)
        let outcome = await routes.run(#"{"customer": "ACME"}"#)
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        #expect(routes.engine.mock("out").received.first?.headers["who"] == "ACME")
        #expect(routes.engine.mock("out").received.first?.headers["next"] == 42)
        #expect(routes.bodies("out") == [""])
    }

    /// `from`'s variableReceive keeps the received body in a variable; enrich sends and
    /// receives through variables; a wire tap sends a variable and leaves the message.
    @Test func variablesOnFromEnrichAndWireTap() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                variableReceive: order
                steps:
                  - setVariable: {name: sku, simple: "${jq(variable:order,.sku)}"}
                  - enrich: {constant: "direct:price", variableSend: sku, variableReceive: price}
                  - wireTap: {uri: "direct:audit", variableSend: price}
                  - setBody: {simple: "${variable.sku} costs ${variable.price}, body '${body}'"}
                  - to: mock:out
            - from:
                uri: direct:price
                steps:
                  - setBody: {simple: "12 for ${body}"}
            - from:
                uri: direct:audit
                steps:
                  - to: mock:audit
            """)
        let outcome = await routes.run(#"{"sku": "A-1"}"#, route: "route1")
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        #expect(routes.bodies("out") == ["A-1 costs 12 for A-1, body ''"])
        #expect(await routes.engine.mock("audit").waitForCount(1, timeout: .seconds(10)))
        #expect(routes.bodies("audit") == ["12 for A-1"])
    }

    @Test func variableSendAndReceiveLeaveTheMessageAsItWas() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - setVariable: {name: request, constant: "ping"}
                  - to: {uri: direct:echo, variableSend: request, variableReceive: reply}
                  - setHeader: {name: reply, simple: "${variable.reply}"}
                  - to: mock:out
            - from:
                uri: direct:echo
                steps:
                  - setBody: {simple: "pong to ${body}"}
            """)
        let outcome = await routes.run("original", contentType: nil)
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        let out = try #require(routes.engine.mock("out").received.first)
        #expect(out.body.text == "original")
        #expect(out.headers["reply"] == "pong to ping")
    }

    @Test func variablesSurviveASnapshot() throws {
        var exchange = Exchange(message: Message(body: Body(text: "x")))
        exchange.variables = ["customer": "ACME", "n": 3]
        let restored = try #require(Exchange(snapshot: exchange.snapshot))
        #expect(restored.variables == exchange.variables)
        // A snapshot written before variables existed still reads.
        var old = exchange
        old.variables = [:]
        #expect(Exchange(snapshot: old.snapshot)?.variables == [:])
    }

    @Test func globalAndRouteVariablesAreRefusedWithWhy() {
        let result = load(
            """
            - from:
                uri: direct:in
                steps:
                  - setVariable: {name: "global:counter", constant: 1}
                  - to: {uri: mock:x, variableReceive: "route:r:reply"}
            """)
        #expect(result.errors.count == 2, "\(result.diagnostics)")
        #expect(result.errors.allSatisfy { $0.message.contains("variables are not supported") })
        #expect(result.errors.first?.location.line == 4)
    }
}
