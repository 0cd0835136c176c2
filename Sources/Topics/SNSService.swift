import CairnCore
import EventPatterns
import Foundation
import Storage
import Wire

/// Amazon SNS (query protocol): topics, SQS subscriptions with filter policies and raw delivery, Publish.
/// Deliveries go through the same durable outbox as EventBridge's, committed before Publish answers.
public struct SNSService: AWSService {
    let topics: any TopicStore
    let publisher: TopicPublisher
    let clock: any WallClock
    let outboundPolicy: OutboundPolicy

    public init(topics: any TopicStore, publisher: TopicPublisher, clock: any WallClock,
                outboundPolicy: OutboundPolicy = OutboundPolicy()) {
        self.topics = topics
        self.publisher = publisher
        self.clock = clock
        self.outboundPolicy = outboundPolicy
    }

    public let descriptor = ServiceDescriptor(
        signingName: "sns", eventSource: "sns.amazonaws.com",
        wireProtocol: .query(apiVersion: "2010-03-31", xmlNamespace: "http://sns.amazonaws.com/doc/2010-03-31/"),
        dataEventOperations: ["Publish"])

    public let operations: Set<String> = [
        "CreateTopic", "DeleteTopic", "ListTopics", "GetTopicAttributes", "SetTopicAttributes", "Subscribe",
        "ConfirmSubscription", "Unsubscribe", "ListSubscriptions", "ListSubscriptionsByTopic",
        "GetSubscriptionAttributes", "SetSubscriptionAttributes", "Publish",
    ]

    public func handle(operation: String, input: OperationInput, context: CallContext) async throws -> OperationResult {
        let form = input.form
        switch operation {
        case "CreateTopic": return try await createTopic(form, context)
        case "DeleteTopic": return try await deleteTopic(form, context)
        case "ListTopics": return try await listTopics(form, context)
        case "GetTopicAttributes": return try await getTopicAttributes(form, context)
        case "SetTopicAttributes": return try await setTopicAttributes(form, context)
        case "Subscribe": return try await subscribe(form, context)
        case "ConfirmSubscription": return try await confirmSubscription(form, context)
        case "Unsubscribe": return try await unsubscribe(form, context)
        case "ListSubscriptions": return try await listSubscriptions(form, context, topicArn: nil)
        case "ListSubscriptionsByTopic": return try await listSubscriptions(form, context, topicArn: try Self.required(form, "TopicArn"))
        case "GetSubscriptionAttributes": return try await getSubscriptionAttributes(form, context)
        case "SetSubscriptionAttributes": return try await setSubscriptionAttributes(form, context)
        case "Publish": return try await publish(form, context)
        default: throw AWSError.unknownOperation(operation)
        }
    }

    // MARK: Errors (SNS wire codes are not the shape names, `aws-wire.md` §2.4)

    static func invalidParameter(_ message: String) -> AWSError {
        AWSError(code: "InvalidParameter", status: 400, message: "Invalid parameter: \(message)")
    }

    static func notFound(_ message: String) -> AWSError {
        AWSError(code: "NotFound", status: 404, message: message)
    }

    static func required(_ form: QueryForm, _ name: String) throws(AWSError) -> String {
        guard let v = form[name], !v.isEmpty else { throw invalidParameter("\(name) Reason: cannot be empty") }
        return v
    }

    /// The topic a TopicArn names, in the caller's account and region.
    func topic(arn text: String, _ ctx: CallContext) async throws -> TopicRecord {
        guard let arn = ARN(text), arn.service == "sns", !arn.resource.isEmpty else {
            throw Self.invalidParameter("TopicArn Reason: An ARN must have at least 6 elements, not \(text.split(separator: ":").count)")
        }
        guard arn.accountId == ctx.accountId, arn.region == ctx.region,
              let topic = try await topics.topic(accountId: ctx.accountId, region: ctx.region, name: arn.resource) else {
            throw Self.notFound("Topic does not exist")
        }
        return topic
    }

    /// `Attributes.entry.N.key` / `.value` maps.
    static func attributes(_ form: QueryForm) -> [String: String] {
        var out: [String: String] = [:]
        for entry in entries(form, "Attributes") {
            if let k = entry["key"], let v = entry["value"] { out[k] = v }
        }
        return out
    }

    /// `Name.entry.N.key` style maps (the query protocol's map encoding).
    static func entries(_ form: QueryForm, _ name: String) -> [[String: String]] {
        var items: [Int: [String: String]] = [:]
        let prefix = name + ".entry."
        for (k, v) in form.fields where k.hasPrefix(prefix) {
            let rest = k.dropFirst(prefix.count)
            guard let dot = rest.firstIndex(of: "."), let n = Int(rest[..<dot]) else { continue }
            items[n, default: [:]][String(rest[rest.index(after: dot)...])] = v
        }
        return items.keys.sorted().compactMap { items[$0] }
    }

    static func validateFilterPolicy(_ text: String) throws(AWSError) {
        do {
            _ = try EventPattern(json: text)
        } catch {
            throw invalidParameter("FilterPolicy: \(error.message)")
        }
    }
}
