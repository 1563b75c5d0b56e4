import Caravan
import CaravanStore
import Foundation
import Logging
import Metrics
import Prometheus
import Synchronization

/// The process's metrics: swift-metrics bootstrapped with a Prometheus registry (once per
/// process — swift-metrics allows one backend), the gauges sampled from the store, and
/// the text `GET /metrics` answers.
public final class NodeMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// The process's registry, bootstrapping swift-metrics on first use. Counters are per
    /// process: every node of the process shares them.
    public static let shared: NodeMetrics = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(CatalogMetricsFactory(registry: registry))
        let metrics = NodeMetrics(registry: registry)
        registry.gauge(
            "caravan_build_info",
            labels: [("version", CaravanVersion.current)]
        ).set(1.0)
        return metrics
    }()

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    /// The registry in Prometheus's text format.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}

/// Samples the store's gauges at most once per ``interval``, whatever the scrape rate:
/// `caravan_messages{route,state}`, `caravan_oldest_ready_age_seconds{route}`, the pool's
/// connections and acquire time, and `caravan_database_up`.
final class StoreGauges: Sendable {
    let statistics: StoreStatistics
    let registry: PrometheusCollectorRegistry
    let interval: Duration
    let logger: Logger
    private let state = Mutex<(sampled: ContinuousClock.Instant?, sampling: Bool)>((nil, false))
    /// Every (route, state) series set so far: a route whose messages all finished
    /// reads 0, not its last count.
    private let series = Mutex<Set<String>>([])

    init(
        statistics: StoreStatistics, registry: PrometheusCollectorRegistry,
        interval: Duration = .seconds(5), logger: Logger
    ) {
        self.statistics = statistics
        self.registry = registry
        self.interval = interval
        self.logger = logger
    }

    /// Samples the store when the last sample is older than ``interval`` and no other
    /// scrape is sampling; `routes` are the routes served now (shown at 0 when empty).
    func refresh(routes: [String]) async {
        let due = state.withLock { s -> Bool in
            guard !s.sampling, s.sampled.map({ $0.duration(to: .now) >= interval }) ?? true
            else { return false }
            s.sampling = true
            return true
        }
        guard due else { return }
        defer { state.withLock { $0 = (.now, false) } }
        let up = registry.gauge("caravan_database_up")
        do {
            let counts = try await statistics.routes()
            let known = series.withLock { $0 }
            var all = Set(routes).union(counts.keys).union(known)
            all.remove("")
            for route in all {
                let r = counts[route] ?? RouteStatistics(route: route)
                for (name, value) in [
                    ("ready", r.ready), ("running", r.running), ("scheduled", r.scheduled),
                    ("dead", r.dead),
                ] {
                    registry.gauge(
                        "caravan_messages",
                        labels: [("route", route), ("state", name)]
                    ).set(Double(value))
                }
                registry.gauge(
                    "caravan_oldest_ready_age_seconds",
                    labels: [("route", route)]
                ).set(r.oldestReadyAge ?? 0)
            }
            series.withLock { $0 = all }
            let pool = try await statistics.connections()
            for (name, value) in [("in_use", pool.inUse), ("idle", pool.idle)] {
                registry.gauge(
                    "caravan_database_connections",
                    labels: [("state", name)]
                ).set(Double(value))
            }
            registry.gauge(
                "caravan_database_acquire_seconds"
            ).set(Double(pool.acquire.wholeNanoseconds) / 1e9)
            up.set(1.0)
        } catch {
            up.set(0.0)
            logger.warning(
                "cannot sample the store's gauges", metadata: ["error": "\(error)"])
        }
    }
}

extension PrometheusCollectorRegistry {
    /// The gauge `name`, with the catalog's help (made on first use, the same one after).
    func gauge(_ name: String, labels: [(String, String)] = []) -> Prometheus.Gauge {
        let descriptor = MetricsCatalog.descriptor(name)
        return labels.isEmpty
            ? makeGauge(descriptor: descriptor) : makeGauge(descriptor: descriptor, labels: labels)
    }
}
