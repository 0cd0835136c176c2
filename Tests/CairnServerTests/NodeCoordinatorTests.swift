import Logging
import Synchronization
import Testing
@testable import CairnServer
@testable import Storage

/// Waking a singleton on several nodes: the node that runs it is woken directly, the others only by a signal.
struct NodeCoordinatorTests {
    /// Signals one node received from the others, in order, and a way to wait for a given one.
    final class Inbox: Sendable {
        private let received = Mutex<[String]>([])

        func receive(_ signal: String) { received.withLock { $0.append(signal) } }

        func all() -> [String] { received.withLock { $0 } }

        /// Waits until `signal` has arrived (at most about 20 s), sending `resend` every 10 ms meanwhile.
        func waitFor(_ signal: String, resend: () -> Void = {}) async throws {
            for _ in 0..<2_000 where !all().contains(signal) {
                resend()
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(all().contains(signal), "\(signal) never arrived")
        }
    }

    @Test func aNodeRunningASingletonWakesItWithoutTellingTheOthers() async throws {
        try await withTestStore(.postgres) { store in
            let logger = Logger(label: "test")
            let leader = store.coordinator(nodeId: "leader", logger: logger)
            let other = store.coordinator(nodeId: "other", logger: logger)
            let inbox = Inbox()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await leader.run(receive: { _ in }) }
                group.addTask { try await other.run(receive: inbox.receive) }
                try await leader.lead("held")
                #expect(leader.runs("held"))
                #expect(!leader.runs("elsewhere"))
                #expect(!other.runs("held"))

                // Until the other node listens, signals are lost: send until one arrives.
                try await inbox.waitFor("ping") { leader.broadcast("ping") }
                let before = inbox.all().count

                var wokenHere = 0
                leader.wake("held") { wokenHere += 1 }
                leader.wake("elsewhere") { wokenHere += 1 }
                leader.broadcast("done")
                try await inbox.waitFor("done")

                // Signals from one node arrive in the order it sent them: a wake of "held" would be before "done".
                let after = Array(inbox.all()[before...]).filter { $0 != "ping" }
                #expect(after == [ClusterSignal.wake("elsewhere"), "done"])
                #expect(wokenHere == 2)
                group.cancelAll()
            }
        }
    }

    @Test func aNodeOnItsOwnRunsEverySingletonAndTellsNobody() {
        let solo = SoloCoordinator(nodeId: "solo")
        var woken = 0
        solo.wake("anything") { woken += 1 }
        #expect(solo.runs("anything"))
        #expect(woken == 1)
    }
}
