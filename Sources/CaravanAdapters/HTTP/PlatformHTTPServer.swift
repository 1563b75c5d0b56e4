import Caravan
import Crypto
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
/// not parse as its type (with line:column) or cannot be read, 408 a body slower than
/// ``Limits/bodyTimeout``. The store unreachable: 503 + `Retry-After` (nothing was
/// accepted — or, when the store answered too late, the message may still be stored: a
/// client that retries with the same `Idempotency-Key` never stores it twice); a store
/// error that retrying cannot fix: 500.
///
/// Inbound headers become message headers, except Camel's own (`Camel*`,
/// `org.apache.camel.*`), which a client must not set (`CamelHttpResponseCode`,
/// `CamelFileName`...), as Camel's HTTP header filter strategy does; query parameters
/// become headers too, but never replace a request header.
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

    /// What a request may take.
    public struct Limits: Sendable {
        /// Larger bodies get 413.
        public var bodyLimit = 10 * 1024 * 1024
        /// A body not received whole within this time gets 408 and the connection closes
        /// (a client trickling bytes would otherwise hold its connection and memory).
        public var bodyTimeout: Duration = .seconds(60)
        /// The request header whose value identifies a message: a retry with the same
        /// value stores nothing new and is answered with the first one's id.
        public var idempotencyHeader = "Idempotency-Key"
        /// Requests to routes in flight at once; more get 503 at once.
        public var maxRequests = 1024
        /// Body bytes that requests in flight may hold in memory together; a request that
        /// would pass it gets 503 — before its body is read when it gives a Content-Length.
        /// Sized so that a node in a 512 MB container survives a burst of large uploads.
        public var maxRequestBytes = 48 * 1024 * 1024

        public init() {}
    }

    private let routes: Mutex<Routes>
    let intake: any Intake
    let guards: IngestGuard
    let shedder: LoadShedder
    public let limits: Limits
    public var bodyLimit: Int { limits.bodyLimit }
    let readiness: Readiness
    let logger: Logger

    public init(
        routes: Routes, intake: any Intake, limits: Limits = Limits(),
        security: HTTPSecurity = HTTPSecurity(), ledger: (any SignatureLedger)? = nil,
        readiness: @escaping Readiness, logger: Logger
    ) {
        self.routes = Mutex(routes)
        self.intake = intake
        self.guards = IngestGuard(security: security, ledger: ledger, logger: logger)
        self.shedder = LoadShedder(
            maxRequests: limits.maxRequests, maxBytes: limits.maxRequestBytes)
        self.limits = limits
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
        let path = request.uri.path
        if path == "/health/live" { return Self.json(.ok, ["status": "live"]) }
        if path == "/health/ready" {
            let (ready, detail) = await readiness()
            return Self.json(
                ready ? .ok : .serviceUnavailable,
                ["status": .string(ready ? "ready" : "not ready"), "detail": .string(detail)])
        }
        let started = ContinuousClock.now
        var stage = IngestStage.unmatched
        let response: Response
        if shedder.enter() {
            defer { shedder.leave() }
            response = await ingest(request, channel: channel, stage: &stage, started: started)
        } else {
            stage = .refused(route: "", .overloaded)
            response = Self.overloaded("requests")
        }
        switch (stage, response.status) {
        case (.answeredByRoute, _): break
        case (.refused(let route, let reason), _): IngestMetrics.refused(route: route, reason)
        case (.unmatched, .notFound): IngestMetrics.refused(route: "", .notFound)
        case (.unmatched, .methodNotAllowed): IngestMetrics.refused(route: "", .method)
        case (.unmatched, _): break
        case (.matched(let route), .accepted): IngestMetrics.accepted(route: route, since: started)
        case (.matched(let route), .unsupportedMediaType):
            IngestMetrics.refused(route: route, .mediaType)
        case (.matched(let route), .contentTooLarge): IngestMetrics.refused(route: route, .tooLarge)
        case (.matched(let route), .badRequest), (.matched(let route), .requestTimeout):
            IngestMetrics.refused(route: route, .malformed)
        case (.matched(let route), .serviceUnavailable):
            IngestMetrics.refused(route: route, .unavailable)
        case (.matched(let route), .internalServerError):
            IngestMetrics.refused(route: route, .failed)
        case (.matched, _): break
        }
        return response
    }

    /// How far a request got, for its metrics: statuses before a route matched and
    /// after it are refusals; an `InOut` route's own answer is not.
    enum IngestStage {
        case unmatched
        case matched(route: String)
        /// Refused by a security step or load shedding, for this reason.
        case refused(route: String, IngestMetrics.Refusal)
        case answeredByRoute
    }

    /// A request to a route: refused, answered 202 once stored, or (`InOut`) answered
    /// by the route.
    private func ingest(
        _ request: Request, channel: any Channel, stage: inout IngestStage,
        started: ContinuousClock.Instant
    ) async -> Response {
        var request = request
        let path = request.uri.path
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
        stage = .matched(route: entry.routeId)
        var pass: IngestGuard.Pass
        switch await guards.before(
            request, entry: entry, peer: channel.remoteAddress?.ipAddress,
            certificate: { await ClientIdentity.of(channel) })
        {
        case .success(let p): pass = p
        case .failure(let refusal):
            stage = .refused(route: entry.routeId, refusal.reason)
            return refusal.response
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
        let length = request.headers[.contentLength].flatMap { Int($0) }
        if let length, length > bodyLimit { return tooLarge() }
        let reservation = BodyReservation(shedder)
        defer { reservation.release() }
        if let length, !reservation.cover(length) {
            stage = .refused(route: entry.routeId, .overloaded)
            return Self.overloaded("request bytes")
        }
        // Without this answer a client that asks for it waits before sending the body:
        // curl 1 s for bodies over 1 MB, .NET Framework's HttpWebRequest 350 ms for every
        // POST.
        if request.headers[.expect]?.lowercased() == "100-continue" {
            try? await channel.writeAndFlush(HTTPResponsePart.head(HTTPResponse(status: .continue)))
        }
        let body: [UInt8]
        switch await readBody(
            &request, expected: length, channel: channel, reservation: reservation)
        {
        case .bytes(let b): body = b
        case .tooLarge: return tooLarge()
        case .timedOut: return Self.problem(.requestTimeout, "", hint: "")  // already sent
        case .overloaded:
            stage = .refused(route: entry.routeId, .overloaded)
            return Self.problem(.serviceUnavailable, "", hint: "")  // already sent
        case .unreadable(let error):
            // Also a client that went away: then nobody reads this answer.
            logger.info(
                "could not read a request body",
                metadata: ["path": "\(path)", "error": "\(error)"])
            return Self.problem(
                .badRequest, "the body could not be read: \(error)",
                hint: "send the body whole, with a correct Content-Length or chunked encoding")
        }
        switch await guards.after(body: body, pass, claimNow: entry.pattern == .inOut) {
        case .success(let p): pass = p
        case .failure(let refusal):
            stage = .refused(route: entry.routeId, refusal.reason)
            return refusal.response
        }
        var headers = Headers()
        for field in request.headers where !Self.isFiltered(field.name.rawName) {
            headers[field.name.rawName] = .string(field.value)
        }
        for (name, value) in request.uri.queryParameters {
            let name = String(name)
            guard !Self.isFiltered(name), headers[name] == nil else { continue }
            headers[name] = .string(String(value).removingPercentEncoding ?? String(value))
        }
        for (name, value) in parameters { headers[name] = .string(value) }
        headers["CamelHttpMethod"] = .string(method)
        headers["CamelHttpPath"] = .string(path)
        headers["CamelHttpUri"] = .string(request.uri.string)
        headers["CamelHttpQuery"] = request.uri.query.map { .string($0) } ?? .null
        if let principal = pass.principal { headers[Self.principalHeader] = .string(principal) }
        let message = Message(headers: headers, body: Body(bytes: body, contentType: contentType))
        // A body whose type says JSON, XML or CSV must parse as that: refused here, with
        // where it breaks, rather than stored and failing in the route.
        if contentType?.format != nil, !message.body.isEmpty {
            do {
                // A stored message keeps its bytes only; an InOut route uses the tree.
                if entry.pattern == .inOut {
                    _ = try message.body.document()
                } else {
                    try message.body.validate()
                }
            } catch {
                return Self.problem(
                    .badRequest, "the body does not parse: \(error)",
                    hint: "fix the document at the line and column given")
            }
        }

        if entry.pattern == .inOut {
            IngestMetrics.accepted(route: entry.routeId, since: started)
            stage = .answeredByRoute
            return await reply(routes.engine, entry, message, channel: channel)
        }
        var id: UUID?
        // A signed delivery's own id keeps its retries from storing twice. A request whose
        // signature guards against replay takes its id from what is signed (the delivery
        // id, else the signature): the same request again, whatever unsigned header it
        // changes, finds its message stored with that signature and is refused.
        let sent = request.headers[HTTPField.Name(limits.idempotencyHeader)!]
        let claim = pass.replayClaim
        let key =
            claim != nil
            ? (pass.verified?.deliveryID ?? claim?.signature) : (sent ?? pass.verified?.deliveryID)
        if let key {
            guard let derived = Self.messageID(idempotencyKey: key, route: entry.routeId) else {
                return Self.problem(
                    .badRequest,
                    sent != nil && claim == nil
                        ? "the \(limits.idempotencyHeader) header must be 1 to 255 visible ASCII characters"
                        : "the signed delivery id (webhook-id, X-GitHub-Delivery) must be 1 to 255 visible ASCII characters",
                    hint: "send a unique key per message, such as a UUID")
            }
            id = derived
        }
        do {
            let id = try await intake.accept(
                message, route: entry.routeId, consumer: entry.consumer, id: id,
                signature: claim)
            var response = Self.json(
                .accepted,
                ["id": .string(id.lowercasedText), "route": .string(entry.routeId)])
            for (name, value) in pass.rateFields {
                response.headers[HTTPField.Name(name)!] = value
            }
            return response
        } catch  where error.isReplay {
            let refusal = pass.signature.map { IngestGuard.replayRefusal($0.check) }
            stage = .refused(route: entry.routeId, .unauthorized)
            return refusal?.response
                ?? Self.problem(.unauthorized, error.description, hint: "sign each delivery anew")
        } catch  where error.retryable {
            logger.warning(
                "refused a message: the store is unavailable",
                metadata: ["route": "\(entry.routeId)", "error": "\(error)"])
            var response = Self.problem(
                .serviceUnavailable, "the message could not be stored: \(error)",
                hint:
                    "retry later with the same \(limits.idempotencyHeader) header: it may have been stored after all, and the key keeps it from being stored twice"
            )
            response.headers[.retryAfter] = "5"
            return response
        } catch {
            logger.error(
                "refused a message: the store failed to take it",
                metadata: ["route": "\(entry.routeId)", "error": "\(error)"])
            return Self.problem(
                .internalServerError, "the message could not be stored (the reason is logged)",
                hint: "retrying will not help; tell the operator of this service")
        }
    }

    /// Camel's own headers, which only Caravan sets (Camel's HTTP header filter strategy
    /// filters the same names inbound).
    static func isFiltered(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasPrefix("camel") || lower.hasPrefix("org.apache.camel.")
            || lower == "caravanprincipal"
    }

    /// The header that names who posted, when the endpoint has a policy; only Caravan
    /// sets it.
    public static let principalHeader = "CaravanPrincipal"

    /// The message id for an idempotency key: the same key on the same route is the same
    /// message. A SHA-256 of both (a sender chooses the key, so the hash must resist
    /// collisions), as a version 8 UUID; nil for a key that is empty, longer than 255
    /// characters or not visible ASCII.
    static func messageID(idempotencyKey key: String, route: String) -> UUID? {
        guard (1...255).contains(key.utf8.count),
            key.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        else { return nil }
        var digest = Array(SHA256.hash(data: Array("\(route)\n\(key)".utf8)).prefix(16))
        digest[6] = (digest[6] & 0x0F) | 0x80  // version 8
        digest[8] = (digest[8] & 0x3F) | 0x80  // RFC 9562 variant
        return UUID(
            uuid: (
                digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6],
                digest[7], digest[8], digest[9], digest[10], digest[11], digest[12], digest[13],
                digest[14], digest[15]
            ))
    }

    enum BodyRead {
        case bytes([UInt8])
        case tooLarge
        /// The 408 was sent and the connection closed.
        case timedOut
        /// The node holds as many body bytes as it may: the 503 was sent and the
        /// connection closed.
        case overloaded
        case unreadable(any Error)
    }

    /// Reads the whole body within ``Limits/bodyTimeout``. On time-out the 408 is written
    /// and the connection closed from the event loop (which also ends the read): the
    /// client may be trickling bytes, and Hummingbird would wait for the rest of the body
    /// before answering.
    func readBody(
        _ request: inout Request, expected: Int?, channel: any Channel,
        reservation: BodyReservation
    ) async -> BodyRead {
        let deadline = BodyDeadline()
        let refusal: Document = [
            "error": .string("the body did not arrive within \(limits.bodyTimeout)"),
            "hint": "send the body at a steadier rate, or smaller bodies",
        ]
        let timeout = limits.bodyTimeout.components
        let timer = channel.eventLoop.scheduleTask(
            in: .seconds(timeout.seconds) + .nanoseconds(timeout.attoseconds / 1_000_000_000)
        ) {
            guard deadline.settle(.timedOut) else { return }
            Self.writeAndClose(.requestTimeout, refusal, channel: channel)
        }
        defer { timer.cancel() }
        do {
            // Read by hand rather than `collectBody`: each chunk's bytes are reserved
            // before they are kept, straight into the array the message keeps — sized
            // once from Content-Length, so a large body is neither copied again nor
            // regrown by doubling.
            var collected: [UInt8] = []
            collected.reserveCapacity(min(expected ?? 0, limits.bodyLimit))
            for try await chunk in request.body {
                let total = collected.count + chunk.readableBytes
                guard total <= limits.bodyLimit else {
                    return deadline.settle(.read) ? .tooLarge : .timedOut
                }
                guard reservation.cover(total) else {
                    guard deadline.settle(.read) else { return .timedOut }
                    Self.writeAndClose(
                        .serviceUnavailable, Self.overloadedDocument("request bytes"),
                        channel: channel, retryAfter: 1)
                    return .overloaded
                }
                collected.append(contentsOf: chunk.readableBytesView)
            }
            return deadline.settle(.read) ? .bytes(collected) : .timedOut
        } catch {
            return deadline.settle(.read) ? .unreadable(error) : .timedOut
        }
    }

    /// Writes a JSON answer straight to the connection, then closes it (from the
    /// channel's event loop).
    static func writeAndClose(
        _ status: HTTPResponse.Status, _ document: Document, channel: any Channel,
        retryAfter: Int? = nil
    ) {
        let body = ByteBuffer(bytes: JSONWriter().bytes(document) + [0x0A])
        var head = HTTPResponse(status: status)
        if let retryAfter { head.headerFields[.retryAfter] = "\(retryAfter)" }
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.connection] = "close"
        head.headerFields[.contentLength] = "\(body.readableBytes)"
        channel.write(HTTPResponsePart.head(head), promise: nil)
        channel.write(HTTPResponsePart.body(body), promise: nil)
        channel.writeAndFlush(HTTPResponsePart.end(nil)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    /// `InOut`: the route's final message is the reply. A client that hangs up cancels the
    /// exchange, and with it the calls it is waiting for downstream.
    func reply(
        _ engine: RouteEngine, _ entry: PlatformHTTPTable.Entry, _ message: Message,
        channel: any Channel
    ) async -> Response {
        var exchange = Exchange(message: message)
        exchange.pattern = .inOut
        let running = Task { [exchange] in await engine.run(entry.routeId, exchange) }
        let hungUp = HangUpFlag()
        let watcher = try? await channel.eventLoop.submit {
            let watcher = HangUpWatcher {
                hungUp.set()
                running.cancel()
            }
            try channel.pipeline.syncOperations.addHandler(watcher, position: .first)
            return NIOLoopBound(watcher, eventLoop: channel.eventLoop)
        }.get()
        let outcome = await withTaskCancellationHandler {
            await running.value
        } onCancel: {
            running.cancel()
        }
        if let watcher {
            channel.eventLoop.execute {
                channel.pipeline.syncOperations.removeHandler(watcher.value).whenComplete { _ in }
            }
        }
        if hungUp.isSet {
            logger.info(
                "the client of an InOut exchange went away; the exchange was cancelled",
                metadata: ["route": "\(entry.routeId)"])
        }
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
            ?? (body.isEmpty ? nil : entry.produces ?? result.body.format.map(\.mediaType))
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

    static func overloadedDocument(_ what: String) -> Document {
        [
            "error": .string("this node holds as many \(what) as it may; nothing was stored"),
            "hint": "retry after a second; the limit protects the node's memory",
        ]
    }

    /// 503 for a request refused by load shedding.
    static func overloaded(_ what: String) -> Response {
        var response = json(.serviceUnavailable, overloadedDocument(what))
        response.headers[.retryAfter] = "1"
        return response
    }

    /// A refusal: what is wrong and how to fix it, as JSON.
    static func problem(_ status: HTTPResponse.Status, _ error: String, hint: String) -> Response {
        json(status, ["error": .string(error), "hint": .string(hint)])
    }
}

/// The body bytes one request holds, reserved with the node's ``LoadShedder`` as they
/// arrive and released when the request ends. Used by one request's task only.
final class BodyReservation {
    private let shedder: LoadShedder
    private var reserved = 0

    init(_ shedder: LoadShedder) { self.shedder = shedder }

    /// Makes sure `total` bytes are reserved; false when the node cannot hold them.
    func cover(_ total: Int) -> Bool {
        guard total > reserved else { return true }
        guard shedder.reserve(total - reserved) else { return false }
        reserved = total
        return true
    }

    func release() {
        shedder.release(reserved)
        reserved = 0
    }
}

/// Who settled a body read first: the read, or its deadline.
final class BodyDeadline: Sendable {
    enum Outcome { case read, timedOut }
    private let outcome = Mutex<Outcome?>(nil)

    /// True when `by` is the first to settle it.
    func settle(_ by: Outcome) -> Bool {
        outcome.withLock { o in
            guard o == nil else { return o == by }
            o = by
            return true
        }
    }
}

/// Set once, when the client of an exchange hung up.
final class HangUpFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}
