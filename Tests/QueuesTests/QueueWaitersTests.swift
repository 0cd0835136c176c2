import Synchronization
import Testing
@testable import Queues

/// Long-poll wake-ups: an arrival wakes as many waiters as it takes to ask for its messages, longest waiting first.
struct QueueWaitersTests {
    static let queue: Int64 = 7

    /// The names of the waiters woken so far, in order.
    final class Woken: Sendable {
        let names = Mutex<[String]>([])

        /// The names once there are `count`.
        func await(_ count: Int) async throws -> [String] {
            while names.withLock({ $0.count }) < count { try await Task.sleep(for: .milliseconds(1)) }
            return names.withLock { $0 }
        }
    }

    /// Starts a waiter for up to `wants` messages and returns once it is registered.
    static func startWaiter(_ waiters: QueueWaiters, _ name: String, wants: Int, _ woken: Woken,
                            _ group: inout ThrowingTaskGroup<Void, any Error>) async throws {
        let registered = waiters.waiting(queue)
        let generation = waiters.generation(queue)
        group.addTask {
            await waiters.wait(queue, since: generation, until: .now + .seconds(120), wants: wants)
            woken.names.withLock { $0.append(name) }
        }
        while waiters.waiting(queue) == registered { try await Task.sleep(for: .milliseconds(1)) }
    }

    @Test(.timeLimit(.minutes(1)))
    func aNotificationWithoutACountWakesEveryWaiter() async throws {
        let waiters = QueueWaiters()
        let woken = Woken()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in ["a", "b", "c"] { try await Self.startWaiter(waiters, name, wants: 10, woken, &group) }
            waiters.notify(Self.queue)
            #expect(waiters.waiting(Self.queue) == 0)
            try await group.waitForAll()
        }
        #expect(Set(woken.names.withLock { $0 }) == ["a", "b", "c"])
    }

    @Test(.timeLimit(.minutes(1)))
    func anArrivalWakesTheLongestWaitingFirstUntilTheyAskForAllItBrought() async throws {
        let waiters = QueueWaiters()
        let woken = Woken()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (name, wants) in [("a", 10), ("b", 10), ("c", 1), ("d", 10)] {
                try await Self.startWaiter(waiters, name, wants: wants, woken, &group)
            }
            // One message: the longest waiting alone.
            waiters.notify(Self.queue, arrivals: 1)
            #expect(waiters.waiting(Self.queue) == 3)
            #expect(try await woken.await(1) == ["a"])
            // Eleven: b asks for ten, so c wakes too; d sleeps on.
            waiters.notify(Self.queue, arrivals: 11)
            #expect(waiters.waiting(Self.queue) == 1)
            #expect(Set(try await woken.await(3)) == ["a", "b", "c"])
            waiters.notify(Self.queue)
            try await group.waitForAll()
        }
        #expect(woken.names.withLock { $0 }.last == "d")
    }

    /// A notification between reading the generation and waiting ends the wait at once, whoever it was meant for.
    @Test(.timeLimit(.minutes(1)))
    func aNotificationBeforeTheWaitBeginsEndsItAtOnce() async {
        let waiters = QueueWaiters()
        let generation = waiters.generation(Self.queue)
        waiters.notify(Self.queue, arrivals: 1)
        await waiters.wait(Self.queue, since: generation, until: .now + .seconds(120), wants: 10)
        #expect(waiters.waiting(Self.queue) == 0)
    }
}
