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
    /// `prlimit`, which then executes `caravan` in its own place: the same process);
    /// `directory` is its working folder.
    init(
        _ arguments: [String], command: String = "serve", environment: [String: String] = [:],
        openFiles: Int? = nil, directory: String? = nil, logPath: String
    ) throws {
        process = Process()
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
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
            // swift-log's shape ends with "[source] message"; Camel's (`caravan run`) has
            // ": message url=...".
            if let line = output.split(separator: "\n").first(where: {
                $0.hasSuffix("] \(message)") || $0.contains(" : \(message) url=")
            }),
                let url = line.split(separator: " ").first(where: { $0.hasPrefix("url=") }),
                let port = Int(url.split(separator: ":").last ?? "")
            {
                return port
            }
            if hasExited { break }
            // The log is a file: no event says a line was written.
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "no 'listening' line: \(output.suffix(2000))")
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Whether the process has ended.
    var hasExited: Bool { exit.state.withLock { $0.status != nil } }

    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
