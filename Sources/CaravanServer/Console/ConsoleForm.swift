import Foundation
import Hummingbird
import NIOCore

/// An `application/x-www-form-urlencoded` body (or query): each name with its values in
/// order (checkboxes repeat a name).
struct ConsoleForm: Sendable {
    var values: [String: [String]] = [:]

    init(_ text: String) {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            values[name, default: []].append(value)
        }
    }

    static func decode(_ text: Substring) -> String {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
    }

    /// A form's fields from a POST body (at most `limit` bytes).
    static func body(_ request: Request, limit: Int = 11 * 1024 * 1024) async throws -> ConsoleForm
    {
        var request = request
        let bytes = try await request.collectBody(upTo: limit)
        return ConsoleForm(String(buffer: bytes))
    }

    /// The request's query.
    static func query(_ request: Request) -> ConsoleForm { ConsoleForm(request.uri.query ?? "") }

    subscript(_ name: String) -> String? {
        guard let value = values[name]?.first, !value.isEmpty else { return nil }
        return value
    }

    func all(_ name: String) -> [String] { values[name] ?? [] }
}
