import Hummingbird
import NIOCore

/// The request context of `platform-http`: Hummingbird's basic one plus the connection's
/// channel, which `Expect: 100-continue` needs to answer before the body is read.
public struct PlatformHTTPContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
