import Logging
import Synchronization

/// Keeps what is logged through it, for tests of what is reported.
public struct RecordingLogHandler: LogHandler {
    public final class Records: Sendable {
        public let entries = Mutex<[(level: Logger.Level, message: String)]>([])

        public init() {}

        /// The messages logged at `level` or above.
        public func messages(atLeast level: Logger.Level) -> [String] {
            entries.withLock { $0.filter { $0.level >= level }.map(\.message) }
        }
    }

    public let records: Records
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .warning

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        records.entries.withLock { $0.append((event.level, event.message.description)) }
    }

    /// A logger that records into `records`.
    public static func logger(_ records: Records) -> Logger {
        Logger(label: "caravan.test.recorded") { _ in RecordingLogHandler(records: records) }
    }
}
