import Caravan
import Foundation
import Logging

/// The `timer:name` consumer: fires every `period` ms after `delay` ms, `repeatCount`
/// times (0: for ever), each firing stored as a message with `CamelTimerName`,
/// `CamelTimerCounter` and `CamelTimerFiredTime`. With `fixedRate=true` firings keep to
/// the schedule (catching up after a slow one); otherwise each waits `period` after the
/// previous one was stored. Every node running the route fires its own timer.
public final class TimerConsumer: Sendable {
    public let routeId: String
    public let uri: EndpointURI
    let intake: any Intake
    let logger: Logger
    let period: Duration
    let delay: Duration
    let repeatCount: Int
    let fixedRate: Bool

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
        period = .milliseconds(max(1, try options.count("period", default: 1000)))
        delay = try options.milliseconds("delay", default: 1000)
        repeatCount = try options.count("repeatCount", default: 0)
        fixedRate = options.flag("fixedRate")
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
            headers["CamelTimerName"] = .string(uri.path)
            headers["CamelTimerCounter"] = .number(DecimalText(counter))
            headers["CamelTimerFiredTime"] = .string(Date().formatted(.iso8601))
            do {
                _ = try await intake.acceptCounted(
                    Message(headers: headers, body: Body(bytes: [], contentType: nil)),
                    route: routeId, consumer: uri.description, id: nil)
            } catch {
                logger.warning(
                    "a timer firing could not be stored",
                    metadata: ["route": "\(routeId)", "error": "\(error)"])
            }
            next = fixedRate ? next + period : clock.now + period
        }
    }
}
