import PostgresNIO

/// Where a store type gets the PostgreSQL client for each statement: a `PostgresClient`
/// itself (tests, the command line), or a ``DatabasePool`` that may replace its client
/// while the node runs.
public protocol PostgresClientProvider: Sendable {
    /// The client to run the next statement on; read it for every statement.
    var client: PostgresClient { get }
}

extension PostgresClient: PostgresClientProvider {
    /// The client itself: it is never replaced.
    public var client: PostgresClient { self }
}
