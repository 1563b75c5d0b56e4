import Caravan
import Foundation
import NIOPosix

/// `file:directory`: the producer writes files; the consumer (``FilePoller``) picks them
/// up. Options Camel names, the ones Caravan supports:
///
/// | option | side | meaning |
/// |---|---|---|
/// | `fileName` | producer | Simple expression for the name (default: `CamelFileName`, else the exchange id) |
/// | `fileExist` | producer | `Override` (default), `Append`, `Fail`, `Ignore` |
/// | `forceWrites` | producer | sync each file to disk before the message is done (`true`) |
/// | `include` | consumer | regular expression the file name must match |
/// | `delay` | consumer | milliseconds between polls (500) |
/// | `initialDelay` | consumer | milliseconds before the first poll (1000) |
/// | `sortBy` | consumer | `file:name`, `file:modified`, `file:size`, optionally `reverse:` first |
/// | `recursive` | consumer | also poll sub-folders |
/// | `move` | consumer | folder to move a file to once stored (`.done`) |
/// | `moveFailed` | consumer | folder for files that cannot be taken (`.error`) |
/// | `delete` | consumer | delete instead of moving |
/// | `noop` | consumer | leave the file; the store remembers it was taken |
/// | `maxFileSize` | consumer | bytes; larger files go to `moveFailed` (100 MB) |
public struct FileComponent: Component {
    public let scheme = "file"

    public init() {}

    static let producerOptions: Set<String> = [
        "fileName", "fileExist", "forceWrites", "autoCreate", "charset",
    ]
    static let consumerOptions: Set<String> = [
        "include", "exclude", "delay", "initialDelay", "sortBy", "recursive", "move",
        "moveFailed", "delete", "noop", "maxFileSize", "readLock", "antInclude", "charset",
    ]

    public func endpoint(for uri: EndpointURI) throws(ProcessingError) -> any Endpoint {
        let known = Self.producerOptions.union(Self.consumerOptions)
        for o in uri.options where !known.contains(o.name) {
            throw ProcessingError(
                .illegalArgument,
                "file: unknown option '\(o.name)'\(didYouMean(o.name, among: Array(known)))",
                endpoint: uri.description)
        }
        return try FileEndpoint(uri: uri)
    }
}

struct FileEndpoint: Endpoint {
    let uri: EndpointURI
    let directory: String
    let fileName: CompiledExpression?
    let fileExist: FileWriter.Mode
    let forceWrites: Bool

    init(uri: EndpointURI) throws(ProcessingError) {
        self.uri = uri
        guard !uri.path.isEmpty else {
            throw ProcessingError(
                .illegalArgument, "file: no directory — write file:out or file:/var/drop",
                endpoint: uri.description)
        }
        directory = uri.path
        if let text = uri[option: "fileName"] {
            do {
                fileName = try ExpressionDefinition(
                    .simple, text,
                    location: SourceLocation(file: uri.description, line: 1, column: 1)
                ).compile()
            } catch {
                throw ProcessingError(
                    .illegalArgument,
                    "file: fileName '\(text)' is not a valid Simple expression: \(error.message)",
                    endpoint: uri.description)
            }
        } else {
            fileName = nil
        }
        let exist = uri[option: "fileExist"] ?? "Override"
        guard let mode = FileWriter.Mode(rawValue: exist) else {
            throw ProcessingError(
                .illegalArgument,
                "file: fileExist '\(exist)' is not one of Override, Append, Fail, Ignore",
                endpoint: uri.description)
        }
        fileExist = mode
        switch uri[option: "forceWrites"] ?? "true" {
        case "true": forceWrites = true
        case "false": forceWrites = false
        case let other:
            throw ProcessingError(
                .illegalArgument, "file: forceWrites '\(other)' is not true or false",
                endpoint: uri.description)
        }
    }

    func producer() throws(ProcessingError) -> any Producer { FileProducer(endpoint: self) }
}

/// Writes the body to a file (``FileWriter`` says how: atomically unless appending, safe
/// for concurrent writers, synced to disk unless `forceWrites=false`).
struct FileProducer: Producer {
    let endpoint: FileEndpoint

    func send(_ exchange: inout Exchange, _ context: ProcessContext) async throws(ProcessingError) {
        let name: String
        if let expression = endpoint.fileName {
            do {
                name = try expression.evaluate(exchange, context: context.simple).scalarText ?? ""
            } catch {
                throw ProcessingError(
                    .expression, "file: the fileName expression failed: \(error)",
                    endpoint: endpoint.uri.description)
            }
        } else {
            name =
                exchange.message.headers["CamelFileName"]?.scalarText ?? exchange.id
        }
        guard !name.isEmpty, !name.split(separator: "/").contains("..") else {
            throw ProcessingError(
                .illegalArgument, "file: '\(name)' is not a file name inside \(endpoint.directory)",
                endpoint: endpoint.uri.description)
        }
        let path = (endpoint.directory as NSString).appendingPathComponent(name)
        let bytes = exchange.message.body.bytes
        let (mode, sync) = (endpoint.fileExist, endpoint.forceWrites)
        let outcome: FileWriter.Outcome
        do {
            outcome = try await NIOThreadPool.singleton.runIfActive {
                try FileWriter.write(bytes, to: path, mode: mode, sync: sync)
            }
        } catch FileWriter.Failure.exists {
            throw ProcessingError(
                ErrorKind("org.apache.camel.component.file.GenericFileOperationFailedException"),
                "file: \(path) already exists (fileExist=Fail)",
                endpoint: endpoint.uri.description)
        } catch FileWriter.Failure.system(let reason) {
            throw ProcessingError(
                ErrorKind("java.io.IOException"), "file: \(reason)",
                endpoint: endpoint.uri.description)
        } catch {
            // The thread pool is shut down: the process is stopping.
            throw ProcessingError(
                ErrorKind("java.io.IOException"), "file: cannot write \(path): \(error)",
                endpoint: endpoint.uri.description)
        }
        if outcome == .ignored { return }
        exchange.message.headers["CamelFileNameProduced"] = .string(path)
    }
}
