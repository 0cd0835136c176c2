import Foundation
import SQLKit

/// `JobStore` over SQL.
public struct SQLJobStore: JobStore {
    let store: SQLStore

    public init(store: SQLStore) { self.store = store }

    /// An `s3_job` row as stored: tags as JSON text.
    private struct JobColumns: Decodable {
        var jobId: String
        var accountId: String
        var region: String
        var status: String
        var priority: Int64
        var clientToken: String
        var requestHash: String
        var definition: String
        var state: String
        var tags: String
        var totalTasks: Int64
        var succeededTasks: Int64
        var failedTasks: Int64
        var createdAt: Int64
        var updatedAt: Int64
    }

    /// An `s3_job_task` row as stored.
    private struct TaskColumns: Decodable {
        var taskIndex: Int64
        var bucket: String
        var objectKey: String
        var versionId: String?
        var result: String?
        var errorCode: String?
        var httpStatus: Int?
        var message: String?
    }

    /// A job's status alone.
    private struct StatusColumns: Decodable {
        var status: String
    }

    static func decode(_ row: any SQLRow) throws -> JobRow {
        let c = try row.decodeColumns(JobColumns.self)
        return JobRow(jobId: c.jobId, accountId: c.accountId, region: c.region, status: c.status, priority: c.priority,
                      clientToken: c.clientToken, requestHash: c.requestHash, definition: c.definition, state: c.state,
                      tags: StringMapColumn.decode(c.tags), totalTasks: c.totalTasks, succeededTasks: c.succeededTasks,
                      failedTasks: c.failedTasks, createdAt: c.createdAt, updatedAt: c.updatedAt)
    }

    static func decodeTask(_ row: any SQLRow) throws -> JobTask {
        let c = try row.decodeColumns(TaskColumns.self)
        return JobTask(index: c.taskIndex, bucket: c.bucket, key: c.objectKey, versionId: c.versionId, result: c.result,
                       errorCode: c.errorCode, httpStatus: c.httpStatus, message: c.message)
    }

    public func createJob(_ j: JobRow) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO s3_job (job_id, account_id, region, status, priority, client_token, request_hash, definition, state, tags,
                                    total_tasks, succeeded_tasks, failed_tasks, created_at, updated_at)
                VALUES (\(bind: j.jobId), \(bind: j.accountId), \(bind: j.region), \(bind: j.status), \(bind: j.priority),
                        \(bind: j.clientToken), \(bind: j.requestHash), \(bind: j.definition), \(bind: j.state),
                        \(bind: StringMapColumn.encode(j.tags)), \(bind: j.totalTasks), \(bind: j.succeededTasks),
                        \(bind: j.failedTasks), \(bind: j.createdAt), \(bind: j.updatedAt))
                """).run()
        }
    }

    public func job(id: String) async throws -> JobRow? {
        try await store.read { db in try await db.raw("SELECT * FROM s3_job WHERE job_id = \(bind: id)").first().map(Self.decode) }
    }

    public func job(accountId: String, clientToken: String) async throws -> JobRow? {
        try await store.read { db in
            try await db.raw("SELECT * FROM s3_job WHERE account_id = \(bind: accountId) AND client_token = \(bind: clientToken)")
                .first().map(Self.decode)
        }
    }

    public func jobs(accountId: String, region: String, statuses: Set<String>, limit: Int,
                     after: (createdAt: Int64, jobId: String)?) async throws -> [JobRow] {
        let cursorTime = after?.createdAt ?? Int64.max
        let cursorId = after?.jobId ?? ""
        return try await store.read { db in
            let rows = try await db.raw("""
                SELECT * FROM s3_job WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND (created_at < \(bind: cursorTime) OR (created_at = \(bind: cursorTime) AND job_id < \(bind: cursorId)))
                ORDER BY created_at DESC, job_id DESC
                """).all().map(Self.decode)
            return Array(rows.filter { statuses.isEmpty || statuses.contains($0.status) }.prefix(limit))
        }
    }

    public func unfinishedJobs() async throws -> [JobRow] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM s3_job WHERE status NOT IN ('Complete', 'Cancelled', 'Failed') ORDER BY priority DESC, created_at
                """).all().map(Self.decode)
        }
    }

    public func updateJob(_ j: JobRow, ifStatus expected: String) async throws -> Bool {
        try await store.write { db in
            let current = try await db.raw("SELECT status FROM s3_job WHERE job_id = \(bind: j.jobId)").first()
                .map { try $0.decodeColumns(StatusColumns.self).status }
            guard current == expected else { return false }
            try await db.raw("""
                UPDATE s3_job SET status = \(bind: j.status), state = \(bind: j.state), updated_at = \(bind: j.updatedAt)
                WHERE job_id = \(bind: j.jobId)
                """).run()
            return true
        }
    }

    public func setPriority(_ priority: Int64, jobId: String) async throws -> Bool {
        try await store.write { db in
            let status = try await db.raw("SELECT status FROM s3_job WHERE job_id = \(bind: jobId)").first()
                .map { try $0.decodeColumns(StatusColumns.self).status }
            guard let status, !["Complete", "Cancelled", "Failed"].contains(status) else { return false }
            try await db.raw("UPDATE s3_job SET priority = \(bind: priority) WHERE job_id = \(bind: jobId)").run()
            return true
        }
    }

    public func setTags(_ tags: [String: String], jobId: String) async throws {
        try await store.write { db in
            try await db.raw("UPDATE s3_job SET tags = \(bind: StringMapColumn.encode(tags)) WHERE job_id = \(bind: jobId)").run()
        }
    }

    public func addTasks(_ tasks: [JobTask], jobId: String) async throws {
        try await store.write { db in
            for chunk in stride(from: 0, to: tasks.count, by: 200).map({ tasks[$0..<min($0 + 200, tasks.count)] }) {
                var query = SQLQueryString("INSERT INTO s3_job_task (job_id, task_index, bucket, object_key, version_id) VALUES ")
                for (i, t) in chunk.enumerated() {
                    if i > 0 { query.appendLiteral(", ") }
                    query = query + "(\(bind: jobId), \(bind: t.index), \(bind: t.bucket), \(bind: t.key), \(bind: t.versionId))"
                }
                try await db.raw(query).run()
            }
            try await db.raw("UPDATE s3_job SET total_tasks = total_tasks + \(bind: Int64(tasks.count)) WHERE job_id = \(bind: jobId)").run()
        }
    }

    public func pendingTasks(jobId: String, limit: Int) async throws -> [JobTask] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM s3_job_task WHERE job_id = \(bind: jobId) AND result IS NULL ORDER BY task_index LIMIT \(bind: limit)
                """).all().map(Self.decodeTask)
        }
    }

    public func completeTasks(_ tasks: [JobTask], jobId: String, succeeded: Int64, failed: Int64) async throws {
        // Tasks with the same outcome (nearly all of a batch) share one UPDATE per 500 indexes: a statement per task
        // was most of a tagging job's time.
        struct Outcome: Hashable { var result: String?, errorCode: String?, httpStatus: Int?, message: String? }
        var grouped: [Outcome: [Int64]] = [:]
        var seen: [Outcome] = []
        for t in tasks {
            let o = Outcome(result: t.result, errorCode: t.errorCode, httpStatus: t.httpStatus, message: t.message)
            if grouped[o] == nil { seen.append(o) }
            grouped[o, default: []].append(t.index)
        }
        let groups = seen.map { ($0, grouped[$0]!) }
        try await store.write { db in
            for (o, indexes) in groups {
                for start in stride(from: 0, to: indexes.count, by: 500) {
                    var query: SQLQueryString = """
                        UPDATE s3_job_task SET result = \(bind: o.result), error_code = \(bind: o.errorCode),
                            http_status = \(bind: o.httpStatus), message = \(bind: o.message)
                        WHERE job_id = \(bind: jobId) AND result IS NULL AND task_index IN (
                        """
                    for (i, index) in indexes[start..<min(start + 500, indexes.count)].enumerated() {
                        if i > 0 { query.appendLiteral(", ") }
                        query = query + "\(bind: index)"
                    }
                    query.appendLiteral(")")
                    try await db.raw(query).run()
                }
            }
            try await db.raw("""
                UPDATE s3_job SET succeeded_tasks = succeeded_tasks + \(bind: succeeded), failed_tasks = failed_tasks + \(bind: failed)
                WHERE job_id = \(bind: jobId)
                """).run()
        }
    }

    public func finishedTasks(jobId: String, failedOnly: Bool, after: Int64, limit: Int) async throws -> [JobTask] {
        try await store.read { db in
            try await (failedOnly
                ? db.raw("""
                    SELECT * FROM s3_job_task WHERE job_id = \(bind: jobId) AND result = 'failed' AND task_index > \(bind: after)
                    ORDER BY task_index LIMIT \(bind: limit)
                    """).all()
                : db.raw("""
                    SELECT * FROM s3_job_task WHERE job_id = \(bind: jobId) AND result IS NOT NULL AND task_index > \(bind: after)
                    ORDER BY task_index LIMIT \(bind: limit)
                    """).all()).map(Self.decodeTask)
        }
    }
}
