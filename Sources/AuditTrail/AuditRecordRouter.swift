import CairnCore
import Storage

/// Routes committed records onward (the CloudTrail → EventBridge bridge). The recorder commits the deliveries
/// a record causes in the same transaction as the record itself (a transactional outbox).
public protocol AuditRecordRouter: Sendable {
    /// The deliveries `record` causes; `recordJSON` is the redacted record as stored.
    func deliveries(for record: CloudTrailRecord, recordJSON: String) async throws -> [EventDelivery]
    /// Called after deliveries were committed, to wake the workers.
    func didEnqueue()
}
