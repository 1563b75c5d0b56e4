/// Reading `marshal`/`unmarshal` data formats.
extension LoadContext {
    static let dataFormatOptions: [String: [String]] = [
        "json": [
            "id", "library", "prettyPrint", "unmarshalType", "useList", "include",
            "allowUnmarshallType", "disableFeatures", "enableFeatures", "contentTypeHeader",
            "maxStringLength", "dropRootNode", "namingStrategy", "timezone", "dateFormatPattern",
            "collectionType", "allowJmsType", "autoDiscoverObjectMapper",
            "useDefaultObjectMapper", "autoDiscoverSchemaResolver",
        ],
        "jacksonXml": [
            "id", "prettyPrint", "unmarshalType", "useList", "include", "allowUnmarshallType",
            "disableFeatures", "enableFeatures", "rootName", "contentTypeHeader",
            "maxStringLength", "timezone", "collectionType", "allowJmsType",
            "enableJaxbAnnotationModule",
        ],
        "csv": [
            "id", "delimiter", "quote", "useMaps", "useOrderedMaps", "header", "skipHeaderRecord",
            "trim", "ignoreEmptyLines", "recordSeparator", "quoteDisabled",
            "ignoreSurroundingSpaces", "lazyLoad", "format", "formatName", "commentMarker",
            "commentMarkerDisabled", "escape", "escapeDisabled", "nullString",
            "nullStringDisabled", "allowMissingColumnNames", "ignoreHeaderCase",
            "captureHeaderRecord", "trailingDelimiter", "headerDisabled",
            "recordSeparatorDisabled",
        ],
    ]

    static let refusedDataFormats = [
        "jaxb", "avro", "protobuf", "base64", "zipFile", "gzipDeflater", "bindy", "hl7", "soap",
        "yaml", "snakeYaml", "fhirJson", "fhirXml", "asn1", "barcode", "cbor", "crypto", "pgp",
        "tarFile", "thrift", "univocityCsv", "univocityFixed", "univocityTsv", "jsonApi", "grok",
        "iCal", "mimeMultipart", "rss", "swiftMt", "swiftMx", "beanio", "flatpack", "fory",
        "parquetAvro", "smooks", "xstream", "jacksonXML", "gson", "jackson",
    ]

    /// Jackson features a route may name: those that change how maps and lists are
    /// written, and those about Java types, which have nothing to act on here (no-ops).
    static let jacksonFeatures: Set<String> = [
        "INDENT_OUTPUT", "ORDER_MAP_ENTRIES_BY_KEYS", "WRITE_NULL_MAP_VALUES",
        "FAIL_ON_UNKNOWN_PROPERTIES", "FAIL_ON_EMPTY_BEANS", "WRITE_DATES_AS_TIMESTAMPS",
        "WRITE_DURATIONS_AS_TIMESTAMPS", "ADJUST_DATES_TO_CONTEXT_TIME_ZONE",
        "USE_BIG_DECIMAL_FOR_FLOATS", "USE_BIG_INTEGER_FOR_INTS", "FAIL_ON_NULL_FOR_PRIMITIVES",
        "ACCEPT_SINGLE_VALUE_AS_ARRAY", "READ_UNKNOWN_ENUM_VALUES_AS_NULL",
        "WRITE_ENUMS_USING_TO_STRING", "READ_ENUMS_USING_TO_STRING",
        "SORT_PROPERTIES_ALPHABETICALLY",
    ]

    /// The options of `json` and `jacksonXml` that need no Java type. Options about Java
    /// types (`unmarshalType`, `collectionType`, `namingStrategy`, ...) have no type to act
    /// on: documents are maps and lists.
    mutating func jacksonOptions(_ f: inout MappingReader) -> JacksonOptionsDefinition {
        var o = JacksonOptionsDefinition()
        o.pretty = f.bool("prettyPrint", default: false)
        o.contentTypeHeader = f.bool("contentTypeHeader", default: true)
        if let include = f.string("include") {
            switch include {
            case "ALWAYS", "USE_DEFAULTS": o.include = .always
            case "NON_NULL", "NON_ABSENT": o.include = .nonNull
            case "NON_EMPTY": o.include = .nonEmpty
            default:
                error(
                    f.node("include")!.location, "include '\(include)' is not supported",
                    hint: "use ALWAYS, NON_NULL, NON_ABSENT or NON_EMPTY")
            }
        }
        if f.has("maxStringLength") {
            guard let n = f.int("maxStringLength", default: nil), n > 0 else {
                error(
                    f.node("maxStringLength")!.location, "maxStringLength must be a number above 0")
                return o
            }
            o.maxStringLength = n
        }
        for (key, enabled) in [("enableFeatures", true), ("disableFeatures", false)] {
            guard let list = f.string(key) else { continue }
            for feature in list.split(separator: ",").map({ $0.trimmingXMLWhitespace() }) {
                guard Self.jacksonFeatures.contains(feature) else {
                    error(
                        f.node(key)!.location, "the Jackson feature '\(feature)' is not supported",
                        hint:
                            "features that apply to maps and lists: INDENT_OUTPUT, ORDER_MAP_ENTRIES_BY_KEYS, WRITE_NULL_MAP_VALUES"
                    )
                    continue
                }
                switch feature {
                case "INDENT_OUTPUT": o.pretty = enabled
                case "ORDER_MAP_ENTRIES_BY_KEYS": o.sortKeys = enabled
                case "WRITE_NULL_MAP_VALUES": o.writeNullMapValues = enabled
                default: break
                }
            }
        }
        return o
    }

    mutating func dataFormat(_ r: MappingReader) -> DataFormatDefinition? {
        let formats = r.pairs.filter {
            LoadContext.dataFormatOptions[$0.key.text] != nil
                || LoadContext.refusedDataFormats.contains($0.key.text)
        }
        guard formats.count == 1, let pair = formats.first else {
            error(
                r.location,
                formats.isEmpty
                    ? "'\(r.name)' needs a data format"
                    : "'\(r.name)' has more than one data format",
                hint: "use one of json, jacksonXml, csv, e.g. `\(r.name): {json: {}}`")
            return nil
        }
        let name = pair.key.text
        guard let allowed = LoadContext.dataFormatOptions[name] else {
            error(
                pair.key.location,
                "the '\(name)' data format is outside the subset Caravan supports",
                hint: "use json, jacksonXml or csv")
            return nil
        }
        guard var f = reader(pair.value, name: name) else { return nil }
        f.rejectUnknownKeys(allowed)
        defer { absorb(&f) }
        switch name {
        case "json":
            if let type = f.string("unmarshalType") {
                diagnostics.append(
                    Diagnostic(
                        f.node("unmarshalType")!.location,
                        "unmarshalType '\(type)' is ignored: Caravan reads JSON as documents",
                        severity: .warning))
            }
            if let library = f.string("library"),
                !["Jackson", "Gson", "Jsonb", "Fastjson", "Johnzon", "XStream"].contains(library)
            {
                error(
                    f.node("library")!.location, "unknown JSON library '\(library)'",
                    hint: "any of Jackson, Gson, Jsonb means JSON here")
            }
            return .json(jacksonOptions(&f))
        case "jacksonXml":
            return .xml(rootName: f.string("rootName"), jacksonOptions(&f))
        default:
            var o = CSVOptionsDefinition()
            if let d = f.string("delimiter") { o.delimiter = d }
            if let q = f.string("quote") { o.quote = q }
            o.useMaps =
                f.bool("useMaps", default: false) || f.bool("useOrderedMaps", default: false)
            let header = f.strings("header").flatMap {
                $0.split(separator: ",").map { String($0).trimmingXMLWhitespace() }
            }
            if !header.isEmpty { o.header = header }
            o.skipHeaderRecord = f.bool("skipHeaderRecord", default: false)
            o.trim =
                f.bool("trim", default: false) || f.bool("ignoreSurroundingSpaces", default: false)
            o.ignoreEmptyLines = f.bool("ignoreEmptyLines", default: true)
            if let rs = f.string("recordSeparator") { o.recordSeparator = rs }
            if f.bool("recordSeparatorDisabled", default: false) { o.recordSeparator = "" }
            for key in ["format", "formatName"] {
                guard let format = f.string(key) else { continue }
                switch format {
                case "DEFAULT", "RFC4180", "EXCEL": break
                // Apache Commons CSV's tab-delimited format.
                case "TDF": o.delimiter = "\t"
                default:
                    error(
                        f.node(key)!.location, "csv format '\(format)' is not supported",
                        hint: "use DEFAULT, RFC4180, EXCEL or TDF, or set delimiter and quote")
                }
            }
            if !f.bool("commentMarkerDisabled", default: false) {
                o.commentMarker = f.string("commentMarker")
            }
            if !f.bool("escapeDisabled", default: false) { o.escape = f.string("escape") }
            if !f.bool("nullStringDisabled", default: false) {
                o.nullString = f.string("nullString")
            }
            for (key, value) in [("commentMarker", o.commentMarker), ("escape", o.escape)] {
                if let value, value.unicodeScalars.count != 1 {
                    error(f.node(key)!.location, "csv \(key) must be one character, not '\(value)'")
                }
            }
            o.allowMissingColumnNames = f.bool("allowMissingColumnNames", default: false)
            o.trailingDelimiter = f.bool("trailingDelimiter", default: false)
            o.captureHeaderRecord = f.bool("captureHeaderRecord", default: false)
            if f.bool("headerDisabled", default: false) { o.skipHeaderRecord = true }
            // Accepted, and changes nothing: column names are kept as the header writes
            // them, and looked up exactly.
            _ = f.bool("ignoreHeaderCase", default: false)
            do {
                _ = try o.options.validated()
            } catch {
                self.error(f.location, "invalid csv options: \(error)")
                return nil
            }
            if o.delimiter.unicodeScalars.count != 1 || o.quote.unicodeScalars.count != 1 {
                error(f.location, "csv delimiter and quote must be one character each")
                return nil
            }
            return .csv(o)
        }
    }
}
