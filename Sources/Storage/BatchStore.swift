import CairnCore
import Foundation
import PostgresNIO
import SQLKit

/// A compute environment, job queue or job definition revision: its detail document is JSON the Batch
/// service owns. Its properties are the `batch_resource` columns, so a row decodes as it is.
public struct BatchResourceRow: Sendable, Equatable, Decodable {
    public var arn: String
    public var accountId: String
    public var region: String
    /// `compute-environment`, `job-queue` or `job-definition`.
    public var kind: String
    public var name: String
    /// Job definition revision (1, 2, ...); 0 for the other kinds.
    public var revision: Int64
    public var status: String
    public var document: String
    public var createdAt: Int64

    public init(arn: String, accountId: String, region: String, kind: String, name: String, revision: Int64, status: String,
                document: String, createdAt: Int64) {
        self.arn = arn
        self.accountId = accountId
        self.region = region
        self.kind = kind
        self.name = name
        self.revision = revision
        self.status = status
        self.document = document
        self.createdAt = createdAt
    }
}

/// A Batch job: its `JobDetail` document plus the columns the scheduler and ListJobs query. Its properties are the
/// `batch_job` columns, so a row decodes as it is.
public struct BatchJobRow: Sendable, Equatable, Decodable {
    public var jobId: String
    public var accountId: String
    public var region: String
    public var queueArn: String
    public var parentId: String?
    public var status: String
    public var jobName: String
    public var document: String
    /// The job's tags, a JSON object. Kept apart from `document` so TagResource and status changes never
    /// overwrite each other.
    public var tags: String
    public var createdAt: Int64
    public var updatedAt: Int64

    /// A row selected as `SQLBatchStore.jobColumns`, by position.
    init(_ row: PostgresRow) throws {
        (jobId, accountId, region, queueArn, parentId, status, jobName, document, tags, createdAt, updatedAt) =
            try row.decode((String, String, String, String, String?, String, String, String, String, Int64, Int64).self)
    }

    public init(jobId: String, accountId: String, region: String, queueArn: String, parentId: String?, status: String,
                jobName: String, document: String, tags: String = "{}", createdAt: Int64, updatedAt: Int64) {
        self.jobId = jobId
        self.accountId = accountId
        self.region = region
        self.queueArn = queueArn
        self.parentId = parentId
        self.status = status
        self.jobName = jobName
        self.document = document
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Which version of a job is stored: `updatedAt` grows with every write of the job, so a reader holding the job
/// with the same `updatedAt` holds the stored document. Read from those three `batch_job` columns.
public struct BatchJobVersion: Sendable, Equatable {
    public var jobId: String
    public var status: String
    public var updatedAt: Int64

    public init(jobId: String, status: String, updatedAt: Int64) {
        self.jobId = jobId
        self.status = status
        self.updatedAt = updatedAt
    }
}

/// A job to write if it is still in the status its writer saw, with the events reporting the change.
public struct BatchJobUpdate: Sendable {
    public var job: BatchJobRow
    public var ifStatus: String
    public var deliveries: [EventDelivery]

    public init(job: BatchJobRow, ifStatus: String, deliveries: [EventDelivery]) {
        self.job = job
        self.ifStatus = ifStatus
        self.deliveries = deliveries
    }
}

/// What a conditional write stored beside the writer's document: the version it wrote, and the job's tags
/// (which another writer may have changed since the writer read the job).
public struct BatchJobWritten: Sendable, Equatable {
    public var updatedAt: Int64
    public var tags: String

    public init(updatedAt: Int64, tags: String) {
        self.updatedAt = updatedAt
        self.tags = tags
    }
}

/// AWS Batch's resources and jobs.
public protocol BatchStore: Sendable {
    /// Throws `StoreError.duplicate` when the ARN exists.
    func putResource(_ resource: BatchResourceRow) async throws
    func updateResource(_ resource: BatchResourceRow) async throws
    func deleteResource(arn: String) async throws
    func resource(arn: String) async throws -> BatchResourceRow?
    func resources(accountId: String, region: String, kind: String) async throws -> [BatchResourceRow]
    /// The highest ACTIVE revision of the named resource (a job definition), or nil.
    func latestActiveResource(accountId: String, region: String, kind: String, name: String) async throws -> BatchResourceRow?

    /// Inserts jobs (a job and its array children) in one transaction.
    func insertJobs(_ jobs: [BatchJobRow]) async throws
    func job(id: String) async throws -> BatchJobRow?
    func jobs(ids: [String]) async throws -> [BatchJobRow]
    /// Writes each job whose stored status is still its update's `ifStatus`, and with it that update's `deliveries`
    /// (the events reporting the change) to the outbox, all in one transaction; returns what was stored of each job
    /// written, by id. The stored `updatedAt` is the job's, or one more than the previous write's when that is not
    /// earlier (two writes in one millisecond). At most one update per job.
    func updateJobs(_ updates: [BatchJobUpdate]) async throws -> [String: BatchJobWritten]
    /// Replaces a job's tags (a JSON object) whatever its status; status changes keep the stored tags, so neither
    /// write loses the other's.
    func setJobTags(_ tags: String, jobId: String, at time: Int64) async throws
    /// Jobs not yet SUCCEEDED or FAILED, oldest first.
    func activeJobs() async throws -> [BatchJobRow]
    /// The versions of the jobs `activeJobs()` returns, in its order, without their documents.
    func activeJobVersions() async throws -> [BatchJobVersion]
    /// The versions of the jobs with these ids (those that exist), without their documents.
    func jobVersions(ids: [String]) async throws -> [BatchJobVersion]
    func jobs(accountId: String, region: String, queueArn: String?, parentId: String?) async throws -> [BatchJobRow]
    func children(parentId: String) async throws -> [BatchJobRow]
}

extension BatchStore {
    /// One job's conditional write (`updateJobs`); returns whether it was written.
    public func updateJob(_ job: BatchJobRow, ifStatus: String, deliveries: [EventDelivery]) async throws -> Bool {
        try await updateJobs([BatchJobUpdate(job: job, ifStatus: ifStatus, deliveries: deliveries)])[job.jobId] != nil
    }
}

/// `BatchStore` over SQL.
public struct SQLBatchStore: BatchStore {
    let store: SQLStore

    public init(store: SQLStore) { self.store = store }

    static func decodeResource(_ row: any SQLRow) throws -> BatchResourceRow {
        try row.decodeColumns(BatchResourceRow.self)
    }

    /// `batch_job`'s columns in the order `BatchJobRow.init(_: PostgresRow)` reads them and `insertJobs` writes them.
    static let jobColumnNames = ["job_id", "account_id", "region", "queue_arn", "parent_id", "status", "job_name", "document",
                                 "tags", "created_at", "updated_at"]
    static let jobColumns = jobColumnNames.joined(separator: ", ")

    static func decodeJob(_ row: any SQLRow) throws -> BatchJobRow {
        try row.decodeColumns(BatchJobRow.self)
    }

    public func putResource(_ r: BatchResourceRow) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO batch_resource (arn, account_id, region, kind, name, revision, status, document, created_at)
                VALUES (\(bind: r.arn), \(bind: r.accountId), \(bind: r.region), \(bind: r.kind), \(bind: r.name), \(bind: r.revision),
                        \(bind: r.status), \(bind: r.document), \(bind: r.createdAt))
                """).run()
        }
    }

    public func updateResource(_ r: BatchResourceRow) async throws {
        try await store.write { db in
            try await db.raw("""
                UPDATE batch_resource SET status = \(bind: r.status), document = \(bind: r.document) WHERE arn = \(bind: r.arn)
                """).run()
        }
    }

    public func deleteResource(arn: String) async throws {
        try await store.write { db in try await db.raw("DELETE FROM batch_resource WHERE arn = \(bind: arn)").run() }
    }

    public func resource(arn: String) async throws -> BatchResourceRow? {
        try await store.read { db in
            try await db.raw("SELECT * FROM batch_resource WHERE arn = \(bind: arn)").first().map(Self.decodeResource)
        }
    }

    public func latestActiveResource(accountId: String, region: String, kind: String, name: String) async throws -> BatchResourceRow? {
        // One row from `batch_resource_by_name`, not every revision of every definition: SubmitJob reads this.
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM batch_resource WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND kind = \(bind: kind) AND name = \(bind: name) AND status = 'ACTIVE' ORDER BY revision DESC LIMIT 1
                """).first().map(Self.decodeResource)
        }
    }

    public func resources(accountId: String, region: String, kind: String) async throws -> [BatchResourceRow] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM batch_resource WHERE account_id = \(bind: accountId) AND region = \(bind: region) AND kind = \(bind: kind)
                ORDER BY name, revision
                """).all().map(Self.decodeResource)
        }
    }

    public func insertJobs(_ jobs: [BatchJobRow]) async throws {
        let statements = stride(from: 0, to: jobs.count, by: Self.jobsPerStatement).map { start in
            jobs[start..<min(start + Self.jobsPerStatement, jobs.count)]
        }
        @Sendable func insert(_ jobs: ArraySlice<BatchJobRow>, _ db: any SQLDatabase) async throws {
            var insert = db.insert(into: "batch_job").columns(Self.jobColumnNames)
            for j in jobs {
                insert = insert.values([j.jobId, j.accountId, j.region, j.queueArn, j.parentId, j.status, j.jobName, j.document,
                                        j.tags, j.createdAt, j.updatedAt] as [any Encodable & Sendable])
            }
            try await insert.run()
        }
        switch statements.count {
        case 0: return
        case 1:
            // Jobs that fit one statement (every SubmitJob but a large array's) commit as it ends: on PostgreSQL one
            // round trip instead of three (BEGIN, the insert, COMMIT), and not behind the node's serializable-write lock.
            try await store.autocommit { db in try await insert(statements[0], db) }
        default:
            try await store.write { db in
                for statement in statements { try await insert(statement, db) }
            }
        }
    }

    /// Eleven parameters each: far below SQLite's and PostgreSQL's limits.
    static let jobsPerStatement = 500

    public func job(id: String) async throws -> BatchJobRow? {
        try await store.read { db in try await db.raw("SELECT * FROM batch_job WHERE job_id = \(bind: id)").first().map(Self.decodeJob) }
    }

    public func jobs(ids: [String]) async throws -> [BatchJobRow] {
        guard !ids.isEmpty else { return [] }
        return try await store.read { db in
            try await db.rows("SELECT \(unsafeRaw: Self.jobColumns) FROM batch_job WHERE job_id IN (\(SQLList(ids.map { SQLBind($0) })))",
                              byPosition: BatchJobRow.init, byName: Self.decodeJob)
        }
    }

    public func updateJobs(_ updates: [BatchJobUpdate]) async throws -> [String: BatchJobWritten] {
        guard !updates.isEmpty else { return [:] }
        // The status check is in the UPDATE's WHERE, so a move is one statement, not a read and a write; and the
        // jobs of a scheduler pass share the statement (a join with their VALUES), so starting 64 jobs costs a few
        // statements, not 64. updated_at strictly grows, so (job_id, updated_at) names one stored document (the
        // scheduler's cache).
        return try await store.write { db in
            var written: [String: BatchJobWritten] = [:]
            for start in stride(from: 0, to: updates.count, by: Self.updatesPerStatement) {
                let chunk = updates[start..<min(start + Self.updatesPerStatement, updates.count)]
                let values = SQLList(chunk.map { u in
                    SQLGroupExpression([SQLBind(u.job.jobId), SQLBind(u.ifStatus), SQLBind(u.job.status),
                                        SQLBind(u.job.document), SQLBind(u.job.updatedAt)] as [any SQLExpression])
                })
                // VALUES columns are column1…column5 on both engines.
                for row in try await db.raw("""
                    UPDATE batch_job SET status = v.column3, document = v.column4,
                        updated_at = \(Self.laterThanStored(SQLRaw("v.column5")))
                    FROM (VALUES \(values)) AS v
                    WHERE batch_job.job_id = v.column1 AND batch_job.status = v.column2
                    RETURNING job_id, updated_at, tags
                    """).all() {
                    written[try row.decode(column: "job_id", as: String.self)] = BatchJobWritten(
                        updatedAt: try row.decode(column: "updated_at", as: Int64.self), tags: try row.decode(column: "tags", as: String.self))
                }
            }
            try await SQLEventBusStore.insert(updates.filter { written[$0.job.jobId] != nil }.flatMap(\.deliveries), db)
            return written
        }
    }

    /// Five parameters each: far below SQLite's and PostgreSQL's limits.
    static let updatesPerStatement = 200

    /// `time`, or one more than the stored `updated_at` when that is not earlier.
    static func laterThanStored(_ time: any SQLExpression) -> SQLQueryString {
        "CASE WHEN batch_job.updated_at < \(time) THEN \(time) ELSE batch_job.updated_at + 1 END"
    }

    public func setJobTags(_ tags: String, jobId: String, at time: Int64) async throws {
        try await store.write { db in
            try await db.raw("""
                UPDATE batch_job SET tags = \(bind: tags), updated_at = \(Self.laterThanStored(SQLBind(time)))
                WHERE job_id = \(bind: jobId)
                """).run()
        }
    }

    public func activeJobs() async throws -> [BatchJobRow] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM batch_job WHERE status NOT IN ('SUCCEEDED', 'FAILED') ORDER BY created_at, job_id
                """).all().map(Self.decodeJob)
        }
    }

    /// Its WHERE is `batch_job_active`'s, word for word: that partial index covers it.
    static let activeJobVersionsQuery = """
        SELECT job_id, status, updated_at FROM batch_job WHERE status NOT IN ('SUCCEEDED', 'FAILED') ORDER BY created_at, job_id
        """

    public func activeJobVersions() async throws -> [BatchJobVersion] {
        // By column, not Codable (and by position on PostgreSQL): this runs every scheduler pass over every queued job.
        try await store.read { db in try await Self.versions(SQLQueryString(Self.activeJobVersionsQuery), db) }
    }

    public func jobVersions(ids: [String]) async throws -> [BatchJobVersion] {
        guard !ids.isEmpty else { return [] }
        return try await store.read { db in
            try await Self.versions("SELECT job_id, status, updated_at FROM batch_job WHERE job_id IN (\(SQLList(ids.map { SQLBind($0) })))", db)
        }
    }

    /// The versions `sql` selects, as `job_id, status, updated_at`.
    static func versions(_ sql: SQLQueryString, _ db: any SQLDatabase) async throws -> [BatchJobVersion] {
        try await db.rows(sql, byPosition: { row in
            let (jobId, status, updatedAt) = try row.decode((String, String, Int64).self)
            return BatchJobVersion(jobId: jobId, status: status, updatedAt: updatedAt)
        }, byName: { row in
            BatchJobVersion(jobId: try row.decode(column: "job_id", as: String.self), status: try row.decode(column: "status", as: String.self),
                            updatedAt: try row.decode(column: "updated_at", as: Int64.self))
        })
    }

    public func jobs(accountId: String, region: String, queueArn: String?, parentId: String?) async throws -> [BatchJobRow] {
        try await store.read { db in
            if let parentId {
                return try await db.raw("""
                    SELECT * FROM batch_job WHERE parent_id = \(bind: parentId) ORDER BY created_at DESC, job_id
                    """).all().map(Self.decodeJob)
            }
            return try await db.raw("""
                SELECT * FROM batch_job WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND queue_arn = \(bind: queueArn ?? "") AND parent_id IS NULL ORDER BY created_at DESC, job_id
                """).all().map(Self.decodeJob)
        }
    }

    public func children(parentId: String) async throws -> [BatchJobRow] {
        try await store.read { db in
            try await db.raw("SELECT * FROM batch_job WHERE parent_id = \(bind: parentId) ORDER BY created_at, job_id").all()
                .map(Self.decodeJob)
        }
    }
}
