import CairnCore
import Foundation
import Logging
import Storage
import Wire

/// Amazon SQS (json 1.0, query-compatible errors): standard and FIFO queues, durable messages, long polling,
/// visibility timeouts, dead-letter redrive.
public struct SQSService: AWSService {
    let store: any QueueStore
    let waiters: QueueWaiters
    let clock: any WallClock

    public init(store: any QueueStore, waiters: QueueWaiters, clock: any WallClock) {
        self.store = store
        self.waiters = waiters
        self.clock = clock
    }

    public let descriptor = ServiceDescriptor(
        signingName: "sqs", eventSource: "sqs.amazonaws.com",
        wireProtocol: .json(version: "1.0", targetPrefix: "AmazonSQS"), dataEventOperations: SQSService.dataEvents,
        checksCharacters: true)

    public let operations: Set<String> = [
        "CreateQueue", "GetQueueUrl", "ListQueues", "DeleteQueue", "GetQueueAttributes", "SetQueueAttributes",
        "PurgeQueue", "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
        "ChangeMessageVisibility", "ChangeMessageVisibilityBatch", "TagQueue", "UntagQueue", "ListQueueTags",
    ]

    /// Message operations are data events: not in event history, delivered only to trails that ask for them.
    static let dataEvents: Set<String> = [
        "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
        "ChangeMessageVisibility", "ChangeMessageVisibilityBatch",
    ]

    public func handle(operation: String, input: OperationInput, context: CallContext) async throws -> OperationResult {
        let body = input.json
        let result: OperationResult
        switch operation {
        case "CreateQueue": result = try await createQueue(body, context)
        case "GetQueueUrl": result = try await getQueueUrl(body, context)
        case "ListQueues": result = try await listQueues(body, context)
        case "DeleteQueue": result = try await deleteQueue(body, context)
        case "GetQueueAttributes": result = try await getQueueAttributes(body, context)
        case "SetQueueAttributes": result = try await setQueueAttributes(body, context)
        case "PurgeQueue": result = try await purgeQueue(body, context)
        case "TagQueue", "UntagQueue", "ListQueueTags": result = try await tags(operation, body, context)
        case "SendMessage": result = try await sendMessage(body, context)
        case "SendMessageBatch": result = try await sendMessageBatch(body, context)
        case "ReceiveMessage": result = try await receiveMessage(body, context)
        case "DeleteMessage": result = try await deleteMessage(body, context)
        case "DeleteMessageBatch": result = try await deleteMessageBatch(body, context)
        case "ChangeMessageVisibility": result = try await changeMessageVisibility(body, context)
        case "ChangeMessageVisibilityBatch": result = try await changeMessageVisibilityBatch(body, context)
        default: throw AWSError.unknownOperation(operation)
        }
        return result
    }

    // MARK: Shared helpers

    static func url(_ q: QueueRecord, host: String) -> String { "http://\(host)/\(q.accountId)/\(q.name)" }

    static func resources(_ q: QueueRecord) -> [CloudTrailRecord.Resource] {
        [.init(type: "AWS::SQS::Queue", name: q.arn, arn: q.arn)]
    }

    static func requiredString(_ body: JSONValue, _ name: String) throws(AWSError) -> String {
        guard let v = body[name]?.stringValue else {
            throw SQSError.missingParameter("The request must contain the parameter \(name).")
        }
        return v
    }

    static func optionalInt(_ body: JSONValue, _ name: String) throws(AWSError) -> Int? {
        guard let v = body[name], !v.isNull else { return nil }
        guard let i = v.intValue else { throw SQSError.invalidParameterValue("Value for parameter \(name) must be an integer.") }
        return Int(i)
    }

    /// Finds the queue a `QueueUrl` names, in the caller's account and region; as in SQS, the URL may be the
    /// queue's name alone.
    func queue(_ body: JSONValue, _ ctx: CallContext) async throws -> QueueRecord {
        let url = try Self.requiredString(body, "QueueUrl")
        let parts = url.split(separator: "/", omittingEmptySubsequences: false).suffix(2).map(String.init)
        let name = parts.count == 2 ? (parts[0] == ctx.accountId ? parts[1] : nil) : parts.first
        guard let name, !name.isEmpty, let q = try await queue(accountId: ctx.accountId, region: ctx.region, name: name, ctx)
        else { throw SQSError.queueDoesNotExist() }
        return q
    }

    /// The queue as this call first read it (its authorization reads it too).
    func queue(accountId: String, region: String, name: String, _ ctx: CallContext) async throws -> QueueRecord? {
        try await ctx.reads.record("sqs-queue\u{1}\(accountId)\u{1}\(region)\u{1}\(name)") {
            try await store.queue(accountId: accountId, region: region, name: name)
        }
    }

    static func stringMap(_ v: JSONValue?) throws(AWSError) -> [String: String] {
        guard let v, !v.isNull else { return [:] }
        guard case .object(let members) = v else { throw SQSError.invalidParameterValue("Expected a map of strings.") }
        var out: [String: String] = [:]
        for (k, value) in members {
            guard let s = value.stringValue else { throw SQSError.invalidAttributeValue("Invalid value for the parameter \(k).") }
            out[k] = s
        }
        return out
    }
}
