import Caravan
import Foundation
import Testing

/// Camel's REST DSL served by Caravan's HTTP server, with platform-http's refusals.
@Suite struct RestDSLTests {
    static let routes = """
        - rest:
            path: /say
            get:
              - path: /hello/{name}
                to: direct:hello
              - path: /card/{name}
                produces: text/vcard
                to: direct:hello
            post:
              - path: /orders
                consumes: application/json
                to: {uri: direct:order}
        - restConfiguration:
            contextPath: /api
            bindingMode: json
        - from:
            uri: direct:hello
            steps:
              - setBody: {simple: "Hello ${header.name}"}
        - from:
            uri: direct:order
            steps:
              - setBody: {simple: '{"accepted": ${body[qty]}}'}
              - setHeader: {name: Content-Type, constant: application/json}
        """

    @Test func verbsAreServedUnderTheContextPathWithTheUsualRefusals() async throws {
        let node = try await TestNode.start(Self.routes)
        let url = "http://127.0.0.1:\(node.port)"
        let hello = try await HTTP.send(url + "/api/say/hello/Ann", method: "GET")
        let order = try await HTTP.send(
            url + "/api/say/orders", #"{"qty": 3}"#, contentType: "application/json")
        let wrongType = try await HTTP.send(
            url + "/api/say/orders", "qty=3", contentType: "text/plain")
        let card = try await HTTP.send(url + "/api/say/card/Ann", method: "GET")
        let wrongMethod = try await HTTP.send(url + "/api/say/hello/Ann", method: "DELETE")
        let missing = try await HTTP.send(url + "/say/hello/Ann", method: "GET")
        try await node.stop()
        #expect(hello.status == 200)
        #expect(hello.body == "Hello Ann")
        #expect(order.status == 200)
        #expect(order.body == #"{"accepted": 3}"#)
        #expect(order.headers["content-type"] == "application/json", "the route's own wins")
        // `produces` names the answer's type when the route sets none.
        #expect(card.headers["content-type"] == "text/vcard")
        #expect(hello.headers["content-type"] != "text/vcard")
        #expect(wrongType.status == 415)
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "GET")
        #expect(missing.status == 404)
    }

    @Test func aRestWithoutATargetOrWithAnXMLBindingIsRefusedAtItsPosition() {
        let result = RouteLoader().load([
            RouteFile(
                path: "rest.yaml",
                text: """
                    - rest:
                        get:
                          - path: /a
                    - rest:
                        bindingMode: xml
                        get:
                          - {path: /b, to: direct:b}
                    """)
        ])
        #expect(result.errors.map(\.location.line) == [3, 5], "\(result.diagnostics)")
        #expect(result.errors.first?.message.contains("needs 'to'") == true)
    }
}
