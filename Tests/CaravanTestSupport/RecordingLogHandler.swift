import Logging
import Synchronization

/// Keeps what is logged through it, for tests of what is reported.
public struct RecordingLogHandler: LogHandler {
    public final class Records: Sendable {
        public let entries = Mutex<
            [(level: Logger.Level, message: String, metadata: [String: String])]
        >([])

        public init() {}

        /// The messages logged at `level` or above.
        public func messages(atLeast level: Logger.Level) -> [String] {
            entries.withLock { $0.filter { $0.level >= level }.map(\.message) }
        }

        /// The metadata of the first entry with `message`.
        public func metadata(of message: String) -> [String: String]? {
            entries.withLock { $0.first { $0.message == message }?.metadata }
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
        var all = metadata
        all.merge(event.metadata ?? [:]) { $1 }
        let rendered = all.mapValues { "\($0)" }
        records.entries.withLock { $0.append((event.level, event.message.description, rendered)) }
    }

    /// A logger that records into `records`.
    public static func logger(_ records: Records) -> Logger {
        Logger(label: "caravan.test.recorded") { _ in RecordingLogHandler(records: records) }
    }
}
