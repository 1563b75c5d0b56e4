import Testing

@testable import Caravan

/// An exchange with a JSON order body and a few headers, for Simple tests.
func orderExchange(headers: [(String, Document)] = [], properties: [String: Document] = [:])
    -> Exchange
{
    let body =
        #"{"id": "A-1", "total": 1250.50, "customer": {"name": "Ada", "tier": "gold"}, "items": [{"sku": "X"}, {"sku": "Y"}, {"sku": "Z"}]}"#
    var message = Message(
        headers: Headers(headers), body: Body(bytes: Array(body.utf8), contentType: .json))
    message.headers["Content-Type"] = "application/json"
    return Exchange(id: "ex-1", message: message, properties: properties, routeId: "orders")
}

@Suite struct SimpleTemplateTests {
    func eval(_ text: String, _ exchange: Exchange = orderExchange(headers: [("region", "EU")]))
        throws -> Document
    {
        try Simple(text).evaluate(
            exchange,
            context: SimpleContext(
                now: { 1_700_000_000 }, environment: ["HOME": "/home/ada"],
                timeZoneIdentifier: "UTC"))
    }

    @Test func bodyMembersByBracketAndDot() throws {
        #expect(try eval("${body[id]}") == "A-1")
        #expect(try eval("${body.customer.name}") == "Ada")
        #expect(try eval("${body[customer][tier]}") == "gold")
        #expect(try eval("${body[items][1][sku]}") == "Y")
        #expect(try eval("${body[items][last][sku]}") == "Z")
        #expect(try eval("${body[items][last-1].sku}") == "Y")
    }

    @Test func aLoneFunctionKeepsItsType() throws {
        #expect(try eval("${body[total]}") == .number(DecimalText(unchecked: "1250.50")))
        #expect(try eval("${body[items].size()}") == 3)
    }

    @Test func textWithFunctionsIsAString() throws {
        #expect(
            try eval("Order ${body[id]} (${body[items].size()} items) ${header.REGION}")
                == "Order A-1 (3 items) EU")
    }

    @Test func missingValuesRenderEmptyAndEvaluateToNull() throws {
        #expect(try eval("x${header.missing}y") == "xy")
        #expect(try eval("${body[nope][deeper]}") == .null)
    }

    @Test func exchangeFunctions() throws {
        var exchange = orderExchange(properties: ["count": 3])
        exchange.error = ExchangeError(kind: "transport", message: "connection refused")
        #expect(
            try eval(
                "${exchangeId}/${routeId}/${exchangeProperty.count}/${exchangeProperty[count]}",
                exchange) == "ex-1/orders/3/3")
        #expect(try eval("${exception.message}", exchange) == "connection refused")
        #expect(try eval("${env.HOME}") == "/home/ada")
        #expect(
            try eval("${headers}", orderExchange(headers: [("a", "1")])) == [
                "a": "1", "Content-Type": "application/json",
            ])
    }

    @Test func datesFormatWithJavaPatterns() throws {
        #expect(try eval("${date:now:yyyyMMdd-HHmmss}") == "20231114-221320")
        #expect(try eval("${date:now-1h:HH}") == "21")
        #expect(try eval("${date-with-timezone:now:Asia/Tokyo:HH}") == "07")
        let stamped = orderExchange(headers: [("when", .number(DecimalText(1_700_000_000_000)))])
        #expect(try eval("${date:header.when:yyyy-MM-dd}", stamped) == "2023-11-14")
    }

    @Test func randomStaysInRangeAndUUIDsAreUnique() throws {
        for _ in 0..<50 {
            let n = try #require(try eval("${random(5,8)}").scalarText.flatMap { Int($0) })
            #expect((5..<8).contains(n))
        }
        #expect(try eval("${uuid}") != eval("${uuid}"))
    }

    @Test func fileFunctionsReadTheFileHeaders() throws {
        let exchange = orderExchange(headers: [("CamelFileName", "in/orders-7.csv")])
        #expect(
            try eval("${file:name}|${file:name.noext}|${file:ext}|${file:onlyname}", exchange)
                == "in/orders-7.csv|in/orders-7|csv|orders-7.csv")
    }

    @Test func jsonpathInsideSimple() throws {
        #expect(try eval("${jsonpath($.items[*].sku)}") == ["X", "Y", "Z"])
        #expect(try eval("${jsonpath($.customer.tier)}") == "gold")
    }

    /// Camel's `jq(...)` and `jsonpath(...)` functions, over the body or over a header,
    /// property or variable (text read as JSON).
    @Test func jqAndJsonpathFunctionsReadTheBodyOrANamedInput() throws {
        var exchange = orderExchange(headers: [("beer", #"{"name": "Ale", "abv": "5%"}"#)])
        exchange.variables["beer"] = .object(DocumentObject([.init(key: "name", value: "Stout")]))
        exchange.properties["order"] = .string(#"{"id": 7}"#)
        #expect(try eval("${jq(.customer.name)}", exchange) == "Ada")
        #expect(
            try eval("${jq(variable:beer,.name)} vs ${jq(header:beer,.name)}", exchange)
                == "Stout vs Ale")
        #expect(try eval("${jsonpath(exchangeProperty:order,$.id)}", exchange) == 7)
        #expect(try eval("${jq(variable:nothing,.name)}", exchange) == .null)
        #expect(throws: ExpressionError.self) { try Simple("${jq(variable:beer)}") }
        #expect(throws: ExpressionError.self) { try Simple("${jq(.[)}") }
    }

    @Test func methodsOnValues() throws {
        #expect(try eval("${body.customer.name.toUpperCase()}") == "ADA")
        #expect(try eval("${header.missing.isEmpty()}") == true)
    }

    @Test func escapesInText() throws {
        #expect(try eval("a\\nb\\tc") == "a\nb\tc")
    }

    @Test func aDocumentBodyIsItsOwnValue() throws {
        let exchange = Exchange(message: Message(body: Body(document: ["k": 1])))
        #expect(try eval("${body}", exchange) == ["k": 1])
        #expect(try eval("${body[k]}", exchange) == 1)
    }

    @Test func anXMLBodyIsReadByTheXMLConvention() throws {
        let exchange = Exchange(
            message: Message(
                body: Body(
                    bytes: Array("<order id=\"7\"><item>a</item></order>".utf8), contentType: nil)))
        #expect(try eval("${body[order][@id]}", exchange) == "7")
    }

    @Test func aBodyThatIsNotADocumentIsAnEvaluationError() throws {
        let exchange = Exchange(
            message: Message(body: Body(bytes: Array("{\"a\": ".utf8), contentType: .json)))
        let error = try #require(throws: EvaluationError.self) { try eval("${body[a]}", exchange) }
        #expect(error.message.contains("JSON 1:7"))
    }
}

@Suite struct SimplePredicateTests {
    func check(
        _ text: String,
        _ exchange: Exchange = orderExchange(headers: [
            ("region", "EU"), ("count", "10"), ("flag", "true"),
        ])
    ) throws -> Bool {
        try Simple(text, mode: .predicate).matches(exchange)
    }

    @Test func numericComparisonsOnDocumentNumbers() throws {
        #expect(try check("${body[total]} > 1000"))
        #expect(try !check("${body[total]} < 1000"))
        #expect(try check("${body[total]} >= 1250.5"))
        #expect(try check("${body[total]} == 1250.5"))
    }

    @Test func numericStringsCompareAsNumbers() throws {
        #expect(try check("${header.count} > 9"))
        #expect(try check("${header.count} > '9'"))
        #expect(try check("${header.count} == 10.0"))
        #expect(try !check("${header.count} < 9"))
    }

    @Test func twoStringsCompareForEqualityAsStrings() throws {
        #expect(try !check("${header.count} == '10.0'"))
        #expect(try check("${header.region} == 'EU'"))
        #expect(try check("${header.region} == EU"))
        #expect(try check("${header.region} =~ 'eu'"))
        #expect(try check("${header.region} != 'US'"))
    }

    @Test func operatorsNeedSpacesAroundThem() throws {
        // Without spaces the text is a template, and a non-empty string is true.
        let simple = try Simple("${header.region}=='US'", mode: .predicate)
        #expect(try simple.evaluate(orderExchange(headers: [("region", "EU")])) == "EU=='US'")
        #expect(try simple.matches(orderExchange(headers: [("region", "EU")])))
        #expect(try Simple("${header.region}=='US'", mode: .automatic).isPredicate == false)
    }

    @Test func logicalOperatorsEvaluateLeftToRight() throws {
        #expect(try check("${header.region} == 'EU' && ${body[total]} > 1000"))
        #expect(try !check("${header.region} == 'US' && ${body[total]} > 1000"))
        #expect(try check("${header.region} == 'US' || ${body[total]} > 1000"))
        // Camel has no precedence: (true || false) && false is false.
        #expect(
            try !check(
                "${header.region} == 'EU' || ${header.region} == 'US' && ${header.region} == 'FR'"))
    }

    @Test func textOperators() throws {
        #expect(try check("${body.customer.name} contains 'd'"))
        #expect(try check("${body.customer.name} !contains 'x'"))
        #expect(try check("${body.customer.name} ~~ 'ADA'"))
        #expect(try check("${body.customer.name} startsWith 'A'"))
        #expect(try check("${body.customer.name} starts with 'A'"))
        #expect(try check("${body.customer.name} endsWith 'a'"))
        #expect(try check("${body.customer.name} regex '[A-Z][a-z]+'"))
        #expect(try !check("${body.customer.name} regex 'd'"))
        #expect(try check("${body.customer.tier} in 'silver,gold'"))
        #expect(try check("${body.customer.tier} !in 'silver,bronze'"))
        #expect(try check("${header.count} range '5..15'"))
        #expect(try check("${header.count} !range 11..15"))
    }

    @Test func typeTests() throws {
        #expect(try check("${body[customer]} is 'java.util.Map'"))
        #expect(try check("${body[items]} is List"))
        #expect(try check("${body[id]} is String"))
        #expect(try check("${body[total]} !is Integer"))
    }

    @Test func nullAndBooleans() throws {
        #expect(try check("${header.missing} == null"))
        #expect(try check("${header.region} != null"))
        #expect(try check("${header.flag} == true"))
        #expect(try check("${header.flag}"))
        #expect(try !check("${header.missing}"))
    }

    @Test func quotedRightSidesMayHoldFunctions() throws {
        #expect(
            try check(
                "${body[id]} == 'A-${header.count.length()}'",
                orderExchange(headers: [("count", "7")])))
    }

    @Test func aBadRegexIsALoadError() {
        let error = #expect(throws: ExpressionError.self) {
            try Simple("${header.a} regex '[a-'", mode: .predicate)
        }
        #expect(error?.position == 20)
    }

    @Test(arguments: [
        ("${header.a} ==", 13, "no right-hand side"),
        ("== 'x'", 1, "no left-hand side"),
        ("${header.a} == 'x' ${header.b}", 20, "expected && or ||"),
        ("${header.a} 'x' == 1", 13, "expected an operator"),
        ("${header.a} == 'x", 16, "never closed"),
        ("${body", 1, "never closed"),
        ("${bodyy} == 1", 3, "did you mean 'body'"),
        ("${body[a} == 1", 7, "never closed"),
        ("${body.a.substring(1)} == 1", 9, "with arguments"),
        ("${bean:foo} == 1", 3, "outside the Simple subset"),
    ])
    func syntaxErrorsSayWhere(_ text: String, _ position: Int, _ fragment: String) throws {
        let error = try #require(throws: ExpressionError.self) {
            try Simple(text, mode: .predicate)
        }
        #expect(error.position == position, "\(error)")
        #expect(error.description.contains(fragment), "\(error)")
    }
}
