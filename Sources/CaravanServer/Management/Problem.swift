import Caravan
import CaravanStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error of the admin API as an RFC 9457 problem document
/// (`application/problem+json`): the status, what went wrong (`detail`) and what to do
/// about it (`hint`, an extension member).
struct Problem: Error, Sendable {
    var status: HTTPResponse.Status
    var detail: String
    var hint: String
    /// Extra headers (`WWW-Authenticate` on a 401).
    var headers: [(HTTPField.Name, String)] = []

    init(_ status: HTTPResponse.Status, _ detail: String, hint: String) {
        self.status = status
        self.detail = detail
        self.hint = hint
    }

    /// A store error as the API answers it.
    init(_ error: StoreError) {
        switch error {
        case .notFound(let m):
            self.init(.notFound, m, hint: "check the id (ids are listed by GET /api/v1/messages)")
        case .refused(let m):
            self.init(.conflict, m, hint: "only dead letters can be replayed, edited or discarded")
        case .unavailable:
            self.init(
                .serviceUnavailable, "the store is unavailable",
                hint: "retry in a few seconds; /health/ready says when the database is back")
        case .query, .configuration:
            // The reason is logged, not shown: it may name tables, values or settings.
            self.init(
                .internalServerError, "the store failed to answer (the reason is logged)",
                hint: "tell the operator of this Caravan")
        }
    }

    /// Any error of a request's work: a problem as it is, a store error as ``init(_:)``
    /// says, anything else a 500 (its details logged by the caller, not answered).
    init(any error: any Error) {
        if let problem = error as? Problem {
            self = problem
        } else if let error = error as? StoreError {
            self.init(error)
        } else {
            self.init(
                .internalServerError, "the request failed",
                hint: "tell the operator of this Caravan")
        }
    }

    var response: Response {
        let document: Document = [
            "type": "about:blank",
            "title": .string(status.reasonPhrase),
            "status": .number(DecimalText(status.code)),
            "detail": .string(detail),
            "hint": .string(hint),
        ]
        var response = Response(
            status: status,
            body: .init(byteBuffer: ByteBuffer(string: redactedJSON(document))))
        response.headers[.contentType] = "application/problem+json"
        for (name, value) in headers { response.headers[name] = value }
        return response
    }
}
