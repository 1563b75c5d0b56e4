/// A route unit test from a `*.test.yaml` file beside the routes:
///
/// ```yaml
/// - test:
///     name: big orders go to approvals
///     route: orders
///     substitute:
///       "http:*": mock:approvals        # any endpoint matching the pattern becomes the mock
///     input:
///       body: '{"id": 1, "total": 5000}'  # or bodyFile: samples/big-order.json
///       headers: {Content-Type: application/json}
///     expect:
///       mock:approvals:
///         count: 1
///         messages:
///           - json: {id: 1, total: 5000}
///             headers: {CamelHttpMethod: POST}
///       mock:standard: {count: 0}
/// ```
public struct RouteTestDefinition: Sendable {
    public var name: String
    public var route: String
    /// Endpoint URI patterns (`*` wildcards) and the mock each becomes.
    public var substitutions: [(pattern: String, mock: String)]
    public var body: [UInt8]
    public var headers: [(String, String)]
    public var expectations: [EndpointExpectation]
    /// When set, the route must fail with a failure of this kind (or a subclass) or whose
    /// message contains the text.
    public var expectedError: String?
    public var location: SourceLocation
}

/// What one endpoint must have received.
public struct EndpointExpectation: Sendable {
    public var endpoint: String
    public var count: Int?
    public var messages: [MessageExpectation]
}

/// One received message: its body (as text, or compared as a JSON or XML document) and
/// headers.
public struct MessageExpectation: Sendable {
    public enum Body: Sendable {
        case text(String)
        case json(Document)
        case xml(Document)
    }

    public var body: Body?
    public var headers: [(String, String)]
}
