import Foundation
import SQLKit
import SQLiteKit
import Synchronization
import Testing
@testable import Storage

/// `SQLStore.write`'s contract on both engines, with many writes at once: each commits whole or not at all, and a
/// failing one costs only its own caller. On SQLite, writes that wait for the writer share one transaction.
struct StoreWriteTests {
    static func createTable(_ store: SQLStore) async throws {
        try await store.write { db in try await db.raw("CREATE TABLE write_test (k TEXT PRIMARY KEY)").run() }
    }

    static func keys(_ store: SQLStore) async throws -> Set<String> {
        try await store.read { db in
            Set(try await db.raw("SELECT k FROM write_test").all().map { try $0.decode(column: "k", as: String.self) })
        }
    }

    @Test(arguments: TestEngine.allCases)
    func concurrentWritesCommitWholeAndAFailureUndoesOnlyItsOwn(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { store in
            try await Self.createTable(store)
            try await store.write { db in try await db.raw("INSERT INTO write_test (k) VALUES ('taken')").run() }
            // Every fifth write inserts its own key and then one that exists: it must fail, and its first insert go.
            let outcomes = await withTaskGroup(of: (Int, Outcome).self) { group in
                for i in 0..<60 {
                    group.addTask {
                        do {
                            try await store.write { db in
                                try await db.raw("INSERT INTO write_test (k) VALUES (\(bind: "k\(i)"))").run()
                                if i % 5 == 0 { try await db.raw("INSERT INTO write_test (k) VALUES ('taken')").run() }
                            }
                            return (i, .committed)
                        } catch let error as StoreError where error.isDuplicate {
                            return (i, .duplicate)
                        } catch {
                            return (i, .failed("\(error)"))
                        }
                    }
                }
                var outcomes: [Int: Outcome] = [:]
                for await (i, outcome) in group { outcomes[i] = outcome }
                return outcomes
            }
            for i in 0..<60 {
                #expect(outcomes[i] == (i % 5 == 0 ? .duplicate : .committed), "write \(i)")
            }
            let expected = Set((0..<60).filter { $0 % 5 != 0 }.map { "k\($0)" } + ["taken"])
            let stored = try await Self.keys(store)
            #expect(stored == expected)
        }
    }

    /// Writes queued behind a busy writer commit in one transaction, each with its own result.
    @Test func sqliteWritesWaitingForTheWriterShareOneTransaction() async throws {
        try await withTestStore(.sqlite) { store in
            try await Self.createTable(store)
            let sessions = try #require(store.sessions as? SQLiteSessions)
            let gate = Gate()
            let before = sessions.transactions.load(ordering: .relaxed)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The first write holds the writer until the others are queued behind it.
                group.addTask {
                    try await store.write { db in
                        await gate.wait()
                        try await db.raw("INSERT INTO write_test (k) VALUES ('first')").run()
                    }
                }
                await sessions.untilWriting(after: before)
                for i in 0..<40 {
                    group.addTask {
                        let k = try await store.write { db in
                            try await db.raw("INSERT INTO write_test (k) VALUES (\(bind: "k\(i)")) RETURNING k").first()?
                                .decode(column: "k", as: String.self)
                        }
                        #expect(k == "k\(i)")
                    }
                }
                await sessions.untilQueued(40)
                gate.open()
                try await group.waitForAll()
            }
            #expect(sessions.transactions.load(ordering: .relaxed) - before == 2, "the first write, then the 40 together")
            #expect(try await Self.keys(store).count == 41)
        }
    }

    /// Large writes sharing one transaction: each savepoint's sub-journal (kept in memory, past the 64 KiB SQLite
    /// would spill to a file) still undoes exactly its own failed write's rows.
    @Test func sqliteLargeWritesSharingATransactionUndoOnlyTheFailedOnes() async throws {
        try await withTestStore(.sqlite) { store in
            try await Self.createTable(store)
            try await store.write { db in try await db.raw("INSERT INTO write_test (k) VALUES ('taken')").run() }
            let sessions = try #require(store.sessions as? SQLiteSessions)
            let gate = Gate()
            let before = sessions.transactions.load(ordering: .relaxed)
            let padding = String(repeating: "x", count: 2000)
            let failed = try await withThrowingTaskGroup(of: Int?.self) { group in
                group.addTask {
                    try await store.write { db in await gate.wait() }
                    return nil
                }
                await sessions.untilWriting(after: before)
                for i in 0..<12 {
                    group.addTask {
                        do {
                            try await store.write { db in
                                // 100 rows of 2 KB: about 200 KiB of pages for this write's savepoint to journal.
                                for j in 0..<100 {
                                    try await db.raw("INSERT INTO write_test (k) VALUES (\(bind: "w\(i)-\(j)-" + padding))").run()
                                }
                                if i % 3 == 1 { try await db.raw("INSERT INTO write_test (k) VALUES ('taken')").run() }
                            }
                            return nil
                        } catch let error as StoreError where error.isDuplicate {
                            return i
                        }
                    }
                }
                await sessions.untilQueued(12)
                gate.open()
                return try await group.reduce(into: Set<Int>()) { if let i = $1 { $0.insert(i) } }
            }
            #expect(failed == [1, 4, 7, 10])
            #expect(sessions.transactions.load(ordering: .relaxed) - before == 2, "the gate, then the twelve together")
            let writers = try await Self.keys(store).filter { $0 != "taken" }.map { $0.split(separator: "-")[0] }
            #expect(Dictionary(grouping: writers, by: { $0 }).mapValues(\.count)
                    == Dictionary(uniqueKeysWithValues: (0..<12).filter { $0 % 3 != 1 }.map { ("w\($0)"[...], 100) }))
        }
    }

    /// A write whose body ends the shared transaction (here by rolling it back itself) makes every write of it run
    /// again alone: the others commit, and only the culprit fails.
    @Test func sqliteAWriteThatEndsTheSharedTransactionFailsAlone() async throws {
        try await withTestStore(.sqlite) { store in
            try await Self.createTable(store)
            let sessions = try #require(store.sessions as? SQLiteSessions)
            let gate = Gate()
            let before = sessions.transactions.load(ordering: .relaxed)
            let failures = try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    try await store.write { db in await gate.wait() }
                    return 0
                }
                await sessions.untilWriting(after: before)
                for i in 0..<10 {
                    group.addTask {
                        do {
                            try await store.write { db in
                                try await db.raw("INSERT INTO write_test (k) VALUES (\(bind: "k\(i)"))").run()
                                if i == 4 { try await db.raw("ROLLBACK").run() }
                            }
                            return 0
                        } catch {
                            return 1
                        }
                    }
                }
                await sessions.untilQueued(10)
                gate.open()
                return try await group.reduce(0, +)
            }
            #expect(failures == 1)
            #expect(try await Self.keys(store) == Set((0..<10).filter { $0 != 4 }.map { "k\($0)" }))
        }
    }

    /// On SQLite a body runs on its connection's thread, and may still wait on other sessions: a write's body reads,
    /// a read's body writes, many at once, and each sees what it should (none waits on a thread it holds itself).
    /// Not on PostgreSQL: there each nested session takes another pooled connection, and two dozen at once would
    /// exhaust the test's pool of four. A deadlock fails the test at its time limit instead of hanging the run.
    @Test(.timeLimit(.minutes(1))) func sqliteBodiesMayWaitOnOtherSessions() async throws {
        try await withTestStore(.sqlite) { store in
            try await Self.createTable(store)
            try await store.write { db in try await db.raw("INSERT INTO write_test (k) VALUES ('seed')").run() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<24 {
                    group.addTask {
                        if i % 2 == 0 {
                            // A write whose body reads through another session: it sees at least the seed.
                            let seen = try await store.write { db in
                                try await db.raw("INSERT INTO write_test (k) VALUES (\(bind: "w\(i)"))").run()
                                return try await Self.keys(store)
                            }
                            #expect(seen.contains("seed"))
                        } else {
                            // A read whose body writes and then reads its own write back on its connection.
                            let seen = try await store.read { db in
                                try await store.write { w in try await w.raw("INSERT INTO write_test (k) VALUES (\(bind: "r\(i)"))").run() }
                                return try await db.raw("SELECT k FROM write_test WHERE k = \(bind: "r\(i)")").first()?
                                    .decode(column: "k", as: String.self)
                            }
                            #expect(seen == "r\(i)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let expected = Set(["seed"] + (0..<24).map { $0 % 2 == 0 ? "w\($0)" : "r\($0)" })
            #expect(try await Self.keys(store) == expected)
        }
    }
}

extension SQLiteSessions {
    /// Returns once the writer has begun a transaction after `before` of them and taken every queued write.
    func untilWriting(after before: Int) async {
        while queuedWrites > 0 || transactions.load(ordering: .relaxed) == before { await Task.yield() }
    }

    /// Returns once `count` writes wait for the writer.
    func untilQueued(_ count: Int) async {
        while queuedWrites < count { await Task.yield() }
    }
}

private enum Outcome: Equatable {
    case committed, duplicate
    case failed(String)
}

/// A read on a SQLite connection that is busy with another read waits for it, and then sees what was committed
/// meanwhile: two statements stepping side by side on one connection share one read transaction, and the second
/// would miss the commit (PutRule once did not find the default bus its own call had just created).
struct SQLiteReadSnapshotTests {
    @Test func aReadQueuedBehindAnotherOnItsConnectionSeesWhatWasCommittedMeanwhile() async throws {
        try await withTestStore(.sqlite) { store in
            try await StoreWriteTests.createTable(store)
            try await store.write { db in try await db.raw("INSERT INTO write_test (k) VALUES ('a')").run() }
            let sessions = try #require(store.sessions as? SQLiteSessions)
            // `hold()` blocks inside a statement's step, keeping its read transaction open, until released.
            let entered = Atomic<Bool>(false)
            let release = DispatchSemaphore(value: 0)
            for connection in sessions.connections {
                try await connection.install(customFunction: SQLiteCustomFunction("hold", argumentCount: 0) { _ in
                    entered.store(true, ordering: .sequentiallyConsistent)
                    release.wait()
                    return 1
                })
            }
            let readers = sessions.connections.count - 2
            async let held: Int = store.read { db in
                try await db.raw("SELECT hold() AS h, (SELECT COUNT(*) FROM write_test) AS n").first()?
                    .decode(column: "n", as: Int.self) ?? -1
            }
            while !entered.load(ordering: .sequentiallyConsistent) { await Task.yield() }
            try await store.write { db in try await db.raw("INSERT INTO write_test (k) VALUES ('b')").run() }
            // Round the other readers, so the next read goes to the held one's connection.
            for _ in 0..<(readers - 1) { _ = try await StoreWriteTests.keys(store) }
            async let queued = StoreWriteTests.keys(store)
            // Give the queued read every chance to run beside the held one before releasing it.
            for _ in 0..<200 { await Task.yield() }
            try await Task.sleep(for: .milliseconds(50))
            release.signal()
            #expect(try await held == 1)
            #expect(try await queued == ["a", "b"])
        }
    }
}

/// Holds waiters until opened.
private final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { c in
            let resume = state.withLock { s -> Bool in
                if s.open { return true }
                s.waiters.append(c)
                return false
            }
            if resume { c.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { s in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }
}
