import Foundation

/// How a `log:` endpoint writes an exchange, as Camel's `DefaultExchangeFormatter` does:
///
/// ```
/// Exchange[ExchangePattern: InOnly, BodyType: String, Body: hello]
/// ```
///
/// Each part has its option (`showHeaders`, `showBodyType`, …); `multiline` puts each on
/// its own line, `style` (`Default`, `Tab`, `Fixed`) sets how parts are labelled, `plain`
/// writes the body alone, and `maxChars` cuts each line.
struct ExchangeFormatter: Sendable, Hashable {
    /// Camel's `style` option, by its spelling there.
    enum Style: String, Sendable, CaseIterable {
        case standard = "Default"
        case tab = "Tab"
        case fixed = "Fixed"
    }

    var showExchangeId = false
    var showRouteId = false
    var showExchangePattern = true
    var showProperties = false
    var showAllProperties = false
    var showHeaders = false
    var showBodyType = true
    var showBody = true
    var skipBodyLineSeparator = true
    var showException = false
    var showCaughtException = false
    var showAll = false
    var multiline = false
    var maxChars = 10_000
    var style = Style.standard
    var plain = false

    /// The options this formatter reads, as `log:` URI options.
    static let options = [
        "showExchangeId", "showRouteId", "showRouteGroup", "showExchangePattern",
        "showProperties", "showAllProperties", "showHeaders", "showBodyType", "showBody",
        "skipBodyLineSeparator", "showException", "showCaughtException", "showStackTrace",
        "showAll", "multiline", "showFuture", "showStreams", "showCachedStreams", "showFiles",
        "maxChars", "style", "plain",
    ]

    func format(_ exchange: Exchange) -> String {
        let message = exchange.message
        if plain { return bodyText(message.body) }
        var parts: [(String, String)] = []
        if showAll || showExchangeId { parts.append(("Id", exchange.id)) }
        if showAll || showRouteId { parts.append(("RouteId", exchange.routeId ?? "")) }
        if showAll || showExchangePattern {
            parts.append(("ExchangePattern", exchange.pattern == .inOut ? "InOut" : "InOnly"))
        }
        if showAll || showAllProperties {
            parts.append(("Properties", Self.javaMap(exchange.properties)))
        } else if showProperties {
            // Only the route's own: Camel keeps its internal ones (CamelToEndpoint,
            // CamelSplitIndex …) apart, and shows them with showAllProperties.
            parts.append(
                (
                    "Properties",
                    Self.javaMap(
                        exchange.properties.filter {
                            !$0.key.hasPrefix("Camel") && !$0.key.hasPrefix("Caravan")
                        })
                ))
        }
        if showAll || showHeaders {
            parts.append(
                (
                    "Headers",
                    Self.javaMap(
                        Dictionary(message.headers.map { ($0.name, $0.value) }) { a, _ in a })
                ))
        }
        if showAll || showBodyType {
            parts.append(("BodyType", LogEndpoint.bodyType(message.body)))
        }
        if showAll || showBody {
            var body = bodyText(message.body)
            if skipBodyLineSeparator { body = body.replacingOccurrences(of: "\n", with: "") }
            parts.append(("Body", body))
        }
        if showAll || showException || showCaughtException {
            if let error = exchange.error {
                parts.append(("ExceptionType", error.kind))
                parts.append(("ExceptionMessage", error.message))
            } else if showAll || showCaughtException,
                let caught = exchange.properties[ExchangeProperty.exceptionCaught]
            {
                parts.append(("CaughtExceptionType", "java.lang.Exception"))
                parts.append(("CaughtExceptionMessage", caught.scalarText ?? ""))
            }
        }
        let labelled = parts.map { label($0.0) + $0.1 }
        if multiline {
            return "Exchange[\n" + labelled.map { cut($0) + "\n" }.joined() + "]"
        }
        var line = labelled.joined()
        if line.count > maxChars, maxChars > 0 { line = cut(line) }
        if line.hasPrefix(", ") { line.removeFirst(2) }
        return "Exchange[" + line + "]"
    }

    private func label(_ name: String) -> String {
        switch style {
        case .standard: (multiline ? "  " : ", ") + name + ": "
        case .tab: "\t" + name + ": "
        case .fixed: "\t" + name.padding(toLength: max(20, name.count), withPad: " ", startingAt: 0)
        }
    }

    private func cut(_ text: String) -> String {
        guard maxChars > 0, text.count > maxChars else { return text }
        return String(text.prefix(maxChars)) + "..."
    }

    /// The body as Camel logs it: its text, or `[Body is null]`. (Bodies here are never
    /// streams or files, so `showStreams` and `showFiles` have nothing to change.)
    private func bodyText(_ body: Body) -> String {
        if body.isEmpty { return "[Body is null]" }
        return body.text
    }

    /// A map as Java's `TreeMap.toString()` writes it: `{a=1, b=x}`.
    static func javaMap(_ map: [String: Document]) -> String {
        "{"
            + map.sorted { $0.key < $1.key }.map { "\($0.key)=\(javaText($0.value))" }
            .joined(separator: ", ") + "}"
    }

    /// A value as Java's `toString()` writes it: maps `{k=v}`, lists `[a, b]`.
    static func javaText(_ value: Document) -> String {
        switch value {
        case .null: "null"
        case .array(let items): "[" + items.map(javaText).joined(separator: ", ") + "]"
        case .object(let fields):
            "{" + fields.map { "\($0.key)=\(javaText($0.value))" }.joined(separator: ", ") + "}"
        default: value.scalarText ?? ""
        }
    }
}
