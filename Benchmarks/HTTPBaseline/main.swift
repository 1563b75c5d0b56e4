// The ceiling of Caravan's HTTP stack, for scripts/bench-e2e: a Hummingbird application
// set up as `caravan serve` sets up its own (a callback responder, the default server
// configuration, a quiet logger) that reads the whole body, as platform-http does, and
// answers 202 with a JSON acknowledgement — no route, no validation, no store. What
// Caravan's durable ingest reaches against this figure is what routing and the store
// cost; what this reaches against nginx is what the framework costs.
//
// Usage: HTTPBaseline PORT
import Hummingbird
import Logging

let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 8080
let acknowledgement = ByteBuffer(
    string: #"{"id":"00000000-0000-0000-0000-000000000000","route":"orders"}"#)

let responder = CallbackResponder<BasicRequestContext> { request, _ in
    var request = request
    do {
        _ = try await request.collectBody(upTo: 10 << 20)
    } catch {
        return Response(status: .contentTooLarge)
    }
    return Response(
        status: .accepted, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: acknowledgement))
}

var logger = Logger(label: "http-baseline")
logger.logLevel = .warning
let app = Application(
    responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: port)),
    logger: logger)
try await app.run()
