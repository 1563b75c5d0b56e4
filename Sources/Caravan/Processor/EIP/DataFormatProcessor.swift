/// `marshal` and `unmarshal` with the json, jacksonXml and csv data formats.
///
/// ```yaml
/// - unmarshal: {json: {}}        # bytes → document
/// - marshal: {jacksonXml: {}}    # document → XML bytes, Content-Type application/xml
/// ```
/// Unmarshal reads the body in the named format whatever its content type; a body that
/// does not parse fails with the format's parse error (e.g.
/// `com.fasterxml.jackson.core.JsonParseException`). Marshal writes the body's document
/// (parsing it by its own content type first when it is still raw) and sets
/// `Content-Type`.
struct DataFormatProcessor: Processor {
    enum Direction { case marshal, unmarshal }

    let direction: Direction
    let format: DataFormatDefinition

    /// The `Content-Type` values marshal sets, spelled once rather than per message.
    static let contentTypeHeaders: [String: Document] = [
        "json": .string(MediaType.json.description), "xml": .string(MediaType.xml.description),
        "csv": .string(MediaType.csv.description),
    ]

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        switch direction {
        case .unmarshal: try unmarshal(&exchange)
        case .marshal: try marshal(&exchange)
        }
    }

    func unmarshal(_ exchange: inout Exchange) throws(ProcessingError) {
        let body = exchange.message.body
        if case .document = body.content { return }
        let bytes = body.bytes
        do {
            let document: Document
            switch format {
            case .json: document = try JSONReader().read(bytes)
            // As Jackson's XmlMapper reads XML into a Map (Camel's default).
            case .xml: document = JacksonXMLView.map(try XMLReader().read(bytes))
            case .csv(let o):
                let reader = CSVReader(options: o.options)
                document = try reader.read(bytes)
                if o.captureHeaderRecord {
                    var header = o.header
                    if header == nil { header = try reader.headerRecord(bytes) }
                    if let header {
                        exchange.message.headers["CamelCsvHeaderRecord"] = .array(
                            header.map(Document.string))
                    }
                }
            }
            exchange.message.body = Body(document: document)
        } catch {
            throw ProcessingError.format(error)
        }
        switch format {
        case .json(let o), .xml(_, let o): try Self.checkStringLength(exchange.message.body, o)
        case .csv: break
        }
    }

    func marshal(_ exchange: inout Exchange) throws(ProcessingError) {
        let document: Document
        let body = exchange.message.body
        switch body.content {
        case .document(let d): document = d
        case .empty: document = .null
        default:
            if body.format == nil {
                document = .string(body.text)
            } else {
                do { document = try body.document() } catch { throw ProcessingError.format(error) }
            }
        }
        let bytes: [UInt8]
        let type: MediaType
        var contentTypeHeader = true
        switch format {
        case .json(let o):
            bytes = JSONWriter(pretty: o.pretty).bytes(Self.shaped(document, o))
            type = .json
            contentTypeHeader = o.contentTypeHeader
        case .xml(let root, let o):
            do {
                bytes = try XMLWriter(rootName: root, pretty: o.pretty).bytes(
                    Self.shaped(document, o))
            } catch {
                throw ProcessingError(.illegalArgument, error.description)
            }
            type = .xml
            contentTypeHeader = o.contentTypeHeader
        case .csv(let o):
            bytes = CSVWriter(options: o.options).bytes(document)
            type = .csv
        }
        exchange.message.body = Body(bytes: bytes, contentType: type)
        guard contentTypeHeader else { return }
        exchange.message.headers["Content-Type"] =
            DataFormatProcessor.contentTypeHeaders[type.subtype] ?? .string(type.description)
    }

    /// The document as Jackson writes it with these options: map entries left out by
    /// `include` and `WRITE_NULL_MAP_VALUES`, keys sorted by `ORDER_MAP_ENTRIES_BY_KEYS`
    /// (list elements are kept, as Jackson keeps them).
    static func shaped(_ document: Document, _ o: JacksonOptionsDefinition) -> Document {
        guard o.include != .always || o.sortKeys || !o.writeNullMapValues else { return document }
        func omitted(_ value: Document) -> Bool {
            switch (value, o.include) {
            case (.null, _): return o.include != .always || !o.writeNullMapValues
            case (.string(let s), .nonEmpty): return s.isEmpty
            case (.array(let a), .nonEmpty): return a.isEmpty
            case (.object(let m), .nonEmpty): return m.isEmpty
            default: return false
            }
        }
        func shape(_ d: Document) -> Document {
            switch d {
            case .object(let members):
                var kept = members.filter { !omitted($0.value) }.map {
                    DocumentObject.Member(key: $0.key, value: shape($0.value))
                }
                if o.sortKeys { kept.sort { $0.key < $1.key } }
                return .object(DocumentObject(kept))
            case .array(let items): return .array(items.map(shape))
            default: return d
            }
        }
        return shape(document)
    }

    /// `maxStringLength`: a longer string value read is an error, as Jackson's
    /// StreamReadConstraints make it.
    static func checkStringLength(_ body: Body, _ o: JacksonOptionsDefinition)
        throws(ProcessingError)
    {
        guard let limit = o.maxStringLength, case .document(let document) = body.content else {
            return
        }
        func check(_ d: Document) throws(ProcessingError) {
            switch d {
            case .string(let s) where s.utf8.count > limit:
                throw ProcessingError(
                    ErrorKind("com.fasterxml.jackson.core.exc.StreamConstraintsException"),
                    "String value length (\(s.utf8.count)) exceeds the maximum allowed (\(limit), from maxStringLength)"
                )
            case .object(let m): for member in m { try check(member.value) }
            case .array(let a): for item in a { try check(item) }
            default: break
            }
        }
        try check(document)
    }
}
