import Caravan
import Foundation

/// `seda:name` made durable: sending journals a new message for the route that consumes
/// `from: seda:name` (a copy for each, when several routes consume it with
/// `multipleConsumers=true`), and the sender goes on once it committed. That route's
/// workers claim it like any other message, on any node.
///
/// The new message's id comes from the sender's delivery key (its message id and step
/// position), so a step repeated after a crash journals nothing twice.
///
/// Sending to a name no route consumes fails (Camel's in-memory queue would hold the
/// message; here the sender's redelivery and dead letter keep it until the route exists).
public final class SedaComponent: Component {
    public let scheme = "seda"
    let journal: Journal
    /// Queue name → the routes consuming it.
    let consumers: [String: [String]]
    /// Hands messages to this node's workers when they serve the route.
    let handOff: @Sendable (String) -> LocalQueue?

    /// Options a `seda:` endpoint accepts (Camel's names; the in-memory ones are accepted
    /// and have no effect on a durable queue).
    static let options: Set<String> = [
        "concurrentConsumers", "multipleConsumers", "size", "blockWhenFull", "timeout",
        "waitForTaskToComplete", "pollTimeout", "purgeWhenStopping",
    ]

    public init(
        journal: Journal, routes: RouteSet,
        handOff: @escaping @Sendable (String) -> LocalQueue? = { _ in nil }
    ) throws(ProcessingError) {
        self.journal = journal
        self.handOff = handOff
        var consumers: [String: [String]] = [:]
        var pubSub: [String: Bool] = [:]
        for route in routes.routes where route.from.scheme == "seda" {
            consumers[route.from.path, default: []].append(route.id)
            let multiple = route.from[option: "multipleConsumers"] == "true"
            pubSub[route.from.path] = (pubSub[route.from.path] ?? true) && multiple
        }
        for (name, ids) in consumers where ids.count > 1 && pubSub[name] != true {
            throw ProcessingError(
                .illegalState,
                "seda:\(name) is consumed by routes \(ids.map { "'\($0)'" }.joined(separator: " and ")) — set multipleConsumers=true on each for publish-subscribe, or consume it in one route and raise its concurrentConsumers"
            )
        }
        self.consumers = consumers
    }

    public func endpoint(for uri: EndpointURI) throws(ProcessingError) -> any Endpoint {
        for option in uri.options where !SedaComponent.options.contains(option.name) {
            throw ProcessingError(
                .illegalArgument,
                "seda: unknown option '\(option.name)'\(didYouMean(option.name, among: Array(SedaComponent.options)))"
            )
        }
        return SedaEndpoint(uri: uri, component: self)
    }

    /// Workers a route consuming `seda:` asks for with `concurrentConsumers`. Without it
    /// the route shares the node's workers (Camel would use one thread; durable queues
    /// are served by the worker pool, and ordering is by arrival, best effort).
    public static func concurrency(of route: RouteDefinition) -> Int? {
        guard route.from.scheme == "seda", let n = route.from[option: "concurrentConsumers"]
        else { return nil }
        return Int(n).map { max(1, $0) }
    }
}

struct SedaEndpoint: Endpoint {
    let uri: EndpointURI
    let component: SedaComponent

    func producer() throws(ProcessingError) -> any Producer { SedaProducer(endpoint: self) }

    /// The route is fed by the store's workers; there is nothing to start here.
    func consumer(routeId: String, processor: any Processor) throws(ProcessingError)
        -> any Consumer
    {
        JournalConsumer()
    }
}

struct SedaProducer: Producer {
    let endpoint: SedaEndpoint

    func send(_ exchange: inout Exchange, _ context: ProcessContext) async throws(ProcessingError) {
        let name = endpoint.uri.path
        guard let routes = endpoint.component.consumers[name], !routes.isEmpty else {
            throw ProcessingError(
                .noConsumer,
                "no route consumes seda:\(name) — add a route `from: seda:\(name)` (the message waits for redelivery or as a dead letter until then)",
                endpoint: endpoint.uri.description)
        }
        let key = context.deliveryKey
        for route in routes {
            // As Camel's seda hands over a copy of the exchange: its properties and
            // variables go with the message.
            var entry = JournalEntry(
                id: StableID.uuid(for: "\(key)→\(route)"), route: route,
                consumer: "seda:\(name)", message: exchange.message)
            entry.properties = exchange.properties
            entry.variables = exchange.variables
            do {
                try await endpoint.component.journal.append(
                    entry, handOff: endpoint.component.handOff(route))
            } catch {
                throw ProcessingError(
                    .connect, "journaling to seda:\(name) failed: \(error)",
                    endpoint: endpoint.uri.description)
            }
        }
    }
}

/// The consumer of a route fed from the journal: its workers run elsewhere.
struct JournalConsumer: Consumer {
    func start() async throws(ProcessingError) {}
    func stop() async {}
}
