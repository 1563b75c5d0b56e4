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

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
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
            body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter().bytes(document) + [0x0A])))
        response.headers[.contentType] = "application/json"
        return response
    }
}
