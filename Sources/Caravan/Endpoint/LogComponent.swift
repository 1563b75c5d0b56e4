/// `log:name`: writes each exchange to the log, as Camel's log endpoint does:
/// `Exchange[ExchangePattern: InOnly, BodyType: String, Body: hello]`.
///
/// ```yaml
/// - to: "log:orders?level=DEBUG&showHeaders=true"
/// - to: "log:throughput?groupSize=1000"
/// ```
/// The formatting options are ``ExchangeFormatter``'s; `groupSize` / `groupInterval`
/// log the rate instead (``ThroughputLogger``); `logMask` masks passwords and tokens.
public struct LogComponent: Component {
    public let scheme = "log"
    let sink: any LogSink

    public init(sink: any LogSink) { self.sink = sink }

    static let options =
        [
            "level", "marker", "logMask", "groupSize", "groupInterval", "groupDelay",
            "groupActiveOnly",
        ]
        + ExchangeFormatter.options

    public func endpoint(for uri: EndpointURI) throws(ProcessingError) -> any Endpoint {
        for option in uri.options where !Self.options.contains(option.name) {
            throw ProcessingError(
                .illegalArgument,
                "log: unknown option '\(option.name)'\(didYouMean(option.name, among: Self.options))"
            )
        }
        func invalid(_ name: String, _ value: String, _ expected: String) -> ProcessingError {
            ProcessingError(
                .illegalArgument, "log: \(name)=\(value) is not valid — give \(expected)")
        }
        func flag(_ name: String, _ fallback: Bool) throws(ProcessingError) -> Bool {
            guard let text = uri[option: name] else { return fallback }
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: throw invalid(name, text, "true or false")
            }
        }
        func number(_ name: String) throws(ProcessingError) -> Int? {
            guard let text = uri[option: name] else { return nil }
            guard let n = Int(text), n >= 0 else { throw invalid(name, text, "a whole number") }
            return n
        }
        let levelText = uri[option: "level"] ?? "INFO"
        guard let level = LogLevel(rawValue: levelText.uppercased()) else {
            throw ProcessingError(
                .illegalArgument,
                "log: level '\(levelText)' is not one of \(LogLevel.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        var f = ExchangeFormatter()
        f.showExchangeId = try flag("showExchangeId", false)
        f.showRouteId = try flag("showRouteId", false)
        f.showExchangePattern = try flag("showExchangePattern", true)
        f.showProperties = try flag("showProperties", false)
        f.showAllProperties = try flag("showAllProperties", false)
        f.showHeaders = try flag("showHeaders", false)
        f.showBodyType = try flag("showBodyType", true)
        f.showBody = try flag("showBody", true)
        f.skipBodyLineSeparator = try flag("skipBodyLineSeparator", true)
        f.showException = try flag("showException", false)
        f.showCaughtException = try flag("showCaughtException", false)
        f.showAll = try flag("showAll", false)
        f.multiline = try flag("multiline", false)
        f.plain = try flag("plain", false)
        // Accepted for files written for Camel; they change nothing here (no futures,
        // streams, files or route groups; errors carry no Java stack trace).
        for name in [
            "showFuture", "showCachedStreams", "showRouteGroup", "showStreams", "showFiles",
            "showStackTrace",
        ] {
            _ = try flag(name, false)
        }
        if let max = try number("maxChars") { f.maxChars = max }
        if let text = uri[option: "style"] {
            guard let style = ExchangeFormatter.Style(rawValue: text) else {
                throw invalid("style", text, "Default, Tab or Fixed")
            }
            f.style = style
        }
        var throughput: ThroughputLogger?
        if let size = try number("groupSize") {
            guard size > 0 else { throw invalid("groupSize", "0", "a whole number above 0") }
            throughput = ThroughputLogger(.size(size))
        } else if let interval = try number("groupInterval") {
            guard interval > 0 else {
                throw invalid("groupInterval", "0", "a number of milliseconds above 0")
            }
            throughput = ThroughputLogger(
                .interval(
                    every: .milliseconds(interval),
                    delay: .milliseconds(try number("groupDelay") ?? 0),
                    activeOnly: try flag("groupActiveOnly", true)))
        }
        return LogEndpoint(
            uri: uri, sink: sink, level: level, formatter: f,
            mask: try flag("logMask", false) ? LogMask() : nil, throughput: throughput)
    }
}

struct LogEndpoint: Endpoint, Producer {
    let uri: EndpointURI
    let sink: any LogSink
    let level: LogLevel
    let formatter: ExchangeFormatter
    let mask: LogMask?
    let throughput: ThroughputLogger?

    func producer() throws(ProcessingError) -> any Producer { self }

    func send(_ exchange: inout Exchange, _ context: ProcessContext) async throws(ProcessingError) {
        guard level != .OFF else { return }
        if let throughput {
            let (line, startTicks) = throughput.received(at: context.services.now())
            if startTicks { self.startTicks(throughput, context) }
            if let line { sink.log(level: level, logger: uri.path, message: line) }
            return
        }
        let line = formatter.format(exchange)
        sink.log(level: level, logger: uri.path, message: mask?.mask(line) ?? line)
    }

    /// `groupInterval`: a line every interval from an exchange on, until an interval
    /// without exchanges or the engine's stop.
    private func startTicks(_ throughput: ThroughputLogger, _ context: ProcessContext) {
        guard case .interval(let every, let delay, _) = throughput.mode else { return }
        let services = context.services
        let (sink, level, logger) = (sink, level, uri.path)
        services.background.startTimer {
            do {
                try await services.sleep(delay)
                while true {
                    try await services.sleep(every)
                    let (line, goOn) = throughput.tick(at: services.now())
                    if let line { sink.log(level: level, logger: logger, message: line) }
                    if !goOn { return }
                }
            } catch {
                // Cancelled: the engine stopped.
            }
        }
    }

    static func bodyType(_ body: Body) -> String {
        switch body.content {
        case .empty: "null"
        // No bytes and no type: what a timer or an empty request carries, Camel's null.
        case .bytes(let bytes, let type): bytes.isEmpty && type == nil ? "null" : "byte[]"
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
