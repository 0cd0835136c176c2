import CairnCore
import Foundation

/// One API call a firing makes, as the schedule's role: the service (by SigV4 signing name), the operation and its
/// request in the service's own JSON member names. The invoker turns it into the service's protocol.
public struct ScheduleInvocation: Sendable, Equatable {
    public var signingName: String
    public var operation: String
    public var request: JSONValue
    /// Where the call is made (the target's region).
    public var region: String

    public init(signingName: String, operation: String, request: JSONValue, region: String) {
        self.signingName = signingName
        self.operation = operation
        self.request = request
        self.region = region
    }
}

/// Why an invocation failed, and whether trying again may help (throttling and server errors).
public struct ScheduleInvocationError: Error, Sendable, Equatable {
    public var code: String
    public var message: String
    public var retryable: Bool

    public init(code: String, message: String, retryable: Bool) {
        self.code = code
        self.message = message
        self.retryable = retryable
    }
}

/// Makes the calls of firings: assumes the schedule's role as `scheduler.amazonaws.com` and calls as that session,
/// authorized and recorded like any call.
public protocol ScheduleInvoker: Sendable {
    func invoke(_ invocation: ScheduleInvocation, roleArn: String, accountId: String) async throws(ScheduleInvocationError)
}

/// What one attempt of a firing sends.
struct FiringContext: Sendable {
    var scheduleArn: String
    var scheduledTime: Int64
    var executionId: String
    var attempt: Int

    /// The target's Input with EventBridge Scheduler's context attributes put in.
    func expand(_ input: String) -> String {
        guard input.contains("<aws.scheduler.") else { return input }
        return input
            .replacingOccurrences(of: "<aws.scheduler.schedule-arn>", with: scheduleArn)
            .replacingOccurrences(of: "<aws.scheduler.scheduled-time>",
                                  with: Timestamp.iso8601(Date(timeIntervalSince1970: Double(scheduledTime / 1000))))
            .replacingOccurrences(of: "<aws.scheduler.execution-id>", with: executionId)
            .replacingOccurrences(of: "<aws.scheduler.attempt-number>", with: String(attempt))
    }
}

extension ScheduleTarget {
    /// The call one attempt makes. Throws (not retryable) when a universal target's Input is not a JSON object.
    func invocation(_ context: FiringContext) throws(ScheduleInvocationError) -> ScheduleInvocation {
        let input = self.input.map(context.expand)
        switch kind {
        case .sqsQueue(let queue):
            let fifo = queue.resource.hasSuffix(".fifo")
            return ScheduleInvocation(signingName: "sqs", operation: "SendMessage", request: .compact([
                ("QueueUrl", .string(Self.queueURL(queue))), ("MessageBody", .string(input ?? "{}")),
                ("MessageGroupId", messageGroupId.map(JSONValue.string)),
                // A FIFO queue deduplicates the attempts of one firing.
                ("MessageDeduplicationId", fifo ? .string(context.executionId) : nil),
            ]), region: queue.region)
        case .snsTopic(let topic):
            return ScheduleInvocation(signingName: "sns", operation: "Publish", request: .compact([
                ("TopicArn", .string(topic.description)), ("Message", .string(input ?? "{}")),
                ("MessageGroupId", messageGroupId.map(JSONValue.string)),
            ]), region: topic.region)
        case .eventBus(let bus):
            return ScheduleInvocation(signingName: "events", operation: "PutEvents", request: ["Entries": [[
                "EventBusName": .string(bus.description), "Source": .string(source ?? ""), "DetailType": .string(detailType ?? ""),
                "Detail": .string(input ?? "{}"), "Resources": [.string(context.scheduleArn)],
            ]]], region: bus.region)
        case .universal(let service, let operation):
            let text = input ?? "{}"
            guard let request = try? JSONValue.parse(Array(text.utf8)), case .object = request else {
                throw ScheduleInvocationError(code: "ValidationException",
                                              message: "The Input of a universal target must be a JSON object (the \(operation) request).",
                                              retryable: false)
            }
            return ScheduleInvocation(signingName: service, operation: operation, request: request,
                                      region: ARN(context.scheduleArn)?.region ?? "us-east-1")
        }
    }

    /// The dead-letter message of a firing that failed: its Input, with what went wrong as message attributes.
    func deadLetter(_ context: FiringContext, error: ScheduleInvocationError, exhausted: String?) -> ScheduleInvocation? {
        guard let dlq = deadLetterArn, let queue = ARN(dlq) else { return nil }
        func attribute(_ value: String, type: String = "String") -> JSONValue { ["DataType": .string(type), "StringValue": .string(value)] }
        var attributes: [(String, JSONValue)] = [
            ("ERROR_CODE", attribute(error.code)), ("ERROR_MESSAGE", attribute(String(error.message.prefix(1024)))),
            ("RETRY_ATTEMPTS", attribute(String(context.attempt - 1), type: "Number")),
            ("SCHEDULE_ARN", attribute(context.scheduleArn)), ("TARGET_ARN", attribute(arn)),
        ]
        if let exhausted { attributes.append(("EXHAUSTED_RETRY_CONDITION", attribute(exhausted))) }
        return ScheduleInvocation(signingName: "sqs", operation: "SendMessage", request: [
            "QueueUrl": .string(Self.queueURL(queue)), "MessageBody": .string(input.map(context.expand) ?? "{}"),
            "MessageAttributes": .object(attributes),
        ], region: queue.region)
    }

    /// A queue's URL as SQS reads it (the account and name; the host is not looked at).
    static func queueURL(_ queue: ARN) -> String { "http://sqs.\(queue.region).localhost/\(queue.accountId)/\(queue.resource)" }
}
