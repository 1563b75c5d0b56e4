import ArgumentParser
import Caravan
import CaravanStore
import Foundation

/// `caravan tokens create|list|revoke`: the bearer tokens of the admin API and console.
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Create, list or revoke the tokens of the admin API and console.",
        discussion: """
            Roles: viewer (read, metrics), operator (also replay, edit, discard, bulk), \
            admin (also tokens). The secret is printed once, by create; the store keeps \
            only its SHA-256.
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print its secret (shown this once).")
        @OptionGroup var connection: DatabaseCommand.Connection
        @Option(help: "The token's name (who uses it: the audit log names it).") var name: String
        @Option(help: "viewer, operator or admin.") var role: String

        func run() async throws {
            guard let role = Role(rawValue: role) else {
                throw CLIFailure.invalid("--role '\(role)' is not one of viewer, operator, admin")
            }
            let (name, who) = (name, DeadLetterCommand.who)
            let secret = try await connection.withClient { client, schema, logger in
                try await ApiTokens(client: client, schema: schema, logger: logger).create(
                    name: name, role: role, by: who)
            }
            writeOutput(Array(secret.utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens (not secrets).")
        @OptionGroup var connection: DatabaseCommand.Connection

        func run() async throws {
            let tokens = try await connection.withClient { client, schema, logger in
                try await ApiTokens(client: client, schema: schema, logger: logger).list()
            }
            let date = ISO8601DateFormatter()
            for t in tokens {
                let state = t.revokedAt.map { "revoked \(date.string(from: $0))" } ?? "active"
                writeOutput(
                    Array(
                        "\(t.name)  \(t.role.rawValue)  \(state)  created \(date.string(from: t.createdAt)) by \(t.createdBy)"
                            .utf8))
            }
            writeOutput(Array("\(tokens.count) token\(tokens.count == 1 ? "" : "s")".utf8))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token: it stops working at once.")
        @OptionGroup var connection: DatabaseCommand.Connection
        @Argument(help: "The token's name.") var name: String

        func run() async throws {
            let (name, who) = (name, DeadLetterCommand.who)
            try await connection.withClient { client, schema, logger in
                try await ApiTokens(client: client, schema: schema, logger: logger).revoke(
                    name: name, by: who)
            }
            writeOutput(Array("revoked \(name)".utf8))
        }
    }
}
