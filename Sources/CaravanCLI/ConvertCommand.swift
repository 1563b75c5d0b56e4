import ArgumentParser
import Caravan

/// `caravan convert`: converts a document between JSON, XML and CSV.
struct ConvertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a document between JSON, XML and CSV."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, xml, csv
    }

    @Option(help: "The input format: json, xml or csv.")
    var from: Format

    @Option(help: "The output format: json, xml or csv.")
    var to: Format

    @Option(help: "Read this file instead of standard input.")
    var input: String?

    @Option(help: "The CSV field delimiter (one character).")
    var csvDelimiter: String = ","

    @Flag(help: "CSV has no header row: read records as arrays, write no header.")
    var noCsvHeader = false

    @Option(help: "The XML root element name when the document does not name one.")
    var xmlRoot: String?

    @Flag(help: "Indent the output.")
    var pretty = false

    func run() async throws {
        var csv = CSVOptions()
        guard csvDelimiter.unicodeScalars.count == 1,
            let delimiter = csvDelimiter.unicodeScalars.first
        else {
            throw CLIFailure.invalid(
                "--csv-delimiter must be exactly one character, not '\(csvDelimiter)'")
        }
        csv.delimiter = delimiter
        csv.useMaps = !noCsvHeader
        csv.skipHeaderRecord = noCsvHeader
        do {
            csv = try csv.validated()
        } catch {
            throw CLIFailure.invalid("--csv-delimiter: \(error)")
        }
        if let xmlRoot, !XMLWriter.isValidName(xmlRoot) {
            throw CLIFailure.invalid("--xml-root '\(xmlRoot)' is not a valid XML element name")
        }

        let bytes = try readInput(input)
        let document: Document
        do {
            switch from {
            case .json: document = try JSONReader().read(bytes)
            case .xml: document = try XMLReader().read(bytes)
            case .csv: document = try CSVReader(options: csv).read(bytes)
            }
        } catch {
            throw CLIFailure.malformed(error.description)
        }
        switch to {
        case .json:
            writeOutput(JSONWriter(pretty: pretty).bytes(document))
        case .csv:
            writeOutput(CSVWriter(options: csv).bytes(document), newline: false)
        case .xml:
            do {
                writeOutput(try XMLWriter(rootName: xmlRoot, pretty: pretty).bytes(document))
            } catch {
                throw CLIFailure.malformed(error.description)
            }
        }
    }
}
