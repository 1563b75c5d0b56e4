import Foundation
import JWTKit
import Logging
import Synchronization

/// `type=jwt`: a bearer token (`Authorization: Bearer <JWT>`) signed by one of the keys of
/// a JWKS file (`jwksFile`, as an issuer publishes at its `jwks_uri`; re-read when it
/// changes), issued by `issuer` for one of `audience`, not expired (with `leeway`), signed
/// with an algorithm of `algorithms` — asymmetric ones only, never `none`. The principal
/// is the `principalClaim` (default `sub`).
///
/// jwt-kit verifies the signature; the claims are checked here, so that the leeway and the
/// refusals (RFC 6750's `error="invalid_token"`) are Caravan's.
final class JWTCheck: Sendable {
    let file: String
    let issuer: String
    let audiences: [String]
    let algorithms: Set<String>
    let leeway: TimeInterval
    let principalClaim: String
    let realm: String
    private let logger: Logger

    /// The algorithms a policy allows unless it lists its own: every asymmetric one
    /// jwt-kit verifies. Symmetric ones (HS256…) would let anyone holding the JWKS file's
    /// public keys sign.
    static let asymmetric: Set<String> = [
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
    ]

    private struct Loaded {
        var jwks: JWKS
        var keys: JWTKeyCollection?
        var modified: Date?
        var checked: ContinuousClock.Instant
        /// Counts the reloads, so a key collection made from an older file is not kept.
        var version = 0
    }
    private let loaded: Mutex<Loaded>

    init(
        file: String, issuer: String, audiences: [String], algorithms: Set<String>,
        leeway: TimeInterval, principalClaim: String, realm: String, logger: Logger
    ) throws(SecurityError) {
        self.file = file
        self.issuer = issuer
        self.audiences = audiences
        self.algorithms = algorithms
        self.leeway = leeway
        self.principalClaim = principalClaim
        self.realm = realm
        self.logger = logger
        let (jwks, modified) = try Self.read(file)
        loaded = Mutex(Loaded(jwks: jwks, keys: nil, modified: modified, checked: .now))
    }

    static func read(_ file: String) throws(SecurityError) -> (JWKS, Date?) {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw SecurityError(
                "cannot read the JWKS file '\(file)'",
                hint: "save the issuer's keys (its jwks_uri) to the file, readable by caravan")
        }
        let jwks: JWKS
        do { jwks = try JSONDecoder().decode(JWKS.self, from: data) } catch {
            throw SecurityError(
                "'\(file)' is not a JSON Web Key Set",
                hint: "give a JSON object {\"keys\": [...]} as the issuer's jwks_uri serves it")
        }
        let usable = jwks.keys.filter {
            $0.keyIdentifier != nil && [.rsa, .ecdsa, .octetKeyPair].contains($0.keyType)
        }
        guard !usable.isEmpty else {
            throw SecurityError(
                "the JWKS file '\(file)' has no public key with a kid",
                hint: "give the issuer's RSA, EC or OKP keys, each with its kid")
        }
        let modified =
            (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date
        return (JWKS(keys: usable), modified)
    }

    /// The keys as the file says now.
    private func keys() async throws -> JWTKeyCollection {
        reloadIfChanged()
        let (jwks, keys, version) = loaded.withLock { ($0.jwks, $0.keys, $0.version) }
        if let keys { return keys }
        let made = JWTKeyCollection()
        try await made.add(jwks: jwks)
        loaded.withLock { if $0.version == version { $0.keys = made } }
        return made
    }

    /// Re-reads the file, at most once a second, when its modification time changed. A
    /// file that became unreadable keeps the keys read before.
    private func reloadIfChanged() {
        let now = ContinuousClock.now
        let due = loaded.withLock { l -> Bool in
            guard now - l.checked >= .seconds(1) else { return false }
            l.checked = now
            return true
        }
        guard due else { return }
        let modified =
            (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date
        guard modified != loaded.withLock({ $0.modified }) else { return }
        do {
            let (jwks, modified) = try Self.read(file)
            loaded.withLock {
                $0.jwks = jwks
                $0.modified = modified
                $0.keys = nil
                $0.version += 1
            }
        } catch {
            logger.warning(
                "the JWKS file changed and cannot be read; the keys read before stay",
                metadata: ["file": "\(file)", "error": "\(error)"])
            loaded.withLock { $0.modified = modified }
        }
    }

    /// The claims checked here; the signature is jwt-kit's.
    struct Claims: JWTPayload {
        var iss: IssuerClaim?
        var aud: AudienceClaim?
        var exp: ExpirationClaim?
        var nbf: NotBeforeClaim?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    func check(_ request: AuthRequest) async -> Admission {
        let challenge = #"Bearer realm="\#(realm)""#
        guard let authorization = request.header("Authorization"),
            authorization.lowercased().hasPrefix("bearer ")
        else {
            return .refused(
                .unauthorized(
                    challenge, "this endpoint needs a bearer token",
                    hint: "send Authorization: Bearer <token> with a token from \(issuer)"))
        }
        let token = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
        func invalid(_ error: String, hint: String) -> Admission {
            .refused(
                .unauthorized(
                    challenge + #", error="invalid_token", error_description="\#(error)""#,
                    error, hint: hint))
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Self.json(parts[0]), let payload = Self.json(parts[1])
        else {
            return invalid(
                "the token is not a JWT", hint: "send a signed JWT (three base64url parts)")
        }
        guard let algorithm = header["alg"] as? String, algorithms.contains(algorithm) else {
            return invalid(
                "the token's algorithm is not allowed",
                hint: "sign with one of \(algorithms.sorted().joined(separator: ", "))")
        }
        let claims: Claims
        do { claims = try await keys().verify(token, as: Claims.self) } catch {
            return invalid(
                "the token's signature does not verify",
                hint: "use a token signed by \(issuer) with a key of its current key set")
        }
        let now = Date()
        guard let expiry = claims.exp?.value else {
            return invalid("the token has no expiry", hint: "ask \(issuer) for a token with exp")
        }
        guard expiry.addingTimeInterval(leeway) > now else {
            return invalid("the token has expired", hint: "get a new token from \(issuer)")
        }
        if let notBefore = claims.nbf?.value, notBefore.addingTimeInterval(-leeway) > now {
            return invalid("the token is not valid yet", hint: "check the clocks")
        }
        guard claims.iss?.value == issuer else {
            return invalid(
                "the token was issued by another issuer", hint: "get a token from \(issuer)")
        }
        guard let audience = claims.aud?.value, audience.contains(where: audiences.contains) else {
            return invalid(
                "the token is not meant for this service",
                hint: "ask for a token for the audience \(audiences.joined(separator: " or "))")
        }
        guard let principal = payload[principalClaim] as? String, !principal.isEmpty else {
            return invalid(
                "the token has no \(principalClaim) claim",
                hint: "ask \(issuer) for a token with \(principalClaim)")
        }
        return .admitted(principal: principal)
    }

    /// A base64url JSON object of a JWT.
    static func json(_ part: Substring) -> [String: Any]? {
        var text = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(
            of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        guard let data = Data(base64Encoded: text),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object
    }
}
