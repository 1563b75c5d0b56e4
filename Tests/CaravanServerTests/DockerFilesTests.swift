import Foundation
import Testing
import Yams

/// What can be checked of docker/ without a Docker engine: the compose file parses and
/// says what it should, and the paths and commands the files name exist.
@Suite struct DockerFilesTests {
    static let root = URL(fileURLWithPath: #filePath).appendingPathComponent("../../..")
        .standardized
        .path

    func read(_ path: String) throws -> String {
        try String(contentsOfFile: Self.root + "/" + path, encoding: .utf8)
    }

    @Test func composeRunsCaravanAfterAHealthyPostgreSQL15WithTheRoutesMounted() throws {
        let compose = try #require(
            try Yams.load(yaml: try read("docker/compose.yaml")) as? [String: Any])
        let services = try #require(compose["services"] as? [String: Any])
        let postgres = try #require(services["postgres"] as? [String: Any])
        #expect(postgres["image"] as? String == "postgres:15")
        #expect((postgres["healthcheck"] as? [String: Any])?["test"] != nil)
        #expect(
            (postgres["volumes"] as? [String])?.first?.hasSuffix(":/var/lib/postgresql/data")
                == true)
        let caravan = try #require(services["caravan"] as? [String: Any])
        let build = try #require(caravan["build"] as? [String: Any])
        let context = try #require(build["context"] as? String)
        let dockerfile = try #require(build["dockerfile"] as? String)
        // Paths in compose are relative to docker/.
        let contextPath = URL(fileURLWithPath: Self.root + "/docker/" + context).standardized.path
        #expect(FileManager.default.fileExists(atPath: contextPath + "/" + dockerfile))
        let depends = try #require(caravan["depends_on"] as? [String: Any])
        #expect(
            (depends["postgres"] as? [String: Any])?["condition"] as? String == "service_healthy")
        let volumes = try #require(caravan["volumes"] as? [String])
        let routes = try #require(volumes.first { $0.hasSuffix(":/routes:ro") })
        let routesPath = URL(
            fileURLWithPath: Self.root + "/docker/" + routes.split(separator: ":")[0]
        )
        .standardized.path
        #expect(FileManager.default.fileExists(atPath: routesPath + "/orders.yaml"))
        let environment = try #require(caravan["environment"] as? [String: Any])
        #expect((environment["DATABASE_URL"] as? String)?.contains("@postgres:5432/") == true)
    }

    @Test func theBuildStageHasTheFolderOfEveryTargetThePackageDeclares() throws {
        // SwiftPM refuses to load a package whose targets' folders are missing, even to
        // build the one product the image needs.
        let manifest = try read("Package.swift")
        var needed: Set<String> = []
        if manifest.contains(".target(") || manifest.contains(".executableTarget(") {
            needed.insert("Sources")
        }
        if manifest.contains(".testTarget(") { needed.insert("Tests") }
        for part in manifest.components(separatedBy: "path: \"").dropFirst() {
            if let folder = part.split(separator: "/").first { needed.insert(String(folder)) }
        }
        let copied = Set(
            try read("docker/Dockerfile").split(separator: "\n")
                .filter { $0.hasPrefix("COPY ") && !$0.contains("--from") }
                .map { String($0.split(separator: " ")[1]) })
        #expect(needed.isSubset(of: copied), "the build stage lacks \(needed.subtracting(copied))")
    }

    @Test func theDockerfileCopiesWhatExistsAndRunsCommandsCaravanHas() throws {
        let dockerfile = try read("docker/Dockerfile")
        for line in dockerfile.split(separator: "\n")
        where line.hasPrefix("COPY ") && !line.contains("--from") {
            let source = String(line.split(separator: " ")[1])
            #expect(FileManager.default.fileExists(atPath: Self.root + "/" + source), "\(line)")
        }
        #expect(
            dockerfile.contains("swift build -c release --static-swift-stdlib --product caravan"))
        #expect(dockerfile.contains("USER caravan"))
        #expect(dockerfile.contains("/health/ready"))
        // The CMD's options are options of `caravan serve`.
        let cmd = try #require(dockerfile.split(separator: "\n").first { $0.hasPrefix("CMD ") })
        let flags = cmd.split(separator: "\"").filter { $0.hasPrefix("--") }
        #expect(!flags.isEmpty)
        let serve = try read("Sources/CaravanCLI/ServeCommand.swift")
        for flag in flags {
            let name = flag.dropFirst(2)
            let camel = name.split(separator: "-").enumerated().map { i, part in
                i == 0 ? String(part) : part.prefix(1).uppercased() + part.dropFirst()
            }.joined()
            #expect(serve.contains("var \(camel):"), "caravan serve has no \(flag)")
        }
    }
}
