import Caravan
import CaravanAdapters
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The management listener: everything that is not a route — `/metrics`, `/health/live`,
/// `/health/ready` (also on the main port), and the admin API and console. On its own
/// address (`--management-host`, `--management-port`), so no `platform-http` path can
/// shadow it and a network policy can keep it apart from the routes.
struct ManagementServer: Sendable {
    let metrics: NodeMetrics
    let gauges: StoreGauges
    /// The routes served now (their gauges read 0 when they have no messages).
    let routeIDs: @Sendable () -> [String]
    let readiness: PlatformHTTPServer.Readiness
    let api: AdminAPI
    let console: Console
    /// Whether `/metrics` and `/health` need a viewer token too.
    let metricsAuth: Bool

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        if metricsAuth { router.add(middleware: OpenPathsNeedAToken(access: api.access)) }
        api.register(on: router)
        console.register(on: router)
        router.get("/metrics") { _, _ in
            await gauges.refresh(routes: routeIDs())
            var response = Response(
                status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
            // Prometheus's text exposition format, version 0.0.4.
            response.headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return response
        }
        router.get("/health/live") { _, _ in
            Self.json(.ok, ["status": "live"])
        }
        router.get("/health/ready") { _, _ in
            let (ready, detail) = await readiness()
            return Self.json(
                ready ? .ok : .serviceUnavailable,
                ["status": .string(ready ? "ready" : "not ready"), "detail": .string(detail)])
        }
        return router
    }

    static func json(_ status: HTTPResponse.Status, _ document: Document) -> Response {
        var response = Response(
            status: status,
            body: .init(byteBuffer: ByteBuffer(string: redactedJSON(document))))
        response.headers[.contentType] = "application/json"
        return response
    }
}

/// With `caravan.management.metricsAuth=true`: `/metrics` and `/health/*` need a viewer
/// token like the API.
struct OpenPathsNeedAToken: RouterMiddleware {
    typealias Context = BasicRequestContext
    let access: Access

    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        guard path == "/metrics" || path.hasPrefix("/health/") else {
            return try await next(request, context)
        }
        do {
            _ = try await access.caller(request, needs: .viewer)
        } catch {
            return error.response
        }
        return try await next(request, context)
    }
}

/// `document` as JSON, with the values of secrets hidden (a message's error may hold an
/// endpoint URI that a secret went into).
func redactedJSON(_ document: Document) -> String {
    SecretRedactor.shared.redact(String(decoding: JSONWriter().bytes(document), as: UTF8.self))
        + "\n"
}
