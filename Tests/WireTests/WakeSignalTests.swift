import CairnCore
import Synchronization
import Testing

/// `WakeSignal`'s idle tick: while idle, only wakes (and the first tick) start passes; busy, every tick does.
struct WakeSignalTests {
    final class Probe: Sendable {
        let passes = Atomic<Int>(0)
        let idle = Atomic<Bool>(true)
    }

    /// Waits (up to a minute: CI machines are slow) until `condition` holds; false if it never did.
    static func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<6000 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func anIdleSignalRunsPassesOnlyWhenWokenUntilItIsBusyAgain() async throws {
        let signal = WakeSignal()
        let probe = Probe()
        let runner = Task {
            await signal.run(every: .milliseconds(5), whenIdle: .seconds(3600), isIdle: { probe.idle.load(ordering: .relaxed) }) {
                probe.passes.add(1, ordering: .relaxed)
            }
        }
        defer { runner.cancel() }
        // The first tick runs a pass even when idle.
        #expect(await Self.eventually { probe.passes.load(ordering: .relaxed) == 1 })
        // Idle, with an hour's idle tick: a hundred ticks go by and start nothing.
        try await Task.sleep(for: .milliseconds(500))
        #expect(probe.passes.load(ordering: .relaxed) == 1)
        // A wake starts a pass at once.
        signal.wake()
        #expect(await Self.eventually { probe.passes.load(ordering: .relaxed) == 2 })
        // Busy: every tick starts one.
        probe.idle.store(false, ordering: .relaxed)
        #expect(await Self.eventually { probe.passes.load(ordering: .relaxed) >= 10 })
    }
}
