import Foundation

/// One message's trip through a route: the message, exchange properties, the error caught
/// while processing, and route bookkeeping (the EIP Exchange).
///
/// Exchanges are values: a processor that changes one changes its own copy.
public struct Exchange: Sendable {
    /// A unique id, stable for the exchange's life (`${exchangeId}`).
    public let id: String
    public var message: Message
    /// Exchange properties (`${exchangeProperty.x}`); names are case-sensitive, as in Camel.
    public var properties: [String: Document]
    /// Exchange variables (`setVariable`, `${variable.x}`): the route's own data, apart
    /// from the message (Camel 4.4+). Names are case-sensitive.
    public var variables: [String: Document] = [:]
    /// The route currently processing the exchange (`${routeId}`).
    public var routeId: String?
    /// The error being handled, if any (`${exception.message}`).
    public var error: ExchangeError?
    /// Whether a caller waits for the outcome: an `InOut` exchange is redelivered in
    /// memory, not suspended to the store.
    public var pattern: ExchangePattern = .inOnly

    public init(
        id: String = Exchange.newId(), message: Message = Message(),
        properties: [String: Document] = [:], variables: [String: Document] = [:],
        routeId: String? = nil
    ) {
        self.id = id
        self.message = message
        self.properties = properties
        self.variables = variables
        self.routeId = routeId
    }

    /// A new random id (a UUID in its text form).
    public static func newId() -> String { UUID.random().lowercasedText }
}

/// An error carried by an exchange while it is handled: its kind and message.
public struct ExchangeError: Error, Sendable, Hashable {
    public var kind: String
    public var message: String

    public init(kind: String, message: String) {
        self.kind = kind
        self.message = message
    }
}
