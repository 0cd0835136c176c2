/// The statuses of an AWS Batch job, spelled as AWS spells them, and the moves Cairn makes between them.
///
/// - SUBMITTED → PENDING: a dependency has not finished yet; every array parent waits in PENDING for its children.
/// - SUBMITTED, PENDING → RUNNABLE: no dependencies, or all of them succeeded.
/// - PENDING → SUCCEEDED: an array parent whose children all succeeded.
/// - RUNNABLE → STARTING: placed on a compute environment with room.
/// - STARTING → RUNNING: its process started.
/// - STARTING, RUNNING → RUNNABLE: the attempt failed (no process, exit code, timeout, its node stopped) and
///   retryStrategy retries it.
/// - RUNNING → SUCCEEDED: its process exited 0.
/// - SUBMITTED, PENDING, RUNNABLE, STARTING, RUNNING → FAILED: a dependency or an array child failed; CancelJob or
///   TerminateJob before STARTING; an attempt failed with no retry left.
///
/// SUCCEEDED and FAILED are final. Nothing returns to SUBMITTED or PENDING; a job reaches SUCCEEDED only from
/// RUNNING (its process) or, as an array parent, from PENDING (its children).
public enum BatchJobStatus: String, Sendable, CaseIterable {
    case submitted = "SUBMITTED", pending = "PENDING", runnable = "RUNNABLE", starting = "STARTING", running = "RUNNING"
    case succeeded = "SUCCEEDED", failed = "FAILED"

    /// Whether the job has ended: nothing moves it again.
    public var isFinal: Bool { self == .succeeded || self == .failed }

    /// Whether the job may move from this status to `next` (the table above).
    public func canMove(to next: BatchJobStatus) -> Bool {
        if isFinal { return false }
        switch next {
        case .submitted: return false
        case .pending: return self == .submitted
        case .runnable: return self != .runnable
        case .starting: return self == .runnable
        case .running: return self == .starting
        case .succeeded: return self == .pending || self == .running
        case .failed: return true
        }
    }
}
