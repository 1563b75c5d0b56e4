import CaravanAdapters
import CaravanServer
import Foundation
import JWTKit
import PostgresNIO
import Testing

/// `jwt` policies: bearer tokens signed with a key of the JWKS file, from the issuer, for
/// the audience, not expired beyond the leeway, with an allowed algorithm — and the file
/// re-read when the issuer rotates its keys.
@Suite struct JWTAuthenticationTests {
    static let routes = """
        - route:
            id: orders
            from: {uri: "platform-http:/orders?authPolicy=sso", steps: [{to: "log:orders"}]}
        """

    /// An issuer: a signing key and the JWKS file that publishes its public half.
    struct Issuer {
        let key = ES256PrivateKey()
        let kid: String

        var jwk: String {
            let p = key.parameters!
            return
                #"{"kty":"EC","crv":"P-256","kid":"\#(kid)","use":"sig","alg":"ES256","x":"\#(p.x)","y":"\#(p.y)"}"#
        }

        func sign(_ claims: TestClaims) async throws -> String {
            let keys = JWTKeyCollection()
            await keys.add(ecdsa: key, kid: JWKIdentifier(string: kid))
            return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
        }
    }

    struct TestClaims: JWTPayload {
        var iss: IssuerClaim? = "https://login.example.com/"
        var aud: AudienceClaim? = "caravan"
        var sub: SubjectClaim? = "erp-system"
        var exp: ExpirationClaim? = ExpirationClaim(value: Date().addingTimeInterval(300))
        var nbf: NotBeforeClaim?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    func writeJWKS(_ path: String, _ issuers: [Issuer]) throws {
        try Data(#"{"keys":[\#(issuers.map(\.jwk).joined(separator: ","))]}"#.utf8).write(
            to: URL(fileURLWithPath: path), options: .atomic)
    }

    func node(_ jwks: String, extra: [String: String] = [:]) async throws -> TestNode {
        var properties = [
            "caravan.auth.policies.sso.type": "jwt",
            "caravan.auth.policies.sso.issuer": "https://login.example.com/",
            "caravan.auth.policies.sso.audience": "caravan, caravan-staging",
            "caravan.auth.policies.sso.jwksFile": jwks,
        ]
        properties.merge(extra) { $1 }
        let security = try HTTPSecurity(properties: properties, logger: ServerTestDatabase.logger)
        return try await TestNode.start(Self.routes) { $0.security = security }
    }

    func post(_ node: TestNode, _ token: String?) async throws -> (
        status: Int, headers: [String: String], body: String
    ) {
        try await HTTP.send(
            "http://127.0.0.1:\(node.port)/orders", "{}", contentType: "application/json",
            headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
    }

    @Test func tokensAreCheckedForSignatureIssuerAudienceExpiryAndAlgorithm() async throws {
        let issuer = Issuer(kid: "k1")
        let jwks = NSTemporaryDirectory() + "caravan-jwks-\(UUID().uuidString).json"
        try writeJWKS(jwks, [issuer])
        defer { try? FileManager.default.removeItem(atPath: jwks) }
        let node = try await node(jwks)
        var staging = TestClaims()
        staging.aud = AudienceClaim(value: ["caravan-staging", "other"])
        var late = TestClaims()
        late.exp = ExpirationClaim(value: Date().addingTimeInterval(-30))  // within the leeway
        var expired = TestClaims()
        expired.exp = ExpirationClaim(value: Date().addingTimeInterval(-120))
        var early = TestClaims()
        early.nbf = NotBeforeClaim(value: Date().addingTimeInterval(600))
        var foreign = TestClaims()
        foreign.iss = "https://evil.example.com/"
        var otherAudience = TestClaims()
        otherAudience.aud = "billing"
        var forever = TestClaims()
        forever.exp = nil
        let good = try await issuer.sign(TestClaims())
        // The payload of a good token swapped for another subject: the signature breaks.
        let parts = good.split(separator: ".")
        let forgedPayload = Data(
            #"{"iss":"https://login.example.com/","aud":"caravan","sub":"admin","exp":4102444800}"#
                .utf8
        )
        .base64EncodedString().replacingOccurrences(of: "=", with: "")
        .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        let tampered = "\(parts[0]).\(forgedPayload).\(parts[2])"
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.\(forgedPayload)."
        let hmac = JWTKeyCollection()
        await hmac.add(
            hmac: HMACKey(from: String(repeating: "guessable", count: 4)), digestAlgorithm: .sha256,
            kid: "k1")
        let symmetric = try await hmac.sign(TestClaims(), kid: "k1")
        let stranger = try await Issuer(kid: "k1").sign(TestClaims())

        let answers = [
            ("good", try await post(node, good)),
            ("second audience", try await post(node, try await issuer.sign(staging))),
            ("within leeway", try await post(node, try await issuer.sign(late))),
            ("missing", try await post(node, nil)),
            ("expired", try await post(node, try await issuer.sign(expired))),
            ("not yet", try await post(node, try await issuer.sign(early))),
            ("foreign issuer", try await post(node, try await issuer.sign(foreign))),
            ("other audience", try await post(node, try await issuer.sign(otherAudience))),
            ("no expiry", try await post(node, try await issuer.sign(forever))),
            ("tampered", try await post(node, tampered)),
            ("alg none", try await post(node, none)),
            ("HS256", try await post(node, symmetric)),
            ("unknown key", try await post(node, stranger)),
            ("garbage", try await post(node, "not-a-token")),
        ]
        let stored = try await node.storedPrincipals()
        try await node.stop()
        let statuses = Dictionary(uniqueKeysWithValues: answers.map { ($0.0, $0.1.status) })
        #expect(statuses["good"] == 202)
        #expect(statuses["second audience"] == 202)
        #expect(statuses["within leeway"] == 202)
        for (name, answer) in answers.dropFirst(3) {
            #expect(answer.status == 401, "\(name)")
            #expect(
                answer.headers["www-authenticate"]?.hasPrefix(#"Bearer realm="caravan""#) == true)
        }
        let missing = answers[3].1
        #expect(missing.headers["www-authenticate"] == #"Bearer realm="caravan""#)
        let expiredAnswer = answers[4].1
        #expect(
            expiredAnswer.headers["www-authenticate"]?.contains(#"error="invalid_token""#) == true)
        #expect(expiredAnswer.body.contains("the token has expired"))
        #expect(answers[10].1.body.contains("algorithm is not allowed"))
        #expect(answers[11].1.body.contains("algorithm is not allowed"))
        #expect(answers[9].1.body.contains("signature does not verify"))
        #expect(
            stored == ["erp-system", "erp-system", "erp-system"], "refused tokens store nothing")
    }

    @Test func aRotatedKeySetIsReadWhileRequestsArrive() async throws {
        let old = Issuer(kid: "2026-11")
        let new = Issuer(kid: "2026-12")
        let jwks = NSTemporaryDirectory() + "caravan-jwks-\(UUID().uuidString).json"
        try writeJWKS(jwks, [old])
        defer { try? FileManager.default.removeItem(atPath: jwks) }
        let node = try await node(jwks, extra: ["caravan.auth.policies.sso.principalClaim": "sub"])
        let oldToken = try await old.sign(TestClaims())
        let newToken = try await new.sign(TestClaims())
        let before = try await post(node, newToken)
        // The issuer publishes both keys, then signs with the new one.
        try writeJWKS(jwks, [old, new])
        var after = before
        let deadline = ContinuousClock.now + .seconds(10)
        while after.status != 202, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            after = try await post(node, newToken)
        }
        let oldStill = try await post(node, oldToken)
        try await node.stop()
        #expect(before.status == 401)
        #expect(after.status == 202, "the new key is read within a second or so")
        #expect(oldStill.status == 202)
    }

    @Test func unusableJWTSettingsAreRefusedWithTheirKey() throws {
        let jwks = NSTemporaryDirectory() + "caravan-jwks-\(UUID().uuidString).json"
        try writeJWKS(jwks, [Issuer(kid: "k")])
        defer { try? FileManager.default.removeItem(atPath: jwks) }
        func refusal(_ extra: [String: String]) -> String? {
            var properties = [
                "caravan.auth.policies.sso.type": "jwt",
                "caravan.auth.policies.sso.issuer": "https://login.example.com/",
                "caravan.auth.policies.sso.audience": "caravan",
                "caravan.auth.policies.sso.jwksFile": jwks,
            ]
            for (k, v) in extra { properties[k] = v.isEmpty ? nil : v }
            do {
                _ = try HTTPSecurity(properties: properties, logger: ServerTestDatabase.logger)
                return nil
            } catch { return error.description }
        }
        #expect(refusal([:]) == nil)
        #expect(
            refusal(["caravan.auth.policies.sso.audience": ""])?.contains(
                "caravan.auth.policies.sso.audience: the jwt policy 'sso' has no audience") == true)
        #expect(
            refusal(["caravan.auth.policies.sso.algorithms": "RS256,HS256"])?.contains(
                "'HS256' is not an algorithm jwt policies accept") == true)
        #expect(
            refusal(["caravan.auth.policies.sso.algorithms": "none"])?.contains(
                "'none' is not an algorithm") == true)
        #expect(
            refusal(["caravan.auth.policies.sso.jwksFile": "/nonexistent/jwks.json"])?.contains(
                "caravan.auth.policies.sso.jwksFile: cannot read the JWKS file") == true)
        try Data(#"{"keys":[{"kty":"EC"}]}"#.utf8).write(to: URL(fileURLWithPath: jwks))
        #expect(refusal([:])?.contains("has no public key with a kid") == true)
    }
}
