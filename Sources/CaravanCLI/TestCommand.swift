import ArgumentParser
import Caravan
import Foundation

/// `caravan test`: runs the route unit tests in `*.test.yaml` files beside the routes.
struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run route tests (*.test.yaml) against the routes, in memory."
    )

    @Argument(help: "Folders or test files (default: routes). Routes load from the same folders.")
    var paths: [String] = []

    @Option(
        help:
            "The properties file for {{placeholders}} (default: application.properties beside the routes)."
    )
    var properties: String?

    @Option(
        name: .customLong("property"),
        help:
            "A system property KEY=VALUE for {{KEY}} and {{sys:KEY}}, as Camel's -D (repeatable; the environment wins, application.properties loses)."
    )
    var systemProperties: [String] = []

    @Flag(help: "Print what log steps write while the tests run.")
    var verbose = false

    func run() async throws {
        let roots = paths.isEmpty ? ["routes"] : paths
        let placeholders = try RouteFiles.placeholders(
            for: roots, propertiesFile: properties, systemProperties: systemProperties)
        // Routes come from the folders given (or holding the test files given).
        let routeRoots = roots.map { path -> String in
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            return isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        }
        let routeFiles = try RouteFiles.read(
            try RouteFiles.find(routeRoots.map { $0.isEmpty ? "." : $0 }))
        let loaded = RouteLoader(placeholders: placeholders, resources: FileResources()).load(
            routeFiles)
        if !loaded.errors.isEmpty {
            for d in loaded.diagnostics { writeError(d.description) }
            writeOutput(Array("0 passed, 0 failed (the routes do not load)".utf8))
            throw ExitCode(1)
        }
        let testFiles = try findTests(roots)
        let loader = RouteTestLoader(placeholders: placeholders)
        var settings = ProcessContext.Settings(
            simple: SimpleContext())
        if verbose { settings.log = StandardErrorLog() }
        let runner = RouteTestRunner(routes: loaded.routes, settings: settings)
        var passed = 0
        var failed = 0
        for path in testFiles {
            guard let data = FileManager.default.contents(atPath: path),
                let text = String(data: data, encoding: .utf8)
            else {
                throw CLIFailure.invalid("cannot read '\(path)'")
            }
            let folder = (path as NSString).deletingLastPathComponent
            let (tests, diagnostics) = loader.load(RouteFile(path: path, text: text)) { relative in
                FileManager.default.contents(
                    atPath: (folder as NSString).appendingPathComponent(relative)
                ).map(Array.init)
            }
            for d in diagnostics { writeError(d.description) }
            failed += diagnostics.filter { $0.severity == .error }.count
            for test in tests {
                let result = await runner.run(test)
                if result.passed {
                    passed += 1
                    writeOutput(Array("PASS \(path): \(test.name)".utf8))
                } else {
                    failed += 1
                    writeOutput(Array("FAIL \(test.location): \(test.name)".utf8))
                    for failure in result.failures {
                        writeOutput(
                            Array(
                                failure.split(separator: "\n", omittingEmptySubsequences: false).map
                                { "    " + $0 }.joined(separator: "\n").utf8))
                    }
                }
            }
        }
        writeOutput(Array("\(passed) passed, \(failed) failed".utf8))
        if failed > 0 { throw ExitCode(1) }
    }

    func findTests(_ roots: [String]) throws -> [String] {
        var found: [String] = []
        for root in roots {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else {
                throw CLIFailure.invalid("'\(root)' does not exist")
            }
            if !isDirectory.boolValue {
                found.append(root)
                continue
            }
            for case let relative as String in FileManager.default.enumerator(atPath: root)
                ?? FileManager.DirectoryEnumerator()
            where relative.hasSuffix(".test.yaml") || relative.hasSuffix(".test.yml") {
                found.append((root as NSString).appendingPathComponent(relative))
            }
        }
        return found.sorted()
    }
}

/// Writes log lines to standard error.
struct StandardErrorLog: LogSink {
    func log(level: LogLevel, logger: String, message: String) {
        writeError("\(level.rawValue) [\(logger)] \(message)")
    }
}
