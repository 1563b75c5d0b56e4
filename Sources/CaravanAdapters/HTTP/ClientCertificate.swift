import NIOSSL

/// The certificate chain and key `https:` endpoints present to targets that require a
/// client certificate (`caravan.http.clientCertificate`, `caravan.http.clientKey`), read
/// once at start: a file that cannot be used stops the start, not a delivery.
public struct ClientCertificate: Sendable {
    let chain: [NIOSSLCertificate]
    let key: NIOSSLPrivateKey

    /// Reads the PEM files; the error says which file and why.
    public init(chain: String, key: String) throws(SecurityError) {
        do {
            self.chain = try NIOSSLCertificate.fromPEMFile(chain)
        } catch {
            throw SecurityError(
                "'\(chain)' holds no PEM certificate (\(error))",
                hint: "give the client certificate (then its intermediates) as PEM")
        }
        guard !self.chain.isEmpty else {
            throw SecurityError(
                "'\(chain)' holds no PEM certificate",
                hint: "give the client certificate (then its intermediates) as PEM")
        }
        do { self.key = try NIOSSLPrivateKey(file: key, format: .pem) } catch {
            throw SecurityError(
                "'\(key)' holds no unencrypted PEM private key",
                hint: "give the key of the client certificate as PEM without a passphrase")
        }
    }
}
