import Caravan
import Foundation
import Logging

/// The `timer:name` consumer: fires every `period` ms after `delay` ms, `repeatCount`
/// times (0: for ever), each firing stored as a message with an empty body. As Camel's
/// TimerConsumer, only with `includeMetadata=true` does a firing carry the exchange
/// properties `CamelTimerCounter`, `CamelTimerName`, `CamelTimerPeriod` and
/// `CamelTimerFiredTime`, and the headers `CamelTimerFiredTime` and
/// `CamelMessageTimestamp`. With `fixedRate=true` firings keep to
/// the schedule (catching up after a slow one); otherwise each waits `period` after the
/// previous one was stored. Every node running the route fires its own timer.
public final class TimerConsumer: Sendable {
    public let routeId: String
    public let uri: EndpointURI
    let intake: any Intake
    let logger: Logger
    /// The time between firings (`period`).
    public let period: Duration
    let periodMilliseconds: Int
    /// The time before the first firing (`delay`).
    public let delay: Duration
    let repeatCount: Int
    let fixedRate: Bool
    let includeMetadata: Bool

    static let options: Set<String> = [
        "period", "delay", "repeatCount", "fixedRate", "includeMetadata", "synchronous",
    ]

    public init(routeId: String, uri: EndpointURI, intake: any Intake, logger: Logger)
        throws(ProcessingError)
    {
        let options = try ConsumerOptions(routeId: routeId, uri: uri, known: Self.options)
        self.routeId = routeId
        self.uri = uri
        self.intake = intake
        self.logger = logger
        periodMilliseconds = max(1, try options.milliseconds("period", default: 1000))
        period = .milliseconds(periodMilliseconds)
        delay = .milliseconds(try options.milliseconds("delay", default: 1000))
        repeatCount = try options.count("repeatCount", default: 0)
        fixedRate = options.flag("fixedRate")
        includeMetadata = options.flag("includeMetadata")
    }

    /// Fires until cancelled or `repeatCount` is reached.
    public func run() async {
        let clock = ContinuousClock()
        var next = clock.now + delay
        var counter = 0
        while !Task.isCancelled, repeatCount == 0 || counter < repeatCount {
            try? await clock.sleep(until: next)
            if Task.isCancelled { return }
            counter += 1
            var headers = Headers()
            var properties: [String: Document] = [:]
            if includeMetadata {
                let now = Date()
                let fired = Document.string(now.formatted(.iso8601))
                properties["CamelTimerName"] = .string(uri.path)
                properties["CamelTimerCounter"] = .number(DecimalText(counter))
                properties["CamelTimerPeriod"] = .number(DecimalText(periodMilliseconds))
                properties["CamelTimerFiredTime"] = fired
                headers["CamelTimerFiredTime"] = fired
                headers["CamelMessageTimestamp"] = .number(
                    DecimalText(Int(now.timeIntervalSince1970 * 1000)))
            }
            do {
                _ = try await intake.acceptCounted(
                    Message(headers: headers, body: Body(bytes: [], contentType: nil)),
                    properties: properties, route: routeId, consumer: uri.description, id: nil)
            } catch {
                logger.warning(
                    "a timer firing could not be stored",
                    metadata: ["route": "\(routeId)", "error": "\(error)"])
            }
            next = fixedRate ? next + period : clock.now + period
        }
    }
}
