import SwiftCSV

/// SwiftCSV reading rows as header-keyed maps (its own file: its `CSV` type would clash
/// with yaslab's `CSV` module).
func parseWithSwiftCSV(_ text: String) throws -> [[String: String]] {
    try CSV<Named>(string: text).rows
}
