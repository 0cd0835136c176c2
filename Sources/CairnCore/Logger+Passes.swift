import Logging

extension Logger {
    /// Logs that a background pass (trail delivery, job scheduling) failed. The cancellation that ends a pass at
    /// shutdown is not a failure and is not logged.
    public func passFailed(_ what: String, _ error: any Error) {
        if error is CancellationError { return }
        self.error("\(what) failed: \(error)")
    }
}
