import Caravan
import Foundation

/// Where durable consumers (platform-http InOnly, file, timer) hand messages: it returns
/// once the message is stored (the store's journal, in the server). A consumer
/// acknowledges only after that.
public protocol Intake: Sendable {
    /// Stores `message` for `route` and returns its id once committed. `id` is given when
    /// the consumer derives it (a file's identity), so storing twice stores once. With
    /// `signature` (a signed request), the message keeps its signature: when a message of
    /// that id is stored with the same signature already, nothing is stored and
    /// ``IntakeError/isReplay`` is set.
    /// `properties` are the exchange properties the consumer sets (a timer's
    /// `CamelTimerCounter`), kept with the message for its route.
    func accept(
        _ message: Message, properties: [String: Document], route: String, consumer: String,
        id: UUID?, signature: ReplayClaim?
    ) async throws(IntakeError) -> UUID
}

/// The store could not take the message: nothing was acknowledged.
public struct IntakeError: Error, Sendable, CustomStringConvertible {
    public let description: String
    /// The store is unreachable or slow: trying again later can succeed (HTTP 503). False
    /// for a failure that trying again cannot fix (HTTP 500).
    public let retryable: Bool
    /// Nothing was stored because the same signed request was taken before: a replay.
    public let isReplay: Bool

    public init(_ description: String, retryable: Bool = true) {
        self.description = description
        self.retryable = retryable
        self.isReplay = false
    }

    private init(replay description: String) {
        self.description = description
        self.retryable = false
        self.isReplay = true
    }

    /// The request's signature is remembered from an earlier request.
    public static let replay = IntakeError(replay: "this signed request was accepted before")
}

extension Intake {
    /// ``accept(_:properties:route:consumer:id:signature:)`` of a message with no exchange
    /// properties.
    public func accept(
        _ message: Message, route: String, consumer: String, id: UUID?, signature: ReplayClaim?
    ) async throws(IntakeError) -> UUID {
        try await accept(
            message, properties: [:], route: route, consumer: consumer, id: id,
            signature: signature)
    }

    /// ``accept(_:properties:route:consumer:id:signature:)`` of a message that carries no
    /// signature and no exchange properties.
    public func accept(_ message: Message, route: String, consumer: String, id: UUID?)
        async throws(IntakeError) -> UUID
    {
        try await accept(
            message, properties: [:], route: route, consumer: consumer, id: id, signature: nil)
    }

    /// ``accept(_:route:consumer:id:)``, counted in the ingest metrics from `start` (a
    /// file or a timer's tick; the HTTP server counts its own refusals besides).
    func acceptCounted(
        _ message: Message, properties: [String: Document] = [:], route: String,
        consumer: String, id: UUID?, since start: ContinuousClock.Instant = .now
    ) async throws(IntakeError) -> UUID {
        do {
            let stored = try await accept(
                message, properties: properties, route: route, consumer: consumer, id: id,
                signature: nil)
            IngestMetrics.accepted(route: route, since: start)
            return stored
        } catch {
            IngestMetrics.refused(route: route, error.retryable ? .unavailable : .failed)
            throw error
        }
    }
}
