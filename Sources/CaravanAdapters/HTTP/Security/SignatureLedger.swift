import Foundation

/// Where the signatures of accepted webhook requests are remembered for their tolerance
/// window, so the same signed request sent again is refused as a replay (the store, in
/// the server: every node sees what every other accepted).
public protocol SignatureLedger: Sendable {
    /// Whether `signature` was accepted for `policy` and is still remembered.
    func seen(policy: String, signature: String) async throws(IntakeError) -> Bool
    /// Remembers `signature` until `until`.
    func record(policy: String, signature: String, until: Date) async throws(IntakeError)
}
