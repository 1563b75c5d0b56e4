import Crypto

/// `type=apiKey`: a key in a header (default `X-API-Key`) or, when `query` names one, a
/// query parameter; any of several keys, so a new key can be handed out before the old
/// one is withdrawn.
struct APIKeyCheck: Sendable {
    /// SHA-256 of each key: compared in constant time, and the keys themselves are not
    /// kept in memory longer than the settings are.
    let digests: [[UInt8]]
    let header: String
    let queryParameter: String?

    init(keys: [String], header: String, queryParameter: String?) {
        self.digests = keys.map { Array(SHA256.hash(data: Array($0.utf8))) }
        self.header = header
        self.queryParameter = queryParameter
    }

    func check(_ request: AuthRequest, policy: String) -> Admission {
        let challenge = #"ApiKey header="\#(header)""#
        guard
            let presented = request.header(header)
                ?? queryParameter.flatMap({ request.queryParameter($0) })
        else {
            return .refused(
                .unauthorized(
                    challenge, "this endpoint needs an API key",
                    hint: "send it in the \(header) header"
                        + (queryParameter.map { " or the \($0) query parameter" } ?? "")))
        }
        let digest = Array(SHA256.hash(data: Array(presented.utf8)))
        guard ConstantTime.firstMatch(digest, among: digests) != nil else {
            return .refused(
                .unauthorized(
                    challenge, "the API key is not valid for this endpoint",
                    hint: "check the key with the operator of this service"))
        }
        return .admitted(principal: policy)
    }
}
