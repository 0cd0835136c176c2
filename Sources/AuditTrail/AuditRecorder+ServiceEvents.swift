import CairnCore
import Foundation

extension AuditRecorder {
    /// Records a service-generated event (`eventType` AwsServiceEvent), such as S3 Batch Operations'
    /// `JobStatusChanged`: `userIdentity` is `{accountId, invokedBy}`, source IP and user agent are the
    /// service's DNS name, and `serviceEventDetails` carries the event's own fields.
    @discardableResult
    public func recordServiceEvent(
        service: String, eventName: String, accountId: String, region: String, details: JSONValue,
        at time: Date, readOnly: Bool = false, resources: [CloudTrailRecord.Resource] = []
    ) async throws -> CloudTrailRecord {
        let record = CloudTrailRecord(
            eventTime: time, eventType: .awsServiceEvent, eventSource: service, eventName: eventName, awsRegion: region,
            recipientAccountId: accountId, principal: .serviceEvent(accountId: accountId, invokedBy: service),
            sourceIPAddress: service, userAgent: service, readOnly: readOnly, resources: resources,
            serviceEventDetails: details)
        try await self.record(record)
        return record
    }
}
