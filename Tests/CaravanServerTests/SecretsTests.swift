import CaravanTestSupport
import Foundation
import Testing

/// `{{secret:NAME}}` from the secrets directory: used where a placeholder may stand, and
/// its value hidden wherever text leaves the process.
@Suite struct SecretsTests {
    /// A routes folder with `application.properties`, its secrets directory and `routes`.
    func folder(_ routes: String, properties: String, secrets: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "caravan-secrets-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(
            atPath: dir + "/routes", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            atPath: dir + "/secrets", withIntermediateDirectories: true)
        // As Kubernetes mounts a Secret: the values behind `..data`, which is skipped.
        try FileManager.default.createDirectory(
            atPath: dir + "/secrets/..data", withIntermediateDirectories: true)
        for (name, value) in secrets {
            try value.write(
                toFile: dir + "/secrets/..data/" + name, atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(
                atPath: dir + "/secrets/" + name, withDestinationPath: "..data/" + name)
        }
        try routes.write(toFile: dir + "/routes/routes.yaml", atomically: true, encoding: .utf8)
        try (properties + "\ncaravan.secrets.directory=\(dir)/secrets\n").write(
            toFile: dir + "/routes/application.properties", atomically: true, encoding: .utf8)
        return dir
    }

    @Test func aSecretWorksAsAKeyAndItsValueNeverReachesTheLog() async throws {
        let dir = try folder(
            """
            - route:
                id: orders
                from:
                  uri: "platform-http:/orders?authPolicy=erp"
                  steps:
                    - log: "calling the bank with {{secret:bank-token}}"
            """,
            properties: """
                caravan.auth.policies.erp.type=apiKey
                caravan.auth.policies.erp.keys={{secret:erp-keys}}
                """,
            secrets: ["erp-keys": "key-one-4711,key-two-0815\n", "bank-token": "tok-ABCDEF-123"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cluster = try await ServerTestDatabase.cluster.value
        let serve = try ServeProcess(
            [
                "--routes", dir + "/routes", "--database", ServerTestDatabase.url(cluster),
                "--schema", ServerTestDatabase.newSchema().name, "--port", "0",
            ], logPath: dir + "/serve.log")
        let port = try await serve.listeningPort()
        let accepted = try await HTTP.send(
            "http://127.0.0.1:\(port)/orders", "{}", contentType: "application/json",
            headers: [("X-API-Key", "key-two-0815")])
        let refused = try await HTTP.send(
            "http://127.0.0.1:\(port)/orders", "{}", contentType: "application/json",
            headers: [("X-API-Key", "key-two-0816")])
        // The log step runs on the worker: wait for its line (bounded).
        let deadline = ContinuousClock.now + .seconds(30)
        while !serve.output.contains("calling the bank with"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit() == 0)
        let log = serve.output
        #expect(accepted.status == 202)
        #expect(refused.status == 401)
        #expect(log.contains("calling the bank with [secret bank-token]"), "\(log)")
        #expect(!log.contains("tok-ABCDEF-123"))
        #expect(!log.contains("key-two-0815"))
    }

    @Test func validateNamesAMissingSecretAndWarnsOfKeysWrittenIntoFiles() async throws {
        let dir = try folder(
            """
            - route:
                id: orders
                from:
                  uri: "platform-http:/orders?authPolicy=erp"
                  steps:
                    - to: "https://erp:{{secret:erp-pass}}@erp.example/in"
                    - to: "https://erp:plain-pass@erp.example/in"
            """,
            properties: """
                caravan.auth.policies.erp.type=apiKey
                caravan.auth.policies.erp.keys=literal-key
                caravan.auth.policies.hooks.type=hmac
                caravan.auth.policies.hooks.scheme=github
                caravan.auth.policies.hooks.secrets={{secret:hook-secret}}
                """,
            secrets: ["erp-pass": "pass-XYZ-987"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cli = CLIRunner()
        let run = try await cli.caravan(["validate", dir + "/routes"])
        #expect(run.status == 1)
        #expect(
            run.stderr.contains(
                "application.properties:5:1: error: caravan.auth.policies.hooks.secrets: there is no secret 'hook-secret' in \(dir)/secrets"
            ), "\(run.stderr)")
        let json = try await cli.caravan(["validate", "--format", "json", dir + "/routes"])
        #expect(!json.stdout.contains("pass-XYZ-987"))

        // Without the missing one: the literal key and the literal password are warnings.
        try "x".write(toFile: dir + "/secrets/hook-secret", atomically: true, encoding: .utf8)
        let warned = try await cli.caravan(["validate", dir + "/routes"])
        #expect(warned.status == 0, "\(warned.stderr)")
        #expect(
            warned.stderr.contains(
                "application.properties:2:1: warning: caravan.auth.policies.erp.keys: holds its keys as written in the file"
            ), "\(warned.stderr)")
        #expect(
            warned.stderr.contains(
                "routes.yaml:7:24: warning: this looks like a password written into the route file"
            ), "\(warned.stderr)")
        #expect(!warned.stderr.contains("routes.yaml:6:"), "a placeholder is no literal")
    }
}

/// Runs the built `caravan` executable with arguments; its status, output and errors.
struct CLIRunner {
    func caravan(_ arguments: [String]) async throws -> ChildProcess.Result {
        try await ChildProcess.run(try #require(CaravanExecutable.url), arguments)
    }
}
