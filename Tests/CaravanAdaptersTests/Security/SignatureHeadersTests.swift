import Crypto
import Foundation
import HTTPTypes
import Testing

@testable import CaravanAdapters

/// The three webhook signature schemes, verified as their senders sign.
@Suite struct SignatureCheckTests {
    static let body = Array(#"{"type":"invoice.paid","id":"evt_1"}"#.utf8)

    func request(_ fields: [(String, String)]) -> AuthRequest {
        var headers = HTTPFields()
        for (name, value) in fields { headers[HTTPField.Name(name)!] = value }
        return AuthRequest(headers: headers, query: [], client: nil)
    }

    func hmac(_ key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: key)))
    }

    @Test func standardWebhooksSignaturesPassWithAnyCurrentSecretAndNotWhenTamperedOrLate()
        throws
    {
        let raw = Array("a secret of thirty-two bytes!!!!".utf8)
        let secret = "whsec_" + Data(raw).base64EncodedString()
        let old = "whsec_" + Data(Array("the previous secret".utf8)).base64EncodedString()
        let check = SignatureCheck(
            scheme: .standardWebhooks,
            keys: [old, secret].map { SignatureCheck.key($0, scheme: .standardWebhooks)! },
            tolerance: 300)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        func signed(_ body: [UInt8], at t: Int, id: String = "msg_1") -> AuthRequest {
            let signature = hmac(raw, Array("\(id).\(t).".utf8) + Self.body)
            return request([
                ("webhook-id", id), ("webhook-timestamp", "\(t)"),
                ("webhook-signature", "v1,AAAA v1," + Data(signature).base64EncodedString()),
            ])
        }
        let ok = try check.verify(signed(Self.body, at: 1_700_000_000), body: Self.body, now: now)
            .get()
        #expect(ok.deliveryID == "msg_1")
        #expect(ok.replayKey?.hasPrefix("v1,") == true)
        #expect(ok.rememberUntil == Date(timeIntervalSince1970: 1_700_000_300))
        var tampered = Self.body
        tampered[2] = UInt8(ascii: "T")
        #expect(throws: AuthRefusal.self) {
            try check.verify(signed(Self.body, at: 1_700_000_000), body: tampered, now: now).get()
        }
        let late = check.verify(signed(Self.body, at: 1_699_999_000), body: Self.body, now: now)
        #expect(throws: AuthRefusal.self) { try late.get() }
        if case .failure(let refusal) = late {
            #expect(refusal.error.contains("1000 s old"))
            #expect(refusal.status == .unauthorized)
        }
        // The id is signed too.
        var other = signed(Self.body, at: 1_700_000_000)
        other.headers[HTTPField.Name("webhook-id")!] = "msg_2"
        #expect(throws: AuthRefusal.self) {
            try check.verify(other, body: Self.body, now: now).get()
        }
    }

    @Test func githubAndStripeSignaturesAsTheirSendersWriteThem() throws {
        let github = SignatureCheck(
            scheme: .github,
            keys: [SignatureCheck.key("It's a Secret to Everybody", scheme: .github)!],
            tolerance: 300)
        // GitHub's documented example: secret "It's a Secret to Everybody", payload
        // "Hello, World!".
        let hello = Array("Hello, World!".utf8)
        let expected = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        let verified = try github.verify(
            request([("X-Hub-Signature-256", "sha256=" + expected), ("X-GitHub-Delivery", "d-1")]),
            body: hello
        ).get()
        #expect(verified.deliveryID == "d-1")
        #expect(verified.replayKey == nil)
        #expect(throws: AuthRefusal.self) {
            try github.verify(
                request([("X-Hub-Signature-256", "sha256=" + expected)]),
                body: Array("Hello, World?".utf8)
            ).get()
        }

        let secret = "whsec_test_secret"
        let stripe = SignatureCheck(
            scheme: .stripe, keys: [SignatureCheck.key(secret, scheme: .stripe)!], tolerance: 300)
        let t = 1_700_000_000
        let v1 = hmac(Array(secret.utf8), Array("\(t).".utf8) + Self.body)
            .map { String(format: "%02x", $0) }.joined()
        let now = Date(timeIntervalSince1970: Double(t + 10))
        #expect(
            try stripe.verify(
                request([("Stripe-Signature", "t=\(t),v1=\(v1),v0=6ffbb59b2300aae63f27")]),
                body: Self.body, now: now
            ).get().replayKey == "v1=" + v1)
        #expect(throws: AuthRefusal.self) {
            try stripe.verify(
                request([("Stripe-Signature", "t=\(t + 1),v1=\(v1)")]), body: Self.body, now: now
            ).get()
        }
    }

    @Test func signatureHeadersOfAnyShapeGiveAValueOrNothing() {
        #expect(SignatureHeaders.standardWebhooks("v1,@@@ v2,AAAA v1").isEmpty)
        #expect(SignatureHeaders.standardWebhooks("v1,AAEC") == [[0, 1, 2]])
        #expect(SignatureHeaders.github("sha256=0g") == nil)
        #expect(SignatureHeaders.github("sha256=") == nil)
        #expect(SignatureHeaders.github("sha1=00") == nil)
        #expect(SignatureHeaders.github("sha256=0A0b") == [10, 11])
        #expect(SignatureHeaders.stripe("v1=00") == nil)
        #expect(SignatureHeaders.stripe("t=x,v1=00") == nil)
        #expect(SignatureHeaders.stripe("t=5, v1=0, v1=ff")?.signatures == [[255]])
        #expect(SignatureHeaders.stripe("=,=,t=1")?.timestamp == 1)
    }
}
