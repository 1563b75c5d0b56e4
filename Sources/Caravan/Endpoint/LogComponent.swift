/// `log:name`: writes each exchange to the log, as Camel's log endpoint does:
/// `Exchange[BodyType: String, Body: hello]`.
///
/// ```yaml
/// - to: "log:orders?level=DEBUG&showHeaders=true"
/// ```
public struct LogComponent: Component {
    public let scheme = "log"
    let sink: any LogSink

    public init(sink: any LogSink) { self.sink = sink }

    public func endpoint(for uri: EndpointURI) throws(ProcessingError) -> any Endpoint {
        let levelText = uri[option: "level"] ?? "INFO"
        guard let level = LogLevel(rawValue: levelText.uppercased()) else {
            throw ProcessingError(
                .illegalArgument,
                "log: level '\(levelText)' is not one of \(LogLevel.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        for option in uri.options
        where ![
            "level", "showHeaders", "showBody", "showBodyType", "showProperties", "showAll",
            "multiline", "logMask",
        ].contains(option.name) {
            throw ProcessingError(
                .illegalArgument,
                "log: unknown option '\(option.name)'\(didYouMean(option.name, among: ["level", "showHeaders", "showBody", "showBodyType", "showProperties", "showAll"]))"
            )
        }
        let flag = { (name: String, fallback: Bool) in
            uri[option: name].map { $0.lowercased() == "true" } ?? fallback
        }
        let all = flag("showAll", false)
        return LogEndpoint(
            uri: uri, sink: sink, level: level, showHeaders: all || flag("showHeaders", false),
            showBody: all || flag("showBody", true),
            showBodyType: all || flag("showBodyType", true),
            showProperties: all || flag("showProperties", false))
    }
}

struct LogEndpoint: Endpoint, Producer {
    let uri: EndpointURI
    let sink: any LogSink
    let level: LogLevel
    let showHeaders: Bool
    let showBody: Bool
    let showBodyType: Bool
    let showProperties: Bool

    func producer() throws(ProcessingError) -> any Producer { self }

    func send(_ exchange: inout Exchange, _ context: ProcessContext) async throws(ProcessingError) {
        var parts: [String] = []
        if showProperties {
            parts.append(
                "Properties: \(JSONWriter().string(.object(DocumentObject(exchange.properties.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: $0.value) }))))"
            )
        }
        if showHeaders {
            parts.append("Headers: \(JSONWriter().string(exchange.message.headers.document))")
        }
        if showBodyType { parts.append("BodyType: \(LogEndpoint.bodyType(exchange.message.body))") }
        if showBody {
            parts.append(
                "Body: \(exchange.message.body.isEmpty ? "[Body is null]" : exchange.message.body.text)"
            )
        }
        sink.log(
            level: level, logger: uri.path, message: "Exchange[\(parts.joined(separator: ", "))]")
    }

    static func bodyType(_ body: Body) -> String {
        switch body.content {
        case .empty: "null"
        case .bytes: "byte[]"
        case .text: "String"
        case .document(let d):
            switch d {
            case .object: "java.util.LinkedHashMap"
            case .array: "java.util.ArrayList"
            case .string: "String"
            case .number: "java.math.BigDecimal"
            case .bool: "Boolean"
            case .null: "null"
            }
        }
    }
}
