import Synchronization
import Testing
import Wire

/// A call reads a record once for its authorization and its handler; an absent record is read again, because the
/// call may create it in between (EventBridge's default bus is made after authorization looked for it).
struct CallReadsTests {
    @Test func aFoundRecordIsReadOnceAndAnAbsentOneAgain() async throws {
        let reads = CallReads()
        let count = Atomic<Int>(0)
        let stored = Mutex<String?>(nil)
        func read() async throws -> String? {
            count.add(1, ordering: .relaxed)
            return stored.withLock { $0 }
        }
        #expect(try await reads.record("bus", read) == nil)
        stored.withLock { $0 = "made" }
        #expect(try await reads.record("bus", read) == "made")
        stored.withLock { $0 = "changed later" }
        #expect(try await reads.record("bus", read) == "made")
        #expect(count.load(ordering: .relaxed) == 2)
        #expect(try await reads.record("other", read) == "changed later")
    }

    @Test func copiesOfAContextShareTheirReads() async throws {
        let call = CallContext(requestId: "r", principal: .anonymous, accountId: "000000000000", region: "us-east-1",
                               sourceIPAddress: "127.0.0.1", userAgent: "", host: "localhost", receivedAt: .now)
        var copy = call
        copy.fromConsole = true
        _ = try await copy.reads.record("q") { "queue" }
        #expect(try await call.reads.record("q") { String?.none } == "queue")
    }
}
