import CSV

/// yaslab/CSV.swift reading rows as header-keyed maps (its own file: the package's
/// `CSVReader` would clash with Caravan's).
func parseWithYaslabCSV(_ text: String) throws -> [[String: String]] {
    let reader = try CSVReader(string: text, hasHeaderRow: true)
    let header = reader.headerRow ?? []
    var rows: [[String: String]] = []
    while let row = reader.next() {
        rows.append(Dictionary(zip(header, row), uniquingKeysWith: { $1 }))
    }
    return rows
}
