import Foundation
import SQLKit

/// EventBridge archives over SQL: `event_archive` rows and the events each keeps in `archived_event`.
extension SQLEventBusStore {
    /// An `event_archive` row as stored.
    private struct ArchiveColumns: Decodable {
        var accountId: String
        var region: String
        var name: String
        var busName: String
        var eventPattern: String?
        var description: String?
        var retentionDays: Int
        var state: String
        var createdAt: Int64
    }

    static func decodeArchive(_ row: any SQLRow) throws -> EventArchiveRecord {
        let c = try row.decodeColumns(ArchiveColumns.self)
        return EventArchiveRecord(accountId: c.accountId, region: c.region, name: c.name, busName: c.busName,
                                  eventPattern: c.eventPattern, description: c.description, retentionDays: c.retentionDays,
                                  state: c.state, createdAt: c.createdAt)
    }

    public func createArchive(_ a: EventArchiveRecord) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO event_archive (account_id, region, name, arn, bus_name, event_pattern, description, retention_days,
                                           state, created_at)
                VALUES (\(bind: a.accountId), \(bind: a.region), \(bind: a.name), \(bind: a.arn), \(bind: a.busName),
                        \(bind: a.eventPattern), \(bind: a.description), \(bind: a.retentionDays), \(bind: a.state), \(bind: a.createdAt))
                """).run()
        }
    }

    public func archive(accountId: String, region: String, name: String) async throws -> EventArchiveRecord? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM event_archive WHERE account_id = \(bind: accountId) AND region = \(bind: region) AND name = \(bind: name)
                """).first().map(Self.decodeArchive)
        }
    }

    public func archives(accountId: String, region: String, prefix: String, bus: String?, state: String?, after: String?,
                         limit: Int) async throws -> [EventArchiveRecord] {
        let dialect = store.dialect
        return try await store.read { db in
            var sql: SQLQueryString = "SELECT * FROM event_archive WHERE account_id = \(bind: accountId) AND region = \(bind: region)"
            if !prefix.isEmpty { sql = sql + " AND " + dialect.hasPrefix("name", prefix) }
            if let bus { sql = sql + " AND bus_name = \(bind: bus)" }
            if let state { sql = sql + " AND state = \(bind: state)" }
            if let after { sql = sql + " AND name > \(bind: after)" }
            sql = sql + " ORDER BY name LIMIT \(bind: limit)"
            return try await db.raw(sql).all().map(Self.decodeArchive)
        }
    }

    public func updateArchive(_ a: EventArchiveRecord) async throws {
        try await store.write { db in
            try await db.raw("""
                UPDATE event_archive SET event_pattern = \(bind: a.eventPattern), description = \(bind: a.description),
                    retention_days = \(bind: a.retentionDays), state = \(bind: a.state)
                WHERE account_id = \(bind: a.accountId) AND region = \(bind: a.region) AND name = \(bind: a.name)
                """).run()
        }
    }

    public func deleteArchive(accountId: String, region: String, name: String) async throws {
        let arn = "arn:aws:events:\(region):\(accountId):archive/\(name)"
        try await store.write { db in
            try await db.raw("DELETE FROM archived_event WHERE archive_arn = \(bind: arn)").run()
            try await db.raw("""
                DELETE FROM event_archive WHERE account_id = \(bind: accountId) AND region = \(bind: region) AND name = \(bind: name)
                """).run()
        }
    }

    public func archiveContents(arn: String) async throws -> ArchiveContents {
        try await store.read { db in
            let row = try await db.raw("""
                SELECT COUNT(*) AS event_count, CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) AS size_bytes FROM archived_event
                WHERE archive_arn = \(bind: arn)
                """).first()
            return ArchiveContents(eventCount: try row?.decode(column: "event_count", as: Int64.self) ?? 0,
                                   sizeBytes: try row?.decode(column: "size_bytes", as: Int64.self) ?? 0)
        }
    }

    public func archiveEvent(arn: String, eventId: String, eventTime: Int64, origin: Int64, body: String) async throws {
        try await store.autocommit { db in
            try await db.raw("""
                INSERT INTO archived_event (archive_arn, event_id, event_time, origin, body, size_bytes)
                VALUES (\(bind: arn), \(bind: eventId), \(bind: eventTime), \(bind: origin), \(bind: body), \(bind: Int64(body.utf8.count)))
                ON CONFLICT (archive_arn, event_id) DO NOTHING
                """).run()
        }
    }

    public func pruneArchives(now: Int64) async throws -> Int {
        try await store.write(.readCommitted) { db in
            let kept = try await db.raw("SELECT arn, retention_days FROM event_archive WHERE retention_days > 0").all()
            var pruned = 0
            for row in kept {
                let arn = try row.decode(column: "arn", as: String.self)
                let days = try row.decode(column: "retention_days", as: Int64.self)
                let gone = try await db.raw("""
                    DELETE FROM archived_event WHERE archive_arn = \(bind: arn) AND event_time < \(bind: now - days * 86_400_000)
                    RETURNING seq
                    """).all()
                pruned += gone.count
            }
            return pruned
        }
    }
}
