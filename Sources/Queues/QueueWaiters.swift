import Foundation
import Synchronization

/// Long-poll waiters, woken when a message arrives in their queue (never by polling loops).
///
/// An arrival of n messages wakes, longest waiting first, as many of this node's waiters as it takes to ask for n:
/// a receive locks the page of messages it reads, so the others woken at the same time would find nothing (at 1,000
/// events/s, two of every three receives did). A receive that takes all it asked for may have left messages behind
/// it, and wakes the next waiter (`SQSService.receiveMessage`).
public final class QueueWaiters: Sendable {
    private struct Waiter {
        var id: UInt64
        /// The most messages its receive takes.
        var wants: Int
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

    /// Wakes the waiters on `queueId` for `arrivals` new messages (everyone by default): on this node as many as it
    /// takes to ask for them all, on the others everyone.
    public func notify(_ queueId: Int64, arrivals: Int = .max) {
        notifyHere(queueId, arrivals: arrivals)
        broadcast(queueId)
    }

    /// Wakes the waiters on `queueId` on this node for `arrivals` new messages (everyone by default), longest
    /// waiting first, until those woken ask for them all.
    public func notifyHere(_ queueId: Int64, arrivals: Int = .max) {
        let woken = state.withLock { s -> [Waiter] in
            s.generations[queueId, default: 0] &+= 1
            guard var waiting = s.waiters.removeValue(forKey: queueId) else { return [] }
            var count = 0
            var asked = 0
            while count < waiting.count && asked < arrivals {
                asked += waiting[count].wants
                count += 1
            }
            let woken = Array(waiting.prefix(count))
            waiting.removeFirst(count)
            if !waiting.isEmpty { s.waiters[queueId] = waiting }
            return woken
        }
        for w in woken { w.continuation.resume() }
    }

    /// How many long polls are waiting on `queueId` on this node.
    func waiting(_ queueId: Int64) -> Int {
        state.withLock { $0.waiters[queueId]?.count ?? 0 }
    }

    /// The queue's notification count; pass it to `wait` so an arrival in between is not missed.
    public func generation(_ queueId: Int64) -> UInt64 {
        state.withLock { $0.generations[queueId] ?? 0 }
    }

    /// Waits, for a receive of up to `wants` messages, until a `notify(queueId)` after `generation` wakes it (any
    /// notification while it was not yet waiting does), or the deadline, whichever comes first.
    public func wait(_ queueId: Int64, since generation: UInt64, until deadline: ContinuousClock.Instant, wants: Int) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForNotify(queueId, since: generation, wants: wants) }
            group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForNotify(_ queueId: Int64, since generation: UInt64, wants: Int) async {
        let id = state.withLock { s -> UInt64 in
            s.nextId += 1
            return s.nextId
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if Task.isCancelled || (s.generations[queueId] ?? 0) != generation { return true }
                    s.waiters[queueId, default: []].append(Waiter(id: id, wants: max(1, wants), continuation: c))
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
