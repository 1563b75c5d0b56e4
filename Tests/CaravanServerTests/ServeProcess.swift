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

    init(_ arguments: [String], environment: [String: String] = [:], logPath: String) throws {
        process = Process()
        process.executableURL = URL(
            fileURLWithPath: try #require(Self.executable, "build the caravan executable first"))
        process.arguments = ["serve"] + arguments
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

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
