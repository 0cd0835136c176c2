import Foundation
import Logging
import SQLKit

/// The database behind every store: serialised write transactions and read sessions, on SQLite or PostgreSQL.
///
/// Stores only see `SQLDatabase` and this type. What the engines spell differently lives in `StoreDialect`; how
/// each engine opens, begins and retries lives in `SQLiteSessions` and `PostgresSessions`.
public final class SQLStore: Sendable {
    /// Which engine is behind the store.
    public enum Engine: String, Sendable { case sqlite, postgres }

    public var engine: Engine { dialect.engine }
    /// SQL the engines spell differently.
    public let dialect: StoreDialect
    let sessions: any StoreSessions
    /// One serializable write transaction at a time per node on PostgreSQL: it keeps this node's transactions from
    /// failing each other's serialisation (other nodes' conflicts are retried). PostgreSQL's read-committed and claim
    /// transactions, and `autocommit` statements, run side by side without it, as they already do across nodes.
    /// SQLite's sessions queue writes for their one writer themselves.
    private let writeLock = AsyncLock()
    let logger: Logger

    init(sessions: any StoreSessions, logger: Logger) {
        self.sessions = sessions
        self.dialect = StoreDialect(engine: sessions.engine)
        self.logger = logger
    }

    /// How a write transaction is isolated from other nodes' (PostgreSQL; SQLite has one writer).
    public enum Isolation: Sendable {
        /// As if transactions ran one after another: every rule a store keeps on one node holds across nodes. A
        /// transaction that loses to another is run again.
        case serializable
        /// Each statement sees what is committed when it starts. For transactions that lock the rows they take
        /// (`FOR UPDATE SKIP LOCKED`) or only insert and delete by key, where serializable isolation would only add
        /// conflicts between nodes working on different rows.
        case readCommitted
        /// Read committed, for claims from queue tables (`FOR UPDATE SKIP LOCKED` on a table that fills and empties in
        /// seconds): PostgreSQL plans them to read the table's first rows in its index's order
        /// (`PostgresSessions.claimClient`). SQLite walks the index anyway.
        case claim
    }

    /// Runs `body` inside one write transaction. `body` may run again — on PostgreSQL when another node's
    /// transaction conflicted with it, on SQLite when the transaction it shared with other writes failed — so it
    /// must not have effects outside the database.
    public func write<T: Sendable>(_ isolation: Isolation = .serializable,
                                   _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let run = {
            do {
                return try await self.sessions.transaction(isolation, body)
            } catch {
                throw self.sessions.translate(error)
            }
        }
        if isolation != .serializable || engine == .sqlite { return try await run() }
        return try await writeLock.withLock { try await run() }
    }

    /// Runs `body` as a transaction of its own. On PostgreSQL `body` issues exactly one statement, which commits when
    /// it ends, read committed: one round trip instead of three (BEGIN, the statement, COMMIT); with `claim`, on a
    /// claim session (see `Isolation.claim`). On SQLite it is a write transaction like any other (and may issue
    /// several).
    public func autocommit<T: Sendable>(claim: Bool = false,
                                        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if engine == .sqlite { return try await write(.serializable, body) }
        do {
            return try await sessions.session(claim: claim, body)
        } catch {
            throw sessions.translate(error)
        }
    }

    /// Runs `body` with a read session (sees the last committed state).
    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            return try await sessions.session(body)
        } catch {
            throw sessions.translate(error)
        }
    }

    /// A store over `sessions` with every migration applied; closed again when migrating fails.
    static func migrated(_ sessions: any StoreSessions, logger: Logger) async throws -> SQLStore {
        let store = SQLStore(sessions: sessions, logger: logger)
        do {
            try await Migrations.apply(Migrations.all, to: store)
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// Runs `body` while holding the lock `name` across every node sharing the database (one node at a time; on
    /// SQLite, one caller at a time). `body` may use the store freely.
    public func exclusively<T: Sendable>(_ name: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await sessions.exclusively(Self.lockKey(name), body)
    }

    /// A stable 64-bit key per lock name (FNV-1a), in Cairn's own range.
    public static func lockKey(_ name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in ("cairn:" + name).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    /// Engine housekeeping that must not hold up a caller (SQLite: copy the write-ahead log into the database;
    /// PostgreSQL: vacuum the queue tables that need it).
    public func checkpoint() async throws {
        try await sessions.checkpoint()
    }

    /// Closes every connection.
    public func close() async {
        await sessions.close()
    }
}

/// How one engine opens sessions and transactions.
protocol StoreSessions: Sendable {
    var engine: SQLStore.Engine { get }
    /// Runs `body` in a transaction and commits it, or rolls back and rethrows.
    func transaction<T: Sendable>(_ isolation: SQLStore.Isolation,
                                  _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` with a session outside any transaction, a claim session when `claim` is set
    /// (`SQLStore.Isolation.claim`).
    func session<T: Sendable>(claim: Bool, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` holding the cross-node lock `key`.
    func exclusively<T: Sendable>(_ key: Int64, _ body: @escaping @Sendable () async throws -> T) async throws -> T
    func checkpoint() async throws
    func close() async
    /// Driver errors become `StoreError`s here, at the boundary.
    func translate(_ error: any Error) -> any Error
}

extension StoreSessions {
    /// An ordinary session.
    func session<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await session(claim: false, body)
    }
}

/// Statements one store runs inside a write transaction another store opens: a standard SQS queue's messages written
/// by the transaction that completes an EventBridge delivery pass. Only stores make them.
public struct StoreWrite: Sendable {
    let run: @Sendable (any SQLDatabase) async throws -> Void
}
