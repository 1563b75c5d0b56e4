import CaravanStore
import PostgresNIO
import Testing

@Suite struct MigratorTests {
    @Test func migratingTwiceAppliesEachMigrationOnce() async throws {
        try await TestDatabase.withStore(migrate: false) { client, schema in
            let migrator = Migrator(client: client, schema: schema, logger: TestDatabase.logger)
            #expect(try await migrator.status().applied.isEmpty)
            #expect(try await migrator.migrate() == Array(1...15))
            #expect(try await migrator.migrate() == [])
            let status = try await migrator.status()
            #expect(
                status.applied == Array(1...15) && status.pending.isEmpty)
        }
    }

    @Test func concurrentStartsAreSafe() async throws {
        try await TestDatabase.withStore(migrate: false) { client, schema in
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await Migrator(
                            client: client, schema: schema, logger: TestDatabase.logger
                        ).migrate()
                    }
                }
                var all: [Int] = []
                for try await a in group { all += a }
                return all
            }
            #expect(applied.sorted() == Array(1...15))
        }
    }

    @Test func onlyARunningMessageHasALeaseOwner() async throws {
        try await TestDatabase.withStore { client, schema in
            let table = "\"\(schema.name)\".\"messages\""
            func insert(state: String, owner: String?) async throws {
                var binds = PostgresBindings()
                binds.append(state)
                binds.append(owner)
                let sql = """
                    INSERT INTO \(table) (id, route, consumer, body, state, lease_owner)
                    VALUES (gen_random_uuid(), 'r', 'c', '', $1, $2)
                    """
                _ = try await client.query(
                    PostgresQuery(unsafeSQL: sql, binds: binds), logger: TestDatabase.logger)
            }
            try await insert(state: "running", owner: "node/1")
            try await insert(state: "ready", owner: nil)
            await #expect(throws: PSQLError.self) { try await insert(state: "running", owner: nil) }
            await #expect(throws: PSQLError.self) {
                try await insert(state: "done", owner: "node/1")
            }
        }
    }

    @Test func schemaNamesMustBeIdentifiers() {
        #expect(throws: StoreError.self) { try StoreSchema("Robert'); DROP TABLE x;--") }
        #expect(throws: StoreError.self) { try StoreSchema("1abc") }
        #expect(throws: StoreError.self) { try StoreSchema("") }
    }
}
