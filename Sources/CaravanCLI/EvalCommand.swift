import ArgumentParser
import Caravan
import Foundation

/// `caravan eval`: evaluates an expression against a message.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a Simple, JSONPath or XPath expression."
    )

    enum Language: String, ExpressibleByArgument, CaseIterable {
        case simple, jsonpath, xpath, jq, constant, header
    }

    @Option(help: "The expression language: simple, jsonpath, xpath, jq, constant or header.")
    var language: Language

    // Unconditional: an expression may start with '-' (`-1 div 0`, `-$x`).
    @Option(parsing: .unconditional, help: "The expression.")
    var expression: String

    @Option(help: "The message body: read this file instead of standard input.")
    var input: String?

    @Option(
        help: "The body's content type, e.g. application/json (default: guessed from the body).")
    var contentType: String?

    @Option(name: .customLong("header"), help: "A message header NAME=VALUE (repeatable).")
    var headers: [String] = []

    func run() async throws {
        var message = Message()
        for header in headers {
            guard let eq = header.firstIndex(of: "="), eq != header.startIndex else {
                throw CLIFailure.invalid("--header '\(header)' must be NAME=VALUE")
            }
            message.headers[String(header[..<eq])] = .string(
                String(header[header.index(after: eq)...]))
        }
        var mediaType: MediaType?
        if let contentType {
            guard let parsed = MediaType(contentType) else {
                throw CLIFailure.invalid(
                    "--content-type '\(contentType)' is not a media type such as application/json")
            }
            mediaType = parsed
            message.headers["Content-Type"] = .string(contentType)
        }

        let compiled: CompiledExpression
        do {
            switch language {
            case .simple: compiled = try CompiledExpression(simpleAutomatic: expression)
            case .jsonpath: compiled = try CompiledExpression(.jsonpath, expression)
            case .xpath: compiled = try CompiledExpression(.xpath, expression)
            case .jq: compiled = try CompiledExpression(.jq, expression)
            case .constant: compiled = try CompiledExpression(.constant, expression)
            case .header: compiled = try CompiledExpression(.header, expression)
            }
        } catch {
            throw CLIFailure.invalid("\(error)\n\(error.pointer)")
        }

        // constant and header never look at the body; simple reads stdin only when it is
        // not a terminal, so `caravan eval --language simple --expression '${uuid}'` does
        // not wait for input.
        let needsBody =
            language == .jsonpath || language == .jq || language == .xpath
            || (language == .simple && (input != nil || isatty(0) == 0))
        if needsBody {
            let bytes = try readInput(input)
            switch language {
            case .jsonpath, .jq: mediaType = mediaType ?? .json
            case .xpath: mediaType = mediaType ?? .xml
            default: break
            }
            message.body = Body(bytes: bytes, contentType: mediaType)
            // Malformed input is reported as such (exit 1) before evaluating.
            do {
                switch language {
                case .jsonpath, .jq: _ = try message.body.document()
                case .xpath: _ = try message.body.xmlTree()
                default: break
                }
            } catch {
                throw CLIFailure.malformed(error.description)
            }
        }

        let exchange = Exchange(message: message)
        let context = SimpleContext()
        do {
            switch compiled.compiled {
            case .jsonpath(let path):
                writeOutput(
                    JSONWriter().bytes(.array(path.evaluate(try exchange.message.body.document()))))
            case .xpath(let xpath):
                switch try xpath.evaluate(try exchange.message.body.xmlTree()) {
                case .nodes(let values):
                    writeOutput(JSONWriter().bytes(.array(values.map(Document.string))))
                case .string(let s): writeOutput(Array(s.utf8))
                case .number(let d): writeOutput(Array(XPathResult.text(of: d).utf8))
                case .boolean(let b): writeOutput(Array((b ? "true" : "false").utf8))
                }
            default:
                let value = try compiled.evaluate(exchange, context: context)
                writeOutput(
                    Array(
                        (value.scalarText ?? (value == .null ? "null" : JSONWriter().string(value)))
                            .utf8))
            }
        } catch let error as FormatError {
            throw CLIFailure.malformed(error.description)
        } catch {
            throw CLIFailure.malformed("\(error)")
        }
    }
}
