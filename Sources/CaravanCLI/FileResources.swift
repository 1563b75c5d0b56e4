import Caravan
import Foundation

/// `resource:` expressions read from files, as Camel JBang resolves them: `classpath:name`
/// beside the route file that names it (JBang's classpath holds the folder of the files
/// it runs), `file:path` from the working folder or an absolute path. Other schemes
/// (`http:`, `ref:`) are refused with the position.
struct FileResources: ResourceReader {
    /// The largest resource read (an expression, not a data file).
    static let limit = 1 << 20

    func read(_ reference: String, forRouteFile routeFile: String) throws(ResourceError)
        -> String
    {
        let path: String
        if reference.hasPrefix("classpath:") {
            let name = reference.dropFirst("classpath:".count).drop { $0 == "/" }
            path =
                URL(fileURLWithPath: routeFile).deletingLastPathComponent()
                .appendingPathComponent(String(name)).path
        } else if reference.hasPrefix("file:") {
            path = String(reference.dropFirst("file:".count))
        } else {
            throw ResourceError(
                "the resource '\(reference)' is neither classpath: nor file:",
                hint: "write resource:classpath:name (beside the route file) or resource:file:path")
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes?[.size] as? Int else {
            throw ResourceError(
                "the resource '\(reference)' was not found (looked for \(path))",
                hint: "put the file there, or correct the name")
        }
        guard size <= Self.limit,
            let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8)
        else {
            throw ResourceError(
                "the resource '\(reference)' (\(path)) is not UTF-8 text of at most 1 MiB",
                hint: "an expression's resource holds the expression's text")
        }
        return text
    }
}
