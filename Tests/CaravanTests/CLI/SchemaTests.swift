import CaravanTestSupport
import Foundation
import Testing

/// `caravan schema`, checked with a real JSON Schema validator (Python's jsonschema, which
/// `.ci/run` installs): the example routes satisfy it, a misspelled key does not.
@Suite struct SchemaTests {
    @Test func theExampleRoutesSatisfyTheSchemaAndAMisspelledKeyDoesNot() async throws {
        let schema = try await CLITests().caravan(["schema"])
        #expect(schema.status == 0)
        let schemaFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "caravan-schema-\(UUID().uuidString).json")
        try schema.stdout.write(to: schemaFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: schemaFile) }
        let routes = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../routes").standardized.path
        let script = """
            import glob, json, sys, yaml, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            v = jsonschema.Draft202012Validator(schema)
            files = [f for f in sorted(glob.glob(sys.argv[2] + '/*.yaml')) if not f.endswith('.test.yaml')]
            assert files, 'no example routes found'
            for f in files:
                errors = list(v.iter_errors(yaml.safe_load(open(f))))
                print(f, 'ok' if not errors else errors[0].message)
            bad = yaml.safe_load('- route:\\n    from:\\n      uri: direct:a\\n      steps:\\n        - filter:\\n            simple: x\\n            stpes: []\\n')
            print('misspelled', 'rejected' if list(v.iter_errors(bad)) else 'accepted')
            """
        let run = try await ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", "-c", script, schemaFile.path, routes])
        let output = run.stdout
        #expect(
            run.status == 0,
            "python3 with jsonschema and PyYAML is needed (.ci/run installs them): \(run.stderr)")
        let lines = output.split(separator: "\n")
        #expect(lines.count >= 6)
        #expect(lines.dropLast().allSatisfy { $0.hasSuffix(" ok") }, "\(output)")
        #expect(lines.last == "misspelled rejected")
    }
}
