import Caravan
import CaravanAdapters
import Foundation
import NIOSSL
import Testing

/// The `http:` producer against a local sink.
@Suite struct HTTPProducerTests {
    func engine(
        _ to: String, trusting ca: String? = nil,
        clientCertificate: ClientCertificate? = nil
    ) async throws -> RouteEngine {
        let loaded = RouteLoader().load([
            RouteFile(
                path: "r.yaml",
                text: "- route: {id: out, from: {uri: \"direct:out\", steps: [{to: \"\(to)\"}]}}")
        ])
        if !loaded.errors.isEmpty { throw LoadFailure(loaded.errors) }
        let engine = try RouteEngine(
            routes: loaded.routes,
            components: [
                HTTPComponent(scheme: "http"),
                HTTPComponent(
                    scheme: "https", trustedCertificates: ca, clientCertificate: clientCertificate),
            ])
        try await engine.start()
        return engine
    }

    func run(_ engine: RouteEngine, _ body: String, headers: [(String, Document)] = []) async
        -> RouteEngine.Outcome
    {
        await engine.run(
            "out",
            Exchange(
                id: "m-1",
                message: Message(
                    headers: Headers(headers),
                    body: Body(bytes: Array(body.utf8), contentType: .json))))
    }

    @Test func methodFollowsCamelTheEndpointFirstAndTheResponseBecomesTheMessage() async throws {
        let sink = Sink()
        let port = await sink.start()
        defer { sink.stop() }
        let e = try await engine("http://127.0.0.1:\(port)/a?priority=high")
        let posted = await run(
            e, #"{"x":1}"#, headers: [("tenant", "t1"), ("CamelHttpPath", "/inbound")])
        #expect(posted.error == nil)
        #expect(
            posted.exchange.message.headers["CamelHttpResponseCode"] == .number(DecimalText(200)))
        #expect(posted.exchange.message.body.text == "sink 0")
        _ = await run(e, "")  // no body: GET
        _ = await run(e, "{}", headers: [("CamelHttpMethod", "PATCH")])  // the header, else
        let put = try await engine("http://127.0.0.1:\(port)/a?httpMethod=PUT")
        // The endpoint's httpMethod wins over the header (a route that received a POST).
        _ = await run(put, "{}", headers: [("CamelHttpMethod", "POST")])
        let r = sink.requests
        #expect(r.map(\.method) == ["POST", "GET", "PATCH", "PUT"])
        // Options Camel does not consume go on as the query; its own do not.
        #expect(r[0].query == "priority=high")
        #expect(r[3].query == nil)
        #expect(r[0].body == #"{"x":1}"#)
        #expect(r[0].headers["tenant"] == "t1")
        #expect(r[0].headers["camelhttppath"] == nil)  // Camel's own headers stay home
        #expect(r[0].headers["content-type"] == "application/json")
        #expect(r[0].headers["idempotency-key"] == "m-1/0")
    }

    @Test func statusesOutsideTheOkRangeFailWithStatusAndExcerpt() async throws {
        let sink = Sink(status: { _ in 404 })
        let port = await sink.start()
        defer { sink.stop() }
        let failing = await run(try await engine("http://127.0.0.1:\(port)/a"), "{}")
        let error = try #require(failing.error)
        #expect(error.kind == .httpOperationFailed)
        #expect(error.statusCode == 404 && error.responseExcerpt == "sink 0")
        // Accepting the status, or not throwing, keeps the response as the message.
        let range = await run(
            try await engine("http://127.0.0.1:\(port)/a?okStatusCodeRange=200-404"), "{}")
        #expect(range.error == nil)
        let noThrow = await run(
            try await engine("http://127.0.0.1:\(port)/a?throwExceptionOnFailure=false"), "{}")
        #expect(noThrow.error == nil)
        #expect(
            noThrow.exchange.message.headers["CamelHttpResponseCode"] == .number(DecimalText(404)))
    }

    @Test func aRefusedConnectionFailsAtOnceAsAConnectException() async throws {
        // A port nothing listens on (bound then closed by a sink that stopped).
        let sink = Sink()
        let port = await sink.start()
        await sink.stopAndWait()
        // With a long connect timeout: a client that retried the refused connection would
        // fail only when the 30 s are up (AsyncHTTPClient's default), holding the worker.
        let engine = try await engine("http://127.0.0.1:\(port)/a?connectTimeout=30000")
        let started = ContinuousClock.now
        let outcome = await run(engine, "{}")
        #expect(ContinuousClock.now - started < .seconds(10))
        let error = try #require(outcome.error)
        #expect(error.kind == .connect, "\(error)")
        #expect(error.endpoint?.contains("127.0.0.1:\(port)") == true)
    }

    @Test func httpsTrustsTheConfiguredAuthorityAndRefusesAnUnknownOne() async throws {
        // A self-signed certificate for 127.0.0.1, made with the openssl tool.
        let dir = NSTemporaryDirectory() + "caravan-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/key.pem", "-out",
            dir + "/cert.pem", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
            "subjectAltName=IP:127.0.0.1",
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0, "openssl could not make a certificate")
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(dir + "/cert.pem").map {
                .certificate($0)
            },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: dir + "/key.pem", format: .pem)))
        let sink = try Sink(tls: tls)
        let port = await sink.start()
        defer { sink.stop() }
        let trusted = await run(
            try await engine("https://127.0.0.1:\(port)/secure", trusting: dir + "/cert.pem"), "{}")
        #expect(trusted.error == nil)
        #expect(trusted.exchange.message.body.text == "sink 0")
        let unknown = await run(
            try await engine("https://127.0.0.1:\(port)/secure?connectTimeout=2000"), "{}")
        let error = try #require(unknown.error)
        #expect(error.kind == .connect)
        #expect(sink.requests.count == 1)  // the untrusted call never got through
    }

    @Test func httpsPresentsTheClientCertificateToATargetThatRequiresOne() async throws {
        let pki = try TestPKI()
        try pki.authority("ca")
        try pki.certificate(
            "target", commonName: "target", alternativeNames: ["IP:127.0.0.1"], by: "ca")
        try pki.certificate("caravan", commonName: "caravan", by: "ca")
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(pki.path("target.pem")).map {
                .certificate($0)
            },
            privateKey: .privateKey(
                try NIOSSLPrivateKey(file: pki.path("target.key"), format: .pem)))
        tls.trustRoots = .file(pki.path("ca.pem"))
        tls.certificateVerification = .noHostnameVerification
        let sink = try Sink(tls: tls)
        let port = await sink.start()
        defer { sink.stop() }
        let url = "https://127.0.0.1:\(port)/partner?connectTimeout=2000"
        let with = await run(
            try await engine(
                url, trusting: pki.path("ca.pem"),
                clientCertificate: try ClientCertificate(
                    chain: pki.path("caravan.pem"), key: pki.path("caravan.key"))), "{}")
        let without = await run(try await engine(url, trusting: pki.path("ca.pem")), "{}")
        #expect(with.error == nil, "\(String(describing: with.error))")
        #expect(without.error != nil, "the target refuses a client without a certificate")
        #expect(sink.requests.count == 1)
    }
}
