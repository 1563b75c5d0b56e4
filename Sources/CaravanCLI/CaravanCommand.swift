import ArgumentParser
import CaravanServer
import Foundation

/// `caravan`: the command line. Exit status is a contract: 0 success, 1 malformed input,
/// 2 invalid arguments or expression.
@main
struct CaravanCommand: AsyncParsableCommand {
    static let version = CaravanVersion.current

    static let configuration = CommandConfiguration(
        commandName: "caravan",
        abstract:
            "A lightweight enterprise service bus: routes, transforms and durably delivers messages.",
        version: version,
        subcommands: [
            ConvertCommand.self, EvalCommand.self, ValidateCommand.self, TestCommand.self,
            SchemaCommand.self, ServeCommand.self, RunCommand.self, DatabaseCommand.self,
            DeadLetterCommand.self,
            MessagesCommand.self, TokensCommand.self,
        ]
    )

    /// Parses and runs the command, mapping every failure onto the documented exit codes
    /// (ArgumentParser's own usage errors would otherwise exit 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            // A command that has already printed what went wrong.
            Foundation.exit(code.rawValue)
        } catch let failure as CLIFailure {
            FileHandle.standardError.write(Data("caravan: error: \(failure.message)\n".utf8))
            Foundation.exit(failure.code)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data("caravan: error: \(message)\n".utf8))
            Foundation.exit(2)
        }
    }
}

/// A failure with the exit status it maps to.
struct CLIFailure: Error {
    let code: Int32
    let message: String

    /// Exit 1: the input is malformed.
    static func malformed(_ message: String) -> CLIFailure { CLIFailure(code: 1, message: message) }
    /// Exit 2: the arguments or the expression are invalid.
    static func invalid(_ message: String) -> CLIFailure { CLIFailure(code: 2, message: message) }
}

/// Reads the whole input: the file when one is named, else standard input.
func readInput(_ path: String?) throws -> [UInt8] {
    guard let path else {
        return Array(FileHandle.standardInput.readDataToEndOfFile())
    }
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw CLIFailure.invalid(
            "cannot open the input file '\(path)' — check the path and its permissions")
    }
    defer { try? handle.close() }
    do {
        return Array(try handle.readToEnd() ?? Data())
    } catch {
        throw CLIFailure.invalid(
            "cannot read the input file '\(path)': \(error.localizedDescription)")
    }
}

/// Writes one line to standard error.
func writeError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Writes bytes to standard output.
func writeOutput(_ bytes: [UInt8], newline: Bool = true) {
    var data = Data(bytes)
    if newline, bytes.last != 0x0A { data.append(0x0A) }
    FileHandle.standardOutput.write(data)
}
