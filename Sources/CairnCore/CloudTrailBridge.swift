/// How CloudTrail records reach EventBridge (the "CloudTrail bridge"): each management record becomes an event on its
/// account's default bus, `source` `aws.<service>`, `detail` the record.
public enum CloudTrailBridge {
    /// `detail-type` for a record of this `eventType` (its raw value, as records carry it).
    public static func detailType(eventType: String) -> String {
        switch CloudTrailRecord.EventType(rawValue: eventType) {
        case .awsServiceEvent: "AWS Service Event via CloudTrail"
        case .awsConsoleSignIn: "AWS Console Sign In via CloudTrail"
        case .awsApiCall, nil: "AWS API Call via CloudTrail"
        }
    }

    /// `source` for a record of this `eventSource` (`sqs.amazonaws.com` → `aws.sqs`).
    public static func source(eventSource: String) -> String {
        "aws." + (eventSource.split(separator: ".").first.map(String.init) ?? eventSource)
    }
}
