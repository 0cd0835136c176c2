import Foundation
import SQLKit

/// `ScheduleStore` over SQL: `schedule_group` and `schedule` rows, and the `schedule_firing` outbox (its leases in
/// `SQLScheduleStore+Firings.swift`).
public struct SQLScheduleStore: ScheduleStore {
    let store: SQLStore

    public init(store: SQLStore) {
        self.store = store
    }

    /// A `schedule_group` row as stored: tags as JSON text.
    private struct GroupColumns: Decodable {
        var accountId: String
        var region: String
        var name: String
        var arn: String
        var tags: String
        var createdAt: Int64
        var updatedAt: Int64
    }

    /// A `schedule` row as stored.
    private struct ScheduleColumns: Decodable {
        var accountId: String
        var region: String
        var groupName: String
        var name: String
        var arn: String
        var state: String
        var definition: String
        var createdAt: Int64
        var updatedAt: Int64
        var nextFireAt: Int64?
    }

    /// A `MIN(...) AS t` result, NULL when the table is empty.
    struct EarliestColumns: Decodable {
        var t: Int64?
    }

    static func decodeGroup(_ row: any SQLRow) throws -> ScheduleGroupRecord {
        let c = try row.decodeColumns(GroupColumns.self)
        return ScheduleGroupRecord(accountId: c.accountId, region: c.region, name: c.name, arn: c.arn, createdAt: c.createdAt,
                                   updatedAt: c.updatedAt, tags: StringMapColumn.decode(c.tags))
    }

    static func decodeSchedule(_ row: any SQLRow) throws -> ScheduleRecord {
        let c = try row.decodeColumns(ScheduleColumns.self)
        return ScheduleRecord(accountId: c.accountId, region: c.region, groupName: c.groupName, name: c.name, arn: c.arn,
                              state: c.state, definition: c.definition, createdAt: c.createdAt, updatedAt: c.updatedAt,
                              nextFireAt: c.nextFireAt)
    }

    // MARK: Groups

    public func ensureGroup(_ g: ScheduleGroupRecord) async throws {
        try await store.write { db in
            try await db.raw(Self.insertGroup(g) + " ON CONFLICT (account_id, region, name) DO NOTHING").run()
        }
    }

    public func createGroup(_ g: ScheduleGroupRecord) async throws {
        // A taken name violates the primary key: the engine's error arrives as `StoreError.duplicate`.
        try await store.write { db in try await db.raw(Self.insertGroup(g)).run() }
    }

    private static func insertGroup(_ g: ScheduleGroupRecord) -> SQLQueryString {
        """
        INSERT INTO schedule_group (account_id, region, name, arn, tags, created_at, updated_at)
        VALUES (\(bind: g.accountId), \(bind: g.region), \(bind: g.name), \(bind: g.arn), \(bind: StringMapColumn.encode(g.tags)),
                \(bind: g.createdAt), \(bind: g.updatedAt))
        """
    }

    public func group(accountId: String, region: String, name: String) async throws -> ScheduleGroupRecord? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM schedule_group WHERE account_id = \(bind: accountId) AND region = \(bind: region) AND name = \(bind: name)
                """).first().map(Self.decodeGroup)
        }
    }

    public func groups(accountId: String, region: String, prefix: String, after: String?, limit: Int) async throws
        -> [ScheduleGroupRecord] {
        let dialect = store.dialect
        return try await store.read { db in
            var sql: SQLQueryString = "SELECT * FROM schedule_group WHERE account_id = \(bind: accountId) AND region = \(bind: region)"
            if !prefix.isEmpty { sql = sql + " AND " + dialect.hasPrefix("name", prefix) }
            if let after { sql = sql + " AND name > \(bind: after)" }
            return try await db.raw(sql + " ORDER BY name LIMIT \(bind: limit)").all().map(Self.decodeGroup)
        }
    }

    public func deleteGroup(accountId: String, region: String, name: String) async throws -> Bool {
        try await store.write { db in
            let deleted = try await db.raw("""
                DELETE FROM schedule_group WHERE account_id = \(bind: accountId) AND region = \(bind: region) AND name = \(bind: name)
                RETURNING name
                """).all()
            try await db.raw("""
                DELETE FROM schedule WHERE account_id = \(bind: accountId) AND region = \(bind: region) AND group_name = \(bind: name)
                """).run()
            // A leased firing is being invoked right now: it finishes (or retries) as its node decides.
            try await db.raw("""
                DELETE FROM schedule_firing WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND group_name = \(bind: name) AND leased = 0
                """).run()
            return !deleted.isEmpty
        }
    }

    public func setGroupTags(accountId: String, region: String, name: String, tags: [String: String]) async throws -> Bool {
        try await store.write { db in
            let changed = try await db.raw("""
                UPDATE schedule_group SET tags = \(bind: StringMapColumn.encode(tags)) WHERE account_id = \(bind: accountId)
                AND region = \(bind: region) AND name = \(bind: name) RETURNING name
                """).all()
            return !changed.isEmpty
        }
    }

    // MARK: Schedules

    public func createSchedule(_ s: ScheduleRecord) async throws {
        try await store.write { db in
            let groupRow = try await db.raw("""
                SELECT name FROM schedule_group WHERE account_id = \(bind: s.accountId) AND region = \(bind: s.region)
                AND name = \(bind: s.groupName)
                """).first()
            guard groupRow != nil else { throw StoreError.notFound("schedule group \(s.groupName)") }
            // A name taken in the group violates the primary key: `StoreError.duplicate`.
            try await db.raw("""
                INSERT INTO schedule (account_id, region, group_name, name, arn, state, definition, created_at, updated_at,
                                      next_fire_at)
                VALUES (\(bind: s.accountId), \(bind: s.region), \(bind: s.groupName), \(bind: s.name), \(bind: s.arn),
                        \(bind: s.state), \(bind: s.definition), \(bind: s.createdAt), \(bind: s.updatedAt), \(bind: s.nextFireAt))
                """).run()
        }
    }

    public func schedule(accountId: String, region: String, groupName: String, name: String) async throws -> ScheduleRecord? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM schedule WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND group_name = \(bind: groupName) AND name = \(bind: name)
                """).first().map(Self.decodeSchedule)
        }
    }

    public func schedules(accountId: String, region: String, groupName: String?, prefix: String, state: String?, after: String?,
                          limit: Int) async throws -> [ScheduleRecord] {
        let dialect = store.dialect
        return try await store.read { db in
            // Every filter before the LIMIT, so a page is only short at the end of the list.
            var sql: SQLQueryString = "SELECT * FROM schedule WHERE account_id = \(bind: accountId) AND region = \(bind: region)"
            if let groupName { sql = sql + " AND group_name = \(bind: groupName)" }
            if !prefix.isEmpty { sql = sql + " AND " + dialect.hasPrefix("name", prefix) }
            if let state { sql = sql + " AND state = \(bind: state)" }
            if let after { sql = sql + " AND arn > \(bind: after)" }
            return try await db.raw(sql + " ORDER BY arn LIMIT \(bind: limit)").all().map(Self.decodeSchedule)
        }
    }

    public func updateSchedule(_ s: ScheduleRecord) async throws -> Bool {
        try await store.write { db in
            let changed = try await db.raw("""
                UPDATE schedule SET state = \(bind: s.state), definition = \(bind: s.definition),
                    next_fire_at = \(bind: s.nextFireAt), updated_at = \(bind: s.updatedAt)
                WHERE account_id = \(bind: s.accountId) AND region = \(bind: s.region) AND group_name = \(bind: s.groupName)
                AND name = \(bind: s.name) RETURNING name
                """).all()
            return !changed.isEmpty
        }
    }

    public func deleteSchedule(accountId: String, region: String, groupName: String, name: String) async throws -> Bool {
        try await store.write { db in
            let changed = try await db.raw("""
                DELETE FROM schedule WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND group_name = \(bind: groupName) AND name = \(bind: name) RETURNING name
                """).all()
            return !changed.isEmpty
        }
    }

    // MARK: Firing schedules

    public func nextScheduleDue() async throws -> Int64? {
        try await store.read { db in
            try await db.raw("SELECT MIN(next_fire_at) AS t FROM schedule").first()?.decodeColumns(EarliestColumns.self).t
        }
    }

    public func fireSchedules(now: Int64, limit: Int, step: @escaping @Sendable (ScheduleRecord) -> ScheduleStep) async throws
        -> Int {
        let skipLocked = store.dialect.skipLocked
        return try await store.write(.readCommitted) { db in
            // Rows another node is firing right now are skipped, not waited for.
            let due = try await db.raw("""
                SELECT * FROM schedule WHERE next_fire_at <= \(bind: now) ORDER BY next_fire_at LIMIT \(bind: limit)
                \(unsafeRaw: skipLocked)
                """).all().map(Self.decodeSchedule)
            for schedule in due {
                let plan = step(schedule)
                if let firing = plan.firing { try await Self.insert(firing, db) }
                // Guarded by the time read: an UpdateSchedule that rescheduled it meanwhile keeps its own time.
                let key: SQLQueryString = """
                    WHERE account_id = \(bind: schedule.accountId) AND region = \(bind: schedule.region)
                    AND group_name = \(bind: schedule.groupName) AND name = \(bind: schedule.name)
                    AND next_fire_at = \(bind: schedule.nextFireAt)
                    """
                if plan.delete {
                    try await db.raw("DELETE FROM schedule " + key).run()
                } else {
                    try await db.raw("UPDATE schedule SET next_fire_at = \(bind: plan.next) " + key).run()
                }
            }
            return due.count
        }
    }
}
