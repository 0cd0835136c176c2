import Foundation

/// An EventBridge Scheduler schedule group. Times are epoch milliseconds.
public struct ScheduleGroupRecord: Sendable, Equatable {
    public var accountId: String
    public var region: String
    public var name: String
    public var arn: String
    public var createdAt: Int64
    public var updatedAt: Int64
    /// Tag keys to values.
    public var tags: [String: String]

    public init(accountId: String, region: String, name: String, arn: String, createdAt: Int64, updatedAt: Int64,
                tags: [String: String] = [:]) {
        self.accountId = accountId
        self.region = region
        self.name = name
        self.arn = arn
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.tags = tags
    }
}

/// An EventBridge Scheduler schedule: what the service decides (`definition`) and when it is next due.
public struct ScheduleRecord: Sendable, Equatable {
    public var accountId: String
    public var region: String
    public var groupName: String
    public var name: String
    /// `arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>`: unique, and the order schedules are listed in.
    public var arn: String
    /// `ENABLED` or `DISABLED`.
    public var state: String
    /// The schedule as GetSchedule answers it, without its name, group, ARN and dates (JSON, the service's to read).
    public var definition: String
    public var createdAt: Int64
    public var updatedAt: Int64
    /// When the schedule is due next; nil when it never fires again.
    public var nextFireAt: Int64?

    public init(accountId: String, region: String, groupName: String, name: String, arn: String, state: String,
                definition: String, createdAt: Int64, updatedAt: Int64, nextFireAt: Int64?) {
        self.accountId = accountId
        self.region = region
        self.groupName = groupName
        self.name = name
        self.arn = arn
        self.state = state
        self.definition = definition
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.nextFireAt = nextFireAt
    }
}

/// One due invocation of a schedule's target, committed before it is made (the scheduler's outbox).
public struct ScheduleFiring: Sendable, Equatable {
    /// Assigned by the store.
    public var firingId: Int64
    public var accountId: String
    public var region: String
    public var groupName: String
    public var scheduleArn: String
    /// Shared by every attempt of this firing (`<aws.scheduler.execution-id>`).
    public var executionId: String
    /// The due time the firing is for (epoch ms), before any flexible window.
    public var scheduledTime: Int64
    /// The schedule's target when it fired (JSON, botocore's `Target`).
    public var target: String
    /// Attempts made so far.
    public var attempts: Int
    public var nextAttemptAt: Int64
    public var lastError: String?

    public init(firingId: Int64 = 0, accountId: String, region: String, groupName: String, scheduleArn: String,
                executionId: String, scheduledTime: Int64, target: String, attempts: Int = 0, nextAttemptAt: Int64,
                lastError: String? = nil) {
        self.firingId = firingId
        self.accountId = accountId
        self.region = region
        self.groupName = groupName
        self.scheduleArn = scheduleArn
        self.executionId = executionId
        self.scheduledTime = scheduledTime
        self.target = target
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
    }
}

/// What one due schedule does, decided by the service from the schedule alone (no I/O).
public struct ScheduleStep: Sendable, Equatable {
    /// The invocation to commit, if the due time fires (nil when skipped: disabled, or too late after downtime).
    public var firing: ScheduleFiring?
    /// When the schedule is due next; nil when it never fires again.
    public var next: Int64?
    /// Whether the schedule is deleted (ActionAfterCompletion DELETE after its last firing).
    public var delete: Bool

    public init(firing: ScheduleFiring?, next: Int64?, delete: Bool) {
        self.firing = firing
        self.next = next
        self.delete = delete
    }
}

/// EventBridge Scheduler's schedule groups, schedules and the outbox of due firings. Every list is ordered by name
/// (groups) or ARN (schedules) and paged by the last one returned.
public protocol ScheduleStore: Sendable {
    /// Adds the group unless one of its name exists (the account's `default` group, made on first use).
    func ensureGroup(_ group: ScheduleGroupRecord) async throws
    /// Throws `StoreError.duplicate` when the name is taken.
    func createGroup(_ group: ScheduleGroupRecord) async throws
    func group(accountId: String, region: String, name: String) async throws -> ScheduleGroupRecord?
    func groups(accountId: String, region: String, prefix: String, after: String?, limit: Int) async throws -> [ScheduleGroupRecord]
    /// Deletes the group with its schedules and their pending firings, in one transaction; false when it did not exist.
    func deleteGroup(accountId: String, region: String, name: String) async throws -> Bool
    /// Replaces the group's tags; false when it does not exist.
    func setGroupTags(accountId: String, region: String, name: String, tags: [String: String]) async throws -> Bool

    /// Throws `StoreError.notFound` when its group does not exist and `StoreError.duplicate` when the name is taken
    /// in the group (checked in the same transaction).
    func createSchedule(_ schedule: ScheduleRecord) async throws
    func schedule(accountId: String, region: String, groupName: String, name: String) async throws -> ScheduleRecord?
    /// Schedules of the account (of one group when `groupName` is set), by ARN, after the ARN `after`.
    func schedules(accountId: String, region: String, groupName: String?, prefix: String, state: String?, after: String?,
                   limit: Int) async throws -> [ScheduleRecord]
    /// Replaces state, definition, next due time and `updatedAt`; false when it does not exist.
    func updateSchedule(_ schedule: ScheduleRecord) async throws -> Bool
    /// False when it did not exist. Firings already committed still run.
    func deleteSchedule(accountId: String, region: String, groupName: String, name: String) async throws -> Bool

    /// The earliest `nextFireAt` of any schedule (a read: no write transaction when nothing is due).
    func nextScheduleDue() async throws -> Int64?
    /// Claims up to `limit` schedules due at `now` (skipping rows another node holds) and, in the same transaction,
    /// applies each one's `step`: inserts its firing, moves it to its next due time or deletes it. Returns how many.
    func fireSchedules(now: Int64, limit: Int, step: @escaping @Sendable (ScheduleRecord) -> ScheduleStep) async throws -> Int

    /// The earliest `nextAttemptAt` of any firing.
    func nextFiringDue() async throws -> Int64?
    /// Leases up to `limit` firings due at `now` to `owner` until `leaseUntil` (skipping rows another node holds).
    func claimFirings(now: Int64, leaseUntil: Int64, owner: String, limit: Int) async throws -> [ScheduleFiring]
    /// The firings are done (invoked, dead-lettered or given up on): one transaction for a pass's worth.
    func finishFirings(ids: [Int64]) async throws
    /// Schedules another attempt and releases the lease.
    func retryFiring(id: Int64, attempts: Int, nextAttemptAt: Int64, lastError: String) async throws
    /// Makes `owner`'s leased firings due at `now` again (a node starting over); returns how many.
    func releaseFiringLeases(owner: String, now: Int64) async throws -> Int
}
