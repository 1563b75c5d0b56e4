import Foundation

/// Where the signatures of verified webhook requests are remembered for their tolerance
/// window, so the same signed request sent again is refused as a replay (the store, in
/// the server: every node sees what every other took).
public protocol SignatureLedger: Sendable {
    /// Remembers `signature` for `policy` until `until`, in one step: true when it was not
    /// remembered yet (two identical requests at once: exactly one gets true).
    func claim(policy: String, signature: String, until: Date) async throws(IntakeError) -> Bool
    /// Forgets a claim whose message was not stored.
    func release(policy: String, signature: String) async throws(IntakeError)
}
