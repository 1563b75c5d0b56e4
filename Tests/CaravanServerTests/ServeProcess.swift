import CaravanTestSupport
import Foundation
import Synchronization
import Testing

/// A `caravan serve` child process, its output in a file (a pipe nobody reads would fill
/// and stall it), awaited through its termination handler (no thread blocks on it).
final class ServeProcess: Sendable {
    static let executable = CaravanExecutable.path

    let process: Process
    let logPath: String
    private let exit = ExitState()

    /// The exit status once known, and who waits for it.
    final class ExitState: Sendable {
        let state = Mutex<(status: Int32?, waiters: [CheckedContinuation<Int32, Never>])>(
            (nil, []))
    }

    /// `openFiles` caps the process's open files, soft and hard (through util-linux's
    /// `prlimit`, which then executes `caravan` in its own place: the same process).
    init(
        _ arguments: [String], command: String = "serve", environment: [String: String] = [:],
        openFiles: Int? = nil, logPath: String
    ) throws {
        process = Process()
        let caravan = try #require(Self.executable, "build the caravan executable first")
        if let openFiles {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
            process.arguments = ["--nofile=\(openFiles):\(openFiles)", "--", caravan, command]
        } else {
            process.executableURL = URL(fileURLWithPath: caravan)
            process.arguments = [command]
        }
        // Tests run side by side: no fixed management port (`run` has none).
        process.arguments! += (command == "serve" ? ["--management-port", "0"] : []) + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        self.logPath = logPath
        process.terminationHandler = { [exit] p in
            let waiters = exit.state.withLock { e in
                e.status = p.terminationStatus
                defer { e.waiters = [] }
                return e.waiters
            }
            for w in waiters { w.resume(returning: p.terminationStatus) }
        }
        try process.run()
        try? log.close()
    }

    /// A test that fails half-way leaves no server behind.
    deinit {
        if exit.state.withLock({ $0.status == nil }) { kill(process.processIdentifier, SIGKILL) }
    }

    /// Waits for the process to end; its exit status.
    func waitForExit() async -> Int32 {
        await withCheckedContinuation { c in
            let done = exit.state.withLock { e -> Int32? in
                if let s = e.status { return s }
                e.waiters.append(c)
                return nil
            }
            if let done { c.resume(returning: done) }
        }
    }

    /// The port the process logged it listens on (within 60 s): the routes' listener, or
    /// with `"management listening"` the management listener.
    func listeningPort(_ message: String = "listening") async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let line = output.split(separator: "\n").first(where: {
                $0.hasSuffix("] \(message)")
            }),
                let url = line.split(separator: " ").first(where: { $0.hasPrefix("url=") }),
                let port = Int(url.split(separator: ":").last ?? "")
            {
                return port
            }
            // The log is a file: no event says a line was written.
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "no 'listening' line: \(output.suffix(2000))")
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
