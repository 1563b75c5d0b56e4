/// Whether someone waits for the exchange's outcome (Camel's `ExchangePattern`).
public enum ExchangePattern: String, Sendable {
    /// Fire and forget: the message is stored and processed later (the default).
    case inOnly = "InOnly"
    /// Request and reply: a caller waits for the final message (`platform-http` with
    /// `exchangePattern=InOut`), so redeliveries happen while it waits.
    case inOut = "InOut"
}

extension EndpointURI {
    /// The consumer's `exchangePattern` option: `InOnly` when it is absent, nil when it names
    /// neither.
    public var exchangePattern: ExchangePattern? {
        ExchangePattern(
            rawValue: self[option: "exchangePattern"] ?? ExchangePattern.inOnly.rawValue)
    }
}
