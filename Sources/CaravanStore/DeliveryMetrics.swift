import Caravan
import Foundation
import Metrics

/// What workers report through swift-metrics (whatever backend the process bootstrapped;
/// `caravan serve` exports them in Prometheus's format). Names follow Prometheus's
/// conventions: base units, `_total` counters, the route as the only label.
enum DeliveryMetrics {
    /// One run of a message through its route, and how it ended.
    static func attempt(route: String, succeeded: Bool, took: Duration) {
        Counter(
            label: "caravan_delivery_attempts_total",
            dimensions: [("route", route), ("outcome", succeeded ? "success" : "failure")]
        ).increment()
        Metrics.Timer(label: "caravan_processing_duration_seconds", dimensions: [("route", route)])
            .recordNanoseconds(took.wholeNanoseconds)
    }

    /// Messages recorded `done`, with the time from their acceptance.
    static func done(route: String, acceptedAt: Date) {
        Counter(label: "caravan_messages_done_total", dimensions: [("route", route)]).increment()
        // The database's clock stamped acceptedAt: a node whose clock is behind must not
        // record a negative time.
        let seconds = max(0, Date().timeIntervalSince(acceptedAt))
        Metrics.Timer(label: "caravan_end_to_end_duration_seconds", dimensions: [("route", route)])
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    static func redeliveryScheduled(route: String) {
        Counter(label: "caravan_redeliveries_scheduled_total", dimensions: [("route", route)])
            .increment()
    }

    static func deadLetter(route: String) {
        Counter(label: "caravan_dead_letters_total", dimensions: [("route", route)]).increment()
    }
}
