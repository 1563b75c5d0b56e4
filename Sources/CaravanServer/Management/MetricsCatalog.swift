import CoreMetrics
import Prometheus

/// Every metric Caravan reports through swift-metrics, with its help text (Prometheus's
/// `# HELP`, which `promtool check metrics` requires) and, for durations, its buckets.
/// The store and the adapters use swift-metrics' facade and know nothing of Prometheus;
/// this catalog is where their names are described (docs/operations.md lists them too).
enum MetricsCatalog {
    static let help: [String: String] = [
        "caravan_ingest_messages_total":
            "Messages offered to the consumers, by route and outcome (accepted, or refused with a reason).",
        "caravan_ingest_duration_seconds":
            "From a request (or a file, or a timer's tick) to its message stored.",
        "caravan_delivery_attempts_total":
            "Runs of a message through its route, by outcome (success, failure).",
        "caravan_processing_duration_seconds":
            "How long one run of a message through its route took.",
        "caravan_end_to_end_duration_seconds": "From a message accepted to it recorded done.",
        "caravan_messages_done_total": "Messages recorded done.",
        "caravan_redeliveries_scheduled_total": "Redeliveries scheduled after a failed run.",
        "caravan_dead_letters_total": "Messages that became dead letters.",
        "caravan_operator_actions_total":
            "Operator actions (replay, edit, discard, bulk), by action and by how (api, console, cli).",
        // Gauges the management listener samples from the store (StoreGauges).
        "caravan_messages": "Unfinished messages in the store by route and state (sampled).",
        "caravan_oldest_ready_age_seconds":
            "How long the oldest message due now has waited for a worker (sampled).",
        "caravan_database_up":
            "1 when the last sample of the store's gauges got its answers, else 0.",
        "caravan_database_connections": "This process's connections to PostgreSQL (sampled).",
        "caravan_database_acquire_seconds":
            "How long the last sample waited for a pooled connection.",
        "caravan_build_info": "Always 1; the version of the running caravan.",
    ]

    /// From accepted to done spans redeliveries: buckets up to six hours.
    static let buckets: [String: [Duration]] = [
        "caravan_end_to_end_duration_seconds": [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10),
            .seconds(30), .seconds(60), .seconds(300), .seconds(900), .seconds(1800),
            .seconds(3600), .seconds(7200), .seconds(21600),
        ]
    ]

    static let defaultBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    static func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? "")
    }
}

/// swift-metrics' backend: Prometheus's registry, with the catalog's help texts and
/// buckets (swift-prometheus's own factory gives every metric an empty help).
struct CatalogMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    private let plain: PrometheusMetricsFactory

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.plain = PrometheusMetricsFactory(registry: registry)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: MetricsCatalog.descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)])
        -> any FloatingPointCounterHandler
    {
        registry.makeCounter(descriptor: MetricsCatalog.descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool)
        -> any RecorderHandler
    {
        guard aggregate else {
            return registry.makeGauge(
                descriptor: MetricsCatalog.descriptor(label), labels: dimensions)
        }
        return plain.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: MetricsCatalog.descriptor(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(
            descriptor: MetricsCatalog.descriptor(label), labels: dimensions,
            buckets: MetricsCatalog.buckets[label] ?? MetricsCatalog.defaultBuckets)
    }

    func destroyCounter(_ handler: any CounterHandler) { plain.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        plain.destroyFloatingPointCounter(handler)
    }
    func destroyRecorder(_ handler: any RecorderHandler) { plain.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { plain.destroyMeter(handler) }
    func destroyTimer(_ handler: any TimerHandler) { plain.destroyTimer(handler) }
}
