import Foundation
import SQLKit

/// `QueueStore` over SQL.
public struct SQLQueueStore: QueueStore {
    let store: SQLStore

    public init(store: SQLStore) { self.store = store }

    /// An `sqs_queue` row as stored: `fifo` as 0/1, attributes and tags as JSON text.
    private struct QueueColumns: Decodable {
        var queueId: Int64
        var accountId: String
        var region: String
        var name: String
        var fifo: Int
        var attributes: String
        var tags: String
        var createdAt: Int64
        var modifiedAt: Int64
        var purgedAt: Int64?
    }

    /// A new queue's id (`RETURNING queue_id`).
    private struct QueueIdColumns: Decodable {
        var queueId: Int64
    }

    /// A tombstone's deletion time.
    private struct TombstoneColumns: Decodable {
        var deletedAt: Int64
    }

    /// An `sqs_dedup` entry: the message a deduplication id already sent.
    private struct DedupColumns: Decodable {
        var messageId: String
        var seq: Int64
    }

    /// A message group id.
    private struct GroupColumns: Decodable {
        var groupId: String
    }

    /// A message's current receipt handle, if it is in flight.
    private struct ReceiptColumns: Decodable {
        var receipt: String?
    }

    /// The three message counts of a queue.
    private struct CountColumns: Decodable {
        var visible: Int
        var inflight: Int
        var delayed: Int
    }

    /// The earliest future visibility time (`MIN(visible_at) AS t`), NULL when nothing is pending.
    private struct NextVisibleColumns: Decodable {
        var t: Int64?
    }

    static func decodeQueue(_ row: any SQLRow) throws -> QueueRecord {
        let c = try row.decodeColumns(QueueColumns.self)
        return QueueRecord(
            queueId: c.queueId, accountId: c.accountId, region: c.region, name: c.name, fifo: c.fifo != 0,
            attributes: StringMapColumn.decode(c.attributes), tags: StringMapColumn.decode(c.tags),
            createdAt: c.createdAt, modifiedAt: c.modifiedAt, purgedAt: c.purgedAt)
    }

    public func createQueue(_ q: QueueRecord) async throws -> QueueRecord {
        try await store.write { db in
            let row = try await db.raw("""
                INSERT INTO sqs_queue (account_id, region, name, fifo, attributes, tags, created_at, modified_at)
                VALUES (\(bind: q.accountId), \(bind: q.region), \(bind: q.name), \(bind: q.fifo ? 1 : 0),
                        \(bind: StringMapColumn.encode(q.attributes)), \(bind: StringMapColumn.encode(q.tags)), \(bind: q.createdAt), \(bind: q.modifiedAt))
                RETURNING queue_id
                """).first()
            var created = q
            created.queueId = try row?.decodeColumns(QueueIdColumns.self).queueId ?? 0
            return created
        }
    }

    public func queue(accountId: String, region: String, name: String) async throws -> QueueRecord? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM sqs_queue WHERE account_id = \(bind: accountId) AND region = \(bind: region) AND name = \(bind: name)
                """).first().map(Self.decodeQueue)
        }
    }

    public func queue(id: Int64) async throws -> QueueRecord? {
        try await store.read { db in
            try await db.raw("SELECT * FROM sqs_queue WHERE queue_id = \(bind: id)").first().map(Self.decodeQueue)
        }
    }

    public func queues(accountId: String, region: String, prefix: String, after: String?, limit: Int) async throws -> [QueueRecord] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM sqs_queue WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND \(store.dialect.hasPrefix("name", prefix)) AND name > \(bind: after ?? "")
                ORDER BY name LIMIT \(bind: limit)
                """).all().map(Self.decodeQueue)
        }
    }

    public func allQueues() async throws -> [QueueRecord] {
        try await store.read { db in try await db.raw("SELECT * FROM sqs_queue").all().map(Self.decodeQueue) }
    }

    public func deleteQueue(_ q: QueueRecord, at: Int64) async throws {
        try await store.write { db in
            try await db.raw("DELETE FROM sqs_message WHERE queue_id = \(bind: q.queueId)").run()
            try await db.raw("DELETE FROM sqs_dedup WHERE queue_id = \(bind: q.queueId)").run()
            try await db.raw("DELETE FROM sqs_queue WHERE queue_id = \(bind: q.queueId)").run()
            try await db.raw("""
                INSERT INTO sqs_queue_tombstone (account_id, region, name, deleted_at)
                VALUES (\(bind: q.accountId), \(bind: q.region), \(bind: q.name), \(bind: at))
                ON CONFLICT (account_id, region, name) DO UPDATE SET deleted_at = excluded.deleted_at
                """).run()
        }
    }

    public func deletedAt(accountId: String, region: String, name: String) async throws -> Int64? {
        try await store.read { db in
            try await db.raw("""
                SELECT deleted_at FROM sqs_queue_tombstone WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND name = \(bind: name)
                """).first()?.decodeColumns(TombstoneColumns.self).deletedAt
        }
    }

    public func updateQueue(id: Int64, attributes: [String: String], tags: [String: String], modifiedAt: Int64) async throws {
        try await store.write { db in
            try await db.raw("""
                UPDATE sqs_queue SET attributes = \(bind: StringMapColumn.encode(attributes)), tags = \(bind: StringMapColumn.encode(tags)),
                modified_at = \(bind: modifiedAt) WHERE queue_id = \(bind: id)
                """).run()
        }
    }

    public func purge(id: Int64, at: Int64) async throws {
        try await store.write { db in
            try await db.raw("DELETE FROM sqs_message WHERE queue_id = \(bind: id)").run()
            try await db.raw("UPDATE sqs_queue SET purged_at = \(bind: at) WHERE queue_id = \(bind: id)").run()
        }
    }

    /// Messages without deduplication ids in one statement; their sequence numbers, in no particular order.
    private static func insert(_ messages: [NewQueueMessage], queueId: Int64, now: Int64, _ db: any SQLDatabase) async throws -> [Int64] {
        var insert = db.insert(into: "sqs_message").columns(
            "queue_id", "message_id", "body", "message_attributes", "system_attributes", "md5_body", "md5_attributes",
            "sender_id", "sent_at", "visible_at", "receive_count", "group_id", "dedup_id")
        for m in messages {
            insert = insert.values([queueId, m.messageId, m.body, m.messageAttributes, m.systemAttributes, m.md5Body,
                                    m.md5Attributes, m.senderId, now, now + m.delayMs, 0, m.groupId, m.dedupId]
                                   as [any Encodable & Sendable])
        }
        return try await insert.returning("seq").all().map { try $0.decode(column: "seq", as: Int64.self) }
    }

    public func sendWrite(queueId: Int64, messages: [NewQueueMessage], now: Int64) -> StoreWrite {
        StoreWrite { db in
            if !messages.isEmpty { _ = try await Self.insert(messages, queueId: queueId, now: now, db) }
        }
    }

    public func send(queueId: Int64, messages: [NewQueueMessage], now: Int64, dedupWindowMs: Int64) async throws -> [SentMessage] {
        guard !messages.isEmpty else { return [] }
        if messages.allSatisfy({ $0.dedupId == nil }) {
            // Without deduplication ids (standard queues) the whole batch is one INSERT, which reads nothing: it commits
            // on its own, beside other nodes' and this node's sends (a serializable write waited for this node's others).
            return try await store.autocommit { db in
                let seqs = try await Self.insert(messages, queueId: queueId, now: now, db).sorted()
                return zip(messages, seqs).map { SentMessage(seq: $1, messageId: $0.messageId, duplicate: false) }
            }
        }
        return try await store.write { db in
            var out: [SentMessage] = []
            for m in messages {
                if let dedup = m.dedupId {
                    if let row = try await db.raw("""
                        SELECT message_id, seq FROM sqs_dedup WHERE queue_id = \(bind: queueId) AND dedup_id = \(bind: dedup)
                        AND expires_at > \(bind: now)
                        """).first() {
                        let c = try row.decodeColumns(DedupColumns.self)
                        out.append(SentMessage(seq: c.seq, messageId: c.messageId, duplicate: true))
                        continue
                    }
                }
                let row = try await db.raw("""
                    INSERT INTO sqs_message (queue_id, message_id, body, message_attributes, system_attributes, md5_body,
                        md5_attributes, sender_id, sent_at, visible_at, receive_count, group_id, dedup_id)
                    VALUES (\(bind: queueId), \(bind: m.messageId), \(bind: m.body), \(bind: m.messageAttributes),
                        \(bind: m.systemAttributes), \(bind: m.md5Body), \(bind: m.md5Attributes), \(bind: m.senderId),
                        \(bind: now), \(bind: now + m.delayMs), 0, \(bind: m.groupId), \(bind: m.dedupId))
                    RETURNING seq
                    """).first()
                let seq = try row?.decode(column: "seq", as: Int64.self) ?? 0
                if let dedup = m.dedupId {
                    try await db.raw("""
                        INSERT INTO sqs_dedup (queue_id, dedup_id, message_id, seq, expires_at)
                        VALUES (\(bind: queueId), \(bind: dedup), \(bind: m.messageId), \(bind: seq), \(bind: now + dedupWindowMs))
                        ON CONFLICT (queue_id, dedup_id) DO UPDATE SET message_id = excluded.message_id, seq = excluded.seq,
                        expires_at = excluded.expires_at
                        """).run()
                }
                out.append(SentMessage(seq: seq, messageId: m.messageId, duplicate: false))
            }
            return out
        }
    }

    /// An `sqs_message` row, read column by column: a receive decodes every message it reads, and through a keyed
    /// `Decodable` row struct that was a fifth of a receive's CPU.
    static func decodeMessage(_ row: any SQLRow) throws -> QueueMessage {
        QueueMessage(
            seq: try row.decode(column: "seq", as: Int64.self), messageId: try row.decode(column: "message_id", as: String.self),
            body: try row.decode(column: "body", as: String.self),
            messageAttributes: try row.decodeOptional(column: "message_attributes", as: String.self),
            systemAttributes: try row.decodeOptional(column: "system_attributes", as: String.self),
            md5Body: try row.decode(column: "md5_body", as: String.self),
            md5Attributes: try row.decodeOptional(column: "md5_attributes", as: String.self),
            senderId: try row.decode(column: "sender_id", as: String.self), sentAt: try row.decode(column: "sent_at", as: Int64.self),
            receiveCount: try row.decode(column: "receive_count", as: Int.self),
            firstReceiveAt: try row.decodeOptional(column: "first_receive_at", as: Int64.self),
            receipt: try row.decodeOptional(column: "receipt", as: String.self),
            groupId: try row.decodeOptional(column: "group_id", as: String.self),
            dedupId: try row.decodeOptional(column: "dedup_id", as: String.self))
    }

    public func receive(_ r: ReceiveRequest, planner: some ReceivePlanning) async throws -> (received: [QueueMessage], redriven: Int) {
        if store.engine == .postgres, !r.fifo, r.redrive == nil, let received = try await Self.receiveInOneStatement(r, store) {
            return (received, 0)
        }
        let dialect = store.dialect
        // Read committed, each page's rows locked as they are read and rows another node is taking skipped: two
        // receivers never take one message. A FIFO queue's receives take the queue's lock first, so each sees the
        // groups the one before put in flight, and groups stay in order across nodes.
        return try await store.write(.claim) { db in
            if r.fifo, let lock = dialect.transactionLock(SQLStore.lockKey("sqs-fifo:\(r.queueId)")) {
                try await db.raw(lock).run()
            }
            var planner = planner
            var received: [QueueMessage] = []
            var redriven = 0
            let receipt = Self.newReceipt()
            // Read from the low end of the visibility index, a page at a time, until the planner is done. In a
            // standard queue every message read changes state (taken, dropped or redriven), so the next page starts
            // fresh; FIFO queues skip blocked groups and so page by sequence.
            var lastSeq = Int64.min
            while !planner.isDone {
                let cursor: SQLQueryString = r.fifo ? "AND seq > \(bind: lastSeq) ORDER BY seq" : "ORDER BY visible_at, seq"
                let page = try await db.raw("""
                    SELECT * FROM sqs_message WHERE queue_id = \(bind: r.queueId) AND visible_at <= \(bind: r.now)
                    \(cursor) LIMIT \(bind: Self.pageSize(r)) \(unsafeRaw: dialect.skipLocked)
                    """).all().map(Self.decodeMessage)
                guard let last = page.last else { break }
                lastSeq = last.seq
                var inFlight = Set<String>()
                let groups = Set(page.compactMap(\.groupId))
                if r.fifo, !groups.isEmpty {
                    // A group with a message in flight hands out nothing until that message is done.
                    inFlight = Set(try await db.raw("""
                        SELECT DISTINCT group_id FROM sqs_message WHERE queue_id = \(bind: r.queueId)
                        AND group_id IN (\(SQLList(groups.map { SQLBind($0) }))) AND visible_at > \(bind: r.now) AND receive_count > 0
                        """).all().map { try $0.decodeColumns(GroupColumns.self).groupId })
                }
                var taken: [Int64] = []
                for step in planner.plan(page: page, groupsInFlight: inFlight) {
                    switch step {
                    case .take(let seq):
                        taken.append(seq)
                    case .drop(let seq):
                        try await db.raw("DELETE FROM sqs_message WHERE seq = \(bind: seq)").run()
                    case .redrive(let seq, let queueId, let systemAttributes):
                        try await db.raw("""
                            UPDATE sqs_message SET queue_id = \(bind: queueId), visible_at = \(bind: r.now),
                            receipt = NULL, system_attributes = \(bind: systemAttributes) WHERE seq = \(bind: seq)
                            """).run()
                        redriven += 1
                    }
                }
                guard !taken.isEmpty else { continue }
                // Taken messages are invisible before the next page is read, so a page never returns them again.
                try await db.raw("""
                    UPDATE sqs_message SET visible_at = \(bind: r.now + r.visibilityMs), receive_count = receive_count + 1,
                    first_receive_at = COALESCE(first_receive_at, \(bind: r.now)), receipt = \(bind: receipt)
                    WHERE seq IN (\(SQLList(taken.map { SQLBind($0) })))
                    """).run()
                let bySeq = Dictionary(uniqueKeysWithValues: page.map { ($0.seq, $0) })
                for seq in taken {
                    // One receipt per receive call: handles still differ, as each carries the message's seq.
                    guard var m = bySeq[seq] else { continue }
                    m.receiveCount += 1
                    m.firstReceiveAt = m.firstReceiveAt ?? r.now
                    m.receipt = receipt
                    received.append(m)
                }
            }
            return (received, redriven)
        }
    }

    /// Rows a receive reads at a time.
    static func pageSize(_ r: ReceiveRequest) -> Int { max(16, r.maxMessages * 2) }

    /// PostgreSQL, a standard queue without a redrive policy: the receive as one statement that commits on its own
    /// (one round trip where the transaction takes four), with `ReceivePlanner`'s rules for such a queue: of the
    /// first page of visible messages (locked as read, others' skipped), those past the retention period are
    /// dropped and the rest taken, up to the maximum, in visibility order. Nil when the page held only messages past
    /// retention and may not have been the last: the general receive then reads on.
    static func receiveInOneStatement(_ r: ReceiveRequest, _ store: SQLStore) async throws -> [QueueMessage]? {
        let rows = try await store.autocommit(claim: true) { db in
            try await db.raw("""
                WITH page AS (
                    SELECT seq, visible_at AS was_visible, sent_at < \(bind: r.now - r.retentionMs) AS expired FROM sqs_message
                    WHERE queue_id = \(bind: r.queueId) AND visible_at <= \(bind: r.now)
                    ORDER BY visible_at, seq LIMIT \(bind: Self.pageSize(r)) FOR UPDATE SKIP LOCKED),
                dropped AS (DELETE FROM sqs_message WHERE seq IN (SELECT seq FROM page WHERE expired)),
                taken AS (
                    UPDATE sqs_message SET visible_at = \(bind: r.now + r.visibilityMs), receive_count = receive_count + 1,
                    first_receive_at = COALESCE(first_receive_at, \(bind: r.now)), receipt = \(bind: Self.newReceipt())
                    FROM (SELECT seq AS taken_seq, was_visible FROM page WHERE NOT expired ORDER BY was_visible, seq
                          LIMIT \(bind: r.maxMessages)) AS chosen
                    WHERE seq = chosen.taken_seq RETURNING sqs_message.*, chosen.was_visible)
                SELECT (SELECT COUNT(*) FROM page) AS paged, taken.* FROM (SELECT 1) AS one LEFT JOIN taken ON true
                """).all()
        }
        var taken: [(Int64, QueueMessage)] = []
        for row in rows where try row.decodeNil(column: "seq") == false {
            taken.append((try row.decode(column: "was_visible", as: Int64.self), try Self.decodeMessage(row)))
        }
        if taken.isEmpty, try rows.first?.decode(column: "paged", as: Int.self) == Self.pageSize(r) { return nil }
        return taken.sorted { ($0.0, $0.1.seq) < ($1.0, $1.1.seq) }.map(\.1)
    }

    static func newReceipt() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(rng.next(), radix: 36) }.joined()
    }

    public func deleteMessages(queueId: Int64, _ receipts: [MessageReceipt]) async throws {
        guard !receipts.isEmpty else { return }
        // One statement: each receipt is checked where its row is deleted, so a receive on another node that gave
        // the message a new receipt in between keeps it. A message already gone answers success, as in AWS.
        let named = SQLList(receipts.map { r -> SQLQueryString in "(seq = \(bind: r.seq) AND receipt = \(bind: r.receipt))" },
                            separator: SQLRaw(" OR "))
        try await store.autocommit { db in
            try await db.raw("DELETE FROM sqs_message WHERE queue_id = \(bind: queueId) AND (\(named))").run()
        }
    }

    public func changeVisibility(queueId: Int64, _ changes: [(message: MessageReceipt, visibleAt: Int64)], now: Int64) async throws
        -> [VisibilityChange] {
        guard !changes.isEmpty else { return [] }
        return try await store.write(.readCommitted) { db in
            var outcomes: [VisibilityChange] = []
            for (m, visibleAt) in changes {
                // The change and its conditions in one statement; when it changes nothing, a read says why.
                if try await db.raw("""
                    UPDATE sqs_message SET visible_at = \(bind: visibleAt)
                    WHERE queue_id = \(bind: queueId) AND seq = \(bind: m.seq) AND receipt = \(bind: m.receipt) AND visible_at > \(bind: now)
                    RETURNING seq
                    """).first() != nil {
                    outcomes.append(.changed)
                    continue
                }
                let row = try await db.raw("SELECT receipt FROM sqs_message WHERE queue_id = \(bind: queueId) AND seq = \(bind: m.seq)").first()
                outcomes.append(try row?.decodeColumns(ReceiptColumns.self).receipt == m.receipt ? .notInFlight : .unknownReceipt)
            }
            return outcomes
        }
    }

    public func counts(queueId: Int64, now: Int64) async throws -> QueueCounts {
        try await store.read { db in
            let row = try await db.raw(Self.countsQuery(queueId: queueId, now: now)).first()
            let c = try row?.decodeColumns(CountColumns.self)
            return QueueCounts(visible: c?.visible ?? 0, inFlight: c?.inflight ?? 0, delayed: c?.delayed ?? 0)
        }
    }

    /// Reads only `sqs_message_by_visibility`, which holds every column it asks about.
    static func countsQuery(queueId: Int64, now: Int64) -> SQLQueryString {
        """
        SELECT
          (SELECT COUNT(*) FROM sqs_message WHERE queue_id = \(bind: queueId) AND visible_at <= \(bind: now)) AS visible,
          (SELECT COUNT(*) FROM sqs_message WHERE queue_id = \(bind: queueId) AND visible_at > \(bind: now) AND receive_count > 0) AS inflight,
          (SELECT COUNT(*) FROM sqs_message WHERE queue_id = \(bind: queueId) AND visible_at > \(bind: now) AND receive_count = 0) AS delayed
        """
    }

    public func nextVisibleAt(queueId: Int64, now: Int64) async throws -> Int64? {
        try await store.read { db in
            try await db.raw("""
                SELECT MIN(visible_at) AS t FROM sqs_message WHERE queue_id = \(bind: queueId) AND visible_at > \(bind: now)
                """).first()?.decodeColumns(NextVisibleColumns.self).t
        }
    }

    public func dropExpired(queueId: Int64, before: Int64) async throws -> Int {
        try await store.write { db in
            try await db.raw("DELETE FROM sqs_message WHERE queue_id = \(bind: queueId) AND sent_at < \(bind: before) RETURNING seq")
                .all().count
        }
    }
}
