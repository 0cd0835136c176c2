import Foundation
import SQLKit

/// The scheduler's outbox over SQL: `schedule_firing` rows, leased to a node as `event_delivery` rows are.
extension SQLScheduleStore {
    /// A `schedule_firing` row as stored (its lease columns are the store's own).
    private struct FiringColumns: Decodable {
        var firingId: Int64
        var accountId: String
        var region: String
        var groupName: String
        var scheduleArn: String
        var executionId: String
        var scheduledTime: Int64
        var target: String
        var attempts: Int
        var nextAttemptAt: Int64
        var lastError: String?
    }

    static func decodeFiring(_ row: any SQLRow) throws -> ScheduleFiring {
        let c = try row.decodeColumns(FiringColumns.self)
        return ScheduleFiring(firingId: c.firingId, accountId: c.accountId, region: c.region, groupName: c.groupName,
                              scheduleArn: c.scheduleArn, executionId: c.executionId, scheduledTime: c.scheduledTime,
                              target: c.target, attempts: c.attempts, nextAttemptAt: c.nextAttemptAt, lastError: c.lastError)
    }

    /// An outbox row, written inside the caller's transaction; its `firingId` is assigned here.
    static func insert(_ f: ScheduleFiring, _ db: any SQLDatabase) async throws {
        try await db.raw("""
            INSERT INTO schedule_firing (account_id, region, group_name, schedule_arn, execution_id, scheduled_time, target,
                                         attempts, next_attempt_at, last_error)
            VALUES (\(bind: f.accountId), \(bind: f.region), \(bind: f.groupName), \(bind: f.scheduleArn), \(bind: f.executionId),
                    \(bind: f.scheduledTime), \(bind: f.target), \(bind: f.attempts), \(bind: f.nextAttemptAt), \(bind: f.lastError))
            """).run()
    }

    public func nextFiringDue() async throws -> Int64? {
        try await store.read { db in
            try await db.raw("SELECT MIN(next_attempt_at) AS t FROM schedule_firing").first()?.decodeColumns(EarliestColumns.self).t
        }
    }

    public func claimFirings(now: Int64, leaseUntil: Int64, owner: String, limit: Int) async throws -> [ScheduleFiring] {
        let skipLocked = store.dialect.skipLocked
        return try await store.write(.claim) { db in
            // Rows another node is claiming right now are skipped, not waited for.
            let rows = try await db.raw("""
                SELECT * FROM schedule_firing WHERE next_attempt_at <= \(bind: now) ORDER BY next_attempt_at, firing_id
                LIMIT \(bind: limit) \(unsafeRaw: skipLocked)
                """).all().map(Self.decodeFiring)
            guard !rows.isEmpty else { return [] }
            try await db.raw("""
                UPDATE schedule_firing SET next_attempt_at = \(bind: leaseUntil), leased = 1, lease_owner = \(bind: owner)
                WHERE firing_id IN (\(SQLList(rows.map { SQLBind($0.firingId) })))
                """).run()
            return rows
        }
    }

    public func finishFirings(ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        try await store.autocommit { db in
            try await db.raw("DELETE FROM schedule_firing WHERE firing_id IN (\(SQLList(ids.map { SQLBind($0) })))").run()
        }
    }

    public func retryFiring(id: Int64, attempts: Int, nextAttemptAt: Int64, lastError: String) async throws {
        try await store.autocommit { db in
            try await db.raw("""
                UPDATE schedule_firing SET attempts = \(bind: attempts), next_attempt_at = \(bind: nextAttemptAt),
                leased = 0, lease_owner = NULL, last_error = \(bind: lastError) WHERE firing_id = \(bind: id)
                """).run()
        }
    }

    public func releaseFiringLeases(owner: String, now: Int64) async throws -> Int {
        try await store.write { db in
            try await db.raw("""
                UPDATE schedule_firing SET leased = 0, lease_owner = NULL, next_attempt_at = \(bind: now)
                WHERE leased = 1 AND lease_owner = \(bind: owner) RETURNING firing_id
                """).all().count
        }
    }
}
