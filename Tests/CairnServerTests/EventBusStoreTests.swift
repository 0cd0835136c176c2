import Foundation
import Testing
@testable import Storage

/// The delivery outbox contract, run against every engine (SQLite and PostgreSQL).
struct EventBusStoreTests {
    static func delivery(_ i: Int, due: Int64) -> EventDelivery {
        EventDelivery(accountId: "000000000000", region: "us-east-1", ruleArn: "arn:r", targetId: "t\(i)", target: "{}",
                      payload: "p\(i)", eventId: "e\(i)", eventTime: 0, nextAttemptAt: due)
    }

    @Test(arguments: TestEngine.allCases)
    func claimsLeaseRetriesRescheduleAndRestartsRelease(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let outbox = SQLEventBusStore(store: store)
            try await outbox.enqueue([Self.delivery(1, due: 0), Self.delivery(2, due: 0), Self.delivery(3, due: 5_000)])
            let first = try await outbox.claimDue(now: 100, leaseUntil: 60_100, limit: 10)
            #expect(first.map(\.payload) == ["p1", "p2"])
            #expect(try await outbox.claimDue(now: 200, leaseUntil: 60_200, limit: 10).isEmpty)  // leased, not due
            try await outbox.complete([first[0].deliveryId])
            try await outbox.reschedule(first[1].deliveryId, attempts: 1, nextAttemptAt: 1_000, error: "boom")
            #expect(try await outbox.nextDueAt() == 1_000)
            let retry = try await outbox.claimDue(now: 1_000, leaseUntil: 61_000, limit: 10)
            #expect(retry.map(\.attempts) == [1])
            #expect(retry.first?.lastError == "boom")
            // A crash leaves the retry leased; the next start makes it due at once.
            #expect(try await outbox.releaseLeases(now: 2_000) == 1)
            #expect(try await outbox.claimDue(now: 2_000, leaseUntil: 62_000, limit: 10).map(\.payload) == ["p2"])
            #expect(try await outbox.pendingCount() == 2)
        }
    }
}
