import Caravan
import Metrics

/// What consumers report about messages coming in, through swift-metrics:
/// `caravan_ingest_messages_total{route,outcome[,reason]}` and
/// `caravan_ingest_duration_seconds{route}` (from the request, or the file or tick, to the
/// message stored). A refusal before any route matched has an empty `route`.
public enum IngestMetrics {
    /// Why a message was refused: a small, fixed set (a label's values must be bounded).
    public enum Refusal: String, Sendable {
        case notFound = "not_found"
        case method
        case mediaType = "media_type"
        case tooLarge = "too_large"
        case malformed
        case unavailable
        /// The store failed in a way retrying cannot fix (a 500).
        case failed
        /// No valid credentials (401), or an address the policy does not allow (403).
        case unauthorized
        /// Over the endpoint's rate limit (429).
        case rateLimited = "rate_limited"
        /// The node holds as many requests or request bytes as it may (503).
        case overloaded
    }

    public static func accepted(route: String, since start: ContinuousClock.Instant) {
        Counter(
            label: "caravan_ingest_messages_total",
            dimensions: [("route", route), ("outcome", "accepted")]
        ).increment()
        Metrics.Timer(label: "caravan_ingest_duration_seconds", dimensions: [("route", route)])
            .recordNanoseconds(start.duration(to: .now).wholeNanoseconds)
    }

    public static func refused(route: String, _ reason: Refusal) {
        Counter(
            label: "caravan_ingest_messages_total",
            dimensions: [("route", route), ("outcome", "refused"), ("reason", reason.rawValue)]
        ).increment()
    }
}
