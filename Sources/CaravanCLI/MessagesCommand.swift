import ArgumentParser
import Caravan
import CaravanStore
import Foundation

/// `caravan messages list|show`: what the journal holds.
///
/// `--json`: `list` prints `[{"id", "route", "consumer", "state", "attempts", "lastError",
/// "createdAt", "updatedAt", "dueAt", "replayOf"}]`; `show` prints that object plus
/// `"headers"`, `"body"` (or `"bodyBase64"`) and `"errors"`.
struct MessagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messages",
        abstract: "List or show messages in the store.",
        subcommands: [List.self, Show.self]
    )

    static let states = ["ready", "running", "retrying", "done", "dead", "discarded", "replayed"]

    static func summary(_ m: StoredMessage) -> Document {
        let date = ISO8601DateFormatter()
        return [
            "id": .string(m.id.lowercasedText), "route": .string(m.route),
            "consumer": .string(m.consumer), "state": .string(m.state),
            "attempts": .number(DecimalText(m.attempts)),
            "lastError": m.lastError.map(Document.string) ?? .null,
            "createdAt": .string(date.string(from: m.createdAt)),
            "updatedAt": .string(date.string(from: m.updatedAt)),
            "dueAt": .string(date.string(from: m.dueAt)),
            "replayOf": m.replayOf.map { .string($0.lowercasedText) } ?? .null,
        ]
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List messages, newest first.")
        @OptionGroup var connection: DatabaseCommand.Connection
        @Option(
            help:
                "Only messages in this state: ready, running, retrying, done, dead, discarded, replayed."
        ) var state: String?
        @Option(help: "Only this route's messages.") var route: String?
        @Option(help: "At most this many.") var limit = 100
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            if let state, !MessagesCommand.states.contains(state) {
                throw CLIFailure.invalid(
                    "--state '\(state)' is not one of \(MessagesCommand.states.joined(separator: ", "))"
                )
            }
            let messages = try await connection.withClient { client, schema, logger in
                try await Messages(client: client, schema: schema, logger: logger).list(
                    state: state, route: route, limit: limit)
            }
            if json {
                writeOutput(
                    JSONWriter(pretty: true).bytes(.array(messages.map(MessagesCommand.summary))))
            } else {
                for m in messages {
                    writeOutput(
                        Array(
                            "\(m.id.lowercasedText)  \(m.route)  \(m.state)  attempts \(m.attempts)\(m.lastError.map { "  \($0)" } ?? "")"
                                .utf8))
                }
                writeOutput(
                    Array("\(messages.count) message\(messages.count == 1 ? "" : "s")".utf8))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one message: its headers, body and attempt history.")
        @OptionGroup var connection: DatabaseCommand.Connection
        @Argument(help: "The message id.") var id: String

        func run() async throws {
            let uuid = try MessageArguments.id(id)
            let message = try await connection.withClient { client, schema, logger in
                try await Messages(client: client, schema: schema, logger: logger).show(uuid)
            }
            guard let message else { throw CLIFailure(code: 1, message: "no message \(id)") }
            guard case .object(var o) = MessagesCommand.summary(message) else { return }
            o.append(key: "headers", value: message.message.headers.document)
            o.appendBody(message.message.body.bytes)
            o.append(key: "errors", value: message.errors)
            writeOutput(JSONWriter(pretty: true).bytes(.object(o)))
        }
    }
}
