import Crypto
import Foundation

/// `type=hmac`: the sender signs the raw body with a shared secret (HMAC-SHA256), in one of
/// three schemes. The bytes are verified as they arrived, before anything parses them;
/// several secrets may be valid at once, so a secret rotates without refusals.
struct SignatureCheck: Sendable {
    enum Scheme: String, Sendable, CaseIterable {
        /// `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`; signed
        /// `id.timestamp.body`; secrets `whsec_<base64>` (standardwebhooks.com).
        case standardWebhooks = "standard-webhooks"
        /// `X-Hub-Signature-256: sha256=<hex>` over the body; no timestamp.
        case github
        /// `Stripe-Signature: t=<seconds>,v1=<hex>`; signed `t.body`.
        case stripe
    }

    let scheme: Scheme
    let keys: [SymmetricKey]
    /// How far a signature's timestamp may be from now.
    let tolerance: Int64

    /// A request that passed: what keeps a replay out and a retry from storing twice.
    struct Verified: Sendable {
        /// The signature that matched: the same bytes again within the tolerance are a
        /// replay (a sender that retries signs anew, with a new timestamp).
        var replayKey: String?
        /// How long the replay key must be remembered.
        var rememberUntil: Date
        /// The sender's id of the delivery (`webhook-id`, `X-GitHub-Delivery`): the same
        /// delivery retried is stored once.
        var deliveryID: String?
    }

    /// The key of each secret as the scheme reads it.
    static func key(_ secret: String, scheme: Scheme) -> SymmetricKey? {
        switch scheme {
        case .standardWebhooks:
            let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
            guard let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else { return nil }
            return SymmetricKey(data: bytes)
        case .github, .stripe:
            return secret.isEmpty ? nil : SymmetricKey(data: Array(secret.utf8))
        }
    }

    var challenge: String { #"Signature scheme="\#(scheme.rawValue)""# }

    func refusal(_ error: String, hint: String) -> AuthRefusal {
        .unauthorized(challenge, error, hint: hint)
    }

    func verify(_ request: AuthRequest, body: [UInt8], now: Date = Date()) -> Result<
        Verified, AuthRefusal
    > {
        switch scheme {
        case .standardWebhooks:
            guard let id = request.header("webhook-id"),
                let stamp = request.header("webhook-timestamp"),
                let header = request.header("webhook-signature")
            else {
                return .failure(
                    refusal(
                        "this endpoint needs a Standard Webhooks signature",
                        hint: "send webhook-id, webhook-timestamp and webhook-signature"))
            }
            guard let timestamp = Int64(stamp) else {
                return .failure(
                    refusal(
                        "webhook-timestamp is not a number of seconds",
                        hint: "send the Unix time in seconds"))
            }
            if let late = outOfTolerance(timestamp, now) { return .failure(late) }
            let signed = Array("\(id).\(stamp).".utf8) + body
            guard let match = firstValid(SignatureHeaders.standardWebhooks(header), signed) else {
                return .failure(invalid)
            }
            return .success(
                Verified(
                    replayKey: "v1," + Data(match).base64EncodedString(),
                    rememberUntil: Date(timeIntervalSince1970: Double(timestamp + tolerance)),
                    deliveryID: id))
        case .github:
            guard let header = request.header("X-Hub-Signature-256") else {
                return .failure(
                    refusal(
                        "this endpoint needs a GitHub signature",
                        hint: "send X-Hub-Signature-256: sha256=<hex>"))
            }
            guard let signature = SignatureHeaders.github(header),
                firstValid([signature], body) != nil
            else { return .failure(invalid) }
            // No timestamp is signed, so a replay cannot be told from a redelivery: the
            // delivery id keeps either from storing twice.
            return .success(
                Verified(
                    replayKey: nil, rememberUntil: now,
                    deliveryID: request.header("X-GitHub-Delivery")))
        case .stripe:
            guard let header = request.header("Stripe-Signature") else {
                return .failure(
                    refusal(
                        "this endpoint needs a Stripe signature",
                        hint: "send Stripe-Signature: t=<seconds>,v1=<hex>"))
            }
            guard let (timestamp, signatures) = SignatureHeaders.stripe(header) else {
                return .failure(
                    refusal(
                        "Stripe-Signature has no timestamp",
                        hint: "send Stripe-Signature: t=<seconds>,v1=<hex>"))
            }
            if let late = outOfTolerance(timestamp, now) { return .failure(late) }
            let signed = Array("\(timestamp).".utf8) + body
            guard let match = firstValid(signatures, signed) else { return .failure(invalid) }
            return .success(
                Verified(
                    replayKey: "v1=" + match.map { String(format: "%02x", $0) }.joined(),
                    rememberUntil: Date(timeIntervalSince1970: Double(timestamp + tolerance)),
                    deliveryID: nil))
        }
    }

    private var invalid: AuthRefusal {
        refusal(
            "the signature does not match the body",
            hint: "sign the exact bytes sent, with a current secret")
    }

    private func outOfTolerance(_ timestamp: Int64, _ now: Date) -> AuthRefusal? {
        let skew = Int64(now.timeIntervalSince1970) - timestamp
        guard abs(skew) > tolerance else { return nil }
        return refusal(
            "the signature's timestamp is \(abs(skew)) s \(skew > 0 ? "old" : "in the future") (at most \(tolerance) s is accepted)",
            hint: "sign each request when sending it, with a synchronised clock")
    }

    /// The first signature that is a valid HMAC-SHA256 of `data` under any key; every
    /// comparison is constant-time.
    private func firstValid(_ signatures: [[UInt8]], _ data: [UInt8]) -> [UInt8]? {
        for signature in signatures {
            for key in keys
            where HMAC<SHA256>.isValidAuthenticationCode(
                signature, authenticating: data, using: key)
            {
                return signature
            }
        }
        return nil
    }
}
