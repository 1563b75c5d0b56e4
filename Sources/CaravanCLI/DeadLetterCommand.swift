import ArgumentParser
import Caravan
import CaravanStore
import Foundation

/// `caravan dlq list|show|replay|edit|discard`: operators' work on dead letters.
///
/// `--json` output is stable: `list` prints an array of
/// `{"id", "route", "attempts", "lastError", "diedAt"}`; `show` prints that object plus
/// `"headers"`, `"body"` (text, or `"bodyBase64"`), `"errors"`, `"failure"`, `"audit"`,
/// `"original"`; `replay`/`discard` print `[{"id", "route", "replay"}]`.
struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "List, inspect, edit, replay or discard dead letters.",
        subcommands: [List.self, Show.self, Replay.self, Edit.self, Discard.self]
    )

    /// The filters shared by list, replay and discard.
    struct Filter: ParsableArguments {
        @Argument(help: "Dead letter ids.")
        var ids: [String] = []
        @Option(help: "Only this route's dead letters.")
        var route: String?
        @Option(help: "Only dead letters whose last error contains this text.")
        var error: String?
        @Option(help: "Only dead letters from this recent period: 30s, 15m, 2h, 7d.")
        var since: String?
        @Flag(help: "Every dead letter (replay and discard need a filter or --all).")
        var all = false

        func selection(defaultAll: Bool = false) throws -> DeadLetterSelection {
            var ids: [UUID] = []
            for text in self.ids {
                ids.append(try MessageArguments.id(text))
            }
            var since: Duration?
            if let text = self.since {
                guard let unit = text.last, let n = Int(text.dropLast()), n >= 0,
                    let seconds = ["s": 1, "m": 60, "h": 3600, "d": 86400][unit]
                else {
                    throw CLIFailure.invalid(
                        "--since '\(text)' is not a period such as 30s, 15m, 2h or 7d")
                }
                since = .seconds(n * seconds)
            }
            let s = DeadLetterSelection(
                ids: ids, route: route, errorContains: error, since: since, all: all)
            if defaultAll, ids.isEmpty, route == nil, error == nil, since == nil {
                return DeadLetterSelection(all: true)
            }
            return s
        }
    }

    static func summary(_ d: DeadLetter) -> Document {
        [
            "id": .string(d.id.lowercasedText), "route": .string(d.route),
            "attempts": .number(DecimalText(d.attempts)),
            "lastError": .string(d.lastError),
            "diedAt": .string(ISO8601DateFormatter().string(from: d.diedAt)),
        ]
    }

    static func actions(_ list: [DeadLetterAction]) -> Document {
        .array(
            list.map { a in
                [
                    "id": .string(a.id.lowercasedText), "route": .string(a.route),
                    "replay": a.replay.map { .string($0.lowercasedText) } ?? .null,
                ]
            })
    }

    /// The OS user, as the audit log records a CLI action.
    static var who: Operator {
        Operator(
            ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment[
                "LOGNAME"] ?? "operator", via: .cli)
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List dead letters, newest first.")
        @OptionGroup var connection: DatabaseCommand.Connection
        @OptionGroup var filter: Filter
        @Option(help: "At most this many.") var limit = 100
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let selection = try filter.selection(defaultAll: true)
            let letters = try await connection.withClient { client, schema, logger in
                try await DeadLetters(client: client, schema: schema, logger: logger).list(
                    selection, limit: limit)
            }
            if json {
                writeOutput(
                    JSONWriter(pretty: true).bytes(.array(letters.map(DeadLetterCommand.summary))))
            } else {
                for d in letters {
                    writeOutput(
                        Array(
                            "\(d.id.lowercasedText)  \(d.route)  attempts \(d.attempts)  \(ISO8601DateFormatter().string(from: d.diedAt))  \(d.lastError)"
                                .utf8))
                }
                writeOutput(
                    Array("\(letters.count) dead letter\(letters.count == 1 ? "" : "s")".utf8))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Show a dead letter: its message, every attempt's error, the failure point, the audit."
        )
        @OptionGroup var connection: DatabaseCommand.Connection
        @Argument(help: "The dead letter's id.") var id: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let uuid = try MessageArguments.id(id)
            let letter = try await connection.withClient { client, schema, logger in
                try await DeadLetters(client: client, schema: schema, logger: logger).show(uuid)
            }
            guard let letter else {
                throw CLIFailure(
                    code: 1,
                    message: "no dead letter \(id) (it may be replayed, discarded or not dead)")
            }
            guard case .object(var o) = DeadLetterCommand.summary(letter) else { return }
            o.append(key: "headers", value: letter.message.headers.document)
            o.appendBody(letter.message.body.bytes)
            o.append(key: "errors", value: letter.errors)
            o.append(key: "failure", value: letter.failure ?? .null)
            o.append(key: "audit", value: letter.audit)
            o.append(key: "original", value: letter.original ?? .null)
            writeOutput(JSONWriter(pretty: true).bytes(.object(o)))
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Replay dead letters as new messages, from the point of failure (default) or from the start."
        )
        @OptionGroup var connection: DatabaseCommand.Connection
        @OptionGroup var filter: Filter
        @Flag(help: "Run every step again with the message (as edited), not just the failed one.")
        var fromStart = false
        @Flag(help: "Say what would be replayed; change nothing.") var dryRun = false
        @Option(help: "Why (kept in the audit).") var reason: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let selection = try filter.selection()
            let done = try await connection.withClient { client, schema, logger in
                try await DeadLetters(client: client, schema: schema, logger: logger).replay(
                    selection, fromStart: fromStart, dryRun: dryRun, by: DeadLetterCommand.who,
                    reason: reason)
            }
            if json {
                writeOutput(JSONWriter(pretty: true).bytes(DeadLetterCommand.actions(done)))
            } else {
                for a in done {
                    writeOutput(
                        Array(
                            (dryRun
                                ? "would replay \(a.id.lowercasedText) (\(a.route))"
                                : "replayed \(a.id.lowercasedText) as \(a.replay?.lowercasedText ?? "?")")
                                .utf8))
                }
                writeOutput(
                    Array("\(done.count) \(dryRun ? "would be replayed" : "replayed")".utf8))
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Change a dead letter's body and/or headers before replaying it (the original is kept)."
        )
        @OptionGroup var connection: DatabaseCommand.Connection
        @Argument(help: "The dead letter's id.") var id: String
        @Option(help: "A file with the new body.") var bodyFile: String?
        @Option(name: .customLong("header"), help: "A header to set, NAME=VALUE (repeatable).")
        var headers: [String] = []
        @Option(help: "Why (required; kept in the audit).") var reason: String

        func run() async throws {
            let uuid = try MessageArguments.id(id)
            let body = try bodyFile.map { try readInput($0) }
            var pairs: [(String, String)] = []
            for h in headers {
                guard let eq = h.firstIndex(of: "="), eq != h.startIndex else {
                    throw CLIFailure.invalid("--header '\(h)' must be NAME=VALUE")
                }
                pairs.append((String(h[..<eq]), String(h[h.index(after: eq)...])))
            }
            if body == nil && pairs.isEmpty {
                throw CLIFailure.invalid("nothing to edit: give --body-file and/or --header")
            }
            let changes = pairs
            try await connection.withClient { client, schema, logger in
                try await DeadLetters(client: client, schema: schema, logger: logger).edit(
                    uuid, body: body, headers: changes, by: DeadLetterCommand.who, reason: reason)
            }
            writeOutput(Array("edited \(id)".utf8))
        }
    }

    struct Discard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Discard dead letters (kept as discarded, with the reason).")
        @OptionGroup var connection: DatabaseCommand.Connection
        @OptionGroup var filter: Filter
        @Flag(help: "Say what would be discarded; change nothing.") var dryRun = false
        @Option(help: "Why (required; kept in the audit).") var reason: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let selection = try filter.selection()
            let done = try await connection.withClient { client, schema, logger in
                try await DeadLetters(client: client, schema: schema, logger: logger).discard(
                    selection, dryRun: dryRun, by: DeadLetterCommand.who, reason: reason)
            }
            if json {
                writeOutput(JSONWriter(pretty: true).bytes(DeadLetterCommand.actions(done)))
            } else {
                writeOutput(
                    Array("\(done.count) \(dryRun ? "would be discarded" : "discarded")".utf8))
            }
        }
    }
}
