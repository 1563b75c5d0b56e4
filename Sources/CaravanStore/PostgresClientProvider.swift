import PostgresNIO

/// Where a store type gets the PostgreSQL client for each statement: a `PostgresClient`
/// itself (tests, the command line), or a ``DatabasePool`` that may replace its client
/// while the node runs.
public protocol PostgresClientProvider: Sendable {
    /// The client to run the next statement on; read it for every statement.
    var client: PostgresClient { get }
    /// Why the server is known to take no connections right now, or nil: a caller that
    /// would only wait for its deadline (an append answered 503 after 5 s) fails at once.
    var knownOutage: String? { get }
}

extension PostgresClientProvider {
    /// Nothing is known: statements find out for themselves.
    public var knownOutage: String? { nil }
}

extension PostgresClient: PostgresClientProvider {
    /// The client itself: it is never replaced.
    public var client: PostgresClient { self }
}
