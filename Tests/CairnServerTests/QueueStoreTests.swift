import Foundation
import SQLKit
import Testing
import Queues
@testable import Storage

/// The queue store contract, run against every engine (SQLite and PostgreSQL).
struct QueueStoreTests {
    static func message(_ body: String, delay: Int64 = 0, group: String? = nil, dedup: String? = nil) -> NewQueueMessage {
        NewQueueMessage(messageId: UUID().uuidString, body: body, messageAttributes: nil, systemAttributes: nil, md5Body: "x",
                        md5Attributes: nil, senderId: "s", delayMs: delay, groupId: group, dedupId: dedup)
    }

    static func makeQueue(_ queues: SQLQueueStore, _ name: String, fifo: Bool = false) async throws -> QueueRecord {
        try await queues.createQueue(QueueRecord(accountId: "000000000000", region: "us-east-1", name: name, fifo: fifo,
                                                 attributes: [:], tags: [:], createdAt: 0, modifiedAt: 0))
    }

    static func receive(_ queues: SQLQueueStore, _ q: QueueRecord, max: Int = 10, now: Int64, visibility: Int64 = 30_000,
                        redrive: RedriveRule? = nil) async throws -> [QueueMessage] {
        let request = ReceiveRequest(queueId: q.queueId, fifo: q.fifo, maxMessages: max, now: now,
                                     visibilityMs: visibility, retentionMs: 345_600_000, redrive: redrive)
        return try await queues.receive(request, planner: ReceivePlanner(request)).received
    }

    @Test(arguments: TestEngine.allCases)
    func visibilityDelayAndDeleteFollowTheReceipt(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let queues = SQLQueueStore(store: store)
            let q = try await Self.makeQueue(queues, "q")
            _ = try await queues.send(queueId: q.queueId, messages: [Self.message("a"), Self.message("late", delay: 5_000)],
                                      now: 1_000, dedupWindowMs: 300_000)
            let first = try await Self.receive(queues, q, now: 1_000)
            #expect(first.map(\.body) == ["a"])
            #expect(try await Self.receive(queues, q, now: 2_000).isEmpty)  // a in flight, late delayed
            #expect(try await queues.counts(queueId: q.queueId, now: 2_000) == QueueCounts(visible: 0, inFlight: 1, delayed: 1))
            #expect(try await queues.nextVisibleAt(queueId: q.queueId, now: 2_000) == 6_000)
            let again = try await Self.receive(queues, q, now: 31_001)
            #expect(Set(again.map(\.body)) == ["a", "late"])
            let a = try #require(again.first { $0.body == "a" })
            #expect(a.receiveCount == 2)
            // The first receipt is stale: deleting with it succeeds but leaves the message.
            try await queues.deleteMessages(queueId: q.queueId, [MessageReceipt(seq: a.seq, receipt: first[0].receipt!)])
            #expect(try await queues.counts(queueId: q.queueId, now: 31_002).inFlight == 2)
            try await queues.deleteMessages(queueId: q.queueId, [MessageReceipt(seq: a.seq, receipt: a.receipt!)])
            #expect(try await queues.counts(queueId: q.queueId, now: 31_002).inFlight == 1)
            #expect(try await queues.changeVisibility(queueId: q.queueId, [(MessageReceipt(seq: a.seq, receipt: a.receipt!), 0)],
                                                      now: 31_002) == [.unknownReceipt])
        }
    }

    /// GetQueueAttributes' counts read the visibility index alone, however many messages are in flight or delayed.
    @Test func countsReadOnlyTheVisibilityIndex() async throws {
        try await withTestStore(.sqlite) { store in
            let plan = try await store.read { db in
                try await db.raw(SQLQueryString("EXPLAIN QUERY PLAN ") + SQLQueueStore.countsQuery(queueId: 1, now: 0)).all()
                    .map { try $0.decode(column: "detail", as: String.self) }
            }
            let searches = plan.filter { $0.hasPrefix("SEARCH") }
            #expect(searches.count == 3)
            #expect(searches.allSatisfy { $0.hasPrefix("SEARCH sqs_message USING COVERING INDEX sqs_message_by_visibility") }, "\(plan)")
        }
    }

    /// Every stored field of a message comes back from a receive (messages are decoded column by column).
    @Test(arguments: TestEngine.allCases)
    func aReceivedMessageCarriesEveryStoredField(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let queues = SQLQueueStore(store: store)
            let q = try await Self.makeQueue(queues, "f.fifo", fifo: true)
            let sent = NewQueueMessage(messageId: "id-1", body: "body ü", messageAttributes: "{\"a\":1}", systemAttributes: "{\"s\":2}",
                                       md5Body: "md5b", md5Attributes: "md5a", senderId: "sender", delayMs: 0, groupId: "g", dedupId: "d")
            _ = try await queues.send(queueId: q.queueId, messages: [sent], now: 5, dedupWindowMs: 300_000)
            let m = try #require(try await Self.receive(queues, q, now: 7).first)
            #expect([m.messageId, m.body, m.messageAttributes, m.systemAttributes, m.md5Body, m.md5Attributes, m.senderId, m.groupId, m.dedupId]
                    == ["id-1", "body ü", "{\"a\":1}", "{\"s\":2}", "md5b", "md5a", "sender", "g", "d"])
            #expect(m.sentAt == 5 && m.receiveCount == 1 && m.firstReceiveAt == 7 && m.receipt != nil)
            _ = try await queues.send(queueId: q.queueId, messages: [Self.message("plain", group: "h", dedup: "e")], now: 8, dedupWindowMs: 300_000)
            let plain = try #require(try await Self.receive(queues, q, now: 9).first)
            #expect(plain.body == "plain" && plain.messageAttributes == nil && plain.systemAttributes == nil && plain.md5Attributes == nil)
        }
    }

    /// A batch is one transaction: each entry is judged on its own receipt, in the order given, and the deletes
    /// of the batch's good receipts leave the stale one's message and the others in place.
    @Test(arguments: TestEngine.allCases)
    func batchesOfReceiptsAreJudgedEntryByEntryInOneTransaction(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let queues = SQLQueueStore(store: store)
            let q = try await Self.makeQueue(queues, "batch")
            _ = try await queues.send(queueId: q.queueId, messages: (0..<5).map { Self.message("m\($0)") }, now: 0, dedupWindowMs: 0)
            let taken = try await Self.receive(queues, q, max: 4, now: 0)  // m4 stays visible: not in flight
            let left = try #require(try await Self.receive(queues, q, max: 1, now: 0, visibility: 0).first)
            func ref(_ m: QueueMessage, _ receipt: String? = nil) -> MessageReceipt { MessageReceipt(seq: m.seq, receipt: receipt ?? m.receipt!) }
            let before = (store.sessions as? SQLiteSessions)?.transactions.load(ordering: .relaxed)
            let outcomes = try await queues.changeVisibility(queueId: q.queueId, [
                (ref(taken[0]), 5_000), (ref(taken[1], "stale"), 5_000), (ref(left), 5_000), (ref(taken[0]), 9_000),
            ], now: 1)
            #expect(outcomes == [.changed, .unknownReceipt, .notInFlight, .changed])
            try await queues.deleteMessages(queueId: q.queueId, [ref(taken[1]), ref(taken[2], "stale"), ref(taken[3])])
            if let before, let sessions = store.sessions as? SQLiteSessions {
                #expect(sessions.transactions.load(ordering: .relaxed) - before == 2, "one transaction a batch")
            }
            #expect(try await queues.nextVisibleAt(queueId: q.queueId, now: 1) == 9_000)  // taken[0]'s later change won
            #expect(try await queues.counts(queueId: q.queueId, now: 1) == QueueCounts(visible: 1, inFlight: 2, delayed: 0))
            #expect(Set(try await Self.receive(queues, q, now: 60_000).map(\.body)) == ["m0", "m2", "m4"])
        }
    }

    @Test(arguments: TestEngine.allCases)
    func redriveMovesOverReceivedMessagesToTheDeadLetterQueue(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let queues = SQLQueueStore(store: store)
            let q = try await Self.makeQueue(queues, "work")
            let dlq = try await Self.makeQueue(queues, "dead")
            _ = try await queues.send(queueId: q.queueId, messages: [Self.message("poison")], now: 0, dedupWindowMs: 300_000)
            let rule = RedriveRule(deadLetterQueueId: dlq.queueId, maxReceiveCount: 2)
            #expect(try await Self.receive(queues, q, now: 0, visibility: 10, redrive: rule).count == 1)
            #expect(try await Self.receive(queues, q, now: 20, visibility: 10, redrive: rule).count == 1)
            #expect(try await Self.receive(queues, q, now: 40, visibility: 10, redrive: rule).isEmpty)
            #expect(try await Self.receive(queues, dlq, now: 41).map(\.body) == ["poison"])
        }
    }

    @Test(arguments: TestEngine.allCases)
    func fifoGroupsAreOrderedBlockedAndDeduplicated(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let queues = SQLQueueStore(store: store)
            let q = try await Self.makeQueue(queues, "o.fifo", fifo: true)
            let sent = try await queues.send(queueId: q.queueId, messages: [
                Self.message("g1-a", group: "g1", dedup: "1"), Self.message("g2-a", group: "g2", dedup: "2"),
                Self.message("g1-b", group: "g1", dedup: "3"), Self.message("dup", group: "g1", dedup: "1"),
            ], now: 0, dedupWindowMs: 300_000)
            #expect(sent.map(\.duplicate) == [false, false, false, true])
            #expect(sent[3].messageId == sent[0].messageId)
            let first = try await Self.receive(queues, q, max: 1, now: 1)
            #expect(first.map(\.body) == ["g1-a"])
            // g1 is blocked while g1-a is in flight; g2 is not.
            #expect(try await Self.receive(queues, q, now: 2).map(\.body) == ["g2-a"])
            #expect(try await Self.receive(queues, q, now: 3).isEmpty)
            try await queues.deleteMessages(queueId: q.queueId, [MessageReceipt(seq: first[0].seq, receipt: first[0].receipt!)])
            #expect(try await Self.receive(queues, q, now: 4).map(\.body) == ["g1-b"])
        }
    }

    @Test(arguments: TestEngine.allCases)
    func receiveCostDoesNotScanTheInFlightSet(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let queues = SQLQueueStore(store: store)
            let q = try await Self.makeQueue(queues, "deep")
            _ = try await queues.send(queueId: q.queueId, messages: (0..<2000).map { Self.message("m\($0)") }, now: 0, dedupWindowMs: 0)
            var seen = Set<String>()
            for i in 0..<200 {
                for m in try await Self.receive(queues, q, now: Int64(i)) { seen.insert(m.body) }
            }
            #expect(seen.count == 2000)
        }
    }
}

extension QueueStoreTests {
    /// A receive drops the messages past the retention period it reads instead of handing them out, and takes the
    /// rest in visibility order, reading on past pages that held nothing but expired messages.
    @Test(arguments: TestEngine.allCases)
    func receivesDropExpiredMessagesAndTakeTheRestInVisibilityOrder(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            let queues = SQLQueueStore(store: store)
            let q = try await Self.makeQueue(queues, "old")
            // 45 messages sent at 0 (expired by 1,000 with a 500 ms retention), then "b" at 900 made visible at 950 and
            // "a" at 800 made visible at 960.
            _ = try await queues.send(queueId: q.queueId, messages: (0..<45).map { Self.message("old\($0)") }, now: 0,
                                      dedupWindowMs: 0)
            _ = try await queues.send(queueId: q.queueId, messages: [Self.message("b", delay: 50)], now: 900, dedupWindowMs: 0)
            _ = try await queues.send(queueId: q.queueId, messages: [Self.message("a", delay: 160)], now: 800, dedupWindowMs: 0)
            let request = ReceiveRequest(queueId: q.queueId, fifo: false, maxMessages: 10, now: 1_000, visibilityMs: 30_000,
                                         retentionMs: 500, redrive: nil)
            let received = try await queues.receive(request, planner: ReceivePlanner(request)).received
            #expect(received.map(\.body) == ["b", "a"])
            #expect(received.map(\.receiveCount) == [1, 1])
            #expect(received.allSatisfy { $0.receipt != nil && $0.firstReceiveAt == 1_000 })
            #expect(try await queues.counts(queueId: q.queueId, now: 1_000) == QueueCounts(visible: 0, inFlight: 2, delayed: 0))
        }
    }
}
