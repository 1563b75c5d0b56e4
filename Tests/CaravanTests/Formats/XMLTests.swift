import Testing

@testable import Caravan

@Suite struct XMLReaderTests {
    func read(_ xml: String) throws -> Document { try XMLReader().read(xml) }

    @Test func theConventionAttributesRepeatedElementsAndText() throws {
        let doc = try read(
            #"<order id="7"><item>a</item><item>b</item><note>rush</note><empty/></order>"#)
        #expect(doc == ["order": ["@id": "7", "item": ["a", "b"], "note": "rush", "empty": ""]])
    }

    @Test func mixedTextBesideElementsIsHashText() throws {
        #expect(try read("<p>Hello <b>you</b></p>") == ["p": ["#text": "Hello", "b": "you"]])
        #expect(
            try read(#"<price currency="EUR">12.50</price>"#) == [
                "price": ["@currency": "EUR", "#text": "12.50"]
            ])
    }

    @Test func namespacesKeepPrefixesAndDeclarations() throws {
        let doc = try read(#"<s:Envelope xmlns:s="urn:soap"><s:Body x="1"/></s:Envelope>"#)
        #expect(doc == ["s:Envelope": ["@xmlns:s": "urn:soap", "s:Body": ["@x": "1"]]])
    }

    @Test func internalEntitiesAndCDATAExpand() throws {
        let doc = try read(
            #"<!DOCTYPE a [<!ENTITY who "world">]><a>hello &who; <![CDATA[<raw>]]></a>"#)
        #expect(doc == ["a": "hello world <raw>"])
    }

    @Test func errorsCarryLineAndColumn() throws {
        let error = try #require(throws: FormatError.self) { try read("<a>\n  <b></a>") }
        #expect(error.line == 2)
        #expect(error.format == .xml)
    }

    @Test func anExternalEntityIsRefusedWithoutReadingTheFile() throws {
        let error = try #require(throws: FormatError.self) {
            try read(#"<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>"#)
        }
        #expect(error.message.contains("external entity"))
    }

    @Test func anExternalDTDIsRefused() throws {
        let error = try #require(throws: FormatError.self) {
            try read(#"<!DOCTYPE a SYSTEM "http://127.0.0.1:9/x.dtd"><a/>"#)
        }
        #expect(error.message.contains("external DTD"))
    }

    @Test func billionLaughsIsRefused() {
        var dtd = #"<!ENTITY l0 "lol">"#
        for i in 1...9 {
            dtd += "<!ENTITY l\(i) \"" + String(repeating: "&l\(i - 1);", count: 10) + "\">"
        }
        #expect(throws: FormatError.self) { try read("<!DOCTYPE a [\(dtd)]><a>&l9;</a>") }
    }

    @Test func quadraticBlowUpIsRefused() throws {
        let entity = String(repeating: "a", count: 50_000)
        let refs = String(repeating: "&e;", count: 30_000)
        let error = try #require(throws: FormatError.self) {
            try read("<!DOCTYPE a [<!ENTITY e \"\(entity)\">]><a>\(refs)</a>")
        }
        #expect(error.message.contains("expand"))
    }

    @Test func entitiesInAttributeValuesExpand() throws {
        let doc = try read(#"<!DOCTYPE a [<!ENTITY who "world">]><a v="hello &who;!"/>"#)
        #expect(doc == ["a": ["@v": "hello world!"]])
    }

    /// The attack that froze the server: an entity expanded in an attribute value was not
    /// counted (a 161 KB post expanded to 1.6 GB).
    @Test func entityExpansionInAttributesCountsAgainstTheDocumentsBudget() throws {
        let entity = String(repeating: "A", count: 40_000)
        let refs = String(repeating: "&a;", count: 200)
        let error = try #require(throws: FormatError.self) {
            try read("<!DOCTYPE q [<!ENTITY a \"\(entity)\">]><q v=\"\(refs)\"><x>1</x></q>")
        }
        #expect(error.message.contains("expand to more than"))
    }

    @Test func anAttributeWithTooManyEntityReferencesIsRefused() throws {
        let refs = String(repeating: "&a;", count: 40_000)
        let error = try #require(throws: FormatError.self) {
            try read("<!DOCTYPE q [<!ENTITY a \"A\">]><q v=\"\(refs)\"/>")
        }
        #expect(error.message.contains("more than 256 entity references"))
    }

    @Test func attributesOfElementsInsideEntitiesCountToo() throws {
        let big = String(repeating: "A", count: 40_000)
        let refs = String(repeating: "&a;", count: 100)
        let error = try #require(throws: FormatError.self) {
            try read(
                "<!DOCTYPE q [<!ENTITY a \"\(big)\"><!ENTITY b \"<x v='\(refs)'/>\">]><q>&b;&b;&b;</q>"
            )
        }
        #expect(error.message.contains("expand to more than"))
    }

    @Test func namespaceErrorsAreRefused() {
        #expect(throws: FormatError.self) { try read("<x:a/>") }
        #expect(throws: FormatError.self) { try read(#"<a xmlns:x=""/>"#) }
    }

    @Test func aByteOrderMarkThatContradictsTheDeclarationIsRefused() throws {
        let bytes: [UInt8] =
            [0xEF, 0xBB, 0xBF] + Array(#"<?xml version="1.0" encoding="ISO-8859-1"?><a/>"#.utf8)
        let error = try #require(throws: FormatError.self) { try XMLReader().read(bytes) }
        #expect(error.message.contains("byte-order mark"))
        #expect(try XMLReader().read([0xEF, 0xBB, 0xBF] + Array("<a/>".utf8)) == ["a": ""])
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let xml =
            String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000)
        let error = try #require(throws: FormatError.self) { try read(xml) }
        #expect(error.message.contains("nested deeper"))
    }

    @Test func emptyAndTruncatedInputAreErrors() {
        #expect(throws: FormatError.self) { try read("") }
        #expect(throws: FormatError.self) { try read("<a><b>") }
    }
}

@Suite struct XMLWriterTests {
    @Test func aSingleKeyObjectNamesTheRoot() throws {
        let xml = try XMLWriter().string([
            "order": [
                "@id": "7", "item": ["a", "b"],
                "total": .number(DecimalText(unchecked: "12345678901234567890.10")),
            ]
        ])
        #expect(
            xml
                == #"<?xml version="1.0" encoding="UTF-8"?><order id="7"><item>a</item><item>b</item><total>12345678901234567890.10</total></order>"#
        )
    }

    @Test func otherDocumentsAreWrappedInTheRootName() throws {
        #expect(
            try XMLWriter(rootName: "orders").string(["a": 1, "b": .null])
                == #"<?xml version="1.0" encoding="UTF-8"?><orders><a>1</a><b/></orders>"#)
        #expect(
            try XMLWriter().string([1, 2])
                == #"<?xml version="1.0" encoding="UTF-8"?><root><item>1</item><item>2</item></root>"#
        )
    }

    @Test func textAndAttributesAreEscaped() throws {
        let xml = try XMLWriter().string(["a": ["@q": "\"<&>\"", "#text": "1 < 2 & 3"]])
        #expect(xml.hasSuffix(#"<a q="&quot;&lt;&amp;&gt;&quot;">1 &lt; 2 &amp; 3</a>"#))
    }

    @Test func keysThatAreNotXMLNamesAreErrors() {
        #expect(throws: XMLWriteError.self) { try XMLWriter().string(["first name": "Ada"]) }
        #expect(throws: XMLWriteError.self) { try XMLWriter().string(["1st": "Ada"]) }
        #expect(throws: XMLWriteError.self) { try XMLWriter().string(["a": "bell \u{7}"]) }
    }

    @Test(arguments: [
        #"<order id="7"><item>a</item><item>b</item><note>rush</note></order>"#,
        #"<s:Envelope xmlns:s="urn:soap"><s:Body><price currency="EUR">12.50</price></s:Body></s:Envelope>"#,
        #"<a><b/><c>x &amp; y</c></a>"#,
    ])
    func documentsRoundTripThroughXML(_ xml: String) throws {
        let doc = try XMLReader().read(xml)
        let written = try XMLWriter().string(doc)
        #expect(try XMLReader().read(written) == doc)
    }

    @Test func exactDecimalTextSurvivesJSONToXMLToJSON() throws {
        let json = #"{"order":{"total":12345678901234567890.10}}"#
        let xml = try XMLWriter().bytes(try JSONReader().read(json))
        let back = try XMLReader().read(xml)
        #expect(JSONWriter().string(back) == #"{"order":{"total":"12345678901234567890.10"}}"#)
    }

    @Test func prettyOutputIndents() throws {
        let xml = try XMLWriter(pretty: true).string(["a": ["b": "1", "c": ["d": "2"]]])
        #expect(
            xml
                == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a>\n  <b>1</b>\n  <c>\n    <d>2</d>\n  </c>\n</a>\n"
        )
    }
}
