import Caravan
import CaravanAdapters
import CaravanTestSupport
import Foundation
import Logging
import Testing

@Suite struct FileProducerTests {
    func run(_ engine: RouteEngine, _ body: String, headers: [(String, Document)] = []) async
        -> RouteEngine.Outcome
    {
        await engine.run(
            "out",
            Exchange(
                id: "ex-1", message: Message(headers: Headers(headers), body: Body(text: body))))
    }

    @Test func writesTheBodyUnderTheNameItsExpressionGives() async throws {
        let dir = try temporaryFolder()
        let e = try await engine(
            """
            - route: {id: out, from: {uri: "direct:out", steps: [{to: "file:\(dir)/orders?fileName=order-${header.id}.xml"}]}}
            """)
        #expect(await run(e, "<o/>", headers: [("id", .string("7"))]).error == nil)
        #expect(try String(contentsOfFile: dir + "/orders/order-7.xml", encoding: .utf8) == "<o/>")
        // Written through a temporary file and a rename: nothing else is left behind.
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir + "/orders") == ["order-7.xml"])
    }

    @Test func fileExistChoosesOverrideAppendFailOrIgnore() async throws {
        let dir = try temporaryFolder()
        func route(_ mode: String) -> String {
            "- route: {id: out, from: {uri: \"direct:out\", steps: [{to: \"file:\(dir)?fileName=f.txt&fileExist=\(mode)\"}]}}"
        }
        _ = await run(try await engine(route("Override")), "one")
        _ = await run(try await engine(route("Override")), "two")
        #expect(try String(contentsOfFile: dir + "/f.txt", encoding: .utf8) == "two")
        _ = await run(try await engine(route("Append")), "+three")
        #expect(try String(contentsOfFile: dir + "/f.txt", encoding: .utf8) == "two+three")
        _ = await run(try await engine(route("Ignore")), "four")
        #expect(try String(contentsOfFile: dir + "/f.txt", encoding: .utf8) == "two+three")
        let failed = await run(try await engine(route("Fail")), "five")
        #expect(failed.error?.message.contains("already exists") == true)
    }

    @Test func concurrentAppendsToOneFileAllLandWhole() async throws {
        let dir = try temporaryFolder()
        let e = try await engine(
            "- route: {id: out, from: {uri: \"direct:out\", steps: [{to: \"file:\(dir)?fileName=all.txt&fileExist=Append\"}]}}"
        )
        let n = 400
        let line = String(repeating: "y", count: 300)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<n {
                group.addTask {
                    let outcome = await e.run(
                        "out", Exchange(message: Message(body: Body(text: "\(i) \(line)\n"))))
                    #expect(outcome.error == nil)
                }
            }
        }
        let lines = try String(contentsOfFile: dir + "/all.txt", encoding: .utf8)
            .split(separator: "\n")
        #expect(lines.count == n)
        #expect(Set(lines.map { String($0) }) == Set((0..<n).map { "\($0) \(line)" }))
    }

    @Test func concurrentWritersOfANewNameWithFailCreateItOnce() async throws {
        let dir = try temporaryFolder()
        let e = try await engine(
            "- route: {id: out, from: {uri: \"direct:out\", steps: [{to: \"file:\(dir)?fileName=once.txt&fileExist=Fail\"}]}}"
        )
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<50 {
                group.addTask {
                    let outcome = await e.run(
                        "out", Exchange(message: Message(body: Body(text: "writer \(i)"))))
                    return (i, outcome.error == nil)
                }
            }
            var all: [(Int, Bool)] = []
            for await o in group { all.append(o) }
            return all
        }
        let winners = outcomes.filter(\.1).map(\.0)
        #expect(winners.count == 1)
        #expect(
            try String(contentsOfFile: dir + "/once.txt", encoding: .utf8)
                == "writer \(winners.first ?? -1)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["once.txt"])
    }

    @Test func forceWritesIsTrueOrFalse() async throws {
        let dir = try temporaryFolder()
        let e = try await engine(
            "- route: {id: out, from: {uri: \"direct:out\", steps: [{to: \"file:\(dir)?fileName=f.txt&forceWrites=false\"}]}}"
        )
        #expect(await run(e, "fast").error == nil)
        #expect(try String(contentsOfFile: dir + "/f.txt", encoding: .utf8) == "fast")
        await #expect(throws: (any Error).self) {
            _ = try await engine(
                "- route: {id: out, from: {uri: \"direct:out\", steps: [{to: \"file:\(dir)?forceWrites=maybe\"}]}}"
            )
        }
    }

    @Test func aNameThatLeavesTheFolderIsRefused() async throws {
        let dir = try temporaryFolder()
        let e = try await engine(
            "- route: {id: out, from: {uri: \"direct:out\", steps: [{to: \"file:\(dir)\"}]}}")
        let outcome = await run(e, "x", headers: [("CamelFileName", .string("../escape.txt"))])
        #expect(outcome.error?.message.contains("is not a file name inside") == true)
    }
}

@Suite struct FilePollerTests {
    func poller(_ uri: String, _ intake: RecordingIntake) throws -> FilePoller {
        try FilePoller(
            routeId: "drop", uri: try EndpointURI(uri), intake: intake,
            logger: Logger(label: "test"))
    }

    @Test func twoNodesPollingOneFolderStoreEachFileOnceWithoutComplaint() async throws {
        let dir = try temporaryFolder()
        let n = 200
        for i in 0..<n {
            try "file \(i)".write(toFile: dir + "/f\(i).txt", atomically: true, encoding: .utf8)
        }
        // Two nodes' pollers share the store (the intake: an id stored before is not
        // stored again) and race for the same files.
        let intake = RecordingIntake()
        let records = RecordingLogHandler.Records()
        let tasks = try (0..<2).map { _ in
            let poller = try FilePoller(
                routeId: "drop", uri: try EndpointURI("file:\(dir)?initialDelay=0&delay=10"),
                intake: intake, logger: RecordingLogHandler.logger(records))
            return Task { await poller.run() }
        }
        defer { for t in tasks { t.cancel() } }
        var left = n
        for _ in 0..<1000 where left > 0 {
            left = try FileManager.default.contentsOfDirectory(atPath: dir).filter {
                !$0.hasPrefix(".")
            }.count
            if left > 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(left == 0)
        #expect(intake.ids.withLock { $0.count } == n)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/.done").count == n)
        // A file the other node took first is not a failure to read or to move.
        #expect(records.messages(atLeast: .warning) == [])
    }

    @Test func filesAreStoredWithCamelsHeadersThenMovedToDone() async throws {
        let dir = try temporaryFolder()
        try "a,b\n1,2\n".write(toFile: dir + "/one.csv", atomically: true, encoding: .utf8)
        try "{}".write(toFile: dir + "/skip.json", atomically: true, encoding: .utf8)
        try "x".write(toFile: dir + "/.hidden.csv", atomically: true, encoding: .utf8)
        let intake = RecordingIntake()
        let p = try poller("file:\(dir)?include=.*\\.csv&initialDelay=0&delay=50", intake)
        let task = Task { await p.run() }
        defer { task.cancel() }
        #expect(try await intake.waitFor(1))
        let m = try #require(intake.messages.first)
        #expect(m.message.headers["CamelFileName"] == "one.csv")
        #expect(m.message.headers["CamelFileLength"] == .number(DecimalText(8)))
        #expect(m.message.contentType == .csv)
        #expect(m.consumer.hasPrefix("file:"))
        var moved = false
        for _ in 0..<200 where !moved {
            moved = FileManager.default.fileExists(atPath: dir + "/.done/one.csv")
            if !moved { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(moved)
        #expect(FileManager.default.fileExists(atPath: dir + "/skip.json"))
        #expect(intake.messages.count == 1)
    }

    @Test func aFileStoredButNotMovedIsNotStoredTwice() async throws {
        // What a crash between storing and moving leaves: the file, in place.
        let dir = try temporaryFolder()
        try "1".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
        let intake = RecordingIntake()
        // `.done` is a file, so the move fails and the file stays (as after a crash).
        try "".write(toFile: dir + "/.done", atomically: true, encoding: .utf8)
        let p = try poller("file:\(dir)?initialDelay=0&delay=20", intake)
        let task = Task { await p.run() }
        defer { task.cancel() }
        #expect(try await intake.waitFor(1))
        // Several more polls offer the same file again: it is the same message.
        #expect(try await intake.waitForOffers(4))
        #expect(intake.messages.count == 1)
        #expect(FileManager.default.fileExists(atPath: dir + "/a.txt"))
    }

    @Test func noopLeavesFilesAndDeleteRemovesThem() async throws {
        let dir = try temporaryFolder()
        try "1".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
        let intake = RecordingIntake()
        let noop = try poller("file:\(dir)?noop=true&initialDelay=0&delay=20", intake)
        let t1 = Task { await noop.run() }
        #expect(try await intake.waitFor(1))
        t1.cancel()
        #expect(FileManager.default.fileExists(atPath: dir + "/a.txt"))
        let deleting = try poller(
            "file:\(dir)?delete=true&initialDelay=0&delay=20", RecordingIntake())
        let t2 = Task { await deleting.run() }
        defer { t2.cancel() }
        var gone = false
        for _ in 0..<200 where !gone {
            gone = !FileManager.default.fileExists(atPath: dir + "/a.txt")
            if !gone { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(gone)
    }

    @Test func filesStayWhileTheStoreIsDown() async throws {
        let dir = try temporaryFolder()
        try "1".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
        let intake = RecordingIntake()
        intake.failing.withLock { $0 = true }
        let p = try poller("file:\(dir)?initialDelay=0&delay=20", intake)
        let task = Task { await p.run() }
        defer { task.cancel() }
        // Two polls refused: the file is still there, to be offered again.
        #expect(try await intake.waitForRefusals(2))
        #expect(FileManager.default.fileExists(atPath: dir + "/a.txt"))
        intake.failing.withLock { $0 = false }
        #expect(try await intake.waitFor(1))
    }

    @Test func sortByOrdersTheFilesOfAPoll() async throws {
        let dir = try temporaryFolder()
        for name in ["b", "c", "a"] {
            try name.write(toFile: dir + "/\(name).txt", atomically: true, encoding: .utf8)
        }
        let intake = RecordingIntake()
        let p = try poller("file:\(dir)?sortBy=reverse:file:name&initialDelay=0&delay=1000", intake)
        let task = Task { await p.run() }
        defer { task.cancel() }
        #expect(try await intake.waitFor(3))
        #expect(intake.messages.map { $0.message.body.text } == ["c", "b", "a"])
    }

    @Test func unknownOptionsAreRefusedWithASuggestion() {
        #expect(throws: ProcessingError.self) {
            _ = try poller("file:/tmp/x?inclde=a", RecordingIntake())
        }
    }
}

@Suite struct FilePollerFolderTests {
    /// A folder that cannot be read was polled silently for ever.
    @Test func aFolderThatCannotBeReadIsReportedOnceAndUntilItCanBe() async throws {
        let parent = try temporaryFolder()
        let dir = parent + "/in"
        try "not a folder".write(toFile: dir, atomically: true, encoding: .utf8)
        let intake = RecordingIntake()
        let records = RecordingLogHandler.Records()
        let p = try FilePoller(
            routeId: "drop", uri: try EndpointURI("file:\(dir)?initialDelay=0&delay=10"),
            intake: intake, logger: RecordingLogHandler.logger(records))
        let task = Task { await p.run() }
        defer { task.cancel() }
        var problem: String?
        for _ in 0..<500 where problem == nil {
            problem = p.problem
            if problem == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(problem?.contains("cannot") == true)
        // Fixed: the folder is polled again and the problem is gone.
        try FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "1".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
        #expect(try await intake.waitFor(1))
        #expect(p.problem == nil)
        let errors = records.messages(atLeast: .error)
        #expect(errors.count == 1 && errors.first == "cannot poll a folder")
    }
}
