import ServiceLifecycle
import Synchronization

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
        await run(every: tick, whenIdle: tick, isIdle: { false }, pass)
    }

    /// Runs `pass` after every wake and every `tick`, but only every `idleTick` while `isIdle()` (asked at each
    /// tick) says there is nothing to watch: an idle server does not query its database many times a second, and a
    /// wake still starts a pass at once. The first tick always runs a pass. Call once per signal.
    public func run(every tick: Duration, whenIdle idleTick: Duration, isIdle: @escaping @Sendable () -> Bool,
                    _ pass: @escaping @Sendable () async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [stream] in
                for await _ in stream.cancelOnGracefulShutdown() { await pass() }
            }
            group.addTask { [continuation] in
                let clock = ContinuousClock()
                var last: ContinuousClock.Instant?
                while !Task.isCancelled, !Task.isShuttingDownGracefully {
                    try? await Task.sleep(for: tick)
                    let now = clock.now
                    if let last, isIdle(), now - last < idleTick { continue }
                    last = now
                    continuation.yield()
                }
                continuation.finish()
            }
            await group.next()
            group.cancelAll()
        }
    }
}
