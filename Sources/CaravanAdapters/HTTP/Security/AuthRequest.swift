import HTTPTypes

/// What an authentication policy reads of a request before its body: the header fields,
/// the query parameters and the client's address.
struct AuthRequest: Sendable {
    var headers: HTTPFields
    var query: [(String, String)]
    /// The client as ``ClientAddress`` resolves it; nil for a Unix socket.
    var client: [UInt8]?
    /// The client's verified TLS certificate, read only for policies that use it.
    var certificate: ClientIdentity? = nil

    func header(_ name: String) -> String? {
        HTTPField.Name(name).flatMap { headers[$0] }
    }

    func queryParameter(_ name: String) -> String? {
        query.first { $0.0 == name }?.1
    }
}

/// A request refused by a policy: 401 with a challenge, or 403 for an address the policy
/// does not allow. The error never repeats a credential.
public struct AuthRefusal: Error, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    /// The `WWW-Authenticate` value (401 only).
    public let challenge: String?
    public let error: String
    public let hint: String
    /// Seconds for `Retry-After` (503: the node is too busy to check now).
    public var retryAfter: Int? = nil

    public var description: String { error }

    static func unauthorized(_ challenge: String, _ error: String, hint: String) -> AuthRefusal {
        AuthRefusal(status: .unauthorized, challenge: challenge, error: error, hint: hint)
    }
}

/// What a policy says of a request before its body is read.
enum Admission: Sendable {
    case admitted(principal: String)
    /// A signature over the body decides, once it is read.
    case afterBody(SignatureCheck)
    case refused(AuthRefusal)
}
