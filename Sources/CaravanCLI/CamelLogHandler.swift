import Foundation
import Logging

/// Log lines in the shape Camel JBang prints them (`caravan run`), so that what an
/// integrator compares with Camel's own output lines up:
///
/// ```
/// 2026-12-07 10:15:02.123  INFO 4242 --- [        caravan] info                                : Exchange[ExchangePattern: InOnly, BodyType: String, Body: Hello]
/// ```
/// The category is the `log:` endpoint's or `log` step's name, else the logger's label;
/// Caravan's own metadata follows the message as `key=value`.
struct CamelLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static let pid = ProcessInfo.processInfo.processIdentifier
    private static let dates: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        return f
    }()
    private static let lock = NSLock()

    func log(event: LogEvent) {
        var all = metadata
        if let explicit = event.metadata { all.merge(explicit) { $1 } }
        let category = all.removeValue(forKey: "logger").map { "\($0)" } ?? label
        let extra = all.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        let text = Self.line(
            date: Date(), level: event.level, category: category,
            message: "\(event.message)\(extra)")
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// One line: date, level (as log4j names it), pid, thread, category, message.
    static func line(date: Date, level: Logger.Level, category: String, message: String)
        -> String
    {
        let stamp = lock.withLock { dates.string(from: date) }
        let name: String
        switch level {
        case .trace: name = "TRACE"
        case .debug: name = "DEBUG"
        case .info, .notice: name = "INFO"
        case .warning: name = "WARN"
        case .error, .critical: name = "ERROR"
        }
        return
            "\(stamp) \(pad(name, 5, left: true)) \(pid) --- [\(pad("caravan", 15, left: true))] \(pad(category, 35, left: false)) : \(message)"
    }

    /// `text` padded to `width` (on the left for `left`), cut to its last `width`
    /// characters as log4j's `%-35.35c` does.
    static func pad(_ text: String, _ width: Int, left: Bool) -> String {
        let cut = text.count > width ? String(text.suffix(width)) : text
        let fill = String(repeating: " ", count: width - cut.count)
        return left ? fill + cut : cut + fill
    }
}
