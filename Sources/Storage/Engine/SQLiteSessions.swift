import Foundation
import Logging
import SQLKit
import SQLiteKit
import Synchronization

/// SQLite in WAL mode: one writer connection, reader connections, and one for background checkpoints.
final class SQLiteSessions: StoreSessions {
    var engine: SQLStore.Engine { .sqlite }
    private let connections: [SQLiteConnection]
    private let writer: any SQLDatabase
    private let readers: [any SQLDatabase]
    /// Background work (checkpoints) that must not hold up a reader.
    private let maintenance: any SQLDatabase
    private let nextReader = Atomic<Int>(0)
    /// One process opens a SQLite database: `exclusively` needs only a lock in this process.
    private let exclusive = AsyncLock()

    private init(connections: [SQLiteConnection]) {
        self.connections = connections
        self.writer = connections[0].sql(queryLogLevel: nil)
        self.readers = connections.dropFirst().dropLast().map { $0.sql(queryLogLevel: nil) }
        self.maintenance = connections[connections.count - 1].sql(queryLogLevel: nil)
    }

    static func open(path: String, readerCount: Int, logger: Logger) async throws -> SQLiteSessions {
        var connections: [SQLiteConnection] = []
        do {
            // The writer, the readers, and one connection for background checkpoints.
            for _ in 0..<(2 + max(1, readerCount)) {
                let c = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                connections.append(c)
                try await c.sql(queryLogLevel: nil).raw("PRAGMA busy_timeout = 10000").run()
            }
        } catch {
            for c in connections { try? await c.close() }
            throw StoreError.unavailable("Cannot open the database at \(path): \(error)")
        }
        let writer = connections[0].sql(queryLogLevel: nil)
        // WAL: readers never block the writer. FULL sync: the WAL is fsynced at every commit, so a call whose
        // response the client saw survives a power cut as well as a process kill (NORMAL only syncs at checkpoints).
        try await writer.raw("PRAGMA journal_mode = WAL").run()
        try await writer.raw("PRAGMA synchronous = FULL").run()
        // Checkpoints run in the background (`checkpoint()`), never inside a commit a caller is waiting for.
        try await writer.raw("PRAGMA wal_autocheckpoint = 0").run()
        try await writer.raw("PRAGMA foreign_keys = ON").run()
        return SQLiteSessions(connections: connections)
    }

    func transaction<T: Sendable>(_ isolation: SQLStore.Isolation,
                                  _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        // One writer: every transaction is serializable. IMMEDIATE: take the write lock at BEGIN, so a transaction never fails half-way on a lock upgrade.
        try await writer.raw("BEGIN IMMEDIATE").run()
        do {
            let result = try await body(writer)
            try await writer.raw("COMMIT").run()
            return result
        } catch {
            try? await writer.raw("ROLLBACK").run()
            throw error
        }
    }

    func session<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let i = nextReader.add(1, ordering: .relaxed).newValue
        return try await body(readers[i % readers.count])
    }

    func exclusively<T: Sendable>(_ key: Int64, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await exclusive.withLock { try await body() }
    }

    /// Copies committed WAL frames into the database without blocking the writer or readers (PASSIVE).
    func checkpoint() async throws {
        try await maintenance.raw("PRAGMA wal_checkpoint(PASSIVE)").run()
    }

    func close() async {
        for c in connections { try? await c.close() }
    }

    func translate(_ error: any Error) -> any Error {
        if error is StoreError { return error }
        guard let e = error as? SQLiteError else { return error }
        // Connections open with extended result codes, so a uniqueness violation is told apart by its code.
        switch e.reason {
        case .constraintUniqueFailed, .constraintPrimaryKeyFailed: return StoreError.duplicate("\(e)")
        default: return StoreError.unavailable("\(e)")
        }
    }
}

extension SQLStore {
    /// Opens (creating if needed) the SQLite database at `path` in WAL mode and applies migrations.
    public static func openSQLite(path: String, readerCount: Int = 2, logger: Logger) async throws -> SQLStore {
        try await migrated(SQLiteSessions.open(path: path, readerCount: readerCount, logger: logger), logger: logger)
    }
}
