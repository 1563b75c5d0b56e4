import Caravan
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The security steps of a request to a route, around the reading of its body:
/// before — the client's address, the rate limit by address, the endpoint's policy, the
/// rate limit by principal; after — a signature over the raw bytes and (for a route that
/// stores nothing) the replay check.
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
        /// The verified signature to remember (when the replay check applies to it).
        var replayClaim: ReplayClaim? {
            guard let (policy, _) = signature, let verified, let key = verified.replayKey
            else { return nil }
            return ReplayClaim(policy: policy, signature: key, until: verified.rememberUntil)
        }
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
    /// parses the body, and — with `claimNow`, for a route that stores nothing — the
    /// replay check. A durable route's message keeps its signature instead
    /// (``Pass/replayClaim``), in its own commit: a message the store did not take leaves
    /// nothing behind, and the replay check costs no statement of its own.
    func after(body: [UInt8], _ pass: Pass, claimNow: Bool) async -> Result<Pass, Refusal> {
        guard let (policy, check) = pass.signature else { return .success(pass) }
        var pass = pass
        switch check.verify(pass.request, body: body) {
        case .failure(let refusal): return .failure(Self.refusal(refusal))
        case .success(let verified):
            pass.verified = verified
            pass.principal = policy
            if claimNow, let claim = pass.replayClaim, let ledger {
                do {
                    if try await !ledger.claim(claim) { return .failure(Self.replayRefusal(check)) }
                } catch {
                    var response = PlatformHTTPServer.problem(
                        .serviceUnavailable, "the signature could not be checked: \(error)",
                        hint: "retry later")
                    response.headers[.retryAfter] = "5"
                    return .failure(Refusal(response: response, reason: .unavailable))
                }
            }
        }
        if let limiter = pass.limiter, limiter.policy.key == .principal {
            if let refused = limit(limiter, key: "p:" + policy, &pass) { return .failure(refused) }
        }
        return .success(pass)
    }

    /// The answer to a signed request whose signature was claimed before.
    static func replayRefusal(_ check: SignatureCheck) -> Refusal {
        refusal(
            check.refusal(
                "this signed request was accepted before (a replay)",
                hint:
                    "sign each delivery anew: a retry with a new timestamp is taken, and stored once per delivery id"
            ))
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
        if let seconds = refusal.retryAfter {
            response.headers[.retryAfter] = "\(seconds)"
            return Refusal(response: response, reason: .overloaded)
        }
        return Refusal(response: response, reason: .unauthorized)
    }
}
