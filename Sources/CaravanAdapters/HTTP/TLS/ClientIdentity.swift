import NIOCore
import NIOSSL
import X509

/// The names of the certificate a client presented over TLS, once the listener verified it
/// against its client CA: the subject's common name and the subject alternative names
/// (DNS names, e-mail addresses, URIs).
struct ClientIdentity: Sendable, Equatable {
    var commonName: String?
    var alternativeNames: [String]

    /// Every name, the common name first.
    var names: [String] { (commonName.map { [$0] } ?? []) + alternativeNames }

    init(commonName: String?, alternativeNames: [String]) {
        self.commonName = commonName
        self.alternativeNames = alternativeNames
    }

    /// The names of `certificate`; nil when it cannot be decoded.
    init?(_ certificate: NIOSSLCertificate) {
        guard let bytes = try? certificate.toDERBytes(),
            let parsed = try? Certificate(derEncoded: bytes)
        else { return nil }
        var commonName: String?
        for rdn in parsed.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                commonName = String(attribute.value)  // the last one, as X.509 reads it
            }
        }
        var alternatives: [String] = []
        if let names = try? parsed.extensions.subjectAlternativeNames {
            for name in names {
                switch name {
                case .dnsName(let n), .rfc822Name(let n), .uniformResourceIdentifier(let n):
                    alternatives.append(n)
                default: continue
                }
            }
        }
        self.init(commonName: commonName, alternativeNames: alternatives)
    }

    /// The verified certificate of the client on `channel`; nil without TLS or without one.
    static func of(_ channel: any Channel) async -> ClientIdentity? {
        guard let certificate = try? await channel.nioSSL_peerCertificate().get() else {
            return nil
        }
        return ClientIdentity(certificate)
    }
}
