/// A kind of endpoint, named by its URI scheme (the EIP Component): `direct`, `mock`,
/// `log` here; `http`, `file`, `seda` ... in the adapters.
public protocol Component: Sendable {
    var scheme: String { get }
    /// The endpoint for `uri`; unknown or invalid options are errors.
    func endpoint(for uri: EndpointURI) throws(ProcessingError) -> any Endpoint
}

/// One addressable place messages are sent to or come from.
public protocol Endpoint: Sendable {
    var uri: EndpointURI { get }
    /// Something that sends exchanges to this endpoint.
    func producer() throws(ProcessingError) -> any Producer
    /// Something that feeds exchanges from this endpoint into `route`. Endpoints that
    /// cannot start a route throw.
    func consumer(routeId: String, processor: any Processor) throws(ProcessingError) -> any Consumer
}

/// Sends an exchange to an endpoint; the reply (if any) replaces the exchange's message.
public protocol Producer: Sendable {
    func send(_ exchange: inout Exchange, _ context: ProcessContext) async throws(ProcessingError)
}

/// Receives messages from an endpoint and hands them to a route.
public protocol Consumer: Sendable {
    func start() async throws(ProcessingError)
    func stop() async
}

extension Endpoint {
    public func consumer(routeId: String, processor: any Processor) throws(ProcessingError)
        -> any Consumer
    {
        throw ProcessingError(.illegalArgument, "'\(uri.scheme):' cannot start a route")
    }
}

/// Finds endpoints by URI for producers created while a route runs (`toD`, `recipientList`).
public protocol EndpointResolver: Sendable {
    func endpoint(for uri: EndpointURI) throws(ProcessingError) -> any Endpoint
}
