import Foundation
import Logging
import NIOPosix
import SQLKit
import SQLiteKit
import Synchronization

/// SQLite in WAL mode: one writer connection, reader connections, and one for background checkpoints.
///
/// Write transactions that wait for the writer commit together: each commit writes and fsyncs the write-ahead log,
/// and paths that write from many tasks at once (a Batch scheduler pass moving 64 jobs, deliveries, queue sends)
/// paid that once per write, one after another. Each write in a shared transaction runs inside a savepoint of its
/// own, so one that fails is undone alone and its caller gets its error; callers hear back only after the shared
/// commit, so what a caller saw succeed is durable exactly as before.
final class SQLiteSessions: StoreSessions {
    var engine: SQLStore.Engine { .sqlite }
    /// The writer first, then the readers, then the maintenance connection.
    let connections: [SQLiteConnection]
    private let writer: any SQLDatabase
    private let readers: [any SQLDatabase]
    /// The writer's and each reader's thread as the executor of the tasks that use the connection (see
    /// `ConnectionThread`).
    private let writerThread: ConnectionThread
    private let readerThreads: [ConnectionThread]
    /// Background work (checkpoints) that must not hold up a reader.
    private let maintenance: any SQLDatabase
    private let nextReader = Atomic<Int>(0)
    /// One process opens a SQLite database: `exclusively` needs only a lock in this process.
    private let exclusive = AsyncLock()
    /// Writes waiting for the writer, and whether a task is committing them.
    private let queue = Mutex(WriteQueue())
    /// Writes in one shared transaction at most: enough that a burst commits in a few fsyncs, few enough that no
    /// caller waits long behind the others' statements.
    static let writesPerCommit = 128
    /// Write transactions begun (tests read it to see writes share them).
    let transactions = Atomic<Int>(0)
    /// Writes waiting for the writer now.
    var queuedWrites: Int { queue.withLock { $0.writes.count } }

    private struct WriteQueue {
        var writes: [any QueuedWrite] = []
        var committing = false
    }

    /// A thread of its own for each connection, which runs the connection's statements one after another.
    /// SQLiteNIO's default is NIO's shared blocking pool (one thread per core), where a commit waiting on its fsync
    /// and a checkpoint held every read up, and where two reads on one connection could step side by side: the
    /// second then joined the first's read transaction and missed what was committed in between (PutRule did not
    /// find the default bus its own call had just created).
    private let threads: [NIOThreadPool]

    private init(connections: [SQLiteConnection], threads: [NIOThreadPool]) {
        self.connections = connections
        self.threads = threads
        self.writer = connections[0].sql(queryLogLevel: nil)
        self.readers = connections.dropFirst().dropLast().map { $0.sql(queryLogLevel: nil) }
        self.writerThread = ConnectionThread(threads[0])
        self.readerThreads = threads.dropFirst().dropLast().map(ConnectionThread.init)
        self.maintenance = connections[connections.count - 1].sql(queryLogLevel: nil)
    }

    static func open(path: String, readerCount: Int, logger: Logger) async throws -> SQLiteSessions {
        var connections: [SQLiteConnection] = []
        // The writer, the readers, and one connection for background checkpoints.
        let threads = (0..<(2 + max(1, readerCount))).map { _ in NIOThreadPool(numberOfThreads: 1) }
        for thread in threads { thread.start() }
        do {
            for thread in threads {
                let c = try await SQLiteConnection.open(storage: .file(path: path), threadPool: thread, logger: logger,
                                                        on: MultiThreadedEventLoopGroup.singleton.any())
                connections.append(c)
                try await c.sql(queryLogLevel: nil).raw("PRAGMA busy_timeout = 10000").run()
            }
        } catch {
            for c in connections { try? await c.close() }
            for thread in threads { try? await thread.shutdownGracefully() }
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
        // Each queued write's savepoint keeps the pages it changes in a sub-journal, which SQLite spilled to a temporary
        // file (opened, written and closed about 25 times a second under PutEvents load): in memory it is bounded by
        // one shared transaction's pages.
        try await writer.raw("PRAGMA temp_store = MEMORY").run()
        return SQLiteSessions(connections: connections, threads: threads)
    }

    /// Queues `body` for the writer; one task commits the queue, as many writes per transaction as are waiting.
    /// One writer: every transaction is serializable.
    func transaction<T: Sendable>(_ isolation: SQLStore.Isolation,
                                  _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let write = Write(body: body, continuation: continuation)
            let start = queue.withLock { q -> Bool in
                q.writes.append(write)
                if q.committing { return false }
                q.committing = true
                return true
            }
            // The commit task runs on the writer's own thread (`ConnectionThread`): between statements it neither
            // hands off nor waits for a turn behind the very tasks waiting for it, as it did on Swift's pool (a Batch
            // pass moving 64 jobs waited 80 ms a move with the writer busy a fifth of the time). Its priority, above
            // the callers', still counts wherever it awaits something other than the writer.
            if start { Task(executorPreference: writerThread, priority: .high) { await self.commitQueued() } }
        }
    }

    /// Commits what is queued, in arrival order, until the queue is empty.
    private func commitQueued() async {
        while true {
            let writes = queue.withLock { q -> [any QueuedWrite] in
                let taken = Array(q.writes.prefix(Self.writesPerCommit))
                q.writes.removeFirst(taken.count)
                if taken.isEmpty { q.committing = false }
                return taken
            }
            if writes.isEmpty { return }
            if writes.count == 1 {
                await commitAlone(writes[0])
            } else {
                await commitTogether(writes)
            }
        }
    }

    /// One transaction for `writes`, each inside its own savepoint.
    private func commitTogether(_ writes: [any QueuedWrite]) async {
        transactions.add(1, ordering: .relaxed)
        do {
            // IMMEDIATE: take the write lock at BEGIN, so a transaction never fails half-way on a lock upgrade.
            try await writer.raw("BEGIN IMMEDIATE").run()
            for write in writes {
                try await writer.raw("SAVEPOINT write").run()
                if await !write.run(writer) { try await writer.raw("ROLLBACK TO write").run() }
                try await writer.raw("RELEASE write").run()
            }
            try await writer.raw("COMMIT").run()
        } catch {
            // The shared transaction itself failed (its commit, or an error that ended it): none of it is stored.
            // Each write runs again in a transaction of its own (a write's body may run again: see `SQLStore.write`).
            try? await writer.raw("ROLLBACK").run()
            for write in writes { await commitAlone(write) }
            return
        }
        for write in writes { write.finish() }
    }

    private func commitAlone(_ write: any QueuedWrite) async {
        transactions.add(1, ordering: .relaxed)
        do {
            try await writer.raw("BEGIN IMMEDIATE").run()
            if await write.run(writer) {
                try await writer.raw("COMMIT").run()
            } else {
                // The caller hears the body's own error, whatever the rollback says.
                try? await writer.raw("ROLLBACK").run()
            }
            write.finish()
        } catch {
            try? await writer.raw("ROLLBACK").run()
            write.fail(error)
        }
    }

    /// A reader; SQLite has one kind of session, so `claim` changes nothing.
    func session<T: Sendable>(claim _: Bool, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let i = nextReader.add(1, ordering: .relaxed).newValue % readers.count
        return try await withTaskExecutorPreference(readerThreads[i]) { try await body(readers[i]) }
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
        for thread in threads { try? await thread.shutdownGracefully() }
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

/// A write transaction's body waiting for the writer, and its caller.
private protocol QueuedWrite: Sendable {
    /// Runs the body; returns whether it succeeded (its outcome is kept for `finish`).
    func run(_ db: any SQLDatabase) async -> Bool
    /// Resumes the caller with the body's last outcome, once it is committed (or rolled back).
    func finish()
    /// Resumes the caller with `error`: the transaction could not be committed.
    func fail(_ error: any Error)
}

private final class Write<T: Sendable>: QueuedWrite {
    let body: @Sendable (any SQLDatabase) async throws -> T
    let continuation: CheckedContinuation<T, any Error>
    let outcome = Mutex<Result<T, any Error>?>(nil)

    init(body: @escaping @Sendable (any SQLDatabase) async throws -> T, continuation: CheckedContinuation<T, any Error>) {
        self.body = body
        self.continuation = continuation
    }

    func run(_ db: any SQLDatabase) async -> Bool {
        do {
            let value = try await body(db)
            outcome.withLock { $0 = .success(value) }
            return true
        } catch {
            outcome.withLock { $0 = .failure(error) }
            return false
        }
    }

    func finish() {
        continuation.resume(with: outcome.withLock { $0 } ?? .failure(StoreError.unavailable("A write finished without running.")))
    }

    func fail(_ error: any Error) {
        continuation.resume(throwing: error)
    }
}
