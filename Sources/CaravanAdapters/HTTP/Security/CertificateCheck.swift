/// `type=mtls`: the client certificate the listener verified against its client CA
/// (`caravan.server.tls.clientCA`, `clientAuth=optional` or `require`). With
/// `allowedSubjects`, the certificate must carry one of those names as its common name or
/// a subject alternative name; the principal is that name, else the common name.
struct CertificateCheck: Sendable {
    let allowedSubjects: [String]

    func check(_ identity: ClientIdentity?) -> Admission {
        guard let identity else {
            return .refused(
                AuthRefusal(
                    status: .forbidden, challenge: nil,
                    error: "this endpoint needs a client certificate",
                    hint: "connect over TLS with a certificate issued by the service's client CA"))
        }
        if allowedSubjects.isEmpty {
            guard let principal = identity.names.first else {
                return .refused(
                    AuthRefusal(
                        status: .forbidden, challenge: nil,
                        error: "the client certificate names no subject",
                        hint: "use a certificate with a common name or subject alternative name"
                    ))
            }
            return .admitted(principal: principal)
        }
        // Certificate names are public, so the comparison needs no constant time.
        guard let name = identity.names.first(where: { allowedSubjects.contains($0) }) else {
            return .refused(
                AuthRefusal(
                    status: .forbidden, challenge: nil,
                    error: "the client certificate's subject is not allowed on this endpoint",
                    hint: "ask the operator to add your certificate's name to allowedSubjects"))
        }
        return .admitted(principal: name)
    }
}
