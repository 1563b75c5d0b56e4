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
        static let configuration = CommandConfiguration(
            abstract: "List messages, newest first (the admin API's filters and pages).")
        @OptionGroup var connection: DatabaseCommand.Connection
        @Option(
            help:
                "Only messages in this state: ready, running, retrying, done, dead, discarded, replayed."
        ) var state: String?
        @Option(help: "Only this route's messages.") var route: String?
        @Option(help: "Only messages with this header value (name:value).") var header: String?
        @Option(help: "Only messages whose body or last error contains this text.") var text:
            String?
        @Option(help: "Only messages with at least this many attempts.") var attemptsGte: Int?
        @Option(help: "The page after this cursor (printed after a full page).") var cursor: Int64?
        @Option(help: "At most this many.") var limit = 100
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            var filter = MessageFilter(
                route: route, state: state, text: text, attemptsAtLeast: attemptsGte)
            if let header {
                guard let colon = header.firstIndex(of: ":"), colon != header.startIndex else {
                    throw CLIFailure.invalid("--header '\(header)' is not name:value")
                }
                filter.header = (
                    String(header[..<colon]), String(header[header.index(after: colon)...])
                )
            }
            do { try filter.validate() } catch { throw CLIFailure.invalid(error.description) }
            let page = try await connection.withClient { [filter] client, schema, logger in
                try await Messages(client: client, schema: schema, logger: logger).list(
                    filter, after: cursor, limit: limit, bodies: false)
            }
            let messages = page.messages
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
                    Array(
                        "\(messages.count) message\(messages.count == 1 ? "" : "s")\(page.searchedDownTo.map { " among the newest, searched down to #\($0)" } ?? "")\(page.next.map { "; more with --cursor \($0)" } ?? "")"
                            .utf8))
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
