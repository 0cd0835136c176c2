import CairnCore
import Foundation
import Wire

/// A schedule's target (botocore's `Target`), validated when the schedule is defined, and what one firing of it calls.
struct ScheduleTarget: Sendable {
    /// What the target ARN names, and so which API call a firing makes.
    enum Kind: Sendable, Equatable {
        /// Templated: SQS SendMessage (MessageBody = Input, SqsParameters.MessageGroupId).
        case sqsQueue(arn: ARN)
        /// Templated: SNS Publish (Message = Input).
        case snsTopic(arn: ARN)
        /// Templated: EventBridge PutEvents (Detail = Input, EventBridgeParameters' Source and DetailType).
        case eventBus(arn: ARN)
        /// Universal: `arn:aws:scheduler:::aws-sdk:<service>:<apiAction>` with Input as the request.
        case universal(service: String, operation: String)
    }

    /// The services universal targets reach (SigV4 signing names), as Cairn serves them.
    static let universalServices: Set<String> = ["sqs", "sns", "events", "batch", "cloudtrail"]

    var arn: String
    var kind: Kind
    var roleArn: String
    var input: String?
    var deadLetterArn: String?
    var maximumEventAgeSeconds: Int
    var maximumRetryAttempts: Int
    var messageGroupId: String?
    var detailType: String?
    var source: String?

    init(_ body: JSONValue) throws(AWSError) {
        guard let arn = body["Arn"]?.stringValue else { throw SchedulerService.missing("target.arn") }
        guard (1...1600).contains(arn.count) else { throw SchedulerService.validation("The target ARN must be 1 to 1600 characters.") }
        self.arn = arn
        kind = try Self.kind(arn)
        guard let role = body["RoleArn"]?.stringValue else { throw SchedulerService.missing("target.roleArn") }
        guard let parsed = ARN(role), parsed.service == "iam", parsed.resource.hasPrefix("role/"), parsed.resource.count > 5,
              parsed.accountId.count == 12, parsed.accountId.allSatisfy(\.isNumber), role.count <= 1600 else {
            throw SchedulerService.validation("1 validation error detected: Value '\(role)' at 'target.roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws(-[a-z]+)?:iam::\\d{12}:role\\/[\\w+=,.@\\/-]+$")
        }
        roleArn = role
        input = try SchedulerService.string(body, "Input", max: 256 * 1024)
        if input?.isEmpty == true { throw SchedulerService.validation("The target Input must not be empty.") }
        deadLetterArn = try SchedulerService.string(body["DeadLetterConfig"] ?? .null, "Arn", max: 1600)
        if let dlq = deadLetterArn {
            guard let parsed = ARN(dlq), parsed.service == "sqs", !parsed.resource.isEmpty, !parsed.resource.hasSuffix(".fifo") else {
                throw SchedulerService.validation("The dead-letter queue \(dlq) must be the ARN of a standard SQS queue.")
            }
        }
        let retry = body["RetryPolicy"]
        maximumEventAgeSeconds = try Self.bounded(retry, "MaximumEventAgeInSeconds", 60...86400) ?? 86400
        maximumRetryAttempts = try Self.bounded(retry, "MaximumRetryAttempts", 0...185) ?? 185
        messageGroupId = try SchedulerService.string(body["SqsParameters"] ?? .null, "MessageGroupId", max: 128)
        if let parameters = body["EventBridgeParameters"] {
            guard let type = try SchedulerService.string(parameters, "DetailType", max: 128), !type.isEmpty,
                  let source = try SchedulerService.string(parameters, "Source", max: 256), !source.isEmpty else {
                throw SchedulerService.validation("EventBridgeParameters needs a DetailType and a Source.")
            }
            guard !source.hasPrefix("aws.") else {
                throw SchedulerService.validation("EventBridgeParameters.Source must not begin with 'aws.'.")
            }
            detailType = type
            self.source = source
        }
        if case .eventBus = kind, detailType == nil {
            throw SchedulerService.validation("An EventBridge target needs EventBridgeParameters (DetailType and Source).")
        }
        for unsupported in ["EcsParameters", "KinesisParameters", "SageMakerPipelineParameters"] where body[unsupported] != nil {
            throw SchedulerService.validation("\(unsupported) is for targets Cairn does not serve.")
        }
    }

    /// The kind of target an ARN names; a service Cairn does not serve is refused now rather than at every firing.
    static func kind(_ arn: String) throws(AWSError) -> Kind {
        let universal = "arn:aws:scheduler:::aws-sdk:"
        if arn.hasPrefix(universal) {
            let parts = arn.dropFirst(universal.count).split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let service = parts.first.map(String.init), let action = parts.last.map(String.init),
                  let first = action.first, first.isLowercase, action.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw SchedulerService.validation("Invalid universal target \(arn): expected arn:aws:scheduler:::aws-sdk:<service>:<apiAction>.")
            }
            guard universalServices.contains(service) else {
                throw SchedulerService.validation("Cairn does not serve \(service) for universal targets; it serves \(universalServices.sorted().joined(separator: ", ")).")
            }
            return .universal(service: service, operation: first.uppercased() + action.dropFirst())
        }
        guard let parsed = ARN(arn), !parsed.region.isEmpty, parsed.accountId.count == 12 else {
            throw SchedulerService.validation("Invalid target ARN \(arn).")
        }
        switch parsed.service {
        case "sqs" where !parsed.resource.isEmpty && !parsed.resource.contains("/"): return .sqsQueue(arn: parsed)
        case "sns" where !parsed.resource.isEmpty && !parsed.resource.contains("/"): return .snsTopic(arn: parsed)
        case "events" where parsed.resource.hasPrefix("event-bus/"): return .eventBus(arn: parsed)
        default:
            throw SchedulerService.validation("Cairn does not serve the target \(arn): templated targets are SQS queues, SNS topics and EventBridge buses; other services are reached through universal targets (arn:aws:scheduler:::aws-sdk:<service>:<apiAction>).")
        }
    }

    static func bounded(_ v: JSONValue?, _ member: String, _ range: ClosedRange<Int>) throws(AWSError) -> Int? {
        guard let v, let value = v[member], !value.isNull else { return nil }
        guard let n = value.intValue, n >= Int64(range.lowerBound), n <= Int64(range.upperBound) else {
            throw SchedulerService.validation("1 validation error detected: Value '\(value.jsonString())' at 'target.retryPolicy.\(lowerFirst(member))' failed to satisfy constraint: Member must have value between \(range.lowerBound) and \(range.upperBound)")
        }
        return Int(n)
    }

    /// As GetSchedule answers it: RetryPolicy with its defaults filled in.
    var json: JSONValue {
        .compact([
            ("Arn", .string(arn)),
            ("DeadLetterConfig", deadLetterArn.map { ["Arn": .string($0)] }),
            ("EventBridgeParameters", detailType.map { ["DetailType": .string($0), "Source": .string(source ?? "")] }),
            ("Input", input.map(JSONValue.string)),
            ("RetryPolicy", [
                "MaximumEventAgeInSeconds": .int(Int64(maximumEventAgeSeconds)),
                "MaximumRetryAttempts": .int(Int64(maximumRetryAttempts)),
            ]),
            ("RoleArn", .string(roleArn)),
            ("SqsParameters", messageGroupId.map { ["MessageGroupId": .string($0)] }),
        ])
    }
}
