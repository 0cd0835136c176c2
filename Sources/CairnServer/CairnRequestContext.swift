import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the client's address.
public struct CairnRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress ?? "127.0.0.1"
    }
}
