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
        switch format {
        case .json(let pretty):
            bytes = JSONWriter(pretty: pretty).bytes(document)
            type = .json
        case .xml(let root, let pretty):
            do {
                bytes = try XMLWriter(rootName: root, pretty: pretty).bytes(document)
            } catch {
                throw ProcessingError(.illegalArgument, error.description)
            }
            type = .xml
        case .csv(let o):
            bytes = CSVWriter(options: o.options).bytes(document)
            type = .csv
        }
        exchange.message.body = Body(bytes: bytes, contentType: type)
        exchange.message.headers["Content-Type"] =
            DataFormatProcessor.contentTypeHeaders[type.subtype] ?? .string(type.description)
    }
}
