/// Runs route unit tests against the routes, in memory, with the endpoints they name
/// replaced by mocks.
public struct RouteTestRunner: Sendable {
    public var routes: RouteSet
    public var settings: ProcessContext.Settings

    /// `settings` are used as given, except that time is virtual: waits (redelivery
    /// back-off, `delay`, `throttle`) take no real time.
    public init(routes: RouteSet, settings: ProcessContext.Settings = .init()) {
        self.routes = routes
        self.settings = settings
    }

    /// One test's result: passed when `failures` is empty.
    public struct Result: Sendable {
        public var test: RouteTestDefinition
        public var failures: [String]
        public var passed: Bool { failures.isEmpty }
    }

    public func run(_ test: RouteTestDefinition) async -> Result {
        var failures: [String] = []
        guard routes.route(test.route) != nil else {
            return Result(
                test: test,
                failures: [
                    "no route with id '\(test.route)'\(didYouMean(test.route, among: routes.routes.map(\.id)))"
                ])
        }
        let engine: RouteEngine
        let clock = VirtualClock()
        var settings = self.settings
        settings.sleep = { clock.sleep($0) }
        settings.now = { clock.now }
        do {
            // Only the route under test and the direct: routes it calls are built, so other
            // routes' endpoints need no substitution.
            engine = try RouteEngine(
                routes: routes.reachable(from: test.route), settings: settings,
                substitutions: test.substitutions)
            try await engine.start()
        } catch let error as LoadFailure {
            return Result(test: test, failures: ["the routes cannot start: \(error)"])
        } catch {
            return Result(test: test, failures: ["the routes cannot start: \(error)"])
        }
        var message = Message()
        for (name, value) in test.headers { message.headers[name] = .string(value) }
        message.body = Body(bytes: test.body, contentType: message.contentType)
        let outcome = await engine.run(test.route, Exchange(message: message))
        await engine.stop()

        switch (outcome.error, test.expectedError) {
        case (nil, let expected?):
            failures.append("expected the route to fail with \(expected), but it completed")
        case (let error?, nil):
            failures.append("the route failed: \(error)")
        case (let error?, let expected?):
            let matches =
                error.kind.distance(to: ErrorKind(expected)) != nil
                || error.message.contains(expected)
            if !matches {
                failures.append("expected a failure matching '\(expected)', got \(error)")
            }
        case (nil, nil):
            break
        }
        for expectation in test.expectations {
            failures += check(expectation, engine.mock(expectation.endpoint).received)
        }
        return Result(test: test, failures: failures)
    }

    func check(_ e: EndpointExpectation, _ received: [Message]) -> [String] {
        var failures: [String] = []
        let name = "mock:\(e.endpoint)"
        if let count = e.count, count != received.count {
            failures.append(
                "\(name) received \(received.count) message\(received.count == 1 ? "" : "s"), expected \(count)"
            )
        }
        for (i, m) in e.messages.enumerated() {
            guard i < received.count else {
                failures.append("\(name) message \(i + 1) was expected but never arrived")
                continue
            }
            let actual = received[i]
            switch m.body {
            case .text(let expected)?:
                if actual.body.text != expected {
                    failures.append(
                        "\(name) message \(i + 1) body differs:\n"
                            + TextDiff.lines(expected: expected, actual: actual.body.text))
                }
            case .json(let expected)?:
                let got: Document
                switch actual.body.content {
                case .document(let d): got = d
                default:
                    do { got = try JSONReader().read(actual.body.bytes) } catch {
                        failures.append(
                            "\(name) message \(i + 1) body is not JSON (\(error)):\n\(actual.body.text)"
                        )
                        continue
                    }
                }
                if !JSONPathEvaluator.equal(expected, got) {
                    failures.append(
                        "\(name) message \(i + 1) body differs (compared as JSON):\n"
                            + TextDiff.lines(
                                expected: JSONWriter(pretty: true).string(expected),
                                actual: JSONWriter(pretty: true).string(got)))
                }
            case .xml(let expected)?:
                do {
                    let got = try XMLReader().read(actual.body.bytes)
                    if got != expected {
                        failures.append(
                            "\(name) message \(i + 1) body differs (compared as XML documents):\n"
                                + TextDiff.lines(
                                    expected: JSONWriter(pretty: true).string(expected),
                                    actual: JSONWriter(pretty: true).string(got)))
                    }
                } catch {
                    failures.append(
                        "\(name) message \(i + 1) body is not XML (\(error)):\n\(actual.body.text)")
                }
            case nil:
                break
            }
            for (header, expected) in m.headers {
                let got = actual.headers[header].map(SimpleCoercion.text)
                if got != expected {
                    failures.append(
                        "\(name) message \(i + 1) header \(header) is \(got.map { "'\($0)'" } ?? "missing"), expected '\(expected)'"
                    )
                }
            }
        }
        return failures
    }
}

extension RouteSet {
    /// This set with only route `id` and the `direct:` routes it reaches (statically).
    public func reachable(from id: String) -> RouteSet {
        var keep: [String] = []
        var pending = [id]
        let byDirect = Dictionary(
            routes.filter { $0.from.scheme == "direct" }.map { ($0.from.path, $0.id) },
            uniquingKeysWith: { a, _ in a })
        while let next = pending.popLast() {
            guard !keep.contains(next), let route = route(next) else { continue }
            keep.append(next)
            for name in RouteSet.directTargets(route.steps) {
                if let target = byDirect[name] { pending.append(target) }
            }
        }
        var copy = self
        copy.routes = routes.filter { keep.contains($0.id) }
        return copy
    }

    static func directTargets(_ steps: [StepDefinition]) -> [String] {
        steps.flatMap { step -> [String] in
            switch step.kind {
            case .to(let uri): return uri.scheme == "direct" ? [uri.path] : []
            case .wireTap(let e), .enrich(let e, _), .toD(let e), .recipientList(let e, _):
                // Constant targets only; computed ones are found at run time.
                return e.text.split(separator: ",").compactMap { part in
                    let t = part.trimmingXMLWhitespace()
                    return t.hasPrefix("direct:") && !t.contains("$")
                        ? String(t.dropFirst(7).prefix { $0 != "?" }) : nil
                }
            case .choice(let whens, let otherwise):
                return whens.flatMap { directTargets($0.steps) } + directTargets(otherwise ?? [])
            case .filter(_, let s), .loop(_, let s, _), .multicast(let s, _):
                return directTargets(s)
            case .split(let s): return directTargets(s.steps)
            case .idempotentConsumer(let d): return directTargets(d.steps)
            case .doTry(let s, let catches, let finally):
                return directTargets(s) + catches.flatMap { directTargets($0.steps) }
                    + directTargets(finally ?? [])
            default: return []
            }
        }
    }
}
