import CairnCore
import Foundation
import Storage

/// Where "Batch Job State Change" events go (the default event bus). Implemented by the application.
public protocol BatchEventSink: Sendable {
    /// The outbox rows of the event reporting a job's new status; committed with the status change itself.
    func jobStateChangeDeliveries(accountId: String, region: String, jobArn: String, detail: JSONValue,
                                  time: Date) async throws -> [EventDelivery]
    /// Deliveries were committed: the delivery workers have work.
    func didEnqueue()
}

/// A job's document: AWS's `JobDetail` plus Cairn's bookkeeping under `_cairn` (never shown).
///
/// A value, stored copy-on-write: a scheduler pass copies every queued job a few times (10,000 of them), and a copy
/// is then one reference, not the row's strings and the document each retained.
struct BatchJob: Sendable {
    private final class Storage: @unchecked Sendable {
        // Mutated only through a uniquely referenced instance (see `unique`), so never while shared.
        var row: BatchJobRow
        var detail: JSONValue

        init(row: BatchJobRow, detail: JSONValue) {
            self.row = row
            self.detail = detail
        }
    }

    private var storage: Storage

    var row: BatchJobRow {
        get { storage.row }
        set { unique().row = newValue }
    }

    var detail: JSONValue {
        get { storage.detail }
        set { unique().detail = newValue }
    }

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = Storage(row: storage.row, detail: storage.detail) }
        return storage
    }

    /// The stored document with the job's tags, which are stored apart from it.
    init(_ row: BatchJobRow) {
        let document = (try? JSONValue.parse(Array(row.document.utf8))) ?? .object([])
        let tags = (try? JSONValue.parse(Array(row.tags.utf8))) ?? .object([])
        storage = Storage(row: row, detail: BatchService.setting(document, [("tags", tags)]))
    }

    /// The job as a write stored it: its version, and its tags, which another writer may have changed meanwhile.
    mutating func stored(_ written: BatchJobWritten) {
        row.updatedAt = written.updatedAt
        if row.tags != written.tags {
            row.tags = written.tags
            set([("tags", (try? JSONValue.parse(Array(written.tags.utf8))) ?? .object([]))])
        }
    }

    /// The stored status; nil only for a spelling Cairn never writes.
    var status: BatchJobStatus? { row.jobStatus }
    var bookkeeping: JSONValue { detail["_cairn"] ?? .object([]) }
    func value(_ key: String) -> JSONValue? { bookkeeping[key] }

    mutating func set(_ changes: [(String, JSONValue?)]) { detail = BatchService.setting(detail, changes) }
    mutating func setInternal(_ changes: [(String, JSONValue?)]) {
        detail = BatchService.setting(detail, [("_cairn", BatchService.setting(bookkeeping, changes))])
    }

    /// The detail as DescribeJobs and the events show it.
    var publicDetail: JSONValue {
        guard case .object(let members) = detail else { return detail }
        return .object(members.filter { $0.0 != "_cairn" })
    }

    var arn: String { detail["jobArn"]?.stringValue ?? "" }
}

extension BatchJobRow {
    /// The stored status (a String column) as a `BatchJobStatus`; nil only for a spelling Cairn never writes.
    var jobStatus: BatchJobStatus? { BatchJobStatus(rawValue: status) }
}

/// Moves jobs between statuses — from the API and from the scheduler — and sends AWS's "Batch Job State Change"
/// event for every status after SUBMITTED.
public struct BatchJobs: Sendable {
    let store: any BatchStore
    let events: any BatchEventSink
    let clock: any WallClock

    public init(store: any BatchStore, events: any BatchEventSink, clock: any WallClock) {
        self.store = store
        self.events = events
        self.clock = clock
    }

    /// A status change to make: `change` edits the moved job (after its status and reason are set).
    struct Move: Sendable {
        var job: BatchJob
        var to: BatchJobStatus
        var reason: String?
        var change: @Sendable (inout BatchJob) -> Void = { _ in }
    }

    /// Moves the job if `BatchJobStatus.canMove(to:)` allows it and the job is still in the status the caller saw;
    /// returns the moved job, or nil (nothing written).
    @discardableResult
    func move(_ job: BatchJob, to status: BatchJobStatus, reason: String? = nil,
              change: @escaping @Sendable (inout BatchJob) -> Void = { _ in }) async throws -> BatchJob? {
        try await move([Move(job: job, to: status, reason: reason, change: change)])[0]
    }

    /// Makes the moves (at most one per job) in one transaction per `movesPerCommit`; returns each moved job as
    /// stored, in order, or nil where nothing was written (the move is not allowed, or the job is no longer where its
    /// mover saw it).
    func move(_ moves: [Move]) async throws -> [BatchJob?] {
        var result: [BatchJob?] = []
        result.reserveCapacity(moves.count)
        for start in stride(from: 0, to: moves.count, by: Self.movesPerCommit) {
            let chunk = moves[start..<min(start + Self.movesPerCommit, moves.count)]
            var moved: [BatchJob?] = []
            var updates: [BatchJobUpdate] = []
            for m in chunk {
                guard let (job, update) = try await prepare(m) else { moved.append(nil); continue }
                moved.append(job)
                updates.append(update)
            }
            let written = try await store.updateJobs(updates)
            result += moved.map { job in
                guard var job, let stored = written[job.row.jobId] else { return nil }
                job.stored(stored)
                return job
            }
            if updates.contains(where: { written[$0.job.jobId] != nil && !$0.deliveries.isEmpty }) { events.didEnqueue() }
        }
        return result
    }

    /// A scheduler pass moves up to a few hundred jobs at once; a queue of 10,000 SUBMITTED jobs commits in parts,
    /// so API calls waiting to write are not held behind one long transaction.
    static let movesPerCommit = 256

    /// The moved job and its write, or nil when the move is not allowed.
    private func prepare(_ m: Move) async throws -> (BatchJob, BatchJobUpdate)? {
        guard m.job.status?.canMove(to: m.to) == true else { return nil }
        let now = clock.nowMs()
        var moved = m.job
        moved.set([("status", .string(m.to.rawValue))])
        if let reason = m.reason { moved.set([("statusReason", .string(reason))]) }
        // When it entered each status, for the console's timeline (AWS shows these as the job's state-change events).
        let entered: JSONValue = ["status": .string(m.to.rawValue), "at": .int(now)]
        moved.setInternal([("statusChanges", .array((m.job.value("statusChanges")?.arrayValue ?? []) + [entered]))])
        m.change(&moved)
        moved.row.status = m.to.rawValue
        moved.row.updatedAt = now
        moved.row.document = moved.detail.jsonString()
        // The status and the event reporting it commit together: neither is ever stored without the other.
        let deliveries = try await events.jobStateChangeDeliveries(
            accountId: moved.row.accountId, region: moved.row.region, jobArn: moved.arn, detail: moved.publicDetail,
            time: clock.now())
        return (moved, BatchJobUpdate(job: moved.row, ifStatus: m.job.row.status, deliveries: deliveries))
    }

    /// Saves bookkeeping without a status change (no event).
    func save(_ job: BatchJob) async throws -> Bool {
        var j = job
        j.row.document = j.detail.jsonString()
        j.row.updatedAt = clock.nowMs()
        return try await store.updateJob(j.row, ifStatus: job.row.status, deliveries: [])
    }
}
