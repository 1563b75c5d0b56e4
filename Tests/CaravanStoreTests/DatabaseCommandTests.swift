import CaravanStore
import Foundation
import Testing

/// `caravan db migrate` and `caravan db status` against a real PostgreSQL.
@Suite struct DatabaseCommandTests {
    static let executable: String? = {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            here, Bundle.main.bundleURL.deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).appendingPathComponent("../../../.build/debug")
                .standardized,
        ]
        return candidates.map { $0.appendingPathComponent("caravan").path }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }()

    func caravan(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(
            fileURLWithPath: try #require(Self.executable, "build the caravan executable first"))
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func migrateThenStatus() async throws {
        let cluster = try await EmbeddedPostgres.start(durable: false)
        defer { try? cluster.stop() }
        let url = "postgres://postgres@localhost:\(cluster.port)/postgres?host=\(cluster.directory)"
        let before = try caravan(["db", "status", "--database", url, "--schema", "cli_test"])
        #expect(before.status == 1)
        #expect(before.output.contains("pending: 1, 2"))
        let migrate = try caravan(["db", "migrate", "--database", url, "--schema", "cli_test"])
        #expect(migrate.status == 0, "\(migrate.output)")
        #expect(migrate.output == "applied 1, 2\n")
        #expect(
            try caravan(["db", "migrate", "--database", url, "--schema", "cli_test"]).output
                == "up to date\n")
        let after = try caravan(["db", "status", "--database", url, "--schema", "cli_test"])
        #expect(after.status == 0 && after.output.contains("pending: none"))
    }

    @Test func aBadURLOrSchemaIsAnArgumentError() throws {
        #expect(try caravan(["db", "status", "--database", "mysql://x"]).status == 2)
        #expect(
            try caravan(["db", "status", "--database", "postgres://u@h/d", "--schema", "Bad-Name"])
                .status == 2)
    }
}
