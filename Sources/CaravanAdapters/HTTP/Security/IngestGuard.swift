import Caravan
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The security steps of a request to a route, around the reading of its body:
/// before — the client's address, the rate limit by address, the endpoint's policy, the
/// rate limit by principal; after — a signature over the raw bytes and the replay check
/// (which remembers the signature).
struct IngestGuard: Sendable {
    let security: HTTPSecurity
    let limiters: [String: RateLimiter]
    let ledger: (any SignatureLedger)?
    let logger: Logger

    init(security: HTTPSecurity, ledger: (any SignatureLedger)?, logger: Logger) {
        self.security = security
        self.limiters = security.rateLimits.mapValues { RateLimiter($0) }
        self.ledger = ledger
        self.logger = logger
    }

    /// A request that got past the steps so far.
    struct Pass: Sendable {
        var request: AuthRequest
        var principal: String?
        /// The policy whose signature the body must carry.
        var signature: (policy: String, check: SignatureCheck)?
        var verified: SignatureCheck.Verified?
        var limiter: RateLimiter?
        /// The `RateLimit` fields for the answer.
        var rateFields: [(String, String)] = []
    }

    /// A request refused: the answer and its reason for the metrics.
    struct Refusal: Error, Sendable {
        var response: Response
        var reason: IngestMetrics.Refusal
    }

    func before(
        _ request: Request, entry: PlatformHTTPTable.Entry, peer: String?,
        certificate: @Sendable () async -> ClientIdentity? = { nil }
    ) async -> Result<Pass, Refusal> {
        let policy = security.policy(named: entry.authPolicy)
        let limiter = limiters[entry.rateLimitPolicy ?? HTTPSecurity.defaultRateLimit]
        // An open endpoint without a limit: nothing to read of the request.
        guard policy != nil || limiter != nil else {
            return .success(Pass(request: AuthRequest(headers: [:], query: [], client: nil)))
        }
        let forwarded = request.headers[values: HTTPField.Name("X-Forwarded-For")!]
        let client = ClientAddress.resolve(
            peer: peer, forwardedFor: forwarded, trustedProxies: security.trustedProxies)
        var pass = Pass(
            request: AuthRequest(
                headers: request.headers,
                query: request.uri.queryParameters.map {
                    (String($0.key), String($0.value).removingPercentEncoding ?? String($0.value))
                },
                client: client))
        pass.limiter = limiter
        // By address: before the credentials are looked at, so a flood of bad ones is
        // refused cheaply.
        if let limiter = pass.limiter, limiter.policy.key == .address {
            if let refused = limit(limiter, key: addressKey(client), &pass) {
                return .failure(refused)
            }
        }
        if let policy {
            if policy.readsCertificate { pass.request.certificate = await certificate() }
            switch await policy.admit(pass.request) {
            case .admitted(let principal): pass.principal = principal
            case .afterBody(let check): pass.signature = (policy.name, check)
            case .refused(let refusal): return .failure(Self.refusal(refusal))
            }
        }
        if pass.signature == nil, let limiter = pass.limiter, limiter.policy.key == .principal {
            let key = pass.principal.map { "p:" + $0 } ?? addressKey(client)
            if let refused = limit(limiter, key: key, &pass) { return .failure(refused) }
        }
        return .success(pass)
    }

    /// The signature over the body (when the policy is `hmac`), checked before anything
    /// parses the body, and the replay check.
    func after(body: [UInt8], _ pass: Pass) async -> Result<Pass, Refusal> {
        guard let (policy, check) = pass.signature else { return .success(pass) }
        var pass = pass
        switch check.verify(pass.request, body: body) {
        case .failure(let refusal): return .failure(Self.refusal(refusal))
        case .success(let verified):
            if let key = verified.replayKey, let ledger {
                do {
                    // Claimed now, before the message is stored: a request refused later
                    // (a body that does not parse, a store that is away) cannot be sent
                    // again as is — senders sign each retry anew, with a new timestamp.
                    let claimed = try await ledger.claim(
                        policy: policy, signature: key, until: verified.rememberUntil)
                    if !claimed {
                        return .failure(
                            Self.refusal(
                                check.refusal(
                                    "this signed request was accepted before (a replay)",
                                    hint:
                                        "sign each delivery anew: a retry with a new timestamp is taken, and stored once per delivery id"
                                )))
                    }
                } catch {
                    var response = PlatformHTTPServer.problem(
                        .serviceUnavailable, "the signature could not be checked: \(error)",
                        hint: "retry later")
                    response.headers[.retryAfter] = "5"
                    return .failure(Refusal(response: response, reason: .unavailable))
                }
            }
            pass.verified = verified
            pass.principal = policy
        }
        if let limiter = pass.limiter, limiter.policy.key == .principal {
            if let refused = limit(limiter, key: "p:" + policy, &pass) { return .failure(refused) }
        }
        return .success(pass)
    }

    /// The store did not take the message: its signature's claim is given back, so the
    /// sender may send the same signed request again (one the store took late is still
    /// stored once, by its delivery id).
    func notStored(_ pass: Pass) async {
        guard let ledger, let (policy, _) = pass.signature, let key = pass.verified?.replayKey
        else { return }
        do { try await ledger.release(policy: policy, signature: key) } catch {
            logger.warning(
                "could not give back the claim of a signature whose message was not stored; the same signed request will be refused as a replay",
                metadata: ["policy": "\(policy)", "error": "\(error)"])
        }
    }

    /// An IPv4 address, or an IPv6 address's /64: one host holds a whole /64, so keying by
    /// the full address would give it 2^64 buckets.
    func addressKey(_ client: [UInt8]?) -> String {
        guard let client else { return "a:local" }
        let significant = client.count == 16 ? client.prefix(8) : client[...]
        return "a:" + significant.map(String.init).joined(separator: ".")
    }

    private func limit(_ limiter: RateLimiter, key: String, _ pass: inout Pass) -> Refusal? {
        let decision = limiter.take(key)
        pass.rateFields = decision.fields(limiter.policy)
        guard !decision.allowed else { return nil }
        var response = PlatformHTTPServer.problem(
            .tooManyRequests,
            "over the rate limit '\(limiter.policy.name)' (\(limiter.policy.limit) per \(limiter.policy.window) s)",
            hint: "retry after \(decision.retryAfter) s, and send at a steadier rate")
        response.headers[.retryAfter] = "\(decision.retryAfter)"
        for (name, value) in pass.rateFields {
            response.headers[HTTPField.Name(name)!] = value
        }
        return Refusal(response: response, reason: .rateLimited)
    }

    static func refusal(_ refusal: AuthRefusal) -> Refusal {
        var response = PlatformHTTPServer.problem(
            refusal.status, refusal.error, hint: refusal.hint)
        if let challenge = refusal.challenge { response.headers[.wwwAuthenticate] = challenge }
        return Refusal(response: response, reason: .unauthorized)
    }
}
