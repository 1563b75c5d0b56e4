/// A route as a route file defines it: where messages come from and the steps they take.
///
/// ```yaml
/// - route:
///     id: orders
///     from:
///       uri: platform-http:/orders
///       steps:
///         - unmarshal: {json: {}}
///         - to: direct:audit
/// ```
public struct RouteDefinition: Sendable, Hashable, Codable {
    public var id: String
    public var description: String?
    public var from: EndpointURI
    public var steps: [StepDefinition]
    /// The `routeConfiguration` ids this route uses (`routeConfigurationId`, comma separated).
    public var routeConfigurationIds: [String]
    public var autoStartup: Bool
    /// The route's own error handler (wins over every other).
    public var errorHandler: ErrorHandlerDefinition?
    public var location: SourceLocation
    /// `from`'s `variableReceive`: the received body is this variable's, not the message's.
    public var variableReceive: String?

    public init(
        id: String, from: EndpointURI, steps: [StepDefinition], location: SourceLocation,
        description: String? = nil, routeConfigurationIds: [String] = [], autoStartup: Bool = true,
        errorHandler: ErrorHandlerDefinition? = nil
    ) {
        self.id = id
        self.description = description
        self.from = from
        self.steps = steps
        self.routeConfigurationIds = routeConfigurationIds
        self.autoStartup = autoStartup
        self.errorHandler = errorHandler
        self.location = location
    }
}

/// Everything a set of route files defines.
public struct RouteSet: Sendable, Hashable, Codable {
    public var routes: [RouteDefinition] = []
    /// Top-level `errorHandler`: the default for every route.
    public var errorHandler: ErrorHandlerDefinition?
    /// Top-level `onException`s: they apply to every route.
    public var onExceptions: [OnExceptionDefinition] = []
    public var configurations: [RouteConfigurationDefinition] = []

    public init(
        routes: [RouteDefinition] = [], errorHandler: ErrorHandlerDefinition? = nil,
        onExceptions: [OnExceptionDefinition] = [],
        configurations: [RouteConfigurationDefinition] = []
    ) {
        self.routes = routes
        self.errorHandler = errorHandler
        self.onExceptions = onExceptions
        self.configurations = configurations
    }

    /// The route with `id`.
    public func route(_ id: String) -> RouteDefinition? { routes.first { $0.id == id } }
}
