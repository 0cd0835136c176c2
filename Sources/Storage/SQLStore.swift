import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import Synchronization

/// The database behind every store: one writer session (serialised transactions) and reader sessions.
///
/// SQLite (WAL) is the embedded engine. Stores only see `SQLDatabase`, so PostgreSQL can be added by opening
/// a pool here; dialect differences stay in `SQLDialectNotes`.
public final class SQLStore: Sendable {
    /// Which engine is behind the store.
    public enum Engine: Sendable { case sqlite }

    public let engine: Engine
    let writer: any SQLDatabase
    let readers: [any SQLDatabase]
    /// Background work (checkpoints) that must not hold up a reader.
    let maintenance: any SQLDatabase
    private let connections: [SQLiteConnection]
    private let writeLock = AsyncLock()
    private let nextReader = Atomic<Int>(0)
    let logger: Logger

    private init(engine: Engine, writer: any SQLDatabase, readers: [any SQLDatabase], maintenance: any SQLDatabase,
                 connections: [SQLiteConnection], logger: Logger) {
        self.engine = engine
        self.writer = writer
        self.readers = readers
        self.maintenance = maintenance
        self.connections = connections
        self.logger = logger
    }

    /// Opens (creating if needed) the SQLite database at `path` in WAL mode and applies migrations.
    public static func openSQLite(path: String, readerCount: Int = 2, logger: Logger) async throws -> SQLStore {
        var connections: [SQLiteConnection] = []
        do {
            // The writer, the readers, and one connection for background checkpoints.
            for _ in 0..<(2 + max(1, readerCount)) {
                let c = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                connections.append(c)
                let db = c.sql(queryLogLevel: nil)
                try await db.raw("PRAGMA busy_timeout = 10000").run()
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
        let readers = connections.dropFirst().dropLast().map { $0.sql(queryLogLevel: nil) }
        let store = SQLStore(engine: .sqlite, writer: writer, readers: Array(readers),
                             maintenance: connections[connections.count - 1].sql(queryLogLevel: nil),
                             connections: connections, logger: logger)
        try await Migrations.apply(Migrations.all, to: store)
        return store
    }

    /// Runs `body` inside one write transaction; writers are serialised.
    public func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await writeLock.withLock {
            try await writer.raw("BEGIN IMMEDIATE").run()
            do {
                let result = try await body(writer)
                try await writer.raw("COMMIT").run()
                return result
            } catch {
                try? await writer.raw("ROLLBACK").run()
                throw Self.translate(error)
            }
        }
    }

    /// Runs `body` with a reader session (sees the last committed state).
    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let i = nextReader.add(1, ordering: .relaxed).newValue
        do {
            return try await body(readers[i % readers.count])
        } catch {
            throw Self.translate(error)
        }
    }

    /// Copies committed WAL frames into the database without blocking the writer or readers (PASSIVE).
    public func checkpoint() async throws {
        try await maintenance.raw("PRAGMA wal_checkpoint(PASSIVE)").run()
    }

    /// Closes every connection.
    public func close() async {
        for c in connections { try? await c.close() }
    }

    /// Driver errors become `StoreError`s here, at the boundary.
    static func translate(_ error: any Error) -> any Error {
        if error is StoreError { return error }
        if let e = error as? SQLiteError {
            let text = "\(e)"
            if text.contains("UNIQUE constraint failed") || text.contains("PRIMARY KEY") {
                return StoreError.duplicate(text)
            }
            return StoreError.unavailable(text)
        }
        return error
    }
}
