import Caravan
import CaravanAdapters
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

    /// The security settings' problems: a setting that cannot be used (at its line of the
    /// properties file), and a policy a route names that is not defined (at the route).
    static func securityDiagnostics(
        _ routes: RouteSet, placeholders: PlaceholderResolver, roots: [String],
        propertiesFile: String?
    ) -> [Diagnostic] {
        do {
            let security = try HTTPSecurity(
                properties: placeholders.properties, logger: Logger(label: "caravan"))
            return security.diagnose(routes)
        } catch {
            let file = propertiesPath(for: roots, propertiesFile: propertiesFile)
            var line = 1
            if let file, let key = error.key,
                let text = try? String(contentsOfFile: file, encoding: .utf8)
            {
                for (i, l) in text.split(separator: "\n", omittingEmptySubsequences: false)
                    .enumerated()
                where l.trimmingCharacters(in: .whitespaces).hasPrefix(key) {
                    line = i + 1
                    break
                }
            }
            return [
                Diagnostic(
                    SourceLocation(file: file ?? "application.properties", line: line, column: 1),
                    (error.key.map { "\($0): " } ?? "") + error.message, hint: error.hint)
            ]
        }
    }

    /// `application.properties` in the first folder given (or beside the first file), or
    /// the explicit `--properties` file, with the environment for `{{env:...}}`.
    static func placeholders(for paths: [String], propertiesFile: String?) throws
        -> PlaceholderResolver
    {
        var properties: [String: String] = [:]
        if let file = propertiesPath(for: paths, propertiesFile: propertiesFile) {
            guard let data = FileManager.default.contents(atPath: file),
                let text = String(data: data, encoding: .utf8)
            else {
                throw CLIFailure.invalid("cannot read the properties file '\(file)'")
            }
            properties = PlaceholderResolver.parseProperties(text)
        }
        return PlaceholderResolver(
            properties: properties, environment: ProcessInfo.processInfo.environment)
    }
}
