import Synchronization

/// A small pool of ``MatchScratch`` buffers so concurrent matching calls each get their own
/// and a steady stream of events allocates none.
final class ScratchPool: Sendable {
    private static let maxPooled = 64
    /// The buffer returned last, taken and given back with one atomic operation each
    /// (the common case: one thread matching a stream of events).
    private let recent = Atomic<Unmanaged<MatchScratch>?>(nil)
    private let pooled = Mutex<[MatchScratch]>([])

    /// A scratch buffer for one matching call.
    @inline(__always)
    func acquire() -> MatchScratch {
        if let cached = recent.exchange(nil, ordering: .acquiring) { return cached.takeRetainedValue() }
        return pooled.withLock { $0.popLast() } ?? MatchScratch()
    }

    /// Returns a buffer after the call.
    @inline(__always)
    func release(_ scratch: MatchScratch) {
        let retained = Unmanaged.passRetained(scratch)
        if recent.compareExchange(expected: nil, desired: retained, ordering: .releasing).exchanged { return }
        retained.release()
        pooled.withLock { pool in
            if pool.count < Self.maxPooled { pool.append(scratch) }
        }
    }

    deinit {
        recent.load(ordering: .acquiring)?.release()
    }
}
