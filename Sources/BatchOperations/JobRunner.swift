import AuditTrail
import CairnCore
import Foundation
import Logging
import ObjectStore
import ServiceLifecycle
import Storage

/// Runs Batch Operations jobs: prepares their tasks from the manifest, waits for confirmation, runs the
/// highest-priority job (pausing a lower one when a higher one is ready), applies each task to the object store,
/// fails a job whose tasks fail past AWS's threshold, writes the completion report, and records every status
/// change. Tasks are committed in batches with the job's counters, so a restart resumes where the last batch ended.
public final class JobRunner: Service, Sendable {
    let store: any JobStore
    let transitions: JobTransitions
    let s3: S3Service
    let clock: any WallClock
    let logger: Logger
    let batchSize: Int
    /// AWS fails a job once at least this many tasks were attempted and more than half of them failed.
    let failureThresholdMinimum: Int64
    let hold: Hold?
    private let signal = WakeSignal()

    /// For tests (`--batch-operations-hold-file`): while the file exists, jobs stop at a point the test chose, and
    /// go on when it is removed. Empty, it holds new jobs in Preparing; holding a number N, it lets jobs prepare and
    /// holds each Active job once it has attempted N tasks. Control requests (cancel, pause) are served while held.
    public struct Hold: Sendable {
        let path: String
        public init(path: String) { self.path = path }

        /// nil: no hold; else the number of tasks a job may attempt (0: not even prepare).
        var limit: Int64? {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
            return Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }
    }

    public init(store: any JobStore, transitions: JobTransitions, s3: S3Service, clock: any WallClock, logger: Logger,
                batchSize: Int = 1000, failureThresholdMinimum: Int64 = 1000, hold: Hold? = nil) {
        self.store = store
        self.transitions = transitions
        self.s3 = s3
        self.clock = clock
        self.logger = logger
        self.batchSize = batchSize
        self.failureThresholdMinimum = failureThresholdMinimum
        self.hold = hold
    }

    /// Something changed (a new job, a confirmation, a cancel): look soon.
    public func wake() { signal.wake() }

    public func run() async throws {
        await signal.run(every: .milliseconds(500)) {
            do {
                // Batch after batch while there is work, stopping between batches on shutdown.
                while !Task.isShuttingDownGracefully, !Task.isCancelled, try await self.pass() {}
            } catch {
                self.logger.passFailed("batch operations pass", error)
            }
        }
    }

    /// One step for every job that needs one; returns whether tasks ran (so the caller loops at once).
    func pass() async throws -> Bool {
        for job in try await store.unfinishedJobs() {
            switch JobStatus(rawValue: job.status) {
            case .new, .preparing: try await prepare(job)
            case .cancelling: try await transitions.move(job, to: .cancelled)
            case .failing: try await transitions.move(job, to: .failed)
            case .pausing: try await transitions.move(job, to: .paused)
            case .completing: try await complete(job)
            default: break
            }
        }
        // Schedule: the highest priority runs; an active job keeps running against equals.
        let candidates = try await store.unfinishedJobs().filter {
            [JobStatus.ready, .paused, .active].contains(JobStatus(rawValue: $0.status))
        }
        guard let best = candidates.min(by: { a, b in
            if a.priority != b.priority { return a.priority > b.priority }
            if (a.status == "Active") != (b.status == "Active") { return a.status == "Active" }
            return a.createdAt < b.createdAt
        }) else { return false }
        for other in candidates where other.jobId != best.jobId && other.status == JobStatus.active.rawValue {
            if let pausing = try await transitions.move(other, to: .pausing) { try await transitions.move(pausing, to: .paused) }
        }
        var running = best
        if best.status != JobStatus.active.rawValue {
            guard let active = try await transitions.move(best, to: .active) else { return true }
            running = active
        }
        return try await runBatch(running)
    }

    /// Fails a job: Failing, then Failed, with the reason in FailureReasons and the event's failureCodes.
    func fail(_ job: JobRow, code: String, reason: String) async throws {
        logger.info("job \(job.jobId) failed: \(reason)")
        guard let failing = try await transitions.move(job, to: .failing, change: {
            $0.failures.append(.init(code: code, reason: reason))
        }) else { return }
        try await transitions.move(failing, to: .failed)
    }
}
