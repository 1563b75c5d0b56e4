import Caravan
import CaravanStore
import CaravanTestSupport
import Foundation
import PostgresNIO
import Testing

/// `caravan db migrate` and `caravan db status` against a real PostgreSQL.
@Suite struct DatabaseCommandTests {
    static let executable = CaravanExecutable.path

    func caravan(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let path = try #require(Self.executable, "build the caravan executable first")
        let run = try await ChildProcess.run(
            URL(fileURLWithPath: path), arguments, mergeOutput: true)
        return (run.status, run.stdout)
    }

    @Test func migrateThenStatus() async throws {
        let cluster = try await EmbeddedPostgres.start(durable: false)
        defer { try? cluster.stop() }
        let url = "postgres://postgres@localhost:\(cluster.port)/postgres?host=\(cluster.directory)"
        let before = try await caravan(["db", "status", "--database", url, "--schema", "cli_test"])
        #expect(before.status == 1)
        #expect(before.output.contains("pending: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15"))
        let migrate = try await caravan([
            "db", "migrate", "--database", url, "--schema", "cli_test",
        ])
        #expect(migrate.status == 0, "\(migrate.output)")
        #expect(migrate.output == "applied 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15\n")
        #expect(
            try await caravan(["db", "migrate", "--database", url, "--schema", "cli_test"]).output
                == "up to date\n")
        let after = try await caravan(["db", "status", "--database", url, "--schema", "cli_test"])
        #expect(after.status == 0 && after.output.contains("pending: none"))
    }

    /// `caravan tokens`: the secret printed once, a hash stored, revocation audited.
    @Test func tokensAreCreatedListedAndRevokedWithOnlyAHashStored() async throws {
        try await TestDatabase.withStore { client, schema in
            let url = try await TestDatabase.url()
            let created = try await caravan([
                "tokens", "create", "--name", "ops", "--role", "operator", "--database", url,
                "--schema", schema.name,
            ])
            #expect(created.status == 0, "\(created.output)")
            let secret = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(secret.hasPrefix("cvn_") && secret.count > 40)
            let stored = try await client.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT encode(secret_sha256, 'hex') FROM \"\(schema.name)\".api_tokens"))
            for try await hash in stored.decode(String.self) { #expect(!secret.contains(hash)) }
            #expect(
                try await ApiTokens(client: client, schema: schema).authenticate(secret: secret)?
                    .role == .operator)
            let listed = try await caravan([
                "tokens", "list", "--database", url, "--schema", schema.name,
            ])
            #expect(listed.output.contains("ops  operator  active"), "\(listed.output)")
            #expect(!listed.output.contains(secret))
            let badRole = try await caravan([
                "tokens", "create", "--name", "x", "--role", "root", "--database", url,
                "--schema", schema.name,
            ])
            #expect(badRole.status == 2)
            #expect(
                try await caravan([
                    "tokens", "revoke", "ops", "--database", url, "--schema", schema.name,
                ]).status == 0)
            #expect(
                try await ApiTokens(client: client, schema: schema).authenticate(secret: secret)
                    == nil)
            let (entries, _) = try await AuditLog(client: client, schema: schema).list()
            #expect(entries.map(\.action) == ["revoke token", "create token"])
            #expect(entries.allSatisfy { $0.via == "cli" })
        }
    }

    /// The reason at once, not after the pool's minute of retries.
    @Test func aDatabaseThatCannotBeUsedIsExplainedAtOnce() async throws {
        let cluster = try await EmbeddedPostgres.start(durable: false)
        defer { try? cluster.stop() }
        let socket = "?host=\(cluster.directory)"
        let noDatabase = try await caravan([
            "db", "status", "--database",
            "postgres://postgres@localhost:\(cluster.port)/nosuchdb\(socket)",
        ])
        #expect(noDatabase.status == 1)
        #expect(
            noDatabase.output.contains("database \"nosuchdb\" does not exist"),
            "\(noDatabase.output)")
        #expect(noDatabase.output.contains("check the user, password and database"))
        let noRole = try await caravan([
            "db", "migrate", "--database",
            "postgres://nobody@localhost:\(cluster.port)/postgres\(socket)",
        ])
        #expect(noRole.status == 1)
        #expect(noRole.output.contains("role \"nobody\" does not exist"), "\(noRole.output)")
        // Nothing listens on the port after the cluster's.
        let nobodyThere = try await caravan([
            "dlq", "list", "--database",
            "postgres://postgres@localhost:\(cluster.port + 1)/postgres\(socket)",
        ])
        #expect(nobodyThere.status == 1)
        #expect(
            nobodyThere.output.contains("cannot connect to PostgreSQL at"), "\(nobodyThere.output)")
        #expect(nobodyThere.output.contains("is it running and listening there?"))
        // `serve` too: it would otherwise wait for its start timeout.
        let routes = FileManager.default.temporaryDirectory.appendingPathComponent(
            "caravan-probe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: routes, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: routes) }
        try Data(
            "- route:\n    from:\n      uri: timer:t\n      steps: [{to: log:x}]\n".utf8
        ).write(to: routes.appendingPathComponent("r.yaml"))
        let serve = try await caravan([
            "serve", "--routes", routes.path, "--port", "0", "--management-port", "0", "--database",
            "postgres://postgres@localhost:\(cluster.port)/nosuchdb\(socket)",
        ])
        #expect(serve.status == 1)
        #expect(serve.output.contains("database \"nosuchdb\" does not exist"), "\(serve.output)")
    }

    @Test func aBadURLOrSchemaIsAnArgumentError() async throws {
        #expect(try await caravan(["db", "status", "--database", "mysql://x"]).status == 2)
        #expect(
            try await caravan([
                "db", "status", "--database", "postgres://u@h/d", "--schema", "Bad-Name",
            ])
            .status == 2)
    }
}

/// `caravan dlq` against a real PostgreSQL with real dead letters.
@Suite struct DeadLetterCommandTests {
    let cli = DatabaseCommandTests()

    @Test func listShowEditReplayAndDiscardFromTheCommandLine() async throws {
        let cluster = try await EmbeddedPostgres.start(durable: false)
        defer { try? cluster.stop() }
        let url = "postgres://postgres@localhost:\(cluster.port)/postgres?host=\(cluster.directory)"
        let client = PostgresClient(
            configuration: cluster.configuration(), backgroundLogger: TestDatabase.logger)
        let ids: [UUID] = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await Migrator(client: client, logger: TestDatabase.logger).migrate()
            let engine = try await DeadLettersTests.engine()
            let journal = Journal(client: client)
            var ids: [UUID] = []
            for body in ["p1", "p2"] {
                let e = JournalEntry(
                    route: "pay", consumer: "direct:pay", message: Message(body: Body(text: body)))
                try await journal.append(e)
                ids.append(e.id)
            }
            let worker = Worker(
                store: MessageStore(client: client), engine: engine, routes: ["pay"], owner: "w")
            while try await worker.processBatch() > 0 {}
            return ids
        }
        let db = ["--database", url]

        let list = try await cli.caravan(["dlq", "list", "--json"] + db)
        #expect(list.status == 0, "\(list.output)")
        let listed =
            try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [[String: Any]]
        #expect(
            Set(listed?.compactMap { $0["id"] as? String } ?? [])
                == Set(ids.map { $0.uuidString.lowercased() }))
        #expect(listed?.first?["lastError"] as? String == "bank refused p2")

        let show = try await cli.caravan(["dlq", "show", ids[0].uuidString] + db)
        #expect(show.status == 0)
        #expect(show.output.contains("\"body\": \"p1\"") && show.output.contains("\"errors\""))

        let noReason = try await cli.caravan(
            ["dlq", "edit", ids[0].uuidString, "--header", "fixed=yes", "--reason", " "] + db)
        #expect(noReason.status == 1 && noReason.output.contains("needs a reason"))
        #expect(
            try await cli.caravan(
                [
                    "dlq", "edit", ids[0].uuidString, "--header", "fixed=yes", "--reason",
                    "corrected",
                ] + db
            ).status == 0)

        let dry = try await cli.caravan(["dlq", "replay", "--route", "pay", "--dry-run"] + db)
        #expect(dry.output.hasSuffix("2 would be replayed\n"))
        let replay = try await cli.caravan(["dlq", "replay", ids[0].uuidString, "--json"] + db)
        #expect(replay.status == 0)
        let again = try await cli.caravan(["dlq", "replay", ids[0].uuidString] + db)
        #expect(again.status == 1 && again.output.contains("already replayed"))
        let discard = try await cli.caravan(["dlq", "discard", "--all", "--reason", "test"] + db)
        #expect(discard.output.hasSuffix("1 discarded\n"))
        #expect(try await cli.caravan(["dlq", "replay"] + db).status == 1)  // nothing selected

        let messages = try await cli.caravan(["messages", "list", "--json"] + db)
        let rows =
            try JSONSerialization.jsonObject(with: Data(messages.output.utf8)) as? [[String: Any]]
        #expect(
            Set(rows?.compactMap { $0["state"] as? String } ?? []) == [
                "replayed", "discarded", "ready",
            ])
        #expect(rows?.first?["replayOf"] as? String == ids[0].uuidString.lowercased())
        #expect(
            try await cli.caravan(["messages", "list", "--state", "dead"] + db).output
                == "0 messages\n")
        #expect(try await cli.caravan(["messages", "list", "--state", "nope"] + db).status == 2)
        let shown = try await cli.caravan(["messages", "show", ids[1].uuidString] + db)
        #expect(shown.status == 0 && shown.output.contains("\"state\": \"discarded\""))
    }
}
