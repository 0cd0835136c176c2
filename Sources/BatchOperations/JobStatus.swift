/// The statuses of an S3 Batch Operations job and which changes are legal (`aws-wire.md` §6.4).
public enum JobStatus: String, Sendable, CaseIterable {
    case new = "New", preparing = "Preparing", suspended = "Suspended", ready = "Ready", active = "Active"
    case pausing = "Pausing", paused = "Paused", completing = "Completing", complete = "Complete"
    case cancelling = "Cancelling", cancelled = "Cancelled", failing = "Failing", failed = "Failed"

    public var isTerminal: Bool { self == .complete || self == .cancelled || self == .failed }

    /// Whether the job may move from this status to `next`.
    public func canMove(to next: JobStatus) -> Bool {
        if isTerminal { return false }
        switch next {
        case .cancelling: return self != .cancelling && self != .failing && self != .completing
        case .failing: return self != .cancelling && self != .failing
        case .preparing: return self == .new
        case .suspended: return self == .preparing
        case .ready: return self == .preparing || self == .suspended
        case .active: return self == .ready || self == .paused
        case .pausing: return self == .active
        case .paused: return self == .pausing
        case .completing: return self == .active
        case .complete: return self == .completing
        case .cancelled: return self == .cancelling
        case .failed: return self == .failing
        case .new: return false
        }
    }

    /// What UpdateJobStatus may ask for from here: `Ready` only from `Suspended`; `Cancelled` from any
    /// status that is not already ending.
    public func allowsRequest(_ requested: JobStatus) -> Bool {
        switch requested {
        case .ready: return self == .suspended
        case .cancelled: return canMove(to: .cancelling)
        default: return false
        }
    }
}
