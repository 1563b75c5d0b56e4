import Synchronization

/// `direct:name`: calls the route that starts `from: direct:name` synchronously, with the
/// same exchange (the route's result is the caller's result).
///
/// ```yaml
/// - to: "direct:audit"
/// ```
/// Sending to a name no route consumes fails with Camel's
/// `DirectConsumerNotAvailableException`.
public final class DirectComponent: Component {
    public let scheme = "direct"
    private let consumers = Mutex<[String: (routeId: String, processor: any Processor)]>([:])

    public init() {}

    public func endpoint(for uri: EndpointURI) throws(ProcessingError) -> any Endpoint {
        DirectEndpoint(uri: uri, component: self)
    }

    func register(_ name: String, routeId: String, processor: any Processor) throws(ProcessingError)
    {
        let existing = consumers.withLock { c -> String? in
            if let r = c[name] { return r.routeId }
            c[name] = (routeId, processor)
            return nil
        }
        if let existing, existing != routeId {
            throw ProcessingError(
                .illegalArgument, "direct:\(name) is already consumed by route '\(existing)'")
        }
    }

    func unregister(_ name: String) { _ = consumers.withLock { $0.removeValue(forKey: name) } }

    func consumer(_ name: String) -> (routeId: String, processor: any Processor)? {
        consumers.withLock { $0[name] }
    }
}

struct DirectEndpoint: Endpoint {
    let uri: EndpointURI
    let component: DirectComponent

    var name: String { uri.path }

    func producer() throws(ProcessingError) -> any Producer { DirectProducer(endpoint: self) }

    func consumer(routeId: String, processor: any Processor) throws(ProcessingError) -> any Consumer
    {
        DirectConsumer(endpoint: self, routeId: routeId, processor: processor)
    }
}

struct DirectProducer: Producer {
    let endpoint: DirectEndpoint

    // The target is the route's entry, which sets and restores `routeId` itself.
    func send(_ exchange: inout Exchange, _ context: ProcessContext) async throws(ProcessingError) {
        try await target().process(&exchange, context)
    }

    /// Continues inside the target route at `path`.
    func resume(
        _ exchange: inout Exchange, at path: ArraySlice<StepPath.Element>, _ resumption: Resumption,
        _ context: ProcessContext
    ) async throws(ProcessingError) {
        try await target().resume(&exchange, at: path, resumption, context)
    }

    func target() throws(ProcessingError) -> any Processor {
        guard let target = endpoint.component.consumer(endpoint.name) else {
            throw ProcessingError(
                .noConsumer, "no route consumes direct:\(endpoint.name)",
                endpoint: endpoint.uri.description)
        }
        return target.processor
    }
}

struct DirectConsumer: Consumer {
    let endpoint: DirectEndpoint
    let routeId: String
    let processor: any Processor

    func start() async throws(ProcessingError) {
        try endpoint.component.register(endpoint.name, routeId: routeId, processor: processor)
    }
    func stop() async { endpoint.component.unregister(endpoint.name) }
}
