import Foundation

/// A verified signed request's signature, to be remembered until `until` so that the same
/// request sent again is refused as a replay.
public struct ReplayClaim: Sendable, Hashable {
    public var policy: String
    public var signature: String
    public var until: Date

    public init(policy: String, signature: String, until: Date) {
        self.policy = policy
        self.signature = signature
        self.until = until
    }
}

/// Where the signatures of verified webhook requests are remembered for their tolerance
/// window (the store, in the server: every node sees what every other took). A durable
/// route's request claims through its ``Intake``, with the message; this is for routes
/// that answer from the route and store nothing.
public protocol SignatureLedger: Sendable {
    /// Remembers the claim's signature, in one step: true when it was not remembered yet
    /// (two identical requests at once: exactly one gets true).
    func claim(_ claim: ReplayClaim) async throws(IntakeError) -> Bool
}
