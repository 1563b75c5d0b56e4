import Caravan
import CaravanAdapters

/// What hostile input reaches, one entry point per fuzz target: the body readers, the
/// expression parsers, the route loader and the webhook signature headers. Each takes any
/// bytes and must return — an error is an answer, a crash or a hang is a finding.
///
/// The libFuzzer driver (`Fuzz/Driver`, built by `scripts/fuzz`) calls these, and
/// `FuzzFailCasesTests` replays every input in `Fuzz/FailCases/<target>/` through them.
public enum FuzzTargets {
    public static let names = [
        "json", "xml", "csv", "simple", "jsonpath", "xpath", "routes", "signatures",
    ]

    /// Runs `target` on `data`; false for a target that does not exist.
    @discardableResult
    public static func run(_ target: String, _ data: [UInt8]) -> Bool {
        switch target {
        case "json": json(data)
        case "xml": _ = try? XMLReader().read(data)
        case "csv": csv(data)
        case "simple": simple(data)
        case "jsonpath": jsonPath(data)
        case "xpath": xpath(data)
        case "routes":
            _ = RouteLoader().load([
                RouteFile(path: "fuzz.yaml", text: String(decoding: data, as: UTF8.self))
            ])
        case "signatures":
            let text = String(decoding: data, as: UTF8.self)
            _ = SignatureHeaders.standardWebhooks(text)
            _ = SignatureHeaders.github(text)
            _ = SignatureHeaders.stripe(text)
        default: return false
        }
        return true
    }

    /// What the JSON reader accepts, the writer writes so that it reads back the same; and
    /// validating says what reading says.
    static func json(_ data: [UInt8]) {
        let read = Result { () throws(FormatError) in try JSONReader().read(data) }
        let validated = Result { () throws(FormatError) in try JSONReader().validate(data) }
        if read.failureText != validated.failureText {
            fatalError(
                "validate and read disagree: \(read.failureText ?? "accepted") / \(validated.failureText ?? "accepted")"
            )
        }
        guard case .success(let document) = read else { return }
        let written = JSONWriter().bytes(document)
        guard let again = try? JSONReader().read(written), again == document else {
            fatalError(
                "JSON does not read back as written: \(String(decoding: written, as: UTF8.self))")
        }
    }

    /// The first byte chooses the options: delimiter, header, trim.
    static func csv(_ data: [UInt8]) {
        guard let first = data.first else { return }
        var options = CSVOptions()
        options.delimiter = [",", ";", "\t", "|"][Int(first & 3)]
        options.useMaps = first & 4 != 0
        options.skipHeaderRecord = first & 8 != 0
        options.trim = first & 16 != 0
        options.ignoreEmptyLines = first & 32 != 0
        _ = try? CSVReader(options: options).read(Array(data.dropFirst()))
    }

    /// The expression, then evaluated against a message with a JSON body and headers.
    static func simple(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        guard let expression = try? Simple(text) else { return }
        var headers = Headers()
        headers["a"] = .string("1")
        headers["list"] = .array([.number(DecimalText(1)), .string("x")])
        let message = Message(
            headers: headers,
            body: Body(
                bytes: Array(#"{"order": {"id": 7, "items": [1, 2]}}"#.utf8), contentType: .json))
        _ = try? expression.evaluate(Exchange(message: message))
    }

    /// The expression up to the first newline, evaluated on the JSON after it.
    static func jsonPath(_ data: [UInt8]) {
        let (head, rest) = split(data)
        guard let path = try? JSONPath(String(decoding: head, as: UTF8.self)) else { return }
        if let document = try? JSONReader().read(rest) { _ = path.evaluate(document) }
    }

    /// The expression up to the first newline, evaluated on the XML after it.
    static func xpath(_ data: [UInt8]) {
        let (head, rest) = split(data)
        guard let path = try? XPath(String(decoding: head, as: UTF8.self)) else { return }
        if let tree = try? XMLTree.parse(rest) { _ = try? path.evaluate(tree) }
    }

    static func split(_ data: [UInt8]) -> ([UInt8], [UInt8]) {
        guard let newline = data.firstIndex(of: 0x0A) else { return (data, []) }
        return (Array(data[..<newline]), Array(data[(newline + 1)...]))
    }
}

extension Result where Failure == FormatError {
    var failureText: String? {
        if case .failure(let error) = self { return error.description }
        return nil
    }
}
