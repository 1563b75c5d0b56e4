import Testing

@testable import Caravan

@Suite struct CSVReaderTests {
    func read(_ text: String, _ configure: (inout CSVOptions) -> Void = { _ in }) throws -> Document
    {
        var options = CSVOptions()
        configure(&options)
        return try CSVReader(options: options).read(text)
    }

    @Test func aHeaderRowMakesObjectsInColumnOrder() throws {
        let doc = try read("b,a\n1,2\n")
        #expect(doc == [["b": "1", "a": "2"]])
        guard case .object(let o) = doc[0] else { Issue.record("not an object"); return }
        #expect(o.keys == ["b", "a"])
    }

    @Test func quotesEscapedQuotesAndEmbeddedNewlines() throws {
        #expect(
            try read("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\"line1\r\nline2\",3\r\n") == [
                ["a": "x, y", "b": "say \"hi\""], ["a": "line1\r\nline2", "b": "3"],
            ])
    }

    @Test func aMissingFinalLineEndAndCROnlyLinesAreFine() throws {
        #expect(try read("a\r1\r2") == [["a": "1"], ["a": "2"]])
    }

    @Test func camelOptions() throws {
        #expect(try read("a;b\n1;2") { $0.delimiter = ";" } == [["a": "1", "b": "2"]])
        #expect(try read("a,b\n'1,5',2") { $0.quote = "'" } == [["a": "1,5", "b": "2"]])
        #expect(try read("a , b\n 1 , 2 ") { $0.trim = true } == [["a": "1", "b": "2"]])
        #expect(try read("a\n\n1\n\n") == [["a": "1"]])
        #expect(try read("a\n\n1") { $0.ignoreEmptyLines = false } == [["a": ""], ["a": "1"]])
        #expect(try read("a,b\n1,2") { $0.useMaps = false } == [["a", "b"], ["1", "2"]])
        #expect(
            try read("a,b\n1,2") {
                $0.useMaps = false; $0.skipHeaderRecord = true
            } == [["1", "2"]])
        #expect(try read("1,2") { $0.header = ["x", "y"] } == [["x": "1", "y": "2"]])
        #expect(
            try read("h1,h2\n1,2") {
                $0.header = ["x", "y"]; $0.skipHeaderRecord = true
            } == [["x": "1", "y": "2"]])
    }

    /// Options of Camel 4's csv data format beyond the basics.
    @Test func commentsEscapesNullsAndMissingColumnNames() throws {
        #expect(
            try read("# exported\na,b\n# a note\n1,2\n") { $0.commentMarker = "#" }
                == [["a": "1", "b": "2"]])
        // Without a comment marker the line is data.
        #expect(try read("a\n# x\n") == [["a": "# x"]])
        #expect(
            try read("a,b\n1\\,5,\"say \\\"hi\\\"\"\n") { $0.escape = "\\" }
                == [["a": "1,5", "b": #"say "hi""#]])
        #expect(
            try read("a,b\nNULL,2\n") { $0.nullString = "NULL" } == [["a": .null, "b": "2"]])
        #expect(throws: FormatError.self) { try read("a,,c\n1,2,3\n") }
        #expect(
            try read("a,,c\n1,2,3\n") { $0.allowMissingColumnNames = true }
                == [["a": "1", "": "2", "c": "3"]])
        var writer = CSVWriter()
        writer.options.nullString = "NULL"
        writer.options.trailingDelimiter = true
        writer.options.recordSeparator = "\n"
        #expect(writer.string([["a": "1", "b": .null]]) == "a,b,\n1,NULL,\n")
    }

    @Test func captureHeaderRecordPutsTheHeaderInAMessageHeader() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - unmarshal: {csv: {captureHeaderRecord: true, commentMarker: "#"}}
                  - to: mock:out
            """)
        _ = await routes.run("# export\na,b\n1,2\n", contentType: nil)
        let got = try #require(routes.engine.mock("out").received.first)
        #expect(got.headers["CamelCsvHeaderRecord"] == ["a", "b"])
    }

    @Test func shortRecordsKeepTheColumnsTheyHave() throws {
        #expect(try read("a,b,c\n1,2") == [["a": "1", "b": "2"]])
    }

    @Test func errorsCarryTheirPosition() throws {
        let unterminated = try #require(throws: FormatError.self) { try read("a\n\"open") }
        #expect(unterminated.line == 2 && unterminated.column == 1)
        let after = try #require(throws: FormatError.self) { try read("a\n\"x\"y") }
        #expect(after.line == 2 && after.column == 4)
        let wide = try #require(throws: FormatError.self) { try read("a,b\n1,2,3") }
        #expect(wide.line == 2)
        #expect(throws: FormatError.self) { try CSVReader().read([0x61, 0x0A, 0xFF]) }
    }

    @Test func invalidOptionsAreRejected() {
        var options = CSVOptions()
        options.quote = ","
        #expect(throws: CSVOptionError.self) { try options.validated() }
    }
}

@Suite struct CSVWriterTests {
    @Test func objectsWriteAHeaderFromTheirKeys() {
        let doc: Document = [["id": "1", "name": "Ada"], ["id": "2", "note": "x"]]
        #expect(CSVWriter().string(doc) == "id,name,note\r\n1,Ada,\r\n2,,x\r\n")
    }

    @Test func fieldsAreQuotedOnlyWhenNeeded() {
        let doc: Document = [
            ["a": "x,y", "b": "say \"hi\"", "c": "l1\nl2", "d": " pad", "e": 3, "f": ["n": 1]]
        ]
        #expect(
            CSVWriter().string(doc)
                == "a,b,c,d,e,f\r\n\"x,y\",\"say \"\"hi\"\"\",\"l1\nl2\",\" pad\",3,\"{\"\"n\"\":1}\"\r\n"
        )
    }

    @Test func skipHeaderRecordAndArraysOfArrays() {
        var options = CSVOptions()
        options.skipHeaderRecord = true
        options.delimiter = ";"
        options.recordSeparator = "\n"
        #expect(CSVWriter(options: options).string([["a": "1"]]) == "1\n")
        #expect(CSVWriter(options: options).string([["1", "2"], ["3", "4"]]) == "1;2\n3;4\n")
    }

    @Test func csvRoundTrips() throws {
        let text = "a,b\r\n\"x,1\",\"q\"\"\"\r\n"
        #expect(CSVWriter().string(try CSVReader().read(text)) == text)
    }
}
