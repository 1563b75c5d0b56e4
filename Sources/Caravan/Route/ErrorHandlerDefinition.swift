/// How a route handles failures: Camel's error handlers.
///
/// ```yaml
/// - errorHandler:
///     deadLetterChannel:
///       deadLetterUri: "direct:dead"
///       redeliveryPolicy: {maximumRedeliveries: 3, redeliveryDelay: 500, useExponentialBackOff: true}
/// ```
public struct ErrorHandlerDefinition: Sendable, Hashable, Codable {
    public enum Kind: Sendable, Hashable, Codable {
        /// Redeliver, then hand the failure back to the caller (Camel's default).
        case defaultErrorHandler
        /// Redeliver, then send the exchange to `deadLetterUri` and count it as handled.
        case deadLetterChannel(deadLetterUri: EndpointURI)
        /// No redelivery, no handling.
        case noErrorHandler
    }

    public var kind: Kind
    public var redeliveryPolicy: RedeliveryPolicy
    /// Send the message as it entered the route to the dead letter channel, rather than
    /// the message at the failure.
    public var useOriginalMessage: Bool
    public var location: SourceLocation

    public init(
        kind: Kind, redeliveryPolicy: RedeliveryPolicy = RedeliveryPolicy(),
        useOriginalMessage: Bool = false, location: SourceLocation
    ) {
        self.kind = kind
        self.redeliveryPolicy = redeliveryPolicy
        self.useOriginalMessage = useOriginalMessage
        self.location = location
    }
}

/// `onException`: what to do when a failure of the listed kinds happens.
///
/// ```yaml
/// - onException:
///     exception: [java.io.IOException]
///     redeliveryPolicy: {maximumRedeliveries: 5}
///     handled: {constant: true}
///     steps: [{to: "direct:io-failures"}]
/// ```
public struct OnExceptionDefinition: Sendable, Hashable, Codable {
    /// Java exception class names as written.
    public var exceptions: [String]
    public var onWhen: ExpressionDefinition?
    /// When it holds, the failure is handled: the exchange completes after the steps.
    public var handled: ExpressionDefinition?
    /// When it holds, the failure is ignored: routing continues after the failed step.
    public var continued: ExpressionDefinition?
    /// Overrides of the error handler's redelivery policy (only the options set here).
    public var redeliveryPolicy: RedeliveryPolicy.Overrides?
    public var useOriginalMessage: Bool
    public var steps: [StepDefinition]
    public var location: SourceLocation
}

/// `routeConfiguration`: error handling shared by routes (all routes when it has no id,
/// else the routes naming it in `routeConfigurationId`).
public struct RouteConfigurationDefinition: Sendable, Hashable, Codable {
    public var id: String?
    public var errorHandler: ErrorHandlerDefinition?
    public var onExceptions: [OnExceptionDefinition]
    public var location: SourceLocation
}
