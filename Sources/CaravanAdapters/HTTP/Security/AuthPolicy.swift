import Foundation

/// A named way of telling who posts to an endpoint (`caravan.auth.policies.NAME.*`),
/// attached with `platform-http:/path?authPolicy=NAME` or to every endpoint with
/// `caravan.auth.default`.
public struct AuthPolicy: Sendable {
    public let name: String
    let method: Method
    /// When set, only clients in these networks get past the policy (others: 403).
    let allowFrom: [AddressRange]?

    enum Method: Sendable {
        case apiKey(APIKeyCheck)
        case basic(BasicCheck)
        case hmac(SignatureCheck)
        case mtls(CertificateCheck)
        case jwt(JWTCheck)
    }

    /// Whether the policy reads the client's certificate.
    var readsCertificate: Bool {
        if case .mtls = method { return true }
        return false
    }

    /// The policy's verdict on a request before its body is read.
    func admit(_ request: AuthRequest) async -> Admission {
        if let allowFrom {
            guard let client = request.client, allowFrom.contains(where: { $0.contains(client) })
            else {
                return .refused(
                    AuthRefusal(
                        status: .forbidden, challenge: nil,
                        error: "requests from this address are not allowed on this endpoint",
                        hint: "ask the operator to add your network to the policy's allowFrom"))
            }
        }
        switch method {
        case .apiKey(let check): return check.check(request, policy: name)
        case .basic(let check): return await check.check(request)
        case .hmac(let check): return .afterBody(check)
        case .mtls(let check): return check.check(request.certificate)
        case .jwt(let check): return await check.check(request)
        }
    }
}
