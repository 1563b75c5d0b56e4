import ArgumentParser
import Caravan

/// `caravan validate`: loads route files and reports every problem.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check route files and report every problem with its position."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: "Route files or folders (default: routes).")
    var paths: [String] = []

    @Option(
        help:
            "The properties file for {{placeholders}} (default: application.properties beside the routes)."
    )
    var properties: String?

    @Option(
        name: .customLong("property"),
        help:
            "A system property KEY=VALUE for {{KEY}} and {{sys:KEY}}, as Camel's -D (repeatable; the environment wins, application.properties loses)."
    )
    var systemProperties: [String] = []

    @Option(help: "Output: text (file:line:column: error: ...) or json.")
    var format: Format = .text

    func run() async throws {
        let roots = paths.isEmpty ? ["routes"] : paths
        let files = try RouteFiles.read(try RouteFiles.find(roots))
        let placeholders = try RouteFiles.placeholders(
            for: roots, propertiesFile: properties, systemProperties: systemProperties)
        let loader = RouteLoader(placeholders: placeholders, resources: FileResources())
        var result = loader.load(files)
        result.diagnostics += RouteFiles.securityDiagnostics(
            result.routes, placeholders: placeholders, roots: roots, propertiesFile: properties)
        result.diagnostics += RouteFiles.literalSecretWarnings(files)
        let errors = result.errors.count
        switch format {
        case .text:
            for diagnostic in result.diagnostics {
                writeError(SecretRedactor.shared.redact(diagnostic.description))
            }
            let summary =
                "\(files.count) file\(files.count == 1 ? "" : "s"), \(result.routes.routes.count) route\(result.routes.routes.count == 1 ? "" : "s"), \(errors) error\(errors == 1 ? "" : "s")"
            writeOutput(Array(summary.utf8))
        case .json:
            let diagnostics: [Document] = result.diagnostics.map { d in
                var o: [(String, Document)] = [
                    ("file", .string(d.location.file)),
                    ("line", .number(DecimalText(d.location.line))),
                    ("column", .number(DecimalText(d.location.column))),
                    ("severity", .string(d.severity.rawValue)),
                    ("message", .string(SecretRedactor.shared.redact(d.message))),
                ]
                if let hint = d.hint {
                    o.append(("hint", .string(SecretRedactor.shared.redact(hint))))
                }
                return .object(
                    DocumentObject(o.map { DocumentObject.Member(key: $0.0, value: $0.1) }))
            }
            let report: Document = [
                "files": .number(DecimalText(files.count)),
                "routes": .array(result.routes.routes.map { .string($0.id) }),
                "errors": .number(DecimalText(errors)), "diagnostics": .array(diagnostics),
            ]
            writeOutput(JSONWriter(pretty: true).bytes(report))
        }
        if errors > 0 { throw ExitCode(1) }
    }
}
