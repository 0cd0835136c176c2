import Foundation
import Synchronization

/// Long-poll waiters, woken when a message arrives in their queue (never by polling loops).
public final class QueueWaiters: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var nextId: UInt64 = 0
        var waiters: [Int64: [Waiter]] = [:]
        var generations: [Int64: UInt64] = [:]
    }

    private let state = Mutex(State())
    /// Tells the other nodes sharing the database (their `notifyHere`).
    private let broadcast: @Sendable (Int64) -> Void

    public init(broadcast: @escaping @Sendable (Int64) -> Void = { _ in }) {
        self.broadcast = broadcast
    }

    /// Wakes everyone waiting on `queueId`, on this node and the others.
    public func notify(_ queueId: Int64) {
        notifyHere(queueId)
        broadcast(queueId)
    }

    /// Wakes everyone waiting on `queueId` on this node.
    public func notifyHere(_ queueId: Int64) {
        let woken = state.withLock { s -> [Waiter] in
            s.generations[queueId, default: 0] &+= 1
            return s.waiters.removeValue(forKey: queueId) ?? []
        }
        for w in woken { w.continuation.resume() }
    }

    /// The queue's notification count; pass it to `wait` so an arrival in between is not missed.
    public func generation(_ queueId: Int64) -> UInt64 {
        state.withLock { $0.generations[queueId] ?? 0 }
    }

    /// Waits until a `notify(queueId)` after `generation`, or the deadline, whichever comes first.
    public func wait(_ queueId: Int64, since generation: UInt64, until deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForNotify(queueId, since: generation) }
            group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForNotify(_ queueId: Int64, since generation: UInt64) async {
        let id = state.withLock { s -> UInt64 in
            s.nextId += 1
            return s.nextId
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if Task.isCancelled || (s.generations[queueId] ?? 0) != generation { return true }
                    s.waiters[queueId, default: []].append(Waiter(id: id, continuation: c))
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            let removed = state.withLock { s -> Waiter? in
                guard let i = s.waiters[queueId]?.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters[queueId]?.remove(at: i)
            }
            removed?.continuation.resume()
        }
    }
}
