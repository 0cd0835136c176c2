import Foundation
import SQLKit
import Testing
@testable import Storage

/// PostgreSQL: the store's housekeeping vacuums a queue table once deleted rows pile up in it, and only then.
struct StoreHousekeepingTests {
    struct TableStats: Decodable {
        var nDeadTup: Int64
        var vacuumCount: Int64
    }

    static func stats(_ store: SQLStore) async throws -> TableStats {
        try await store.read { db in
            try #require(try await db.raw("""
                SELECT n_dead_tup, vacuum_count FROM pg_stat_user_tables WHERE relname = 'event_delivery'
                """).first()).decode(model: TableStats.self, keyDecodingStrategy: .convertFromSnakeCase)
        }
    }

    @Test func postgresVacuumsAQueueTableOnceItHoldsManyDeletedRows() async throws {
        try await withTestStore(.postgres) { store in
            // Autovacuum stays out of it: the vacuums counted here are the store's.
            try await store.write { db in try await db.raw("ALTER TABLE event_delivery SET (autovacuum_enabled = false)").run() }
            let rows = PostgresSessions.deadRowsToVacuum + 1_000
            // Fewer deleted rows than the threshold: nothing to do.
            try await Self.insertAndDelete(store, rows: 10)
            try await store.checkpoint()
            let before = try await Self.stats(store)
            #expect(before.vacuumCount == 0)

            try await Self.insertAndDelete(store, rows: rows)
            // Statistics reach the shared counters when the deleting session goes idle.
            var waited = 0
            while try await Self.stats(store).nDeadTup < Int64(rows), waited < 300 {
                try await Task.sleep(for: .milliseconds(100))
                waited += 1
            }
            #expect(try await Self.stats(store).nDeadTup >= Int64(rows))
            let pages = try await Self.bytes(store)
            try await store.checkpoint()
            let after = try await Self.stats(store)
            #expect(after.vacuumCount == 1)
            #expect(after.nDeadTup < Int64(PostgresSessions.deadRowsToVacuum))
            // The emptied pages stay: truncating them takes the table's exclusive lock, which stalls every claim and
            // insert behind it, and a queue table fills again within seconds.
            #expect(pages > 0)
            #expect(try await Self.bytes(store) == pages)
        }
    }

    /// The table's size on disk.
    static func bytes(_ store: SQLStore) async throws -> Int64 {
        try await store.read { db in
            try #require(try await db.raw("SELECT pg_relation_size('event_delivery') AS n").first()).decode(column: "n", as: Int64.self)
        }
    }

    /// Inserts `rows` outbox rows and deletes them again, and asks for the statistics to be published.
    static func insertAndDelete(_ store: SQLStore, rows: Int) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO event_delivery (account_id, region, rule_arn, target_id, target, payload, event_id, event_time,
                                            attempts, next_attempt_at)
                SELECT '000000000000', 'us-east-1', 'arn:rule', 't', '{}', '{}', 'e' || n, n, 0, n
                FROM generate_series(1, \(bind: rows)) AS n
                """).run()
        }
        try await store.write { db in
            try await db.raw("DELETE FROM event_delivery").run()
            try await db.raw("SELECT pg_stat_force_next_flush()").run()
        }
    }
}

/// PostgreSQL: claims from queue tables run on sessions that plan without sorts (the table's index order) and
/// without JIT compilation (a sort they cannot avoid is priced as if forbidden), and nothing else does.
struct ClaimSessionTests {
    static func enableSort(_ db: any SQLDatabase) async throws -> String {
        let sort = try #require(try await db.raw("SHOW enable_sort").first()).decode(column: "enable_sort", as: String.self)
        let jit = try #require(try await db.raw("SHOW jit").first()).decode(column: "jit", as: String.self)
        return "sort \(sort), jit \(jit)"
    }

    @Test func postgresPlansOnlyClaimsWithoutSorts() async throws {
        try await withTestStore(.postgres) { store in
            let claim = try await store.write(.claim) { db in try await Self.enableSort(db) }
            let readCommitted = try await store.write(.readCommitted) { db in try await Self.enableSort(db) }
            let serializable = try await store.write(.serializable) { db in try await Self.enableSort(db) }
            let read = try await store.read { db in try await Self.enableSort(db) }
            let claimStatement = try await store.autocommit(claim: true) { db in try await Self.enableSort(db) }
            let statement = try await store.autocommit { db in try await Self.enableSort(db) }
            #expect([claim, claimStatement] == ["sort off, jit off", "sort off, jit off"])
            #expect([readCommitted, serializable, read, statement] == Array(repeating: "sort on, jit on", count: 4))
        }
    }
}
