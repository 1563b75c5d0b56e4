import ArgumentParser
import Caravan

/// `caravan schema`: prints the JSON Schema of route files.
struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema (draft 2020-12) of route files, for editors."
    )

    func run() async throws {
        writeOutput(JSONWriter(pretty: true).bytes(RouteSchema.document))
    }
}
