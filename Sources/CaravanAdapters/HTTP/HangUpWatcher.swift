import NIOCore

/// Tells when the client of a connection hangs up: its side closed (Hummingbird allows
/// half-closed connections, so a client that goes away does not close the channel) or the
/// connection closed. `platform-http` watches an InOut exchange with it, to cancel the
/// work nobody waits for any more.
final class HangUpWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let onHangUp: @Sendable () -> Void

    init(onHangUp: @escaping @Sendable () -> Void) { self.onHangUp = onHangUp }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { onHangUp() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        onHangUp()
        context.fireChannelInactive()
    }
}
