import Caravan
import CaravanAdapters
import CaravanServer
import Foundation
import Logging

/// Finds and reads route files and the properties beside them (the loader itself does no
/// I/O).
enum RouteFiles {
    /// `*.yaml`, `*.yml` and `*.camel.yaml` under the given files or folders (recursively),
    /// excluding route tests (`*.test.yaml`), sorted for a stable order.
    static func find(_ paths: [String]) throws -> [String] {
        var found: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CLIFailure.invalid("'\(path)' does not exist — give route files or folders")
            }
            if !isDirectory.boolValue {
                found.append(path)
                continue
            }
            guard let walker = fm.enumerator(atPath: path) else { continue }
            for case let relative as String in walker where isRouteFile(relative) {
                found.append((path as NSString).appendingPathComponent(relative))
            }
        }
        return found.sorted()
    }

    /// Names, sizes and modification times of the route files and properties under
    /// `paths`: what hot reload compares.
    static func fingerprint(_ paths: [String]) -> String {
        var parts: [String] = []
        for path in (try? find(paths)) ?? [] {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            parts.append("\(path):\(size):\(modified)")
        }
        for path in paths {
            let properties = (path as NSString).appendingPathComponent("application.properties")
            if let attributes = try? FileManager.default.attributesOfItem(atPath: properties) {
                parts.append(
                    "\(properties):\((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
                )
            }
        }
        return parts.joined(separator: "\n")
    }

    static func isRouteFile(_ name: String) -> Bool {
        (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) && !name.hasSuffix(".test.yaml")
            && !name.hasSuffix(".test.yml")
            && !name.split(separator: "/").contains { $0.hasPrefix(".") }
    }

    static func read(_ paths: [String]) throws -> [RouteFile] {
        try paths.map { path in
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CLIFailure.invalid("cannot read '\(path)' — check its permissions")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw CLIFailure.malformed("\(path): the file is not UTF-8 text")
            }
            return RouteFile(path: path, text: text)
        }
    }

    /// The properties file: the explicit `--properties` one, or `application.properties` in
    /// the first folder given (or beside the first file) when there is one.
    static func propertiesPath(for paths: [String], propertiesFile: String?) -> String? {
        if let propertiesFile { return propertiesFile }
        guard let first = paths.first else { return nil }
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: first, isDirectory: &isDirectory)
        let folder = isDirectory.boolValue ? first : (first as NSString).deletingLastPathComponent
        let candidate = ((folder.isEmpty ? "." : folder) as NSString).appendingPathComponent(
            "application.properties")
        return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
    }

    /// Placeholders in the security settings' values, resolved as in route files.
    static func securityResolver(_ placeholders: PlaceholderResolver) -> (String)
        throws(SecurityError) -> String
    {
        { text throws(SecurityError) in
            do { return try placeholders.resolved(text) } catch let problem
                as PlaceholderResolver.Problem
            {
                throw SecurityError(problem.message, hint: problem.hint ?? "")
            } catch {
                throw SecurityError("\(error)", hint: "")
            }
        }
    }

    /// The security settings' problems: a setting that cannot be used, or a key written
    /// into the file (a warning), at its line of the properties file; a policy a route
    /// names that is not defined, at the route.
    static func securityDiagnostics(
        _ routes: RouteSet, placeholders: PlaceholderResolver, roots: [String],
        propertiesFile: String?
    ) -> [Diagnostic] {
        let file = propertiesPath(for: roots, propertiesFile: propertiesFile)
        let lines =
            file.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }?
            .split(separator: "\n", omittingEmptySubsequences: false) ?? []
        func diagnostic(
            key: String?, _ message: String, hint: String, _ severity: Diagnostic.Severity
        ) -> Diagnostic {
            let line =
                key.flatMap { key in
                    lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix(key) }
                }.map { $0 + 1 } ?? 1
            return Diagnostic(
                SourceLocation(file: file ?? "application.properties", line: line, column: 1),
                message, hint: hint, severity: severity)
        }
        func diagnostic(_ error: SecurityError, _ severity: Diagnostic.Severity) -> Diagnostic {
            diagnostic(
                key: error.key, (error.key.map { "\($0): " } ?? "") + error.message,
                hint: error.hint, severity)
        }
        do {
            let security = try HTTPSecurity(
                properties: placeholders.properties, logger: Logger(label: "caravan"),
                resolve: securityResolver(placeholders))
            var found =
                security.warnings.map { diagnostic($0, .warning) } + security.diagnose(routes)
            // The rest of the settings as `serve` reads them (TLS files, limits): what
            // would stop it stops `validate` too.
            var settings = NodeSettings(database: .url("postgres://localhost/caravan"))
            settings.management = NodeSettings.Management()
            do {
                try settings.apply(
                    properties: placeholders.properties, security: security,
                    resolve: securityResolver(placeholders))
            } catch {
                found.append(diagnostic(key: error.key, error.description, hint: "", .error))
            }
            return found
        } catch {
            return [diagnostic(error, .error)]
        }
    }

    /// Route files that hold what looks like a literal password: a `password=` option, or
    /// user information in a URI, that is not a placeholder.
    static func literalSecretWarnings(_ files: [RouteFile]) -> [Diagnostic] {
        var found: [Diagnostic] = []
        for file in files {
            for (i, line) in file.text.split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated()
            {
                let text = String(line)
                var column: Int?
                if let r = text.range(of: "password=", options: .caseInsensitive),
                    !text[r.upperBound...].hasPrefix("{{"),
                    !text[r.upperBound...].hasPrefix("RAW({{")
                {
                    column = text.distance(from: text.startIndex, to: r.lowerBound) + 1
                } else if let scheme = text.range(of: "://"),
                    let at = text[scheme.upperBound...].firstIndex(of: "@"),
                    let colon = text[scheme.upperBound..<at].firstIndex(of: ":"),
                    !text[text.index(after: colon)..<at].hasPrefix("{{"),
                    !text[scheme.upperBound..<at].contains("/")
                {
                    column = text.distance(from: text.startIndex, to: scheme.upperBound) + 1
                }
                if let column {
                    found.append(
                        Diagnostic(
                            SourceLocation(file: file.path, line: i + 1, column: column),
                            "this looks like a password written into the route file",
                            hint:
                                "put it in the secrets directory and write {{secret:NAME}} (caravan.secrets.directory)",
                            severity: .warning))
                }
            }
        }
        return found
    }

    /// `application.properties` in the first folder given (or beside the first file), or
    /// the explicit `--properties` file, with the environment for `{{env:...}}` and the
    /// secrets directory (`caravan.secrets.directory`) for `{{secret:...}}`. The secrets'
    /// values are registered with ``SecretRedactor/shared``.
    static func placeholders(
        for paths: [String], propertiesFile: String?, systemProperties: [String] = []
    ) throws -> PlaceholderResolver {
        var system: [String: String] = [:]
        for pair in systemProperties {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw CLIFailure.invalid(
                    "--property \(pair): give KEY=VALUE (for example --property orders.url=http://localhost:8080)"
                )
            }
            system[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        var properties: [String: String] = [:]
        if let file = propertiesPath(for: paths, propertiesFile: propertiesFile) {
            guard let data = FileManager.default.contents(atPath: file),
                let text = String(data: data, encoding: .utf8)
            else {
                throw CLIFailure.invalid("cannot read the properties file '\(file)'")
            }
            properties = PlaceholderResolver.parseProperties(text)
        }
        var secrets: [String: String] = [:]
        let directory = properties["caravan.secrets.directory"]
        if let directory {
            secrets = try readSecrets(directory)
            SecretRedactor.shared.register(secrets)
        }
        return PlaceholderResolver(
            properties: properties, environment: ProcessInfo.processInfo.environment,
            systemProperties: system, secrets: secrets, secretsDirectory: directory)
    }

    /// One secret per file, named by the file (dot files skipped: Kubernetes keeps its
    /// `..data` links there); one trailing newline is not part of the value.
    static func readSecrets(_ directory: String) throws -> [String: String] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else {
            throw CLIFailure.invalid(
                "caravan.secrets.directory=\(directory): cannot read the folder — give a folder of secret files, one per secret"
            )
        }
        var secrets: [String: String] = [:]
        for name in names where !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                let data = fm.contents(atPath: path)
            else { continue }
            guard var value = String(data: data, encoding: .utf8) else {
                throw CLIFailure.invalid(
                    "the secret '\(name)' in \(directory) is not UTF-8 text")
            }
            if value.hasSuffix("\r\n") {
                value.removeLast(1)
            } else if value.hasSuffix("\n") {
                value.removeLast()
            }
            secrets[name] = value
        }
        return secrets
    }
}
