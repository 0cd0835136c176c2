import ServiceLifecycle

/// What starts a background service's passes: `wake()` asks for one soon, a tick asks for one regularly (covering
/// any wake that was missed). Passes never overlap; waiting ends at graceful shutdown.
public final class WakeSignal: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    public init() {
        (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a pass soon; several wakes before it runs make one pass.
    public func wake() { continuation.yield() }

    /// Runs `pass` after every wake and every `tick` until graceful shutdown. Call once per signal.
    public func run(every tick: Duration, _ pass: @escaping @Sendable () async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [stream] in
                for await _ in stream.cancelOnGracefulShutdown() { await pass() }
            }
            group.addTask { [continuation] in
                while !Task.isCancelled, !Task.isShuttingDownGracefully {
                    try? await Task.sleep(for: tick)
                    continuation.yield()
                }
                continuation.finish()
            }
            await group.next()
            group.cancelAll()
        }
    }
}
