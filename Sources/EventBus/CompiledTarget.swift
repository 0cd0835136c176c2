import CairnCore
import Foundation
import Storage
import Wire

/// A target with its input handling compiled once, when PutTargets stores it — never per event.
struct CompiledTarget: Sendable {
    enum Kind: Sendable, Equatable {
        case sqsQueue(arn: String)
        case snsTopic(arn: String)
        case eventBus(arn: String)
        case apiDestination(arn: String)
        /// An AWS Batch job queue: each event submits a job (`BatchParameters`).
        case batchJobQueue(arn: String)
        /// An SNS http/https subscription (made by SNS, never by PutTargets).
        case snsHTTP(url: String)
        /// An archive keeping the events of its bus (made by the router, never by PutTargets).
        case archive(arn: String)
    }

    enum Input: Sendable {
        case wholeEvent
        case constant(String)
        case path(JSONPath)
        case transformer(paths: [(String, JSONPath)], template: InputTemplate)
    }

    let id: String
    let arn: String
    let kind: Kind
    let input: Input
    /// The PutTargets entry as stored (JSON).
    let definition: String
    let messageGroupId: String?
    /// Set by SNS for its SQS subscriptions (`SnsMessage`, never from PutTargets): the publish's deduplication id
    /// and, for raw delivery, its message attributes.
    let deduplicationId: String?
    let messageAttributes: [MessageAttribute]
    /// PathParameterValues, HeaderParameters and QueryStringParameters for API destinations.
    let httpParameters: JSONValue?
    let deadLetterArn: String?
    let maximumRetryAttempts: Int
    let maximumEventAgeSeconds: Int
    /// BatchParameters for Batch job-queue targets.
    let batchParameters: JSONValue?

    /// botocore's `Target` shape. A target is stored as sent and echoed by ListTargetsByRule, so every member's
    /// JSON type is checked before it is stored.
    static let shape: JSONShape = {
        let strings = JSONShape.list(.string)
        let keyValues = JSONShape.list(.structure(["Key": .string, "Value": .string]))
        return .structure([
            "Id": .string, "Arn": .string, "RoleArn": .string, "Input": .string, "InputPath": .string,
            "InputTransformer": .structure(["InputPathsMap": .map(.string), "InputTemplate": .string]),
            "KinesisParameters": .structure(["PartitionKeyPath": .string]),
            "RunCommandParameters": .structure(["RunCommandTargets": .list(.structure(["Key": .string, "Values": strings]))]),
            "EcsParameters": .structure([
                "TaskDefinitionArn": .string, "TaskCount": .integer, "LaunchType": .string,
                "NetworkConfiguration": .structure(["awsvpcConfiguration": .structure([
                    "Subnets": strings, "SecurityGroups": strings, "AssignPublicIp": .string])]),
                "PlatformVersion": .string, "Group": .string,
                "CapacityProviderStrategy": .list(.structure(["capacityProvider": .string, "weight": .integer, "base": .integer])),
                "EnableECSManagedTags": .boolean, "EnableExecuteCommand": .boolean,
                "PlacementConstraints": .list(.structure(["type": .string, "expression": .string])),
                "PlacementStrategy": .list(.structure(["type": .string, "field": .string])),
                "PropagateTags": .string, "ReferenceId": .string, "Tags": keyValues,
            ]),
            "BatchParameters": .structure([
                "JobDefinition": .string, "JobName": .string,
                "ArrayProperties": .structure(["Size": .integer]), "RetryStrategy": .structure(["Attempts": .integer]),
            ]),
            "SqsParameters": .structure(["MessageGroupId": .string]),
            "HttpParameters": .structure(["PathParameterValues": strings, "HeaderParameters": .map(.string),
                                          "QueryStringParameters": .map(.string)]),
            "RedshiftDataParameters": .structure([
                "SecretManagerArn": .string, "Database": .string, "DbUser": .string, "Sql": .string,
                "StatementName": .string, "WithEvent": .boolean, "Sqls": strings,
            ]),
            "SageMakerPipelineParameters": .structure(["PipelineParameterList": .list(.structure(["Name": .string, "Value": .string]))]),
            "DeadLetterConfig": .structure(["Arn": .string]),
            "RetryPolicy": .structure(["MaximumRetryAttempts": .integer, "MaximumEventAgeInSeconds": .integer]),
            "AppSyncParameters": .structure(["GraphQLOperation": .string]),
        ])
    }()

    /// Parses and validates one PutTargets entry; the error text is the per-entry ErrorMessage.
    /// `internal`: built by Cairn itself (SNS deliveries), which may name an HTTP endpoint directly.
    init(_ entry: JSONValue, internal isInternal: Bool = false) throws(AWSError) {
        guard let id = entry["Id"]?.stringValue, (1...64).contains(id.count),
              id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        else {
            throw AWSError(code: "ValidationException", message: "Target Id is not valid: it must be 1 to 64 characters of [\\.\\-_A-Za-z0-9].")
        }
        guard let arnText = entry["Arn"]?.stringValue, let arn = ARN(arnText) else {
            throw AWSError(code: "ValidationException", message: "Parameter \(entry["Arn"]?.stringValue ?? "Arn") is not valid. Reason: Provided Arn is not in correct format.")
        }
        if let url = entry["SnsHttpEndpoint"]?.stringValue {
            guard isInternal else { throw AWSError(code: "ValidationException", message: "Unknown member SnsHttpEndpoint.") }
            kind = .snsHTTP(url: url)
        } else {
        switch arn.service {
        case "sqs": kind = .sqsQueue(arn: arnText)
        case "sns": kind = .snsTopic(arn: arnText)
        case "events" where arn.resource.hasPrefix("event-bus/"): kind = .eventBus(arn: arnText)
        case "events" where arn.resource.hasPrefix("api-destination/"): kind = .apiDestination(arn: arnText)
        case "events" where isInternal && arn.resource.hasPrefix("archive/"): kind = .archive(arn: arnText)
        case "batch" where arn.resource.hasPrefix("job-queue/"):
            guard let p = entry["BatchParameters"], p["JobDefinition"]?.stringValue != nil, p["JobName"]?.stringValue != nil else {
                throw AWSError(code: "ValidationException",
                               message: "Parameter(s) BatchParameters must be specified for target: \(id).")
            }
            kind = .batchJobQueue(arn: arnText)
        default:
            throw AWSError(code: "ValidationException",
                           message: "Cairn does not deliver to \(arn.service) targets (\(arnText)); supported: SQS queues, SNS topics, event buses, API destinations and Batch job queues.")
        }
        }
        self.id = id
        self.arn = arnText
        let given = [entry["Input"], entry["InputPath"], entry["InputTransformer"]].filter { $0 != nil && $0 != .null }
        guard given.count <= 1 else {
            throw AWSError(code: "ValidationException", message: "Only one of Input, InputPath, or InputTransformer must be provided.")
        }
        if let text = entry["Input"]?.stringValue {
            guard (try? JSONValue.parse(text)) != nil else {
                throw AWSError(code: "ValidationException", message: "Input is not valid JSON text.")
            }
            input = .constant(text)
        } else if let path = entry["InputPath"]?.stringValue {
            guard let p = JSONPath(path) else {
                throw AWSError(code: "ValidationException", message: "InputPath \(path) is not a valid JSONPath.")
            }
            input = .path(p)
        } else if let t = entry["InputTransformer"], !t.isNull {
            guard let template = t["InputTemplate"]?.stringValue else {
                throw AWSError(code: "ValidationException", message: "InputTransformer requires an InputTemplate.")
            }
            var paths: [(String, JSONPath)] = []
            if case .object(let members)? = t["InputPathsMap"] {
                guard members.count <= 100 else {
                    throw AWSError(code: "ValidationException", message: "InputPathsMap can have at most 100 entries.")
                }
                for (name, v) in members {
                    guard let text = v.stringValue, let p = JSONPath(text) else {
                        throw AWSError(code: "ValidationException", message: "InputPathsMap value for \(name) is not a valid JSONPath.")
                    }
                    if InputTemplate.reservedVariables.contains(name) {
                        throw AWSError(code: "ValidationException", message: "InputPathsMap cannot use the reserved name \(name).")
                    }
                    paths.append((name, p))
                }
            }
            do {
                input = .transformer(paths: paths, template: try InputTemplate(template, variables: Set(paths.map(\.0))))
            } catch {
                throw AWSError(code: "ValidationException", message: error.message)
            }
        } else {
            input = .wholeEvent
        }
        messageGroupId = entry["SqsParameters"]?["MessageGroupId"]?.stringValue
        let snsMessage = entry["SnsMessage"]
        guard snsMessage == nil || isInternal else { throw AWSError(code: "ValidationException", message: "Unknown member SnsMessage.") }
        deduplicationId = snsMessage?["DeduplicationId"]?.stringValue
        messageAttributes = (snsMessage?["MessageAttributes"]?.arrayValue ?? []).compactMap {
            guard let name = $0["Name"]?.stringValue, let type = $0["DataType"]?.stringValue, let value = $0["Value"]?.stringValue
            else { return nil }
            return MessageAttribute(name: name, dataType: type, value: value)
        }
        httpParameters = entry["HttpParameters"]
        for (name, value) in httpParameters?["HeaderParameters"]?.objectValue ?? [] {
            guard HTTPHeaderName.isToken(name) else {
                throw AWSError(code: "ValidationException", message: "1 validation error detected: Value at 'targets.member.httpParameters.headerParameters' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: ^[!#$%&'*+-.^_`|~0-9a-zA-Z]+$]")
            }
            guard let text = value.stringValue, HTTPHeaderName.isFieldValue(text) else {
                throw AWSError(code: "ValidationException", message: "1 validation error detected: Value at 'targets.member.httpParameters.headerParameters' failed to satisfy constraint: Map value must be printable ASCII text.")
            }
        }
        deadLetterArn = entry["DeadLetterConfig"]?["Arn"]?.stringValue
        if let dlq = deadLetterArn, ARN(dlq)?.service != "sqs" {
            throw AWSError(code: "ValidationException", message: "DeadLetterConfig Arn must be an SQS queue ARN.")
        }
        let retries = entry["RetryPolicy"]?["MaximumRetryAttempts"]?.intValue ?? 185
        let age = entry["RetryPolicy"]?["MaximumEventAgeInSeconds"]?.intValue ?? 86400
        guard (0...185).contains(retries) else {
            throw AWSError(code: "ValidationException", message: "MaximumRetryAttempts must be between 0 and 185.")
        }
        guard (60...86400).contains(age) else {
            throw AWSError(code: "ValidationException", message: "MaximumEventAgeInSeconds must be between 60 and 86400.")
        }
        maximumRetryAttempts = Int(retries)
        maximumEventAgeSeconds = Int(age)
        batchParameters = entry["BatchParameters"]
        definition = entry.jsonString()
    }

    /// The message an SQS target receives for a delivery: a FIFO queue gets the target's group (or `default`) and
    /// the publish's deduplication id, else the event id.
    func queueMessage(_ d: EventDelivery, fifo: Bool) -> OutboundMessage {
        OutboundMessage(body: d.payload, groupId: fifo ? messageGroupId : nil, dedupId: fifo ? (deduplicationId ?? d.eventId) : nil,
                     attributes: messageAttributes)
    }

    /// What the target receives for `event` (the envelope as JSON text and as a value).
    func payload(eventJSON: String, event: JSONValue, ruleArn: String, ruleName: String) -> String {
        switch input {
        case .wholeEvent: return eventJSON
        case .constant(let text): return text
        case .path(let p): return p.evaluate(event).map { $0.jsonString() } ?? ""
        case .transformer(let paths, let template):
            var values: [String: JSONValue] = [
                "aws.events.rule-arn": .string(ruleArn), "aws.events.rule-name": .string(ruleName),
                "aws.events.event": event, "aws.events.event.json": event,
                "aws.events.event.ingestion-time": event["time"] ?? .null,
            ]
            for (name, p) in paths { values[name] = p.evaluate(event) ?? .null }
            return template.render(values)
        }
    }
}
