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

    func nowMs() -> Int64 { Int64((clock.now().timeIntervalSince1970 * 1000).rounded()) }

    /// Moves the job if `BatchJobStatus.canMove(to:)` allows it and the job is still in the status the caller saw;
    /// returns the moved job, or nil (nothing written).
    @discardableResult
    func move(_ job: BatchJob, to status: BatchJobStatus, reason: String? = nil,
              change: (inout BatchJob) -> Void = { _ in }) async throws -> BatchJob? {
        guard job.status?.canMove(to: status) == true else { return nil }
        let now = nowMs()
        var moved = job
        moved.set([("status", .string(status.rawValue))])
        if let reason { moved.set([("statusReason", .string(reason))]) }
        // When it entered each status, for the console's timeline (AWS shows these as the job's state-change events).
        let entered: JSONValue = ["status": .string(status.rawValue), "at": .int(now)]
        moved.setInternal([("statusChanges", .array((job.value("statusChanges")?.arrayValue ?? []) + [entered]))])
        change(&moved)
        moved.row.status = status.rawValue
        moved.row.updatedAt = now
        moved.row.document = moved.detail.jsonString()
        // The status and the event reporting it commit together: neither is ever stored without the other.
        let deliveries = try await events.jobStateChangeDeliveries(
            accountId: moved.row.accountId, region: moved.row.region, jobArn: moved.arn, detail: moved.publicDetail,
            time: clock.now())
        guard try await store.updateJob(moved.row, ifStatus: job.row.status, deliveries: deliveries) else { return nil }
        if !deliveries.isEmpty { events.didEnqueue() }
        return moved
    }

    /// Saves bookkeeping without a status change (no event).
    func save(_ job: BatchJob) async throws -> Bool {
        var j = job
        j.row.document = j.detail.jsonString()
        j.row.updatedAt = nowMs()
        return try await store.updateJob(j.row, ifStatus: job.row.status, deliveries: [])
    }
}
