import CaravanTestSupport
import Foundation
import Testing

struct CLIMissing: Error, CustomStringConvertible {
    var description: String {
        "the caravan executable was not found next to the tests; run `swift build` first"
    }
}

/// Runs the built `caravan` executable, as other tools do, and checks the exit-status contract.
@Suite struct CLITests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let executable = CaravanExecutable.url

    func caravan(_ arguments: [String], stdin: [UInt8] = []) async throws -> Run {
        guard let executable = CLITests.executable else { throw CLIMissing() }
        let run = try await ChildProcess.run(executable, arguments, stdin: stdin)
        return Run(status: run.status, stdout: run.stdout, stderr: run.stderr)
    }

    @Test func convertsJSONToXMLAndBack() async throws {
        let xml = try await caravan(
            ["convert", "--from", "json", "--to", "xml"],
            stdin: Array(#"{"order": {"id": 7}}"#.utf8))
        #expect(xml.status == 0)
        #expect(
            xml.stdout == "<?xml version=\"1.0\" encoding=\"UTF-8\"?><order><id>7</id></order>\n")
        let json = try await caravan(
            ["convert", "--from", "xml", "--to", "json"], stdin: Array(xml.stdout.utf8))
        #expect(json.stdout == "{\"order\":{\"id\":\"7\"}}\n")
    }

    @Test func convertsCSVWithOptions() async throws {
        let run = try await caravan(
            [
                "convert", "--from", "csv", "--to", "json", "--csv-delimiter", ";",
                "--no-csv-header",
            ], stdin: Array("a;b\n1;2\n".utf8))
        #expect(run.status == 0)
        #expect(run.stdout == "[[\"1\",\"2\"]]\n")
    }

    static let malformed: [(String, [UInt8])] = {
        var cases: [(String, [UInt8])] = []
        cases.append(("json", Array("{\"a\": [1, 2".utf8)))  // truncated
        cases.append(("json", Array("[\"a".utf8) + [0xFF] + Array("\"]".utf8)))  // invalid UTF-8
        cases.append(("json", Array(String(repeating: "[", count: 100_000).utf8)))  // 100,000 deep
        cases.append(("xml", Array(String(repeating: "<a>", count: 100_000).utf8)))
        cases.append(("xml", Array("<a><b></a>".utf8)))
        cases.append(("csv", Array("a\n\"x".utf8)))
        cases.append(("json", []))
        return cases
    }()

    @Test(arguments: malformed)
    func malformedInputExitsOneWithAPosition(_ format: String, _ input: [UInt8]) async throws {
        let run = try await caravan(["convert", "--from", format, "--to", "json"], stdin: input)
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("caravan: error: \(format.uppercased())"))
        #expect(run.stdout.isEmpty)
    }

    @Test func aFiftyMegabyteDocumentConverts() async throws {
        let big = "[\"" + String(repeating: "x", count: 50 << 20) + "\"]"
        let run = try await caravan(
            ["convert", "--from", "json", "--to", "json"], stdin: Array(big.utf8))
        #expect(run.status == 0)
        #expect(run.stdout.utf8.count == big.utf8.count + 1)
    }

    @Test(arguments: [
        ["convert", "--from", "yaml", "--to", "json"],
        ["convert", "--from", "json"],
        ["convert", "--from", "csv", "--to", "json", "--csv-delimiter", ";;"],
        ["convert", "--from", "json", "--to", "xml", "--xml-root", "1bad"],
        ["convert", "--from", "json", "--to", "json", "--input", "/nonexistent/file.json"],
        ["eval", "--language", "jsonpath", "--expression", "$[", "--input", "/dev/null"],
        ["eval", "--language", "cobol", "--expression", "x"],
        ["frobnicate"],
    ])
    func invalidArgumentsExitTwo(_ arguments: [String]) async throws {
        let run = try await caravan(arguments)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(!run.stderr.isEmpty)
    }

    @Test func evalJSONPathPrintsTheNodeList() async throws {
        let run = try await caravan(
            ["eval", "--language", "jsonpath", "--expression", "$.items[?@.qty > 1].sku"],
            stdin: Array(#"{"items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 1}]}"#.utf8))
        #expect(run.status == 0)
        #expect(run.stdout == "[\"a\"]\n")
    }

    @Test func evalJQReadsStandardInputAsJSON() async throws {
        let run = try await caravan(
            ["eval", "--language", "jq", "--expression", "[.items[].n] | add"],
            stdin: Array(#"{"items": [{"n": 1}, {"n": 2}]}"#.utf8))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "3\n")
    }

    @Test func evalXPathPrintsNodeSetsAsArraysAndScalarsAsThemselves() async throws {
        let xml = Array("<a><b>1</b><b>2</b></a>".utf8)
        #expect(
            try await caravan(["eval", "--language", "xpath", "--expression", "/a/b"], stdin: xml)
                .stdout
                == "[\"1\",\"2\"]\n")
        #expect(
            try await caravan(
                ["eval", "--language", "xpath", "--expression", "count(/a/b)"], stdin: xml
            )
            .stdout == "2\n")
        #expect(
            try await caravan(
                ["eval", "--language", "xpath", "--expression", "/a/b = 2"], stdin: xml
            )
            .stdout == "true\n")
        // An expression may start with '-'.
        let negative = try await caravan(
            ["eval", "--language", "xpath", "--expression", "-1 div 0"], stdin: xml)
        #expect(negative.status == 0, "\(negative.stderr)")
        #expect(negative.stdout.contains("-Infinity"))
    }

    @Test func evalSimpleWithHeadersAndContentType() async throws {
        let run = try await caravan(
            [
                "eval", "--language", "simple", "--expression",
                "${header.tier} == 'gold' && ${body[total]} > 100", "--header", "tier=gold",
                "--content-type", "application/json",
            ],
            stdin: Array(#"{"total": "250"}"#.utf8))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "true\n")
    }

    @Test func evalSimpleReportsThePositionOfAnError() async throws {
        let run = try await caravan([
            "eval", "--language", "simple", "--expression", "${body[a} > 1",
        ])
        #expect(run.status == 2)
        #expect(run.stderr.contains("position 7"))
    }

    @Test func evalOnAMalformedBodyExitsOne() async throws {
        let run = try await caravan(
            [
                "eval", "--language", "simple", "--expression", "${body[a]}", "--content-type",
                "application/json",
            ], stdin: Array("{".utf8))
        #expect(run.status == 1)
    }

    @Test func helpListsTheCommandsAndVersionPrints() async throws {
        let help = try await caravan(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("convert") && help.stdout.contains("eval"))
        let version = try await caravan(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("0."))
    }
}
