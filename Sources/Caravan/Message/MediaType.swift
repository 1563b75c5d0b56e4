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
        let parts = text.split(separator: ";", omittingEmptySubsequences: false)
        let essence = String(parts[0]).trimmingXMLWhitespace()
        let halves = essence.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, !halves[0].isEmpty, !halves[1].isEmpty,
            !essence.contains(" ")
        else { return nil }
        var parameters: [String: String] = [:]
        for parameter in parts.dropFirst() {
            let kv = parameter.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            var value = String(kv[1]).trimmingXMLWhitespace()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            parameters[String(kv[0]).trimmingXMLWhitespace().lowercased()] = value
        }
        self.init(type: String(halves[0]), subtype: String(halves[1]), parameters: parameters)
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
