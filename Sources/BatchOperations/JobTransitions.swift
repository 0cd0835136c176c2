import AuditTrail
import CairnCore
import Foundation
import Storage
import Wire

/// Moves jobs between statuses — from the API and from the runner — and records each move as the CloudTrail
/// service event S3 emits (`JobCreated`, then `JobStatusChanged`), which the bridge carries to EventBridge.
public struct JobTransitions: Sendable {
    let store: any JobStore
    let recorder: AuditRecorder
    let clock: any WallClock

    public init(store: any JobStore, recorder: AuditRecorder, clock: any WallClock) {
        self.store = store
        self.recorder = recorder
        self.clock = clock
    }

    static func arn(_ job: JobRow) -> String { "arn:aws:s3:\(job.region):\(job.accountId):job/\(job.jobId)" }

    /// The service event for the job's current status.
    func record(_ job: JobRow, eventName: String, reasons: [String] = []) async throws {
        let state = JobRunState(decoding: job.state)
        let details: JSONValue = [
            "jobId": .string(job.jobId), "jobArn": .string(Self.arn(job)), "status": .string(job.status),
            "jobEventId": .string(Identifiers.uuid().replacingOccurrences(of: "-", with: "").lowercased()),
            "failureCodes": .array(job.status == JobStatus.failed.rawValue || job.status == JobStatus.failing.rawValue
                                   ? state.failures.map { .string($0.code) } : []),
            "statusChangeReason": .array(reasons.map(JSONValue.string)),
        ]
        _ = try await recorder.recordServiceEvent(service: "s3.amazonaws.com", eventName: eventName, accountId: job.accountId,
                                                  region: job.region, details: details, at: clock.now())
    }

    /// Moves the job to `next` if it is still in the status the caller saw; records the change. Returns the moved
    /// job, or nil when the job moved meanwhile (the caller re-reads it).
    @discardableResult
    func move(_ job: JobRow, to next: JobStatus, reasons: [String] = [],
              change: (inout JobRunState) -> Void = { _ in }) async throws -> JobRow? {
        guard let current = JobStatus(rawValue: job.status), current.canMove(to: next) else { return nil }
        var moved = job
        var state = JobRunState(decoding: job.state)
        let now = clock.nowMs()
        if current == .active, let since = state.activeSince {
            state.activeMillis += now - since
            state.activeSince = nil
        }
        if next == .active { state.activeSince = now }
        if next.isTerminal { state.terminationDate = now }
        change(&state)
        moved.status = next.rawValue
        moved.state = state.encoded
        moved.updatedAt = now
        guard try await store.updateJob(moved, ifStatus: job.status) else { return nil }
        try await record(moved, eventName: "JobStatusChanged", reasons: reasons)
        return moved
    }
}
