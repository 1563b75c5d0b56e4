import Testing

@testable import Caravan

@Suite struct XPathTests {
    let tree = try! XMLTree.parse(
        Array(
            #"""
            <o:order xmlns:o="urn:orders" id="7"><o:item sku="X" qty="2"/><o:item sku="Y" qty="3"/><o:note>rush</o:note></o:order>
            """#.utf8))

    @Test func nodeSetsGiveStringValuesInDocumentOrder() throws {
        #expect(try XPath("/o:order/o:item/@sku").evaluate(tree) == .nodes(["X", "Y"]))
    }

    @Test func scalarResultsAreReturnedAsScalars() throws {
        #expect(try XPath("count(//o:item)").evaluate(tree) == .number(2))
        #expect(try XPath("sum(//o:item/@qty)").evaluate(tree) == .number(5))
        #expect(try XPath("string(/o:order/o:note)").evaluate(tree) == .string("rush"))
        #expect(try XPath("/o:order/@id = '7'").evaluate(tree) == .boolean(true))
    }

    @Test func explicitNamespacesOverrideTheDocumentPrefixes() throws {
        let xpath = try XPath("count(/ord:order/ord:item)", namespaces: ["ord": "urn:orders"])
        #expect(try xpath.evaluate(tree) == .number(2))
    }

    @Test func anUndeclaredPrefixIsAnEvaluationError() throws {
        #expect(throws: EvaluationError.self) { try XPath("/x:order").evaluate(tree) }
    }

    @Test func syntaxErrorsCarryThePosition() throws {
        let error = try #require(throws: ExpressionError.self) { try XPath("/order/item[") }
        #expect(error.position == 13)
    }

    /// Camel evaluates against the Document, so the context node is the document node.
    @Test func relativePathsStartAtTheDocumentNode() throws {
        let tree = try XMLTree.parse(Array("<a><b>x</b><c>y</c></a>".utf8))
        #expect(try XPath(".").evaluate(tree) == .nodes(["xy"]))
        #expect(try XPath("*").evaluate(tree) == .nodes(["xy"]))
        #expect(try XPath("child::node()").evaluate(tree) == .nodes(["xy"]))
        #expect(try XPath("a/b").evaluate(tree) == .nodes(["x"]))
        #expect(try XPath("b").evaluate(tree) == .nodes([]))
        #expect(try XPath("count(a/*)").evaluate(tree) == .number(2))
        #expect(try XPath("name(*)").evaluate(tree) == .string("a"))
    }

    @Test func aLoneMinusSignIsNotANumber() throws {
        let tree = try XMLTree.parse(Array("<a><b> - </b><c>-2</c></a>".utf8))
        for nan in ["number('-')", "number(' - ')", "number(/a/b)", "number('-x')"] {
            guard case .number(let n) = try XPath(nan).evaluate(tree) else {
                Issue.record("\(nan) is not a number")
                continue
            }
            #expect(n.isNaN, "\(nan) → \(n)")
        }
        #expect(try XPath("number(/a/c)").evaluate(tree) == .number(-2))
        #expect(try XPath("number('-1.5')").evaluate(tree) == .number(-1.5))
        #expect(try XPath("-1 div 0").evaluate(tree) == .number(-.infinity))
    }

    @Test func numbersPrintAsXPathDoes() {
        #expect(XPathResult.text(of: 3) == "3")
        #expect(XPathResult.text(of: 2.5) == "2.5")
        #expect(XPathResult.text(of: .nan) == "NaN")
    }
}

@Suite struct CompiledExpressionTests {
    @Test func headerPropertyAndConstant() throws {
        let exchange = Exchange(
            message: Message(headers: Headers([("X-Id", "42")])), properties: ["p": true])
        #expect(try CompiledExpression(.header, "x-id").evaluate(exchange) == "42")
        #expect(try CompiledExpression(.exchangeProperty, "p").matches(exchange))
        #expect(try CompiledExpression(.constant, "hello").evaluate(exchange) == "hello")
    }

    @Test func xpathAndJSONPathOverTheBody() throws {
        let xml = Exchange(
            message: Message(
                body: Body(bytes: Array("<a><b>1</b><b>2</b></a>".utf8), contentType: .xml)))
        #expect(try CompiledExpression(.xpath, "/a/b").evaluate(xml) == ["1", "2"])
        #expect(try CompiledExpression.predicate(.xpath, "count(/a/b) > 1").matches(xml))
        let json = Exchange(
            message: Message(
                body: Body(bytes: Array(#"{"a": [1, 2], "ok": false}"#.utf8), contentType: .json)))
        #expect(try CompiledExpression(.jsonpath, "$.a[*]").evaluate(json) == [1, 2])
        #expect(try CompiledExpression(.jsonpath, "$.a[0]").evaluate(json) == 1)
        #expect(try !CompiledExpression.predicate(.jsonpath, "$.ok").matches(json))
        #expect(try !CompiledExpression.predicate(.jsonpath, "$.missing").matches(json))
    }

    @Test func tokenizeSplitsTheBody() throws {
        let exchange = Exchange(message: Message(body: Body(text: "h\r\na\r\nb\r\nc\r\n")))
        #expect(
            try CompiledExpression(tokenizer: Tokenizer(token: "\n", skipFirst: true)).evaluate(
                exchange) == ["a", "b", "c"])
        #expect(
            try CompiledExpression(tokenizer: Tokenizer(token: "\n", group: 2, skipFirst: true))
                .evaluate(exchange) == ["a\nb", "c"])
        let csv = Exchange(message: Message(body: Body(text: "1, 2,3")))
        #expect(
            try CompiledExpression(tokenizer: Tokenizer(token: ",\\s*", regex: true)).evaluate(csv)
                == ["1", "2", "3"])
    }

    @Test func emptyNamesAndTokensAreRejected() {
        #expect(throws: ExpressionError.self) { try CompiledExpression(.header, "") }
        #expect(throws: ExpressionError.self) { try Tokenizer(token: "") }
        #expect(throws: ExpressionError.self) { try Tokenizer(token: "[", regex: true) }
    }
}
