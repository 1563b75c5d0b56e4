import Testing

@testable import Caravan

/// RFC 9535's own example document (§1.5).
let bookstore: Document = try! JSONReader().read(
    #"""
    { "store": {
        "book": [
          { "category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95 },
          { "category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99 },
          { "category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99 },
          { "category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99 }
        ],
        "bicycle": { "color": "red", "price": 399 }
      }
    }
    """#)

@Suite struct JSONPathTests {
    func select(_ query: String, _ document: Document = bookstore) throws -> [Document] {
        try JSONPath(query).evaluate(document)
    }

    @Test func theRFCExamples() throws {
        #expect(try select("$.store.book[*].author").count == 4)
        #expect(try select("$..author").count == 4)
        #expect(try select("$.store.*").count == 2)
        #expect(try select("$.store..price").count == 5)
        #expect(try select("$..book[2].title") == ["Moby Dick"])
        #expect(try select("$..book[-1].title") == ["The Lord of the Rings"])
        #expect(try select("$..book[0,1].title") == ["Sayings of the Century", "Sword of Honour"])
        #expect(try select("$..book[:2].title") == ["Sayings of the Century", "Sword of Honour"])
        #expect(try select("$..book[?@.isbn].title") == ["Moby Dick", "The Lord of the Rings"])
        #expect(
            try select("$..book[?@.price<10].title") == ["Sayings of the Century", "Moby Dick"])
        #expect(try select("$..*").count == 27)
    }

    @Test func slicesFollowTheRFC() throws {
        let a: Document = ["a", "b", "c", "d", "e", "f", "g"]
        #expect(try select("$[1:3]", a) == ["b", "c"])
        #expect(try select("$[5:]", a) == ["f", "g"])
        #expect(try select("$[1:5:2]", a) == ["b", "d"])
        #expect(try select("$[5:1:-2]", a) == ["f", "d"])
        #expect(try select("$[::-1]", a) == ["g", "f", "e", "d", "c", "b", "a"])
        #expect(try select("$[::0]", a) == [])
    }

    @Test func filtersCompareNumbersByValueAndNothingEqualsNothing() throws {
        let doc: Document = [["a": 1], ["a": .number(DecimalText(unchecked: "1.0"))], ["b": 2]]
        #expect(try select("$[?@.a == 1]", doc).count == 2)
        #expect(try select("$[?@.a == @.c]", doc) == [["b": 2]])
    }

    @Test func theFiveFunctions() throws {
        let doc: Document = ["ab", "abc", ["x": [1, 2]], ["x": [1]]]
        #expect(try select("$[?length(@) == 3]", doc) == ["abc"])
        #expect(try select("$[?count(@.x[*]) == 2]", doc) == [["x": [1, 2]]])
        #expect(try select("$[?match(@, 'ab.')]", doc) == ["abc"])
        #expect(try select("$[?search(@, 'b')]", doc) == ["ab", "abc"])
        #expect(try select("$[?value(@.x[0]) == 1]", doc).count == 2)
    }

    @Test func matchAndSearchUseIRegexpDot() throws {
        #expect(try select("$[?match(@, 'a.c')]", ["a\nc", "abc"]) == ["abc"])
        #expect(try select("$[?match(@, '.')]", ["𝄞"]) == ["𝄞"])
    }

    @Test(arguments: [
        "$[?length(@.a)]",  // a value function cannot be a test
        "$[?match(@.a, 'x') == true]",  // a logical function cannot be compared
        "$[?@.* == 1]",  // a non-singular query cannot be compared
        "$[?count(1) == 1]",  // count needs a query
        "$[?length(@.*) == 1]",  // length needs a single value
        "$[?foo(@) == 1]",
        "$[01]", "$[-0]", "$['a'", "$.1a", "$[?@.a === 1]", "$..", "$[9007199254740992]",
        "$['\u{0}']", "$['a\\x']", "$ [0] x", "@.a", "$[?(@.a]",
    ])
    func invalidQueriesAreRejected(_ query: String) {
        #expect(throws: ExpressionError.self) { try JSONPath(query) }
    }

    @Test func errorsPointIntoTheQuery() throws {
        let error = try #require(throws: ExpressionError.self) {
            try JSONPath("$.store[?@.price > ]")
        }
        #expect(error.position == 20)
        #expect(error.language == "jsonpath")
    }

    @Test func whitespaceIsAllowedWhereTheRFCAllowsIt() throws {
        #expect(try select("$[ 0 , 1 ]", ["a", "b"]) == ["a", "b"])
        #expect(try select("$[?@ == 'b' ]", ["a", "b"]) == ["b"])
    }
}
