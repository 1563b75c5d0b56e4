/// Writes a ``Document`` as CSV (RFC 4180).
///
/// An array of objects becomes a header record of their keys (in order of first
/// appearance) followed by one record per object; an array of arrays becomes records as
/// they are; a single object is one record. Fields are quoted only when they hold the
/// delimiter, the quote, a line end, or leading/trailing spaces. Nested arrays and
/// objects in a field are written as compact JSON.
public struct CSVWriter: Sendable {
    public var options: CSVOptions

    public init(options: CSVOptions = CSVOptions()) { self.options = options }

    public func string(_ document: Document) -> String {
        String(decoding: bytes(document), as: UTF8.self)
    }

    public func bytes(_ document: Document) -> [UInt8] {
        let rows: [Document]
        switch document {
        case .array(let elements): rows = elements
        default: rows = [document]
        }
        var out: [UInt8] = []
        let objects = rows.compactMap { row -> DocumentObject? in
            if case .object(let o) = row { return o }
            return nil
        }
        if objects.count == rows.count, !objects.isEmpty {
            var header = options.header ?? []
            if options.header == nil {
                var seen = Set<String>()
                for object in objects {
                    for key in object.keys where seen.insert(key).inserted { header.append(key) }
                }
            }
            if !options.skipHeaderRecord { writeRecord(header.map(Document.string), into: &out) }
            for object in objects { writeRecord(header.map { object[$0] ?? .null }, into: &out) }
        } else {
            for row in rows {
                switch row {
                case .array(let fields): writeRecord(fields, into: &out)
                case .object(let object): writeRecord(object.map(\.value), into: &out)
                default: writeRecord([row], into: &out)
                }
            }
        }
        return out
    }

    func writeRecord(_ fields: [Document], into out: inout [UInt8]) {
        let delimiter = UInt8(options.delimiter.value & 0x7F)
        let quote = UInt8(options.quote.value & 0x7F)
        for (i, field) in fields.enumerated() {
            if i > 0 { out.append(delimiter) }
            if field == .null, let null = options.nullString {
                out.append(contentsOf: null.utf8)
                continue
            }
            let text = field.scalarText ?? (field == .null ? "" : JSONWriter().string(field))
            let utf8 = Array(text.utf8)
            let needsQuotes =
                utf8.contains { $0 == delimiter || $0 == quote || $0 == 0x0A || $0 == 0x0D }
                || utf8.first == 0x20 || utf8.last == 0x20
            if needsQuotes {
                out.append(quote)
                for b in utf8 {
                    if b == quote { out.append(quote) }
                    out.append(b)
                }
                out.append(quote)
            } else {
                out.append(contentsOf: utf8)
            }
        }
        if options.trailingDelimiter { out.append(delimiter) }
        out.append(contentsOf: options.recordSeparator.utf8)
    }
}
