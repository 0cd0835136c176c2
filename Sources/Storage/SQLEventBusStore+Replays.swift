import CairnCore
import Foundation
import SQLKit

/// EventBridge replays over SQL: `event_replay` rows, advanced a batch of archived events per transaction.
extension SQLEventBusStore {
    private struct ReplayColumns: Decodable {
        var accountId: String
        var region: String
        var name: String
        var archiveArn: String
        var destination: String
        var description: String?
        var eventStart: Int64
        var eventEnd: Int64
        var state: String
        var stateReason: String?
        var lastSeq: Int64
        var lastReplayed: Int64?
        var startedAt: Int64
        var endedAt: Int64?
    }

    static func decodeReplay(_ row: any SQLRow) throws -> EventReplayRecord {
        let c = try row.decodeColumns(ReplayColumns.self)
        return EventReplayRecord(accountId: c.accountId, region: c.region, name: c.name, archiveArn: c.archiveArn,
                                 destination: c.destination, description: c.description, eventStart: c.eventStart,
                                 eventEnd: c.eventEnd, state: c.state, stateReason: c.stateReason, lastSeq: c.lastSeq,
                                 lastReplayed: c.lastReplayed, startedAt: c.startedAt, endedAt: c.endedAt)
    }

    static let activeStates: SQLQueryString = "('STARTING', 'RUNNING', 'CANCELLING')"

    public func createReplay(_ r: EventReplayRecord, maxActive: Int) async throws {
        let lock = store.dialect.transactionLock(Self.replayLock)
        try await store.write { db in
            if let lock { try await db.raw(lock).run() }
            let active = try await db.raw("""
                SELECT COUNT(*) AS n FROM event_replay WHERE account_id = \(bind: r.accountId) AND region = \(bind: r.region)
                AND state IN \(Self.activeStates)
                """).first()?.decode(column: "n", as: Int64.self) ?? 0
            guard active < maxActive else { throw StoreError.limit("\(active) replays are running") }
            try await db.raw("""
                INSERT INTO event_replay (account_id, region, name, archive_arn, destination, description, event_start, event_end,
                                          state, state_reason, last_seq, last_replayed, started_at, ended_at)
                VALUES (\(bind: r.accountId), \(bind: r.region), \(bind: r.name), \(bind: r.archiveArn), \(bind: r.destination),
                        \(bind: r.description), \(bind: r.eventStart), \(bind: r.eventEnd), \(bind: r.state), \(bind: r.stateReason),
                        \(bind: r.lastSeq), \(bind: r.lastReplayed), \(bind: r.startedAt), \(bind: r.endedAt))
                """).run()
        }
    }

    /// Serializes counting and starting replays across nodes.
    static let replayLock: Int64 = 0x6361_6972_6e72_706c

    public func replay(accountId: String, region: String, name: String) async throws -> EventReplayRecord? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM event_replay WHERE account_id = \(bind: accountId) AND region = \(bind: region) AND name = \(bind: name)
                """).first().map(Self.decodeReplay)
        }
    }

    public func replays(accountId: String, region: String, prefix: String, state: String?, archiveArn: String?, after: String?,
                        limit: Int) async throws -> [EventReplayRecord] {
        let dialect = store.dialect
        return try await store.read { db in
            var sql: SQLQueryString = "SELECT * FROM event_replay WHERE account_id = \(bind: accountId) AND region = \(bind: region)"
            if !prefix.isEmpty { sql = sql + " AND " + dialect.hasPrefix("name", prefix) }
            if let state { sql = sql + " AND state = \(bind: state)" }
            if let archiveArn { sql = sql + " AND archive_arn = \(bind: archiveArn)" }
            if let after { sql = sql + " AND name > \(bind: after)" }
            return try await db.raw(sql + " ORDER BY name LIMIT \(bind: limit)").all().map(Self.decodeReplay)
        }
    }

    public func cancelReplay(accountId: String, region: String, name: String) async throws -> Bool {
        try await store.autocommit { db in
            let changed = try await db.raw("""
                UPDATE event_replay SET state = 'CANCELLING' WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND name = \(bind: name) AND state IN ('STARTING', 'RUNNING') RETURNING name
                """).all()
            return !changed.isEmpty
        }
    }

    public func advanceReplay(limit: Int,
                              step: @escaping @Sendable (EventReplayRecord, [ArchivedEvent]) async throws -> (EventReplayRecord, [EventDelivery]))
        async throws -> Bool {
        // A read first: an idle node opens no write transaction to learn that no replay runs.
        let active = try await store.read { db in
            try await db.raw("SELECT name FROM event_replay WHERE state IN \(Self.activeStates) LIMIT 1").first() != nil
        }
        guard active else { return false }
        let skipLocked = store.dialect.skipLocked
        return try await store.write(.readCommitted) { db in
            guard let replay = try await db.raw("""
                SELECT * FROM event_replay WHERE state IN \(Self.activeStates) ORDER BY started_at LIMIT 1 \(unsafeRaw: skipLocked)
                """).first().map(Self.decodeReplay) else { return false }
            var sql: SQLQueryString = """
                SELECT origin, event_id, event_time, body FROM archived_event WHERE archive_arn = \(bind: replay.archiveArn)
                AND event_time >= \(bind: replay.eventStart) AND event_time < \(bind: replay.eventEnd)
                """
            if let time = replay.lastReplayed {
                sql = sql + " AND (event_time > \(bind: time) OR (event_time = \(bind: time) AND origin > \(bind: replay.lastSeq)))"
            }
            let events = try await db.raw(sql + " ORDER BY event_time, origin LIMIT \(bind: limit)").all().map { row in
                ArchivedEvent(origin: try row.decode(column: "origin", as: Int64.self),
                              eventId: try row.decode(column: "event_id", as: String.self),
                              eventTime: try row.decode(column: "event_time", as: Int64.self),
                              body: try row.decode(column: "body", as: String.self))
            }
            let (next, deliveries) = try await step(replay, events)
            try await Self.insert(deliveries, db)
            try await db.raw("""
                UPDATE event_replay SET state = \(bind: next.state), state_reason = \(bind: next.stateReason),
                    last_seq = \(bind: next.lastSeq), last_replayed = \(bind: next.lastReplayed), ended_at = \(bind: next.endedAt)
                WHERE account_id = \(bind: replay.accountId) AND region = \(bind: replay.region) AND name = \(bind: replay.name)
                """).run()
            return true
        }
    }
}
