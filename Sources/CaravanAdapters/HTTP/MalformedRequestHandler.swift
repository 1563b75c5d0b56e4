import Caravan
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers a request the HTTP parser refuses (a head over the size limits, bad syntax)
/// with the same JSON refusal as every other (`{"error", "hint"}`) and closes the
/// connection. Hummingbird's own answer has an empty body.
///
/// Placed after the HTTP codec; it answers only when no request of the connection is
/// still being answered (otherwise the error goes on to Hummingbird, which closes the
/// connection after that answer).
public final class MalformedRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    /// Requests whose head was read and whose answer has not ended.
    private var open = 0
    /// The parser's limits on a request's header fields, for the hint.
    let maxHeaderBytes: Int
    let maxHeaders: Int

    public init(maxHeaderBytes: Int = 80 * 1024, maxHeaders: Int = 1000) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaders = maxHeaders
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { open += 1 }
        context.fireChannelRead(data)
    }

    public func write(
        context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?
    ) {
        if case .end = unwrapOutboundIn(data) { open = max(0, open - 1) }
        context.write(data, promise: promise)
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parse = error as? HTTPParserError, open == 0 else {
            context.fireErrorCaught(error)
            return
        }
        let (status, document) = refusal(for: parse)
        // No route is known for a request whose head did not parse.
        IngestMetrics.refused(route: "", .malformed)
        let body = ByteBuffer(bytes: JSONWriter().bytes(document) + [0x0A])
        var head = HTTPResponse(status: status)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.connection] = "close"
        head.headerFields[.contentLength] = "\(body.readableBytes)"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.close(promise: nil)  // after the writes: the channel flushes them first
    }

    func refusal(for error: HTTPParserError) -> (HTTPResponse.Status, Document) {
        if error == .headerOverflow {
            return (
                .requestHeaderFieldsTooLarge,
                [
                    "error": "the request head (request line and headers) is too large",
                    "hint": .string(
                        "send fewer or shorter headers (at most \(maxHeaders) fields, \(maxHeaderBytes) bytes in all)"
                    ),
                ]
            )
        }
        return (
            .badRequest,
            [
                "error": .string("the request is not valid HTTP/1.1: \(error)"),
                "hint": "check the request line, the headers and the body's framing",
            ]
        )
    }
}
