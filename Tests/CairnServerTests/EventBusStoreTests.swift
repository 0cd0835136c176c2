import CairnCore
import Crypto
import Foundation
import Synchronization
import Testing
@testable import Storage

/// The delivery outbox contract, run against every engine (SQLite and PostgreSQL).
struct EventBusStoreTests {
    static func delivery(_ i: Int, due: Int64) -> EventDelivery {
        EventDelivery(accountId: "000000000000", region: "us-east-1", ruleArn: "arn:r", targetId: "t\(i)", target: "{}",
                      payload: "p\(i)", eventId: "e\(i)", eventTime: 0, nextAttemptAt: due)
    }

    /// Every stored field of a bus comes back (a bus is decoded column by column), the optional ones also absent.
    @Test(arguments: TestEngine.allCases)
    func aBusReadsBackEveryStoredField(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let buses = SQLEventBusStore(store: store)
            let full = EventBusRecord(accountId: "000000000000", region: "eu-west-1", name: "orders", description: "the orders",
                                      policy: #"{"Version":"2012-10-17"}"#, tags: ["team": "a", "env": "b"], createdAt: 17, modifiedAt: 42)
            let bare = EventBusRecord(accountId: "000000000000", region: "eu-west-1", name: "bare", description: nil, policy: nil,
                                      tags: [:], createdAt: 5, modifiedAt: 5)
            try await buses.createBus(full)
            try await buses.createBus(bare)
            #expect(try await buses.bus(accountId: "000000000000", region: "eu-west-1", name: "orders") == full)
            #expect(try await buses.bus(accountId: "000000000000", region: "eu-west-1", name: "bare") == bare)
            #expect(try await buses.bus(accountId: "000000000000", region: "us-east-1", name: "orders") == nil)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func claimsLeaseRetriesRescheduleAndRestartsRelease(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let outbox = SQLEventBusStore(store: store)
            try await outbox.enqueue([Self.delivery(1, due: 0), Self.delivery(2, due: 0), Self.delivery(3, due: 5_000)])
            let first = try await outbox.claimDue(now: 100, leaseUntil: 60_100, limit: 10)
            #expect(first.map(\.payload) == ["p1", "p2"])
            #expect(try await outbox.claimDue(now: 200, leaseUntil: 60_200, limit: 10).isEmpty)  // leased, not due
            try await outbox.complete([first[0].deliveryId], counts: [])
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

    /// The delivery loop completes a pass and claims the next in one transaction: the claim sees the pass's
    /// deletions, leases what is due, and leaves what is not.
    @Test(arguments: TestEngine.allCases)
    func completingAPassClaimsTheNextInTheSameTransaction(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let outbox = SQLEventBusStore(store: store)
            try await outbox.enqueue([Self.delivery(1, due: 0), Self.delivery(2, due: 0)])
            let first = try await outbox.claimDue(now: 100, leaseUntil: 60_100, limit: 1)
            #expect(first.map(\.payload) == ["p1"])
            try await outbox.enqueue([Self.delivery(3, due: 150), Self.delivery(4, due: 9_000)])
            let before = (store.sessions as? SQLiteSessions)?.transactions.load(ordering: .relaxed)
            let next = try await outbox.complete([first[0].deliveryId], counts: [TargetDeliveryCounts(ruleArn: "arn:r", targetId: "t1")],
                                                 claim: DeliveryClaim(now: 200, leaseUntil: 60_200, limit: 10, owner: "local"))
            #expect(next.map(\.payload) == ["p2", "p3"])
            let p3 = try #require(next.last)  // every stored field comes back (rows are decoded column by column)
            #expect([p3.accountId, p3.region, p3.ruleArn, p3.targetId, p3.target, p3.eventId] == ["000000000000", "us-east-1", "arn:r", "t3", "{}", "e3"])
            #expect(p3.eventTime == 0 && p3.attempts == 0 && p3.nextAttemptAt == 150 && p3.lastError == nil && p3.deliveryId > 0)
            if let before, let sessions = store.sessions as? SQLiteSessions {
                #expect(sessions.transactions.load(ordering: .relaxed) - before == 1)
            }
            #expect(try await outbox.claimDue(now: 300, leaseUntil: 60_300, limit: 10).isEmpty)  // leased by the completion
            #expect(try await outbox.pendingCount() == 3)
            #expect(try await outbox.complete([], counts: [], claim: DeliveryClaim(now: 9_000, leaseUntil: 69_000, limit: 10, owner: "local"))
                .map(\.payload) == ["p4"])
        }
    }

    /// A pass's messages to a standard queue are written by the transaction that completes the pass: both are stored,
    /// or, when that transaction fails, neither (the deliveries stay, to be attempted again).
    @Test(arguments: TestEngine.allCases)
    func aPassesQueueMessagesCommitWithItsCompletionOrNotAtAll(_ engine: TestEngine) async throws {
        struct Refused: Error {}
        try await withTestStore(engine) { store in
            let outbox = SQLEventBusStore(store: store)
            let queues = SQLQueueStore(store: store)
            let q = try await QueueStoreTests.makeQueue(queues, "target")
            try await outbox.enqueue([Self.delivery(1, due: 0), Self.delivery(2, due: 0), Self.delivery(3, due: 0)])
            let pass = try await outbox.claimDue(now: 100, leaseUntil: 60_100, limit: 2)
            let messages = pass.map { QueueStoreTests.message($0.payload) }

            await #expect(throws: Refused.self) {
                _ = try await outbox.complete(pass.map(\.deliveryId), counts: [], claim: nil, alongside: [
                    queues.sendWrite(queueId: q.queueId, messages: messages, now: 100), StoreWrite { _ in throw Refused() },
                ])
            }
            #expect(try await queues.counts(queueId: q.queueId, now: 200).visible == 0)
            #expect(try await outbox.pendingCount() == 3)

            let before = (store.sessions as? SQLiteSessions)?.transactions.load(ordering: .relaxed)
            let next = try await outbox.complete(pass.map(\.deliveryId), counts: [],
                                                 claim: DeliveryClaim(now: 200, leaseUntil: 60_200, limit: 10, owner: "local"),
                                                 alongside: [queues.sendWrite(queueId: q.queueId, messages: messages, now: 200)])
            if let before, let sessions = store.sessions as? SQLiteSessions {
                #expect(sessions.transactions.load(ordering: .relaxed) - before == 1)
            }
            #expect(next.map(\.payload) == ["p3"])
            #expect(try await outbox.pendingCount() == 1)
            let received = try await QueueStoreTests.receive(queues, q, now: 300)
            #expect(Set(received.map(\.body)) == ["p1", "p2"])
        }
    }

    @Test(arguments: TestEngine.allCases)
    func deliveryCountsAddUpPerTargetAndEndWithTheirRule(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let buses = SQLEventBusStore(store: store, secrets: SecretBox(key: .init(size: .bits256)))
            let rule = EventRuleRecord(accountId: "000000000000", region: "us-east-1", busName: "default", name: "r",
                                       eventPattern: "{}", scheduleExpression: nil, state: "ENABLED", description: nil,
                                       roleArn: nil, tags: [:], createdAt: 0)
            try await buses.putRule(rule)
            try await buses.complete([], counts: [
                TargetDeliveryCounts(ruleArn: rule.arn, targetId: "q", delivered: 3, retried: 1, lastError: "E: first"),
                TargetDeliveryCounts(ruleArn: rule.arn, targetId: "t", dropped: 1, lastError: "E: dropped"),
            ])
            try await buses.complete([], counts: [
                TargetDeliveryCounts(ruleArn: rule.arn, targetId: "q", delivered: 2, deadLettered: 1, lastError: nil),
            ])
            #expect(try await buses.deliveryCounts(ruleArns: [rule.arn]) == [
                TargetDeliveryCounts(ruleArn: rule.arn, targetId: "q", delivered: 5, retried: 1, deadLettered: 1, lastError: "E: first"),
                TargetDeliveryCounts(ruleArn: rule.arn, targetId: "t", dropped: 1, lastError: "E: dropped"),
            ])
            #expect(try await buses.deliveryCounts(ruleArns: ["arn:other"]).isEmpty)
            try await buses.deleteRule(accountId: "000000000000", region: "us-east-1", bus: "default", name: "r")
            #expect(try await buses.deliveryCounts(ruleArns: [rule.arn]).isEmpty)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func aScheduledRuleFiresOncePerDueTimeEvenWhenFiringsRace(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let buses = SQLEventBusStore(store: store, secrets: SecretBox(key: .init(size: .bits256)))
            let rule = EventRuleRecord(accountId: "000000000000", region: "us-east-1", busName: "default", name: "tick",
                                       eventPattern: nil, scheduleExpression: "rate(1 minute)", state: "ENABLED",
                                       description: nil, roleArn: nil, tags: [:], createdAt: 0, nextFireAt: 60_000)
            try await buses.putRule(rule)
            try await buses.putTargets(accountId: rule.accountId, region: rule.region, bus: "default", rule: "tick", targets: [
                EventTargetRecord(targetId: "q", arn: "arn:aws:sqs:us-east-1:000000000000:q", definition: #"{"Id":"q"}"#),
            ])
            #expect(try await buses.nextScheduledAt() == 60_000)
            // Not due yet: nothing fires.
            #expect(try await buses.fireScheduled(now: 59_999, limit: 10) { _, _ in ([], nil) } == 0)
            // Four firings race for the one due time: one of them fires it.
            let planned = Planned()
            let fired = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await buses.fireScheduled(now: 60_500, limit: 10) { due, targets in
                            planned.items.withLock { $0.append("\(due.name)@\(due.nextFireAt ?? -1) to \(targets.map(\.targetId))") }
                            return ([Self.delivery(1, due: 60_500)], 120_000)
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(fired == 1)
            #expect(planned.items.withLock { $0 } == ["tick@60000 to [\"q\"]"])
            #expect(try await buses.pendingCount() == 1)
            #expect(try await buses.nextScheduledAt() == 120_000)
            #expect(try await buses.rule(accountId: rule.accountId, region: rule.region, bus: "default", name: "tick")?.nextFireAt == 120_000)
            // A schedule that ends leaves no due time behind.
            #expect(try await buses.fireScheduled(now: 120_000, limit: 10) { _, _ in ([], nil) } == 1)
            #expect(try await buses.nextScheduledAt() == nil)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func anArchiveKeepsEachEventOnceAndSweepsThosePastItsRetention(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let buses = SQLEventBusStore(store: store, secrets: SecretBox(key: .init(size: .bits256)))
            let day: Int64 = 86_400_000
            let kept = EventArchiveRecord(accountId: "000000000000", region: "us-east-1", name: "week", busName: "default",
                                          eventPattern: nil, description: nil, retentionDays: 7, state: "ENABLED", createdAt: 0)
            var forever = kept
            forever.name = "forever"
            forever.retentionDays = 0
            try await buses.createArchive(kept)
            try await buses.createArchive(forever)
            await #expect(throws: StoreError.self) { try await buses.createArchive(kept) }
            for archive in [kept, forever] {
                try await buses.archiveEvent(arn: archive.arn, eventId: "old", eventTime: 1 * day, origin: 1, body: "{\"é\":1}")
                try await buses.archiveEvent(arn: archive.arn, eventId: "new", eventTime: 9 * day, origin: 2, body: "{}")
                // A repeated delivery is kept once.
                try await buses.archiveEvent(arn: archive.arn, eventId: "new", eventTime: 9 * day, origin: 2, body: "{}")
            }
            // Sizes are UTF-8 bytes: "é" is two.
            #expect(try await buses.archiveContents(arn: kept.arn) == ArchiveContents(eventCount: 2, sizeBytes: 8 + 2))
            // Day 9: "old" is 8 days old, past the week; the archive kept for ever keeps it.
            #expect(try await buses.pruneArchives(now: 9 * day) == 1)
            #expect(try await buses.archiveContents(arn: kept.arn).eventCount == 1)
            #expect(try await buses.archiveContents(arn: forever.arn).eventCount == 2)
            #expect(try await buses.archives(accountId: "000000000000", region: "us-east-1", prefix: "for", bus: nil, state: nil, after: nil,
                                             limit: 10).map(\.name) == ["forever"])
            try await buses.deleteArchive(accountId: "000000000000", region: "us-east-1", name: "forever")
            #expect(try await buses.archiveContents(arn: forever.arn).eventCount == 0)
            #expect(try await buses.archive(accountId: "000000000000", region: "us-east-1", name: "forever") == nil)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func archiveListsFilterByStateBeforeTheirPageEnds(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let buses = SQLEventBusStore(store: store, secrets: SecretBox(key: .init(size: .bits256)))
            for (name, state) in [("a1", "DISABLED"), ("a2", "ENABLED"), ("a3", "DISABLED"), ("a4", "ENABLED")] {
                try await buses.createArchive(EventArchiveRecord(
                    accountId: "000000000000", region: "us-east-1", name: name, busName: "default", eventPattern: nil,
                    description: nil, retentionDays: 0, state: state, createdAt: 0))
            }
            // A page of two enabled archives, though the first two names are one disabled and one enabled.
            #expect(try await buses.archives(accountId: "000000000000", region: "us-east-1", prefix: "", bus: nil, state: "ENABLED",
                                             after: nil, limit: 2).map(\.name) == ["a2", "a4"])
        }
    }

    @Test(arguments: TestEngine.allCases)
    func aReplayAdvancesThroughItsWindowInArchiveOrderAndAtMostTenRunAtOnce(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let buses = SQLEventBusStore(store: store, secrets: SecretBox(key: .init(size: .bits256)))
            let archive = EventArchiveRecord(accountId: "000000000000", region: "us-east-1", name: "a", busName: "default",
                                             eventPattern: nil, description: nil, retentionDays: 0, state: "ENABLED", createdAt: 0)
            try await buses.createArchive(archive)
            // Archived out of order (deliveries run concurrently); e3 was accepted in e1's millisecond, after it.
            for (i, (time, origin)) in [(500, 10), (100, 11), (300, 12), (900, 13), (100, 14)].enumerated() {
                try await buses.archiveEvent(arn: archive.arn, eventId: "e\(i)", eventTime: Int64(time), origin: Int64(origin), body: "{}")
            }
            func replay(_ name: String) -> EventReplayRecord {
                EventReplayRecord(accountId: "000000000000", region: "us-east-1", name: name, archiveArn: archive.arn,
                                  destination: "{}", description: nil, eventStart: 100, eventEnd: 900, state: "STARTING", startedAt: 1)
            }
            try await buses.createReplay(replay("r"), maxActive: 10)
            // Two at a time, in the order the bus accepted them; the event at 900 is past the window's end.
            let seen = Planned()
            for _ in 0..<3 {
                #expect(try await buses.advanceReplay(limit: 2) { r, events in
                    seen.items.withLock { $0.append(events.map(\.eventId).joined(separator: ",")) }
                    var next = r
                    if let last = events.last {
                        (next.lastSeq, next.lastReplayed, next.state) = (last.origin, last.eventTime, "RUNNING")
                    } else {
                        next.state = "COMPLETED"
                    }
                    return (next, [])
                })
            }
            #expect(seen.items.withLock { $0 } == ["e1,e4", "e2,e0", ""])
            #expect(try await buses.replay(accountId: "000000000000", region: "us-east-1", name: "r")?.state == "COMPLETED")
            #expect(try await buses.advanceReplay(limit: 2) { r, _ in (r, []) } == false)
            #expect(try await buses.cancelReplay(accountId: "000000000000", region: "us-east-1", name: "r") == false)
            // Ten may run at once; the eleventh waits for one to end.
            for i in 0..<10 { try await buses.createReplay(replay("p\(i)"), maxActive: 10) }
            await #expect(throws: StoreError.self) { try await buses.createReplay(replay("p10"), maxActive: 10) }
            #expect(try await buses.cancelReplay(accountId: "000000000000", region: "us-east-1", name: "p0"))
            #expect(try await buses.replay(accountId: "000000000000", region: "us-east-1", name: "p0")?.state == "CANCELLING")
        }
    }
}

/// What racing firings planned (read after they all ended).
private final class Planned: Sendable {
    let items = Mutex<[String]>([])
}

extension EventBusStoreTests {
    /// A claim takes the deliveries due longest first (then in the order they were stored), up to its limit, and
    /// returns each as it was before its lease: with the time it was due.
    @Test(arguments: TestEngine.allCases)
    func claimsTakeTheLongestDueFirstAndReturnTheirDueTimes(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let outbox = SQLEventBusStore(store: store)
            try await outbox.enqueue([Self.delivery(1, due: 50), Self.delivery(2, due: 10), Self.delivery(3, due: 50),
                                      Self.delivery(4, due: 30), Self.delivery(5, due: 5_000)])
            let claimed = try await outbox.claimDue(now: 100, leaseUntil: 60_100, limit: 3)
            #expect(claimed.map(\.payload) == ["p2", "p4", "p1"])
            #expect(claimed.map(\.nextAttemptAt) == [10, 30, 50])
            #expect(try await outbox.claimDue(now: 100, leaseUntil: 60_100, limit: 3).map(\.payload) == ["p3"])
        }
    }
}
