import Foundation
import SQLKit

/// A named, append-only schema change. Never edit one that has landed; add a new one.
///
/// Statements are written in SQLite's types; `StoreDialect.schema` gives PostgreSQL its own.
public struct Migration: Sendable {
    public var name: String
    public var statements: [String]
    /// Data moves only an upgraded SQLite database needs: PostgreSQL support began at the schema of the
    /// migration that carries them, so a PostgreSQL database never holds data from before it.
    public var sqliteUpgrade: [String] = []
}

/// The schema: named, append-only migrations grouped per store, applied in name order.
enum Migrations {
    /// Every migration, in name order: each store's list lives beside it in `Migrations+<Store>.swift`.
    static let all: [Migration] = (identity + auditEvents + queues + eventBus + topics + objects + trails + jobs + console + scheduler)
        .sorted { $0.name < $1.name }

    /// The tables that work as queues: rows are deleted about as fast as they are inserted, and claims read them in
    /// index order from the low end, where the deleted rows' entries are.
    static let queueTables = ["event_delivery", "schedule_firing", "sqs_message"]

    /// Applies the migrations not yet recorded in `migration`, each in its own transaction. Several nodes may
    /// start at once: one at a time migrates, under a lock held across the transactions (each transaction then
    /// begins after the lock is taken, so it sees what the node before applied).
    static func apply(_ migrations: [Migration], to store: SQLStore) async throws {
        let dialect = store.dialect
        try await store.exclusively("migrations") {
            try await store.write { db in
                try await db.raw(SQLQueryString(dialect.schema(
                    "CREATE TABLE IF NOT EXISTS migration (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)"))).run()
            }
            let done = Set(try await store.read { db in
                try await db.raw("SELECT name FROM migration").all().map { try $0.decode(column: "name", as: String.self) }
            })
            for migration in migrations where !done.contains(migration.name) {
                try await store.write { db in
                    var statements = migration.statements.map(dialect.schema)
                    if dialect.engine == .sqlite { statements += migration.sqliteUpgrade }
                    for statement in statements { try await db.raw(SQLQueryString(statement)).run() }
                    let now = Int64(Date().timeIntervalSince1970)
                    try await db.raw("INSERT INTO migration (name, applied_at) VALUES (\(bind: migration.name), \(bind: now))").run()
                }
                store.logger.debug("applied migration \(migration.name)")
            }
        }
    }
}
