import CairnCore
import Policies
import Foundation
import Wire

/// Queue attributes: which can be set, their ranges and defaults (SQS API reference, SetQueueAttributes).
enum QueueAttributes {
    static let defaults: [String: String] = [
        "DelaySeconds": "0", "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
        "ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30",
    ]

    static let ranges: [String: ClosedRange<Int>] = [
        "DelaySeconds": 0...900, "MaximumMessageSize": 1024...1_048_576, "MessageRetentionPeriod": 60...1_209_600,
        "ReceiveMessageWaitTimeSeconds": 0...20, "VisibilityTimeout": 0...43200, "KmsDataKeyReusePeriodSeconds": 60...86400,
    ]

    /// Settable on any queue, kept as given.
    static let opaque: Set<String> = ["Policy", "RedriveAllowPolicy", "KmsMasterKeyId", "SqsManagedSseEnabled"]
    static let fifoOnly: Set<String> = ["ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"]
    /// FIFO queues' high-throughput settings: their values, the first the default.
    static let fifoChoices: [String: [String]] = [
        "DeduplicationScope": ["queue", "messageGroup"], "FifoThroughputLimit": ["perQueue", "perMessageGroupId"],
    ]
    static let computed: Set<String> = [
        "QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp",
    ]

    /// Validates attributes for CreateQueue (`creating`) or SetQueueAttributes.
    static func validate(_ attrs: [String: String], fifo: Bool, creating: Bool) throws(AWSError) {
        for (name, value) in attrs {
            if let range = ranges[name] {
                guard let n = Int(value), range.contains(n) else {
                    throw SQSError.invalidAttributeValue("Invalid value for the parameter \(name).")
                }
                continue
            }
            switch name {
            case "FifoQueue":
                guard creating else { throw SQSError.invalidAttributeName(name) }
                guard value == "true" || value == "false" else {
                    throw SQSError.invalidAttributeValue("Invalid value for the parameter FifoQueue.")
                }
            case "RedrivePolicy":
                if value.isEmpty { continue }
                guard let policy = try? JSONValue.parse(value), let target = policy["deadLetterTargetArn"]?.stringValue,
                      ARN(target)?.service == "sqs",
                      let max = policy["maxReceiveCount"].flatMap({ $0.intValue ?? $0.stringValue.flatMap { Int64($0) } }),
                      (1...1000).contains(max)
                else {
                    throw SQSError.invalidAttributeValue(
                        "Value \(value) for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map with deadLetterTargetArn and maxReceiveCount (1 to 1000).")
                }
            case "Policy":
                // A queue policy is evaluated for every call and delivery: one SQS would refuse is never stored.
                if value.isEmpty { continue }
                guard (try? PolicyDocument(json: value, kind: .resource)) != nil else {
                    throw SQSError.invalidAttributeValue("Invalid value for the parameter Policy.")
                }
            case "ContentBasedDeduplication":
                guard fifo else { throw SQSError.invalidAttributeName(name) }
                guard value == "true" || value == "false" else {
                    throw SQSError.invalidAttributeValue("Invalid value for the parameter ContentBasedDeduplication.")
                }
            case _ where fifoChoices[name] != nil:
                guard fifo else { throw SQSError.invalidAttributeName(name) }
                guard fifoChoices[name]!.contains(value) else {
                    throw SQSError.invalidAttributeValue("Invalid value for the parameter \(name).")
                }
            case _ where opaque.contains(name):
                continue
            default:
                throw SQSError.invalidAttributeName(name)
            }
        }
    }

    /// An attribute as SQS stores it: a redrive policy re-encoded with `maxReceiveCount` a number (as SQS returns it,
    /// whichever form was sent).
    static func normalized(_ name: String, _ value: String) -> String {
        guard name == "RedrivePolicy", !value.isEmpty, let policy = redrive(["RedrivePolicy": value]) else { return value }
        let json: JSONValue = ["deadLetterTargetArn": .string(policy.arn), "maxReceiveCount": .int(Int64(policy.maxReceiveCount))]
        return json.jsonString()
    }

    static func int(_ attrs: [String: String], _ name: String) -> Int {
        Int(attrs[name] ?? defaults[name] ?? "0") ?? 0
    }

    /// The dead-letter queue ARN and max receive count of a redrive policy.
    static func redrive(_ attrs: [String: String]) -> (arn: String, maxReceiveCount: Int)? {
        guard let text = attrs["RedrivePolicy"], !text.isEmpty, let policy = try? JSONValue.parse(text),
              let arn = policy["deadLetterTargetArn"]?.stringValue,
              let max = policy["maxReceiveCount"].flatMap({ $0.intValue ?? $0.stringValue.flatMap { Int64($0) } })
        else { return nil }
        return (arn, Int(max))
    }
}
