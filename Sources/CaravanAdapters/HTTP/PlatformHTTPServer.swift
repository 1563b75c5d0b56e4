import Caravan
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The `platform-http` consumer: one Hummingbird server for every route that starts
/// `from: platform-http:/path`, plus `/health/live` and `/health/ready`.
///
/// An `InOnly` route (the default) answers `202 Accepted` with `{"id", "route"}` once the
/// message is stored; `InOut` runs the route inline and answers with its final message.
/// Bad input is refused before anything is stored: 404 unknown path, 405 wrong method,
/// 413 body over the limit, 415 a type the route does not consume, 400 a body that does
/// not parse as its type (with line:column). The store unreachable: 503 + `Retry-After`.
public final class PlatformHTTPServer: Sendable {
    /// The routes being served; replaced as a whole on hot reload.
    public struct Routes: Sendable {
        public let table: PlatformHTTPTable
        public let engine: RouteEngine

        public init(table: PlatformHTTPTable, engine: RouteEngine) {
            self.table = table
            self.engine = engine
        }
    }

    /// What `/health/ready` reports: ready, and why not.
    public typealias Readiness = @Sendable () async -> (ready: Bool, detail: String)

    private let routes: Mutex<Routes>
    let intake: any Intake
    public let bodyLimit: Int
    let readiness: Readiness
    let logger: Logger

    public init(
        routes: Routes, intake: any Intake, bodyLimit: Int = 10 * 1024 * 1024,
        readiness: @escaping Readiness, logger: Logger
    ) {
        self.routes = Mutex(routes)
        self.intake = intake
        self.bodyLimit = bodyLimit
        self.readiness = readiness
        self.logger = logger
    }

    /// Swaps in new routes (hot reload); requests already running finish on the old ones.
    public func replace(_ new: Routes) { routes.withLock { $0 = new } }

    var current: Routes { routes.withLock { $0 } }

    /// The Hummingbird responder.
    public var responder: CallbackResponder<PlatformHTTPContext> {
        CallbackResponder { [self] request, context in
            await self.respond(request, channel: context.channel)
        }
    }

    /// `channel` gets the `100 Continue` a client that sends `Expect: 100-continue` waits
    /// for before it sends the body.
    func respond(_ request: Request, channel: any Channel) async -> Response {
        var request = request
        let path = request.uri.path
        if path == "/health/live" { return Self.json(.ok, ["status": "live"]) }
        if path == "/health/ready" {
            let (ready, detail) = await readiness()
            return Self.json(
                ready ? .ok : .serviceUnavailable,
                ["status": .string(ready ? "ready" : "not ready"), "detail": .string(detail)])
        }
        let routes = current
        let method = request.method.rawValue
        let entry: PlatformHTTPTable.Entry
        let parameters: [(String, String)]
        switch routes.table.match(path: path, method: method) {
        case .notFound:
            return Self.problem(
                .notFound, "no route at \(path)",
                hint:
                    "the paths served are \(routes.table.entries.map { $0.uri.path }.sorted().joined(separator: ", "))"
            )
        case .methodNotAllowed(let allowed):
            var response = Self.problem(
                .methodNotAllowed, "\(method) is not allowed on \(path)",
                hint: "use \(allowed.joined(separator: " or "))")
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        case .found(let e, let p):
            entry = e
            parameters = p
        }

        // Everything that needs no body is checked before it is read: a client that asked
        // `Expect: 100-continue` then gets its answer without sending the body at all.
        let contentType = request.headers[.contentType].flatMap { MediaType($0) }
        if let consumes = entry.consumes {
            guard let contentType, contentType.type == consumes.type,
                contentType.subtype == consumes.subtype || consumes.subtype == "*"
            else {
                return Self.problem(
                    .unsupportedMediaType,
                    "\(path) consumes \(consumes.type)/\(consumes.subtype), not \(contentType.map { "\($0.type)/\($0.subtype)" } ?? "a body without Content-Type")",
                    hint: "send Content-Type: \(consumes.type)/\(consumes.subtype)")
            }
        }
        func tooLarge() -> Response {
            Self.problem(
                .contentTooLarge, "the body is larger than \(bodyLimit) bytes",
                hint: "send smaller messages, or raise the server's body limit")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > bodyLimit {
            return tooLarge()
        }
        // Without this answer a client that asks for it waits before sending the body:
        // curl 1 s for bodies over 1 MB, .NET Framework's HttpWebRequest 350 ms for every
        // POST.
        if request.headers[.expect]?.lowercased() == "100-continue" {
            try? await channel.writeAndFlush(HTTPResponsePart.head(HTTPResponse(status: .continue)))
        }
        let bytes: ByteBuffer
        do {
            bytes = try await request.collectBody(upTo: bodyLimit)
        } catch {
            return tooLarge()
        }
        var headers = Headers()
        for field in request.headers { headers[field.name.rawName] = .string(field.value) }
        for (name, value) in request.uri.queryParameters {
            headers[String(name)] = .string(String(value).removingPercentEncoding ?? String(value))
        }
        for (name, value) in parameters { headers[name] = .string(value) }
        headers["CamelHttpMethod"] = .string(method)
        headers["CamelHttpPath"] = .string(path)
        headers["CamelHttpUri"] = .string(request.uri.string)
        headers["CamelHttpQuery"] = request.uri.query.map { .string($0) } ?? .null
        let message = Message(
            headers: headers, body: Body(bytes: Array(buffer: bytes), contentType: contentType))
        // A body whose type says JSON, XML or CSV must parse as that: refused here, with
        // where it breaks, rather than stored and failing in the route.
        if contentType?.format != nil, !message.body.isEmpty {
            do {
                _ = try message.body.document()
            } catch {
                return Self.problem(
                    .badRequest, "the body does not parse: \(error)",
                    hint: "fix the document at the line and column given")
            }
        }

        if entry.pattern == .inOut { return await reply(routes.engine, entry, message) }
        do {
            let id = try await intake.accept(
                message, route: entry.routeId, consumer: entry.consumer, id: nil)
            return Self.json(
                .accepted,
                ["id": .string(id.lowercasedText), "route": .string(entry.routeId)])
        } catch {
            logger.warning(
                "refused a message: the store is unavailable",
                metadata: ["route": "\(entry.routeId)", "error": "\(error)"])
            var response = Self.problem(
                .serviceUnavailable, "the message could not be stored: \(error)",
                hint: "retry later; nothing was accepted")
            response.headers[.retryAfter] = "5"
            return response
        }
    }

    /// `InOut`: the route's final message is the reply.
    func reply(_ engine: RouteEngine, _ entry: PlatformHTTPTable.Entry, _ message: Message) async
        -> Response
    {
        var exchange = Exchange(message: message)
        exchange.pattern = .inOut
        let outcome = await engine.run(entry.routeId, exchange)
        if let error = outcome.error {
            logger.warning(
                "an InOut exchange failed",
                metadata: ["route": "\(entry.routeId)", "error": "\(error)"])
            return Response(
                status: .internalServerError,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(
                    byteBuffer: ByteBuffer(string: "processing failed: \(error.kind.name)\n")))
        }
        let result = outcome.exchange.message
        let body = result.body.bytes
        var status: HTTPResponse.Status = body.isEmpty ? .noContent : .ok
        if let code = result.headers["CamelHttpResponseCode"]?.scalarText.flatMap({ Int($0) }),
            (100...599).contains(code)
        {
            status = HTTPResponse.Status(code: code)
        }
        var headers = HTTPFields()
        if let type = result.contentType
            ?? (body.isEmpty ? nil : result.body.format.map(\.mediaType))
        {
            headers[.contentType] = type.description
        }
        return Response(
            status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func json(_ status: HTTPResponse.Status, _ document: Document) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter().bytes(document) + [0x0A])))
    }

    /// A refusal: what is wrong and how to fix it, as JSON.
    static func problem(_ status: HTTPResponse.Status, _ error: String, hint: String) -> Response {
        json(status, ["error": .string(error), "hint": .string(hint)])
    }
}
