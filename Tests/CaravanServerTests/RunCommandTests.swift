import Foundation
import Testing

/// `caravan run FILE`: a route file from Camel's examples, run as `camel run` runs it.
@Suite struct RunCommandTests {
    @Test func aRouteFileRunsOnAThrowawayStoreWithCamelShapedLogs() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "caravan-run-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // As Camel JBang's `camel init hello.yaml` writes it, with a property beside it.
        try """
        - from:
            uri: "timer:yaml"
            parameters:
              period: "{{period}}"
            steps:
              - setBody:
                  simple: "Hello Camel from ${routeId}"
              - log: "${body}"
        """.write(to: dir.appendingPathComponent("hello.yaml"), atomically: true, encoding: .utf8)
        try "period=200\n".write(
            to: dir.appendingPathComponent("application.properties"), atomically: true,
            encoding: .utf8)
        let process = try ServeProcess(
            [dir.appendingPathComponent("hello.yaml").path, "--port", "0"], command: "run",
            logPath: dir.appendingPathComponent("run.log").path)
        let deadline = ContinuousClock.now + .seconds(60)
        var line: Substring?
        while line == nil, ContinuousClock.now < deadline {
            line = process.output.split(separator: "\n").first {
                $0.contains("Hello Camel from route1")
            }
            if line == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        process.signal(SIGINT)
        let status = await process.waitForExit()
        let found = try #require(line, "no hello line: \(process.output.suffix(2000))")
        // 2026-12-07 10:15:02.123  INFO 4242 --- [        caravan] route1 … : Hello Camel from route1
        let shape =
            #/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}  INFO \d+ --- \[ +caravan\] route1 +: Hello Camel from route1$/#
        #expect(found.wholeMatch(of: shape) != nil, "\(found)")
        #expect(status == 0, "\(process.output.suffix(1000))")
    }
}
