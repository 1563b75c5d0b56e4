import Caravan
import CaravanAdapters
import Foundation
import Logging
import Testing

@Suite struct TimerTests {
    @Test func firesRepeatCountTimesWithNoMetadataByDefault() async throws {
        let intake = RecordingIntake()
        let timer = try TimerConsumer(
            routeId: "tick", uri: try EndpointURI("timer:tick?period=10&delay=0&repeatCount=3"),
            intake: intake, logger: Logger(label: "test"))
        await timer.run()  // returns after the third firing
        let fired = intake.messages
        #expect(fired.count == 3)
        #expect(fired.allSatisfy { $0.message.headers.isEmpty && $0.properties.isEmpty })
        #expect(
            fired.allSatisfy {
                $0.route == "tick" && $0.consumer == "timer:tick?period=10&delay=0&repeatCount=3"
            })
    }

    /// As Camel's TimerConsumer with includeMetadata=true: the counter, name and period are
    /// exchange properties; the fired time is a property and a header.
    @Test func includeMetadataSetsCamelsPropertiesAndFiredTimeHeaders() async throws {
        let intake = RecordingIntake()
        let timer = try TimerConsumer(
            routeId: "tick",
            uri: try EndpointURI("timer:tick?period=10&delay=0&repeatCount=3&includeMetadata=true"),
            intake: intake, logger: Logger(label: "test"))
        await timer.run()
        let fired = intake.messages
        #expect(fired.map { $0.properties["CamelTimerCounter"] } == [1, 2, 3])
        #expect(fired.allSatisfy { $0.properties["CamelTimerName"] == "tick" })
        #expect(fired.allSatisfy { $0.properties["CamelTimerPeriod"] == 10 })
        #expect(fired.allSatisfy { $0.message.headers["CamelTimerCounter"] == nil })
        #expect(
            fired.allSatisfy {
                $0.message.headers["CamelTimerFiredTime"]?.scalarText?.isEmpty == false
                    && $0.message.headers["CamelMessageTimestamp"] != nil
                    && $0.properties["CamelTimerFiredTime"] != nil
            })
    }

    @Test func invalidOptionsAreRefused() {
        for bad in ["period=soon", "period=3x", "period=-1", "delay=1s2", "period=s"] {
            #expect(throws: ProcessingError.self, "\(bad)") {
                _ = try TimerConsumer(
                    routeId: "t", uri: try EndpointURI("timer:t?\(bad)"),
                    intake: RecordingIntake(),
                    logger: Logger(label: "test"))
            }
        }
    }

    /// Camel's TimeUtils: a number is milliseconds, or number-and-unit parts.
    @Test func periodsAndDelaysTakeCamelsDurations() throws {
        for (text, ms) in [
            ("3s", 3000), ("500ms", 500), ("1m30s", 90_000), ("2h", 7_200_000), ("1d", 86_400_000),
            ("250", 250), ("1M5S", 65_000),
        ] {
            let timer = try TimerConsumer(
                routeId: "t", uri: try EndpointURI("timer:t?period=\(text)&delay=\(text)"),
                intake: RecordingIntake(), logger: Logger(label: "test"))
            #expect(timer.period == .milliseconds(ms), "\(text)")
            #expect(timer.delay == .milliseconds(ms), "\(text)")
        }
    }
}
