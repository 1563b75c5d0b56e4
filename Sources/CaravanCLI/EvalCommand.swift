import ArgumentParser
import Caravan

/// `caravan eval`: evaluates an expression against a message.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a simple, jsonpath, xpath, constant or header expression against a message."
    )

    enum Language: String, ExpressibleByArgument, CaseIterable {
        case simple, jsonpath, xpath, constant, header
    }

    @Option(help: "The expression language: simple, jsonpath, xpath, constant or header.")
    var language: Language

    @Option(help: "The expression.")
    var expression: String

    @Option(help: "The message body: read this file instead of standard input.")
    var input: String?

    @Option(help: "The body's content type (default: guessed from the language and the body).")
    var contentType: String?

    @Option(name: .customLong("header"), help: "A message header NAME=VALUE (repeatable).")
    var headers: [String] = []

    func run() async throws {
        var parsedHeaders: [(String, String)] = []
        for header in headers {
            guard let eq = header.firstIndex(of: "="), eq != header.startIndex else {
                throw CLIFailure.invalid("--header '\(header)' must be NAME=VALUE")
            }
            parsedHeaders.append((String(header[..<eq]), String(header[header.index(after: eq)...])))
        }
        switch language {
        case .jsonpath:
            let path: JSONPath
            do { path = try JSONPath(expression) } catch { throw CLIFailure.invalid(error.description) }
            let bytes = try readInput(input)
            let document: Document
            do { document = try JSONReader().read(bytes) } catch { throw CLIFailure.malformed(error.description) }
            writeOutput(JSONWriter().bytes(.array(path.evaluate(document))))
        default:
            throw CLIFailure.invalid("the \(language.rawValue) language is not available yet")
        }
    }
}
