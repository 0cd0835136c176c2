import CairnCore
import Foundation
import Storage

/// What a job's page shows beyond DescribeJobs: when the job entered each status, and which node's runner ran it.
public struct BatchJobHistory: Sendable {
    public var jobArn: String
    /// SUBMITTED at creation, then every status it moved to, oldest first (epoch milliseconds).
    public var statusChanges: [(status: String, at: Int64)]
    /// The node whose local runner ran the latest attempt (its output is on that node's disk).
    public var node: String?
}

extension BatchService {
    /// The history of a job of this account; nil when there is no such job.
    public func history(jobId: String, accountId: String) async throws -> BatchJobHistory? {
        guard let row = try await store.job(id: jobId), row.accountId == accountId else { return nil }
        let job = BatchJob(row)
        var changes: [(status: String, at: Int64)] = [(BatchJobStatus.submitted.rawValue, row.createdAt)]
        for change in job.value("statusChanges")?.arrayValue ?? [] {
            if let status = change["status"]?.stringValue, let at = change["at"]?.intValue { changes.append((status, at)) }
        }
        return BatchJobHistory(jobArn: job.arn, statusChanges: changes, node: job.value("node")?.stringValue)
    }
}
