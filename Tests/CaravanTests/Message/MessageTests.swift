import Testing

@testable import Caravan

@Suite struct HeadersTests {
    @Test func namesAreCaseInsensitiveAndKeepTheirFirstSpelling() {
        var headers = Headers()
        headers["Content-Type"] = "application/json"
        headers["content-type"] = "text/plain"
        #expect(headers["CONTENT-TYPE"] == "text/plain")
        #expect(headers.names == ["Content-Type"])
        headers["content-TYPE"] = nil
        #expect(headers.isEmpty)
    }

    @Test func orderIsPreserved() {
        let headers = Headers([("b", "1"), ("a", "2"), ("B", "3")])
        #expect(headers.names == ["b", "a"])
        #expect(headers.document == ["b": "3", "a": "2"])
    }
}

@Suite struct BodyTests {
    @Test func rawBytesParseByTheirContentType() throws {
        #expect(
            try Body(bytes: Array("a,b\n1,2".utf8), contentType: .csv).document() == [
                ["a": "1", "b": "2"]
            ])
        #expect(
            try Body(bytes: Array("<a>1</a>".utf8), contentType: MediaType("application/soap+xml"))
                .document() == ["a": "1"])
        #expect(
            try Body(
                bytes: Array("[1]".utf8),
                contentType: MediaType("application/vnd.api+json; charset=utf-8")
            ).document() == [1])
    }

    @Test func withoutAContentTypeTheFirstCharacterDecides() throws {
        #expect(
            try Body(bytes: Array("  {\"a\": 1}".utf8), contentType: nil).document() == ["a": 1])
        #expect(try Body(bytes: Array("\n<a/>".utf8), contentType: nil).document() == ["a": ""])
        #expect(throws: FormatError.self) {
            try Body(bytes: Array("hello".utf8), contentType: nil).document()
        }
    }

    @Test func copiesShareTheParsedDocument() throws {
        let body = Body(bytes: Array(#"{"a": 1}"#.utf8), contentType: .json)
        let copy = body
        _ = try body.document()
        // The copy reads the cache filled through the original.
        #expect(try copy.document() == ["a": 1])
    }

    @Test func aParseErrorIsRememberedToo() {
        let body = Body(bytes: Array("{".utf8), contentType: .json)
        #expect(throws: FormatError.self) { try body.document() }
        #expect(throws: FormatError.self) { try body.document() }
    }

    @Test func textAndBytesViews() {
        #expect(Body(document: ["a": [1, true]]).text == #"{"a":[1,true]}"#)
        #expect(Body(text: "héllo").bytes == Array("héllo".utf8))
        #expect(Body.empty.isEmpty)
    }

    @Test func aDocumentBodyCanBeReadAsXML() throws {
        let tree = try Body(document: ["order": ["id": "7"]]).xmlTree()
        #expect(try XPath("string(/order/id)").evaluate(tree) == .string("7"))
    }
}

@Suite struct MediaTypeTests {
    @Test func parsesParametersAndFormats() throws {
        let type = try #require(MediaType("Application/JSON; charset=\"UTF-8\""))
        #expect(type.format == .json)
        #expect(type.parameters["charset"] == "UTF-8")
        #expect(MediaType("text/csv")?.format == .csv)
        #expect(MediaType("text/plain")?.format == nil)
        #expect(MediaType("nonsense") == nil)
    }

    @Test func refusesWhatIsNotTypeSlashSubtype() {
        for text in ["", "/json", "application/", "a/b/c", "application /json", "a b/c", ";a=b"] {
            #expect(MediaType(text) == nil, "\(text)")
        }
    }

    @Test func trimsSpaceAndSkipsParametersWithoutAValue() throws {
        let type = try #require(MediaType("  text/CSV ;  Header = present ; broken; q=\"\" "))
        #expect(
            type
                == MediaType(
                    type: "text", subtype: "csv", parameters: ["header": "present", "q": ""]))
        #expect(MediaType("application/json;")?.parameters == [:])
    }
}

@Suite struct MessageTests {
    @Test func theContentTypeHeaderWinsOverTheBodysType() {
        var message = Message(body: Body(bytes: [], contentType: .json))
        #expect(message.contentType == .json)
        message.headers["Content-Type"] = "application/xml"
        #expect(message.contentType == .xml)
    }

    @Test func exchangesGetUniqueIds() {
        #expect(Exchange().id != Exchange().id)
        #expect(Exchange().id.count == 36)
    }
}

@Suite struct ExchangeIdTests {
    @Test func idsAreVersionFourUUIDsAndUnique() {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = Exchange.newId()
            let chars = Array(id)
            #expect(
                chars.count == 36 && chars[8] == "-" && chars[13] == "-" && chars[18] == "-"
                    && chars[23] == "-")
            #expect(chars[14] == "4")
            #expect("89ab".contains(chars[19]))
            #expect(id.allSatisfy { $0 == "-" || $0.isHexDigit })
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
    }
}

@Suite struct ExchangeSnapshotTests {
    @Test func everyKindOfBodySurvivesASnapshot() throws {
        for body in [
            Body.empty, Body(text: "héllo"), Body(document: ["a": [1, true]]),
            Body(bytes: [0, 255, 10], contentType: .json),
        ] {
            var e = Exchange(
                message: Message(headers: Headers([("X-A", "1")]), body: body),
                properties: ["p": 2], routeId: "r")
            e.error = ExchangeError(kind: "java.io.IOException", message: "boom")
            let back = try #require(
                Exchange(snapshot: try JSONReader().read(JSONWriter().bytes(e.snapshot))))
            #expect(back.id == e.id && back.routeId == "r" && back.properties == ["p": 2])
            #expect(back.message.body == body && back.message.headers == e.message.headers)
            #expect(back.error == e.error)
        }
    }
}
