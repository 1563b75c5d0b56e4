import Caravan
import CaravanAdapters
import Foundation
import Logging
import Testing

@Suite struct TimerTests {
    @Test func firesRepeatCountTimesWithCamelsHeaders() async throws {
        let intake = RecordingIntake()
        let timer = try TimerConsumer(
            routeId: "tick", uri: try EndpointURI("timer:tick?period=10&delay=0&repeatCount=3"),
            intake: intake, logger: Logger(label: "test"))
        await timer.run()  // returns after the third firing
        let fired = intake.messages
        #expect(fired.count == 3)
        #expect(fired.map { $0.message.headers["CamelTimerCounter"] } == [1, 2, 3])
        #expect(fired.allSatisfy { $0.message.headers["CamelTimerName"] == "tick" })
        #expect(
            fired.allSatisfy {
                $0.message.headers["CamelTimerFiredTime"]?.scalarText?.isEmpty == false
            })
        #expect(
            fired.allSatisfy {
                $0.route == "tick" && $0.consumer == "timer:tick?period=10&delay=0&repeatCount=3"
            })
    }

    @Test func invalidOptionsAreRefused() {
        #expect(throws: ProcessingError.self) {
            _ = try TimerConsumer(
                routeId: "t", uri: try EndpointURI("timer:t?period=soon"),
                intake: RecordingIntake(),
                logger: Logger(label: "test"))
        }
    }
}
