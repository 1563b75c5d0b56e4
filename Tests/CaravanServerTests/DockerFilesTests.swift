import CaravanTestSupport
import Foundation
import Testing
import Yams

@testable import CaravanServer

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

    @Test func theBuildStageHasTheFolderOfEveryTargetThePackageDeclares() async throws {
        // SwiftPM refuses to load a package whose targets' folders are missing, even to
        // build the one product the image needs. The targets as SwiftPM reads the
        // manifest (a scratch folder of its own: the tests' build holds `.build`).
        let scratch = NSTemporaryDirectory() + "caravan-dump-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let dump = try await ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "swift", "package", "--package-path", Self.root, "--scratch-path", scratch,
                "dump-package",
            ])
        #expect(dump.status == 0, "\(dump.stderr)")
        let package = try #require(
            try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        let targets = try #require(package["targets"] as? [[String: Any]])
        #expect(targets.count >= 5)
        var needed: Set<String> = []
        for target in targets {
            let name = try #require(target["name"] as? String)
            let folder =
                target["path"] as? String
                ?? (target["type"] as? String == "test" ? "Tests/\(name)" : "Sources/\(name)")
            needed.insert(String(folder.split(separator: "/")[0]))
        }
        let copied = Set(
            try read("docker/Dockerfile").split(separator: "\n")
                .filter { $0.hasPrefix("COPY ") && !$0.contains("--from") }
                .map { String($0.split(separator: " ")[1]) })
        #expect(needed.isSubset(of: copied), "the build stage lacks \(needed.subtracting(copied))")
    }

    @Test func theDockerfileCopiesWhatExistsAndRunsCommandsCaravanHas() async throws {
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
        // The CMD's options are options of `caravan serve`, as the built executable says.
        let cmd = try #require(
            dockerfile.replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n").first {
                $0.hasPrefix("CMD ")
            })
        let flags = cmd.split(separator: "\"").filter { $0.hasPrefix("--") }
        #expect(!flags.isEmpty)
        let executable = try #require(CaravanExecutable.url, "build the caravan executable")
        let help = try await ChildProcess.run(executable, ["serve", "--help"])
        for flag in flags {
            #expect(help.stdout.contains("\(flag) "), "caravan serve has no \(flag)")
        }
    }

    /// Runs promtool (Debian's `prometheus` package) on `arguments`; its output on failure.
    func promtool(_ arguments: [String]) async throws -> ChildProcess.Result {
        try await ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/promtool"), arguments, mergeOutput: true)
    }

    @Test func theScrapeConfigAndAlertRulesPassPromtoolAndTheAlertsFireAsTheirTestsSay()
        async throws
    {
        let config = try await promtool([
            "check", "config", Self.root + "/docker/prometheus/prometheus.yml",
        ])
        #expect(config.status == 0, "\(config.stdout)")
        let rules = try await promtool([
            "check", "rules", Self.root + "/docker/prometheus/alerts.yml",
        ])
        #expect(rules.status == 0, "\(rules.stdout)")
        let tests = try await promtool([
            "test", "rules", Self.root + "/docker/prometheus/alerts.test.yml",
        ])
        #expect(tests.status == 0, "\(tests.stdout)")
        // Every alert the issue asks for exists.
        let alerts = try read("docker/prometheus/alerts.yml")
        for name in [
            "CaravanDeadLettersIncreasing", "CaravanOldestReadyMessageTooOld",
            "CaravanIngestUnavailable", "CaravanDatabaseUnreachable",
        ] {
            #expect(alerts.contains("alert: \(name)"))
        }
    }

    /// The dashboard's queries parse as PromQL (promtool checks them as recording rules,
    /// Grafana's variables replaced) and every `caravan_` metric they and the alerts name
    /// is one Caravan exports.
    @Test func theDashboardQueriesParseAndNameOnlyMetricsCaravanExports() async throws {
        let dashboard = try #require(
            try JSONSerialization.jsonObject(
                with: Data(try read("docker/grafana/dashboards/caravan.json").utf8))
                as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        var expressions: [String] = []
        for panel in panels {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                expressions.append(try #require(target["expr"] as? String))
            }
        }
        #expect(expressions.count >= 10)
        var rules = "groups:\n  - name: dashboard\n    rules:\n"
        for (i, expression) in expressions.enumerated() {
            let promql =
                expression
                .replacingOccurrences(of: "$__rate_interval", with: "5m")
                .replacingOccurrences(of: "$__range", with: "1h")
                .replacingOccurrences(of: "$route", with: ".*")
            let quoted = promql.replacingOccurrences(of: "'", with: "''")
            rules += "      - record: dashboard_query_\(i)\n        expr: '\(quoted)'\n"
        }
        let file = NSTemporaryDirectory() + "caravan-dashboard-\(UUID().uuidString).yml"
        try rules.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let check = try await promtool(["check", "rules", file])
        #expect(check.status == 0, "\(check.stdout)")

        let named = try Regex("caravan_[a-z_]+")
        let text = expressions.joined(separator: "\n") + (try read("docker/prometheus/alerts.yml"))
        for match in text.matches(of: named) {
            var name = String(text[match.range])
            for suffix in ["_bucket", "_count", "_sum"] where name.hasSuffix(suffix) {
                name.removeLast(suffix.count)
            }
            if name == "caravan_database_" { continue }  // the prose "caravan_database_* metrics"
            #expect(MetricsCatalog.help[name] != nil, "\(name) is not a metric Caravan exports")
        }
    }
}
