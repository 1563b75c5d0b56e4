import Foundation

/// Runs a child process to its end without blocking Swift concurrency's threads: the
/// waiting happens on threads of its own. (Waiting on the cooperative pool — two threads
/// on a two-core machine — stalled every other test of the process while a command ran.)
public enum ChildProcess {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `executable` with `arguments`, writes `stdin` to it, and collects its output;
    /// `mergeOutput` sends stderr to stdout.
    public static func run(
        _ executable: URL, _ arguments: [String], stdin: [UInt8] = [], mergeOutput: Bool = false
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(
                    with: Swift.Result {
                        try runBlocking(executable, arguments, stdin, mergeOutput)
                    })
            }.start()
        }
    }

    private static func runBlocking(
        _ executable: URL, _ arguments: [String], _ stdin: [UInt8], _ mergeOutput: Bool
    ) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let input = Pipe()
        let output = Pipe()
        let error = mergeOutput ? output : Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let writer = Thread {
            input.fileHandleForWriting.write(Data(stdin))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        // Drain stderr on its own thread so a chatty child never blocks on a full pipe.
        let errors = Collected()
        if !mergeOutput {
            Thread {
                errors.data = error.fileHandleForReading.readDataToEndOfFile()
                errors.done.signal()
            }.start()
        } else {
            errors.done.signal()
        }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        errors.done.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: errors.data, as: UTF8.self))
    }

    /// A pipe's bytes, collected on another thread.
    private final class Collected: @unchecked Sendable {
        // Written by one thread before `done` is signalled, read after it.
        var data = Data()
        let done = DispatchSemaphore(value: 0)
    }
}
