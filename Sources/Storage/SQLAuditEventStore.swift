import CairnCore
import Foundation
import PostgresKit
import SQLKit

/// `AuditEventStore` over SQL.
public struct SQLAuditEventStore: AuditEventStore {
    let store: SQLStore
    /// Rows per INSERT statement (SQLite's bound-parameter limit is 32766).
    static let rowsPerStatement = 500

    public init(store: SQLStore) { self.store = store }

    /// The `audit_event` columns a lookup selects. Read by name rather than through `Decodable`: these are the most
    /// read rows of all (every LookupEvents, download and tail), and the Decodable path's key mapping and containers
    /// were half of a download's CPU.
    private struct LookupColumns {
        var seq: Int64
        var eventId: String
        var eventTime: Int64
        var eventName: String
        var eventSource: String
        var readOnly: Int
        var username: String?
        var accessKeyId: String?
        var record: String
        /// The event's resources as a JSON array of `[type, name]` pairs (NULL or `[]` when it has none).
        var resources: String?

        init(_ row: some SQLRow) throws {
            seq = try row.decode(column: "seq", as: Int64.self)
            eventId = try row.decode(column: "event_id", as: String.self)
            eventTime = try row.decode(column: "event_time", as: Int64.self)
            eventName = try row.decode(column: "event_name", as: String.self)
            eventSource = try row.decode(column: "event_source", as: String.self)
            readOnly = try row.decode(column: "read_only", as: Int.self)
            username = try row.decode(column: "username", as: String?.self)
            accessKeyId = try row.decode(column: "access_key_id", as: String?.self)
            record = try row.decode(column: "record", as: String.self)
            resources = try row.decode(column: "resources", as: String?.self)
        }

        /// The same columns by position, in the order the lookup selects them (PostgreSQL's fast path).
        init(_ row: PostgresRow) throws {
            (seq, eventId, eventTime, eventName, eventSource, readOnly, username, accessKeyId, record, resources) =
                try row.decode((Int64, String, Int64, String, String, Int, String?, String?, String, String?).self)
        }

        /// `resources` read: the pairs the engine's JSON aggregate wrote.
        func resourcePairs() throws -> [(type: String, name: String)] {
            guard let resources, resources != "[]" else { return [] }
            guard case .array(let pairs) = try JSONValue.parse(resources) else {
                throw Unreadable(description: "event \(eventId): its resources are not a JSON array")
            }
            return try pairs.map {
                guard case .array(let pair) = $0, pair.count == 2, case .string(let type) = pair[0],
                      case .string(let name) = pair[1] else {
                    throw Unreadable(description: "event \(eventId): a resource is not a [type, name] pair")
                }
                return (type, name)
            }
        }
    }

    /// A stored value that is not what the store wrote (the database was changed by hand).
    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    /// The `audit_event` columns pruning walks.
    private struct PruneColumns: Decodable {
        var seq: Int64
        var eventTime: Int64
    }

    /// A `MAX(seq) AS seq` result.
    private struct SeqColumns: Decodable {
        var seq: Int64?
    }

    /// A `COUNT(*) AS n` result.
    private struct CountColumns: Decodable {
        var n: Int
    }

    public func append(_ events: [StoredAuditEvent], deliveries: [EventDelivery]) async throws {
        guard !events.isEmpty else { return }
        if store.engine == .postgres, let statement = Self.postgresAppend(events, deliveries) {
            try await store.autocommit { db in try await db.raw(statement).run() }
            return
        }
        let seqLock = store.dialect.transactionLock(SQLStore.lockKey("audit-event-seq"))
        try await store.write { db in
            // Nodes sharing a database commit records one at a time, so sequence order is commit order: a trail
            // writer that has read through seq N never sees a record below N commit later (and skip it).
            if let seqLock { try await db.raw(seqLock).run() }
            try await SQLEventBusStore.insert(deliveries, db)
            for chunk in stride(from: 0, to: events.count, by: Self.rowsPerStatement) {
                let slice = events[chunk..<min(chunk + Self.rowsPerStatement, events.count)]
                var insert = db.insert(into: "audit_event").columns(
                    "event_id", "account_id", "region", "event_time", "event_name", "event_source", "read_only",
                    "username", "access_key_id", "management", "record", "error_code")
                var resourceRows: [[any Encodable & Sendable]] = []
                for e in slice {
                    insert = insert.values([
                        e.eventId, e.accountId, e.region, e.eventTime, e.eventName, e.eventSource, e.readOnly ? 1 : 0,
                        e.username, e.accessKeyId, e.management ? 1 : 0, e.record, e.errorCode,
                    ] as [any Encodable & Sendable])
                    if e.management {
                        for r in e.resources {
                            resourceRows.append([e.eventId, e.accountId, e.region, e.eventTime, r.type, r.name])
                        }
                    }
                }
                try await insert.run()
                if !resourceRows.isEmpty {
                    var resources = db.insert(into: "audit_resource").columns(
                        "event_id", "account_id", "region", "event_time", "resource_type", "resource_name")
                    for row in resourceRows { resources = resources.values(row) }
                    try await resources.run()
                }
            }
        }
    }

    /// Bound values one PostgreSQL statement may carry (the protocol counts them in 16 bits).
    static let postgresBindLimit = 65_535

    /// PostgreSQL: the whole append as one statement, which commits as it ends (one round trip, where a transaction
    /// took up to six: BEGIN, the lock, the outbox, record and resource inserts, COMMIT, each waiting for the one
    /// before while the node's next records queued behind them). The `audit-event-seq` lock is taken before any
    /// `audit_event` row is formed, so before a `seq` is drawn for it: the rows come from a join with the lock's
    /// one-row result. Nil when the values would not fit in one statement.
    static func postgresAppend(_ events: [StoredAuditEvent], _ deliveries: [EventDelivery]) -> SQLQueryString? {
        let resources = events.filter(\.management).flatMap { e in e.resources.map { (e, $0) } }
        guard 1 + 12 * events.count + 10 * deliveries.count + 6 * resources.count <= postgresBindLimit else { return nil }
        /// `(a, b, …), (c, d, …)`, every value bound.
        func rows<Row>(_ rows: [Row], _ values: (Row) -> [any Encodable & Sendable]) -> SQLQueryString {
            "\(SQLList(rows.map { SQLGroupExpression(SQLList(values($0).map { SQLBind($0) })) }))"
        }
        var sql: SQLQueryString = "WITH seq_lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(\(bind: SQLStore.lockKey("audit-event-seq"))))"
        if !deliveries.isEmpty {
            sql = sql + ", delivery AS (INSERT INTO event_delivery (account_id, region, rule_arn, target_id, target, payload, "
                + "event_id, event_time, attempts, next_attempt_at) VALUES " + rows(deliveries) { d in
                    [d.accountId, d.region, d.ruleArn, d.targetId, d.target, d.payload, d.eventId, d.eventTime, d.attempts,
                     d.nextAttemptAt]
                } + ")"
        }
        if !resources.isEmpty {
            sql = sql + ", resource AS (INSERT INTO audit_resource (event_id, account_id, region, event_time, resource_type, "
                + "resource_name) VALUES " + rows(resources) { e, r in [e.eventId, e.accountId, e.region, e.eventTime, r.type, r.name] }
                + ")"
        }
        return sql + " INSERT INTO audit_event (event_id, account_id, region, event_time, event_name, event_source, read_only, "
            + "username, access_key_id, management, record, error_code) SELECT v.* FROM seq_lock, (VALUES " + rows(events) { e in
                [e.eventId, e.accountId, e.region, e.eventTime, e.eventName, e.eventSource, e.readOnly ? 1 : 0, e.username,
                 e.accessKeyId, e.management ? 1 : 0, e.record, e.errorCode]
            } + ") AS v"
    }

    public func lookup(_ q: AuditLookupQuery) async throws -> [AuditLookupRow] {
        try await store.read { db in
            var sql: SQLQueryString
            // An event's resources come in the same row, aggregated by the engine: one statement per lookup.
            let columns: SQLQueryString = "SELECT e.seq AS seq, e.event_id AS event_id, e.event_time AS event_time, e.event_name AS event_name, e.event_source AS event_source, e.read_only AS read_only, e.username AS username, e.access_key_id AS access_key_id, e.record AS record, (SELECT \(unsafeRaw: store.dialect.jsonPairs("x.resource_type", "x.resource_name")) FROM audit_resource x WHERE x.event_id = e.event_id) AS resources"
            if let since = q.sinceSeq {
                // A tail walks the primary key from where it was: only records committed since are read.
                sql = columns + " FROM audit_event e WHERE e.seq > \(bind: since) AND e.account_id = \(bind: q.accountId) AND e.region = \(bind: q.region) AND e.management = 1"
                for attribute in [q.attribute].compactMap({ $0 }) + q.filters { sql = sql + " AND " + Self.predicate(attribute) }
                sql = sql + " ORDER BY e.seq LIMIT \(bind: q.limit)"
                return try await Self.rows(sql, db)
            }
            switch q.attribute {
            case .resourceType(let v), .resourceName(let v):
                let column = if case .resourceType = q.attribute { "resource_type" } else { "resource_name" }
                sql = columns + """
                     FROM audit_resource r
                    JOIN audit_event e ON e.event_id = r.event_id
                    WHERE r.account_id = \(bind: q.accountId) AND r.region = \(bind: q.region)
                    AND r.\(unsafeRaw: column) = \(bind: v) AND e.management = 1
                    """
                if let s = q.startTime { sql = sql + " AND r.event_time >= \(bind: s)" }
                if let e = q.endTime { sql = sql + " AND r.event_time <= \(bind: e)" }
            default:
                sql = columns + """
                     FROM audit_event e
                    WHERE e.account_id = \(bind: q.accountId) AND e.region = \(bind: q.region) AND e.management = 1
                    """
                if let attribute = q.attribute { sql = sql + " AND " + Self.predicate(attribute) }
                if let s = q.startTime { sql = sql + " AND e.event_time >= \(bind: s)" }
                if let e = q.endTime { sql = sql + " AND e.event_time <= \(bind: e)" }
            }
            for filter in q.filters { sql = sql + " AND " + Self.predicate(filter) }
            // Resource lookups order by the resource index's own time column, so only ties need sorting.
            let time = switch q.attribute {
            case .resourceType, .resourceName: "r.event_time"
            default: "e.event_time"
            }
            if let c = q.after {
                // The plain upper bound lets the index start at the cursor; without it the engines walk down from the
                // newest event past every page already read (a download's 100th page read 100 pages).
                sql = sql + " AND \(unsafeRaw: time) <= \(bind: c.eventTime) AND (\(unsafeRaw: time) < \(bind: c.eventTime) OR e.seq < \(bind: c.seq))"
            }
            sql = sql + " ORDER BY \(unsafeRaw: time) DESC, e.seq DESC LIMIT \(bind: q.limit)"
            return try await Self.rows(sql, db)
        }
    }

    /// The events a lookup's query selects, with their resources.
    static func rows(_ sql: SQLQueryString, _ db: any SQLDatabase) async throws -> [AuditLookupRow] {
        let events = try await db.rows(sql, byPosition: { try LookupColumns($0) }, byName: { try LookupColumns($0) })
        return try events.map { c in
            AuditLookupRow(
                cursor: AuditCursor(eventTime: c.eventTime, seq: c.seq), eventId: c.eventId,
                eventName: c.eventName, eventSource: c.eventSource, readOnly: c.readOnly != 0,
                username: c.username, accessKeyId: c.accessKeyId, record: c.record, resources: try c.resourcePairs())
        }
    }

    private struct MinuteColumns: Decodable {
        var minute: Int64
        var eventSource: String
        var calls: Int
        var errors: Int
        var denials: Int
    }

    private struct TopColumns: Decodable {
        var name: String?
        var n: Int
    }

    public func summary(accountId: String, region: String, since: Int64, top: Int) async throws -> AuditSummary {
        try await store.read { db in
            let scope: SQLQueryString = " FROM audit_event WHERE account_id = \(bind: accountId) AND region = \(bind: region) AND management = 1 AND event_time >= \(bind: since)"
            let denials = SQLList(denialErrorCodes.map { SQLBind($0) })
            let minutes = try await db.raw("""
                SELECT event_time / 60000 AS minute, event_source, COUNT(*) AS calls,
                SUM(CASE WHEN error_code IS NULL THEN 0 ELSE 1 END) AS errors,
                SUM(CASE WHEN error_code IN (\(denials)) THEN 1 ELSE 0 END) AS denials
                """ + scope + " GROUP BY event_time / 60000, event_source ORDER BY minute, event_source").all().map {
                let c = try $0.decodeColumns(MinuteColumns.self)
                return AuditSummary.Minute(minute: c.minute, eventSource: c.eventSource, calls: c.calls, errors: c.errors,
                                           denials: c.denials)
            }
            func mostFrequent(_ column: String) async throws -> [(name: String, count: Int)] {
                try await db.raw("SELECT \(unsafeRaw: column) AS name, COUNT(*) AS n " + scope
                                 + " GROUP BY \(unsafeRaw: column) ORDER BY n DESC, name LIMIT \(bind: top)").all().compactMap {
                    let c = try $0.decodeColumns(TopColumns.self)
                    return c.name.map { ($0, c.n) }
                }
            }
            return AuditSummary(minutes: minutes, topEventNames: try await mostFrequent("event_name"),
                                topUsers: try await mostFrequent("username"))
        }
    }

    public func latestSeq() async throws -> Int64 {
        try await store.read { db in
            try await db.raw("SELECT MAX(seq) AS seq FROM audit_event").first()?.decodeColumns(SeqColumns.self).seq ?? 0
        }
    }

    /// The condition on `audit_event e` that an event has this attribute.
    static func predicate(_ attribute: AuditLookupAttribute) -> SQLQueryString {
        switch attribute {
        case .eventId(let v): "e.event_id = \(bind: v)"
        case .eventName(let v): "e.event_name = \(bind: v)"
        case .readOnly(let v): "e.read_only = \(bind: v ? 1 : 0)"
        case .username(let v): "e.username = \(bind: v)"
        case .eventSource(let v): "e.event_source = \(bind: v)"
        case .accessKeyId(let v): "e.access_key_id = \(bind: v)"
        case .resourceType(let v):
            "EXISTS (SELECT 1 FROM audit_resource f WHERE f.event_id = e.event_id AND f.resource_type = \(bind: v))"
        case .resourceName(let v):
            "EXISTS (SELECT 1 FROM audit_resource f WHERE f.event_id = e.event_id AND f.resource_name = \(bind: v))"
        }
    }

    public func prune(olderThan cutoff: Int64, batch: Int) async throws -> Int {
        try await store.write { db in
            // Records arrive in time order, so the oldest are the lowest seqs: walk the primary key, no time index.
            let rows = try await db.raw("""
                SELECT seq, event_id, event_time FROM audit_event ORDER BY seq LIMIT \(bind: batch)
                """).all()
            var lastSeq: Int64?
            for row in rows {
                let c = try row.decodeColumns(PruneColumns.self)
                guard c.eventTime < cutoff else { break }
                lastSeq = c.seq
            }
            guard let lastSeq else { return 0 }
            try await db.raw("""
                DELETE FROM audit_resource WHERE event_id IN (SELECT event_id FROM audit_event WHERE seq <= \(bind: lastSeq))
                """).run()
            let deleted = try await db.raw("DELETE FROM audit_event WHERE seq <= \(bind: lastSeq) RETURNING seq").all()
            return deleted.count
        }
    }

    public func count() async throws -> Int {
        try await store.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM audit_event").first()?.decodeColumns(CountColumns.self).n ?? 0
        }
    }
}
