/// Where `log` steps and `log:` endpoints write: the server's logger, standard error for
/// the CLI, or a recorder in tests. Keeps the core free of I/O.
public protocol LogSink: Sendable {
    func log(level: LogLevel, logger: String, message: String)
}

/// Discards everything.
public struct NullLogSink: LogSink {
    public init() {}
    public func log(level: LogLevel, logger: String, message: String) {}
}
