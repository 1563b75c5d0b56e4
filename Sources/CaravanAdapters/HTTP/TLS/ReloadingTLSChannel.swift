import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// A child channel that speaks TLS with the context its ``TLSContextSource`` holds when the
/// connection starts, then hands the decrypted stream to `base` (HTTP/1).
///
/// HummingbirdTLS's `TLSChannel` does the same with one context made at start, and
/// swift-nio-extras' `TimedCertificateReloader` swaps only the chain and key of a handshake;
/// rotating the client CA too (cert-manager rotates `ca.crt` beside `tls.crt`) without a
/// restart needs the whole context chosen per connection, which is all this adds.
struct ReloadingTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let source: TLSContextSource

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                NIOSSLServerHandler(context: source.context))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 over TLS from `source`, whose context may change while the server runs.
    public static func http1(
        configuration: HTTP1Channel.Configuration, tls source: TLSContextSource
    ) -> HTTPServerBuilder {
        .init { responder in
            ReloadingTLSChannel(
                base: HTTP1Channel(responder: responder, configuration: configuration),
                source: source)
        }
    }
}
