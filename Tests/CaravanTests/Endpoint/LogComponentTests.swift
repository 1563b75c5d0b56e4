import Foundation
import Testing

@testable import Caravan

/// `log:` writes what Camel's log endpoint writes, with its options.
@Suite struct LogComponentTests {
    func lines(_ uri: String, body: String = "hello", contentType: MediaType? = nil) async throws
        -> [String]
    {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - setHeader: {name: b, constant: "2"}
                  - setHeader: {name: a, constant: "1"}
                  - setProperty: {name: p, constant: x}
                  - to: "\(uri)"
            """)
        _ = await routes.run(body, contentType: contentType)
        return routes.log.messages
    }

    @Test func theDefaultLineIsCamels() async throws {
        #expect(
            try await lines("log:orders") == [
                "Exchange[ExchangePattern: InOnly, BodyType: byte[], Body: hello]"
            ])
        #expect(
            try await lines("log:orders?showHeaders=true&showProperties=true&showBodyType=false")
                == [
                    "Exchange[ExchangePattern: InOnly, Properties: {p=x}, Headers: {a=1, b=2}, Body: hello]"
                ])
        #expect(
            try await lines("log:orders?showExchangePattern=false&showBody=false")
                == ["Exchange[BodyType: byte[]]"])
    }

    @Test func multilinePlainTabFixedAndMaxChars() async throws {
        #expect(
            try await lines("log:x?multiline=true") == [
                "Exchange[\n  ExchangePattern: InOnly\n  BodyType: byte[]\n  Body: hello\n]"
            ])
        #expect(try await lines("log:x?plain=true") == ["hello"])
        #expect(
            try await lines("log:x?style=Tab&showBodyType=false")
                == ["Exchange[\tExchangePattern: InOnly\tBody: hello]"])
        #expect(
            try await lines("log:x?style=Fixed&showExchangePattern=false&showBodyType=false")
                == ["Exchange[\tBody" + String(repeating: " ", count: 16) + "hello]"])
        // Cut counts from the ", " before the first part, as Camel's does.
        #expect(
            try await lines(
                "log:x?maxChars=20&showBodyType=false", body: "abcdefghijklmnopqrstuvwxyz")
                == ["Exchange[ExchangePattern: I...]"])
        // Line separators of the body are dropped unless asked to keep them.
        #expect(
            try await lines("log:x?showExchangePattern=false&showBodyType=false", body: "a\nb")
                == ["Exchange[Body: ab]"])
        #expect(
            try await lines(
                "log:x?showExchangePattern=false&showBodyType=false&skipBodyLineSeparator=false",
                body: "a\nb") == ["Exchange[Body: a\nb]"])
    }

    @Test func logMaskHidesPasswordsAndTokensInEveryShape() async throws {
        let body =
            #"{"user":"ann","password":"s3cret"} <apiKey>k-123</apiKey> dbPassword=hunter2&x=1"#
        let masked = try await lines(
            "log:x?logMask=true&showExchangePattern=false&showBodyType=false", body: body)
        #expect(
            masked == [
                #"Exchange[Body: {"user":"ann","password":"xxxxx"} <apiKey>xxxxx</apiKey> dbPassword=xxxxx&x=1]"#
            ])
    }

    @Test func groupSizeLogsTheRateEveryNExchanges() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - delay: {constant: 250}
                  - to: "log:rate?groupSize=2"
            """)
        for _ in 0..<5 { _ = await routes.run("x") }
        let lines = routes.log.messages
        #expect(lines.count == 2)
        #expect(
            lines.first
                == "Received: 2 messages so far. Last group took: 250 millis which is: 8 messages per second. average: 8"
        )
        #expect(
            lines.last?.hasPrefix("Received: 4 messages so far. Last group took: 500 millis")
                == true)
    }

    @Test func groupIntervalLogsNewMessagesPerIntervalAndPausesWhenIdle() {
        let start = ContinuousClock.now
        let logger = ThroughputLogger(.interval(every: .seconds(1), delay: .zero, activeOnly: true))
        #expect(logger.received(at: start) == (nil, true))
        #expect(logger.received(at: start + .milliseconds(100)) == (nil, false))
        let first = logger.tick(at: start + .seconds(1))
        #expect(
            first.line
                == "Received: 2 new messages, with total 2 so far. Last group took: 1000 millis which is: 2 messages per second. average: 2"
        )
        #expect(first.goOn)
        let idle = logger.tick(at: start + .seconds(2))
        #expect(idle.line == nil && !idle.goOn)
        // The next exchange starts the ticks again.
        #expect(logger.received(at: start + .seconds(3)) == (nil, true))
        let all = ThroughputLogger(.interval(every: .seconds(1), delay: .zero, activeOnly: false))
        _ = all.received(at: start)
        _ = all.tick(at: start + .seconds(1))
        let quiet = all.tick(at: start + .seconds(2))
        #expect(quiet.line?.hasPrefix("Received: 0 new messages, with total 1 so far.") == true)
        #expect(!quiet.goOn)
        #expect(ThroughputLogger.rate(1_234_567, .seconds(1)) == "1,234,567")
        #expect(ThroughputLogger.rate(10, .milliseconds(3)) == "3,333.333")
    }

    @Test func badOptionsAreRefusedWithWhatToGive() async throws {
        for (uri, expected) in [
            ("log:x?showHeader=true", "unknown option 'showHeader'"),
            ("log:x?showHeaders=yes", "showHeaders=yes is not valid — give true or false"),
            ("log:x?style=Pretty", "give Default, Tab or Fixed"),
            ("log:x?groupSize=0", "groupSize=0 is not valid"),
            ("log:x?maxChars=ten", "maxChars=ten is not valid"),
        ] {
            do {
                _ = try LogComponent(sink: NullLogSink()).endpoint(for: try EndpointURI(uri))
                Issue.record("\(uri) was taken")
            } catch {
                #expect("\(error)".contains(expected), "\(uri): \(error)")
            }
        }
    }
}
