import Caravan
import Foundation
import NIOSSL

/// The PEM files a listener terminates TLS with (`caravan.server.tls.*`,
/// `caravan.management.tls.*`): its certificate chain and private key and, to ask clients
/// for certificates, the certificate authorities it trusts for them.
public struct TLSFiles: Sendable, Equatable {
    /// Whether clients are asked for a certificate (`clientAuth`).
    public enum ClientAuth: String, Sendable, CaseIterable {
        /// No client certificate is asked for.
        case none
        /// A client may present one; one that is presented must verify against `clientCA`.
        case optional
        /// A client without a certificate that verifies against `clientCA` cannot connect.
        case require
    }

    public var certificateChain: String
    public var privateKey: String
    public var clientCA: String?
    public var clientAuth: ClientAuth

    public init(
        certificateChain: String, privateKey: String, clientCA: String? = nil,
        clientAuth: ClientAuth = .none
    ) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.clientCA = clientCA
        self.clientAuth = clientAuth
    }

    /// The files' bytes, read as they are now.
    struct Contents: Equatable {
        var chain: [UInt8]
        var key: [UInt8]
        var clientCA: [UInt8]?
    }

    func read() throws(SecurityError) -> Contents {
        func bytes(_ path: String, _ what: String, _ key: String) throws(SecurityError) -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SecurityError(
                    "cannot read the \(what) '\(path)'",
                    hint: "give a PEM file readable by caravan", key: key)
            }
            return Array(data)
        }
        return Contents(
            chain: try bytes(certificateChain, "certificate chain", "certificateChain"),
            key: try bytes(privateKey, "private key", "privateKey"),
            clientCA: try clientCA.map { (path) throws(SecurityError) in
                try bytes(path, "client CA file", "clientCA")
            })
    }

    /// The server configuration the files make; an error says which file and why.
    func configuration(_ contents: Contents) throws(SecurityError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMBytes(contents.chain) } catch {
            throw SecurityError(
                "'\(certificateChain)' holds no PEM certificate (\(error))",
                hint: "give the certificate chain as PEM, the server's certificate first",
                key: "certificateChain")
        }
        guard !chain.isEmpty else {
            throw SecurityError(
                "'\(certificateChain)' holds no certificate",
                hint: "give the certificate chain as PEM, the server's certificate first",
                key: "certificateChain")
        }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(bytes: contents.key, format: .pem) } catch {
            throw SecurityError(
                "'\(privateKey)' holds no unencrypted PEM private key",
                hint:
                    "give the key as PEM without a passphrase (openssl pkey -in KEY -out KEY.pem)",
                key: "privateKey")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if let clientCA, let bytes = contents.clientCA {
            let roots: [NIOSSLCertificate]
            do { roots = try NIOSSLCertificate.fromPEMBytes(bytes) } catch {
                throw SecurityError(
                    "'\(clientCA)' holds no PEM certificate (\(error))",
                    hint: "give the certificate authorities of client certificates as PEM",
                    key: "clientCA")
            }
            configuration.trustRoots = .certificates(roots)
        }
        switch clientAuth {
        case .none: configuration.certificateVerification = .none
        case .optional: configuration.certificateVerification = .optionalVerification
        case .require: configuration.certificateVerification = .noHostnameVerification
        }
        return configuration
    }

    /// A context made from the files as they are now.
    func context() throws(SecurityError) -> (NIOSSLContext, Contents) {
        let contents = try read()
        return (try context(contents), contents)
    }

    /// The context `contents` make; an error says which file and why.
    func context(_ contents: Contents) throws(SecurityError) -> NIOSSLContext {
        let configuration = try self.configuration(contents)
        do { return try NIOSSLContext(configuration: configuration) } catch {
            throw SecurityError(
                "the certificate chain '\(certificateChain)' and the private key '\(privateKey)' cannot be used together (\(error))",
                hint: "give the key that belongs to the first certificate of the chain",
                key: "privateKey")
        }
    }

    /// Reads `caravan.<listener>.tls.*` of `properties`: nil when none is set. Keys are
    /// named in full in errors.
    public static func read(
        _ properties: [String: String], prefix: String
    ) throws(SecurityError) -> TLSFiles? {
        let known = ["certificateChain", "privateKey", "clientCA", "clientAuth"]
        let mine = properties.filter { $0.key.hasPrefix(prefix + ".") }
        guard !mine.isEmpty else { return nil }
        for key in mine.keys.sorted() {
            let name = String(key.dropFirst(prefix.count + 1))
            guard known.contains(name) else {
                throw SecurityError(
                    "unknown setting\(didYouMean(name, among: known))",
                    hint:
                        "the TLS settings are \(known.map { "\(prefix).\($0)" }.joined(separator: ", "))",
                    key: key)
            }
        }
        func value(_ name: String) -> String? {
            mine[prefix + "." + name].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap {
                $0.isEmpty ? nil : $0
            }
        }
        guard let chain = value("certificateChain") else {
            throw SecurityError(
                "TLS needs a certificate chain",
                hint: "set \(prefix).certificateChain to a PEM file",
                key: "\(prefix).certificateChain")
        }
        guard let key = value("privateKey") else {
            throw SecurityError(
                "TLS needs a private key",
                hint: "set \(prefix).privateKey to a PEM file", key: "\(prefix).privateKey")
        }
        var files = TLSFiles(certificateChain: chain, privateKey: key, clientCA: value("clientCA"))
        if let text = value("clientAuth") {
            guard let auth = ClientAuth(rawValue: text) else {
                throw SecurityError(
                    "clientAuth=\(text) is not one of none, optional, require",
                    hint: "require: only clients with a certificate from clientCA connect",
                    key: "\(prefix).clientAuth")
            }
            files.clientAuth = auth
        }
        if files.clientAuth != .none, files.clientCA == nil {
            throw SecurityError(
                "clientAuth=\(files.clientAuth.rawValue) needs the certificate authorities of client certificates",
                hint: "set \(prefix).clientCA to a PEM file", key: "\(prefix).clientCA")
        }
        if files.clientAuth == .none, files.clientCA != nil {
            throw SecurityError(
                "clientCA is set but clients are not asked for certificates",
                hint: "set \(prefix).clientAuth to optional or require",
                key: "\(prefix).clientAuth")
        }
        // The files are read now, so that a wrong path stops the start with its key.
        do { _ = try files.context() } catch {
            var e = error
            e.key = e.key.map { "\(prefix).\($0)" }
            throw e
        }
        return files
    }
}
