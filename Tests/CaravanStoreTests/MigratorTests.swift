import CaravanStore
import PostgresNIO
import Testing

@Suite struct MigratorTests {
    @Test func migratingTwiceAppliesEachMigrationOnce() async throws {
        try await TestDatabase.withStore(migrate: false) { client, schema in
            let migrator = Migrator(client: client, schema: schema, logger: TestDatabase.logger)
            #expect(try await migrator.status().applied.isEmpty)
            #expect(try await migrator.migrate() == [1, 2, 3, 4])
            #expect(try await migrator.migrate() == [])
            let status = try await migrator.status()
            #expect(status.applied == [1, 2, 3, 4] && status.pending.isEmpty)
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
            #expect(applied.sorted() == [1, 2, 3, 4])
        }
    }

    @Test func schemaNamesMustBeIdentifiers() {
        #expect(throws: StoreError.self) { try StoreSchema("Robert'); DROP TABLE x;--") }
        #expect(throws: StoreError.self) { try StoreSchema("1abc") }
        #expect(throws: StoreError.self) { try StoreSchema("") }
    }
}
