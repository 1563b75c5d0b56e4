import Caravan
import Logging

/// A log handler that hides the values of secrets (see ``SecretRedactor``) in the message
/// and the metadata before the handler it wraps writes them.
public struct RedactingLogHandler<Wrapped: LogHandler>: LogHandler {
    public var wrapped: Wrapped
    let redactor: SecretRedactor

    public init(_ wrapped: Wrapped, redactor: SecretRedactor = .shared) {
        self.wrapped = wrapped
        self.redactor = redactor
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        guard !redactor.isEmpty else { return wrapped.log(event: event) }
        var event = event
        event.message = "\(redactor.redact(event.message.description))"
        event.metadata = event.metadata?.mapValues { .string(redactor.redact("\($0)")) }
        wrapped.log(event: event)
    }
}
