import Synchronization

/// A small pool of ``MatchScratch`` buffers so concurrent matching calls each get their own
/// and a steady stream of events allocates none.
final class ScratchPool: Sendable {
    private static let maxPooled = 64
    private let pooled = Mutex<[MatchScratch]>([])

    /// A scratch buffer for one matching call.
    func acquire() -> MatchScratch {
        pooled.withLock { $0.popLast() } ?? MatchScratch()
    }

    /// Returns a buffer after the call.
    func release(_ scratch: MatchScratch) {
        pooled.withLock { pool in
            if pool.count < Self.maxPooled { pool.append(scratch) }
        }
    }
}
