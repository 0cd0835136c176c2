/// An S3 Batch Operations job as stored: the request (`definition`) and the run state (`state`) are JSON the
/// job service owns; status, priority and counters are columns because the scheduler and ListJobs use them.
public struct JobRow: Sendable, Equatable {
    public var jobId: String
    public var accountId: String
    public var region: String
    public var status: String
    public var priority: Int64
    public var clientToken: String
    public var requestHash: String
    public var definition: String
    public var state: String
    public var tags: [String: String]
    public var totalTasks: Int64
    public var succeededTasks: Int64
    public var failedTasks: Int64
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(jobId: String, accountId: String, region: String, status: String, priority: Int64, clientToken: String,
                requestHash: String, definition: String, state: String, tags: [String: String], totalTasks: Int64 = 0,
                succeededTasks: Int64 = 0, failedTasks: Int64 = 0, createdAt: Int64, updatedAt: Int64) {
        self.jobId = jobId
        self.accountId = accountId
        self.region = region
        self.status = status
        self.priority = priority
        self.clientToken = clientToken
        self.requestHash = requestHash
        self.definition = definition
        self.state = state
        self.tags = tags
        self.totalTasks = totalTasks
        self.succeededTasks = succeededTasks
        self.failedTasks = failedTasks
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One object a job acts on, and what happened to it.
public struct JobTask: Sendable, Equatable {
    public var index: Int64
    public var bucket: String
    public var key: String
    public var versionId: String?
    /// `succeeded`, `failed`, or nil while pending.
    public var result: String?
    public var errorCode: String?
    public var httpStatus: Int?
    public var message: String?

    public init(index: Int64, bucket: String, key: String, versionId: String? = nil, result: String? = nil,
                errorCode: String? = nil, httpStatus: Int? = nil, message: String? = nil) {
        self.index = index
        self.bucket = bucket
        self.key = key
        self.versionId = versionId
        self.result = result
        self.errorCode = errorCode
        self.httpStatus = httpStatus
        self.message = message
    }
}

/// Batch Operations jobs and their tasks.
public protocol JobStore: Sendable {
    /// Throws `StoreError.duplicate` when the account already used the client token.
    func createJob(_ job: JobRow) async throws
    func job(id: String) async throws -> JobRow?
    func job(accountId: String, clientToken: String) async throws -> JobRow?
    /// The account's jobs in the region, newest first, optionally only these statuses, after a job id (paging).
    func jobs(accountId: String, region: String, statuses: Set<String>, limit: Int, after: (createdAt: Int64, jobId: String)?) async throws -> [JobRow]
    /// Jobs not in a terminal status, for the runner.
    func unfinishedJobs() async throws -> [JobRow]
    /// Writes status and state if the stored status is still `ifStatus` (the runner and the API both move jobs;
    /// neither may overwrite the other's change). Priority, tags and counters have their own writes, so a status
    /// change never carries back a stale copy of them.
    func updateJob(_ job: JobRow, ifStatus: String) async throws -> Bool
    /// Sets the priority unless the job has ended; returns whether it did.
    func setPriority(_ priority: Int64, jobId: String) async throws -> Bool
    func setTags(_ tags: [String: String], jobId: String) async throws
    /// Adds the tasks and sets the job's total, in one transaction.
    func addTasks(_ tasks: [JobTask], jobId: String) async throws
    func pendingTasks(jobId: String, limit: Int) async throws -> [JobTask]
    /// Records task results and moves the job's counters, in one transaction.
    func completeTasks(_ tasks: [JobTask], jobId: String, succeeded: Int64, failed: Int64) async throws
    /// Finished tasks in order; `failedOnly` for failed-task reports.
    func finishedTasks(jobId: String, failedOnly: Bool, after: Int64, limit: Int) async throws -> [JobTask]
}
