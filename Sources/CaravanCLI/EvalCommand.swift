import ArgumentParser
import Caravan

/// `caravan eval`: evaluates an expression against a message.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a simple, jsonpath, xpath, constant or header expression against a message."
    )

    func run() async throws {
        throw CLIFailure.invalid("not available yet")
    }
}
