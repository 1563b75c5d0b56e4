import Testing

@testable import Caravan

@Suite struct JSONReaderTests {
    let reader = JSONReader()

    @Test func numbersKeepTheirExactDecimalText() throws {
        let doc = try reader.read(#"{"total": 12345678901234567890.10, "n": -0.0e+5}"#)
        #expect(doc["total"] == .number(DecimalText(unchecked: "12345678901234567890.10")))
        #expect(JSONWriter().string(doc) == #"{"total":12345678901234567890.10,"n":-0.0e+5}"#)
    }

    @Test func objectKeysKeepTheirOrder() throws {
        let doc = try reader.read(#"{"z": 1, "a": 2, "m": 3}"#)
        guard case .object(let object) = doc else { Issue.record("not an object"); return }
        #expect(object.keys == ["z", "a", "m"])
    }

    @Test func duplicateKeysResolveToTheLastValue() throws {
        let doc = try reader.read(#"{"a": 1, "a": 2}"#)
        #expect(doc["a"] == 2)
    }

    @Test func escapesAndSurrogatePairsDecode() throws {
        let doc = try reader.read(#"["\"\\\/\b\f\n\r\t", "\u00e9\uD834\uDD1E"]"#)
        #expect(doc[0] == .string("\"\\/\u{8}\u{C}\n\r\t"))
        #expect(doc[1] == .string("é𝄞"))
    }

    @Test func errorsCarryLineAndColumn() {
        #expect(
            throws: FormatError(
                .json, line: 2, column: 9,
                "unexpected '}', expected ',' or ']' after an array element",
                hint: "check for a missing comma or closing bracket")
        ) {
            try reader.read("{\"a\":\n  [1, 2 }")
        }
    }

    @Test(arguments: [
        "", "[1,]", "{\"a\":1,}", "[01]", "[1.]", "[.5]", "[1e]", "[-]", "['x']", "[NaN]",
        "[\"\\x\"]", "[\"a\u{1}\"]", "[tru]", "{\"a\" 1}", "[1] [2]", "/* c */ 1", "[\"\\uD800\"]",
        "[\"\\uDC00\"]", "[\"\\uD800\\u0041\"]", "[1 2]", "{1:2}", "[\"\\u00G0\"]", "\"abc",
    ])
    func malformedInputIsRejected(_ text: String) throws {
        let read = try #require(throws: FormatError.self) { try reader.read(text) }
        let validated = try #require(throws: FormatError.self) {
            try reader.validate(Array(text.utf8))
        }
        #expect(validated.description == read.description, "validate says what read says")
    }

    @Test func validateAcceptsWhatReadAcceptsWithoutBuildingIt() throws {
        let text = #"{"order": {"id": 7, "items": [{"sku": "A", "q": 2}, [], {}], "n": null}}"#
        #expect(throws: Never.self) { try reader.validate(Array(text.utf8)) }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let read = try #require(throws: FormatError.self) { try reader.read(deep) }
        let validated = try #require(throws: FormatError.self) {
            try reader.validate(Array(deep.utf8))
        }
        #expect(validated.description == read.description)
    }

    @Test func invalidUTF8IsRejectedWithItsPosition() throws {
        let bytes: [UInt8] = Array("[\"ab".utf8) + [0xC3, 0x28] + Array("\"]".utf8)
        let error = try #require(throws: FormatError.self) { try reader.read(bytes) }
        #expect(error.line == 1 && error.column == 5)
        #expect(error.message.contains("UTF-8"))
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = try #require(throws: FormatError.self) { try reader.read(text) }
        #expect(error.message.contains("nesting deeper than 512"))
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let text = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        _ = try reader.read(text)
    }

    @Test func inputOverTheSizeLimitIsRefused() {
        let small = JSONReader(limits: DocumentLimits(maxDepth: 10, maxBytes: 8))
        #expect(throws: FormatError.self) { try small.read("[1,2,3,4,5]") }
    }

    @Test func aLeadingByteOrderMarkIsSkipped() throws {
        #expect(try reader.read([0xEF, 0xBB, 0xBF] + Array("[]".utf8)) == [])
    }

    @Test func scalarsAtTheTopLevelAreDocuments() throws {
        #expect(try reader.read(" 42 ") == 42)
        #expect(try reader.read("null") == .null)
        #expect(try reader.read("\"x\"") == "x")
    }
}

@Suite struct JSONWriterTests {
    @Test func controlCharactersAreEscaped() {
        #expect(JSONWriter().string(.string("a\u{1}\n\"")) == #""a\u0001\n\"""#)
    }

    @Test func prettyOutputIndentsByTwoSpaces() {
        let doc: Document = ["a": [1, 2], "b": [:] as Document]
        #expect(
            JSONWriter(pretty: true).string(doc)
                == "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}")
    }

    @Test func writtenDocumentsReadBackEqual() throws {
        let doc: Document = [
            "s": "é\u{7F}\\", "n": .number(DecimalText(unchecked: "1E400")), "t": true, "z": .null,
            "a": [[], [:] as Document],
        ]
        #expect(try JSONReader().read(JSONWriter().bytes(doc)) == doc)
    }
}
