import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization
import Testing

/// Certificates made with the openssl tool in a temporary folder: a server CA, a client
/// CA, and certificates they sign (P-256 keys, so making them takes milliseconds).
struct TestPKI {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "caravan-pki-\(UUID().uuidString)"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory + "/" + name }

    /// A self-signed CA: `name.pem` and `name.key`.
    func authority(_ name: String) throws {
        try Self.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", path(name + ".key"), "-out", path(name + ".pem"), "-days", "2", "-subj",
            "/CN=\(name)",
        ])
    }

    /// A certificate for `commonName` (with `alternativeNames` such as `IP:127.0.0.1` or
    /// `DNS:a.example`) signed by `authority`: `name.pem` and `name.key`.
    func certificate(
        _ name: String, commonName: String, alternativeNames: [String] = [], by authority: String
    ) throws {
        try Self.openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", path(name + ".key"), "-out", path(name + ".csr"), "-subj",
            "/CN=\(commonName)",
        ])
        var arguments = [
            "x509", "-req", "-in", path(name + ".csr"), "-CA", path(authority + ".pem"), "-CAkey",
            path(authority + ".key"), "-CAcreateserial", "-out", path(name + ".pem"), "-days", "2",
        ]
        if !alternativeNames.isEmpty {
            try Data("subjectAltName=\(alternativeNames.joined(separator: ","))\n".utf8).write(
                to: URL(fileURLWithPath: path(name + ".ext")))
            arguments += ["-extfile", path(name + ".ext")]
        }
        try Self.openssl(arguments)
    }

    static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "openssl \(arguments.prefix(2)) failed")
    }
}

/// HTTP/1.1 over one TLS connection, for what a pooled client hides: which certificate
/// the server presented on this very connection, and whether it stays usable.
actor TLSTestConnection {
    let channel: any Channel
    /// The common name of the certificate the server presented.
    let serverName: String?
    private let responses: AsyncStream<(status: Int, body: String)>

    /// Connects and completes the handshake, trusting `authority` (a PEM file) and
    /// presenting `certificate` (name of `.pem`/`.key` files) when given. Throws when the
    /// server refuses the handshake.
    init(port: Int, authority: String, certificate: (chain: String, key: String)? = nil)
        async throws
    {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(authority)
        tls.certificateVerification = .noHostnameVerification
        if let certificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate.chain).map {
                .certificate($0)
            }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: certificate.key, format: .pem))
        }
        let context = try NIOSSLContext(configuration: tls)
        let (stream, continuation) = AsyncStream.makeStream(of: (status: Int, body: String).self)
        let handshake = Mutex<EventLoopPromise<Void>?>(nil)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                let done = channel.eventLoop.makePromise(of: Void.self)
                handshake.withLock { $0 = done }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(done: done))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        ResponseCollector(continuation: continuation))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        try await handshake.withLock { $0 }!.futureResult.get()
        let certificate = try await channel.nioSSL_peerCertificate().get()
        self.channel = channel
        self.serverName = certificate?.subjectName.last { $0.type == .commonName }?.value
        self.responses = stream
    }

    /// Sends a request; nil when the connection closed instead of answering.
    func send(_ method: HTTPMethod = .POST, _ path: String, _ body: String = "") async
        -> (status: Int, body: String)?
    {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "127.0.0.1")
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(
            HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: body))), promise: nil)
        try? await channel.writeAndFlush(HTTPClientRequestPart.end(nil))
        // One request at a time: each call reads the next response of the one stream.
        var iterator = responses.makeAsyncIterator()
        return await iterator.next(isolation: self)
    }

    func close() async { try? await channel.close() }
}

/// Completes `done` when the TLS handshake ends, fails it when the connection closes or
/// errs first.
private final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let done: EventLoopPromise<Void>
    init(done: EventLoopPromise<Void>) { self.done = done }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { done.succeed() }
        context.fireUserInboundEventTriggered(event)
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.fireErrorCaught(error)
    }
    func channelInactive(context: ChannelHandlerContext) {
        done.fail(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }
}

/// Yields each whole response; finishes when the connection closes.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    let continuation: AsyncStream<(status: Int, body: String)>.Continuation
    var status = 0
    var body = ""
    init(continuation: AsyncStream<(status: Int, body: String)>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            body = ""
        case .body(let bytes): body += String(buffer: bytes)
        case .end: continuation.yield((status, body))
        }
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }
}
