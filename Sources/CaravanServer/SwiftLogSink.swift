import Caravan
import Logging

/// Sends what `log` steps and `log:` endpoints write to swift-log, under the logger name
/// the route gives (Camel's `log:name` category).
public struct SwiftLogSink: LogSink {
    let base: Logger

    public init(_ base: Logger) { self.base = base }

    public func log(level: LogLevel, logger: String, message: String) {
        let swiftLevel: Logger.Level
        switch level {
        case .TRACE: swiftLevel = .trace
        case .DEBUG: swiftLevel = .debug
        case .INFO: swiftLevel = .info
        case .WARN: swiftLevel = .warning
        case .ERROR: swiftLevel = .error
        case .OFF: return
        }
        base.log(level: swiftLevel, "\(message)", metadata: ["logger": "\(logger)"])
    }
}
