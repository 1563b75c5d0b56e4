/// A parsed `Content-Type` value such as `application/json; charset=utf-8`.
public struct MediaType: Sendable, Hashable, CustomStringConvertible {
    /// `application` in `application/json`, lowercased.
    public let type: String
    /// `json` in `application/json`, lowercased.
    public let subtype: String
    /// Parameters such as `charset`, names lowercased.
    public let parameters: [String: String]

    public static let json = MediaType(type: "application", subtype: "json")
    public static let xml = MediaType(type: "application", subtype: "xml")
    public static let csv = MediaType(type: "text", subtype: "csv")
    public static let text = MediaType(type: "text", subtype: "plain")
    public static let octetStream = MediaType(type: "application", subtype: "octet-stream")

    public init(type: String, subtype: String, parameters: [String: String] = [:]) {
        self.type = type.lowercased()
        self.subtype = subtype.lowercased()
        self.parameters = parameters
    }

    /// Parses `type/subtype; name=value`, or returns `nil` when the text is not a media type.
    public init?(_ text: String) {
        var text = text
        guard let parsed = text.withUTF8({ MediaType.parse($0) }) else { return nil }
        self = parsed
    }

    private init(lowercasedType type: String, subtype: String, parameters: [String: String]) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
    }

    /// Reads the UTF-8 bytes of a `Content-Type` value. Byte-wise rather than by `Character`
    /// because every request with a body goes through here, and grapheme breaking made this
    /// several per cent of the time to accept a message.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> MediaType? {
        let semicolon = UInt8(ascii: ";")
        let essenceEnd = bytes.firstIndex(of: semicolon) ?? bytes.endIndex
        let essence = trimmed(bytes, from: bytes.startIndex, to: essenceEnd)
        guard let slash = bytes[essence].firstIndex(of: UInt8(ascii: "/")),
            slash > essence.lowerBound, slash + 1 < essence.upperBound,
            !bytes[essence].contains(where: { isSpace($0) }),
            !bytes[(slash + 1)..<essence.upperBound].contains(UInt8(ascii: "/"))
        else { return nil }
        var parameters: [String: String] = [:]
        var start = essenceEnd
        while start < bytes.endIndex {
            let segmentStart = start + 1
            let segmentEnd = bytes[segmentStart...].firstIndex(of: semicolon) ?? bytes.endIndex
            start = segmentEnd
            guard let equals = bytes[segmentStart..<segmentEnd].firstIndex(of: UInt8(ascii: "="))
            else { continue }
            let name = trimmed(bytes, from: segmentStart, to: equals)
            var value = trimmed(bytes, from: equals + 1, to: segmentEnd)
            let quote = UInt8(ascii: "\"")
            if value.count >= 2, bytes[value.lowerBound] == quote,
                bytes[value.upperBound - 1] == quote
            {
                value = (value.lowerBound + 1)..<(value.upperBound - 1)
            }
            parameters[lowercased(bytes[name])] = String(decoding: bytes[value], as: UTF8.self)
        }
        return MediaType(
            lowercasedType: lowercased(bytes[essence.lowerBound..<slash]),
            subtype: lowercased(bytes[(slash + 1)..<essence.upperBound]),
            parameters: parameters)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
            || byte == UInt8(ascii: "\r")
    }

    private static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Range<
        Int
    > {
        var lower = from
        var upper = to
        while lower < upper, isSpace(bytes[lower]) { lower += 1 }
        while upper > lower, isSpace(bytes[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    private static func lowercased(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        String(unsafeUninitializedCapacity: bytes.count) { buffer in
            for (offset, byte) in bytes.enumerated() {
                buffer[offset] =
                    byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            }
            return bytes.count
        }
    }

    /// The document format this media type carries, if Caravan reads it: `json` and
    /// `*+json`, `xml` and `*+xml`, `csv`.
    public var format: DocumentFormat? {
        if subtype == "json" || subtype.hasSuffix("+json") { return .json }
        if subtype == "xml" || subtype.hasSuffix("+xml") { return .xml }
        if subtype == "csv" { return .csv }
        return nil
    }

    public var description: String {
        ([type + "/" + subtype]
            + parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
            .joined(separator: "; ")
    }
}

/// The document formats Caravan reads and writes.
public enum DocumentFormat: String, Sendable, Hashable, CaseIterable {
    case json, xml, csv

    /// The usual media type of the format.
    public var mediaType: MediaType {
        switch self {
        case .json: .json
        case .xml: .xml
        case .csv: .csv
        }
    }
}
