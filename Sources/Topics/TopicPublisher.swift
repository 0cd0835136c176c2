import CairnCore
import EventPatterns
import Foundation
import Storage

/// Fans a message out to a topic's subscriptions: filter policies decide who gets it, and each delivery is added to
/// the durable outbox that the delivery workers drain.
public struct TopicPublisher: Sendable {
    public typealias Attribute = MessageAttribute

    /// A message to publish.
    public struct Message: Sendable {
        public var messageId: String
        public var message: String
        public var subject: String?
        public var attributes: [Attribute]
        /// With `MessageStructure=json`: the per-protocol messages.
        public var perProtocol: [String: String]?
        /// FIFO topics: the message group and deduplication ids, passed on to FIFO queue subscriptions.
        public var groupId: String?
        public var dedupId: String?
        public init(messageId: String, message: String, subject: String?, attributes: [Attribute], perProtocol: [String: String]?,
                    groupId: String? = nil, dedupId: String? = nil) {
            self.messageId = messageId
            self.message = message
            self.subject = subject
            self.attributes = attributes
            self.perProtocol = perProtocol
            self.groupId = groupId
            self.dedupId = dedupId
        }
    }

    let topics: any TopicStore
    let outbox: any EventBusStore
    let clock: any WallClock
    let wake: @Sendable () -> Void

    public init(topics: any TopicStore, outbox: any EventBusStore, clock: any WallClock, wake: @escaping @Sendable () -> Void) {
        self.topics = topics
        self.outbox = outbox
        self.clock = clock
        self.wake = wake
    }

    /// Publishes to the topic an ARN names; returns how many subscriptions it is delivered to.
    @discardableResult
    public func publish(topicArn: String, _ message: Message) async throws -> Int {
        guard let arn = ARN(topicArn), let topic = try await topics.topic(accountId: arn.accountId, region: arn.region, name: arn.resource)
        else { throw TopicNotFound(arn: topicArn) }
        return try await publish(topic: topic, message)
    }

    /// A topic that does not exist.
    public struct TopicNotFound: Error, Sendable { public var arn: String }

    @discardableResult
    func publish(topic: TopicRecord, _ message: Message) async throws -> Int {
        let now = clock.now()
        let nowMs = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        var deliveries: [EventDelivery] = []
        var after: String?
        while true {
            let page = try await topics.subscriptions(topicArn: topic.arn, after: after, limit: 500)
            for sub in page where sub.confirmed && Self.passes(sub, message) {
                let text = message.perProtocol.map { $0[sub.protocol] ?? $0["default"] ?? message.message } ?? message.message
                let raw = sub.attributes["RawMessageDelivery"] == "true"
                let payload = raw ? text : Self.envelope(topic: topic, message: message, text: text, at: now).jsonString()
                let targetId = String(sub.subscriptionArn.split(separator: ":").last ?? "subscription")
                var target: JSONValue = sub.protocol == "sqs"
                    ? Self.queueTarget(id: targetId, queueArn: sub.endpoint, message, raw: raw)
                    : ["Id": .string(targetId), "Arn": .string(sub.subscriptionArn), "SnsHttpEndpoint": .string(sub.endpoint)]
                // A subscription's RedrivePolicy: what cannot be delivered goes to its dead-letter queue.
                if let policy = sub.attributes["RedrivePolicy"].flatMap({ try? JSONValue.parse($0) }),
                   let dlq = policy["deadLetterTargetArn"]?.stringValue, case .object(var members) = target {
                    members.append(("DeadLetterConfig", ["Arn": .string(dlq)]))
                    target = .object(members)
                }
                deliveries.append(EventDelivery(
                    accountId: topic.accountId, region: topic.region, ruleArn: sub.subscriptionArn, targetId: targetId,
                    target: target.jsonString(), payload: payload, eventId: message.messageId, eventTime: nowMs,
                    nextAttemptAt: nowMs))
            }
            guard page.count == 500, let last = page.last else { break }
            after = last.subscriptionArn
        }
        try await outbox.enqueue(deliveries)
        if !deliveries.isEmpty { wake() }
        return deliveries.count
    }

    /// The delivery target of an SQS subscription: the FIFO group and deduplication ids pass through, and with raw
    /// delivery the message attributes become the SQS message's attributes.
    static func queueTarget(id: String, queueArn: String, _ message: Message, raw: Bool) -> JSONValue {
        let attributes: [JSONValue] = raw ? message.attributes.map {
            ["Name": .string($0.name), "DataType": .string($0.dataType), "Value": .string($0.value)]
        } : []
        let passed = JSONValue.compact([
            ("DeduplicationId", message.dedupId.map(JSONValue.string)),
            ("MessageAttributes", attributes.isEmpty ? nil : .array(attributes)),
        ])
        return .compact([
            ("Id", .string(id)), ("Arn", .string(queueArn)),
            ("SqsParameters", message.groupId.map { ["MessageGroupId": .string($0)] }),
            ("SnsMessage", passed.objectValue?.isEmpty == false ? passed : nil),
        ])
    }

    /// Sends the SubscriptionConfirmation message to a new http/https subscription.
    public func requestConfirmation(_ sub: SubscriptionRecord, host: String) async throws {
        let now = clock.now()
        let nowMs = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        let token = sub.token ?? ""
        let url = "http://\(host)/?Action=ConfirmSubscription&TopicArn=\(Self.queryEncode(sub.topicArn))&Token=\(token)"
        let messageId = Identifiers.uuid()
        let body: JSONValue = [
            "Type": "SubscriptionConfirmation", "MessageId": .string(messageId), "Token": .string(token),
            "TopicArn": .string(sub.topicArn),
            "Message": .string("You have chosen to subscribe to the topic \(sub.topicArn).\nTo confirm the subscription, visit the SubscribeURL included in this message."),
            "SubscribeURL": .string(url), "Timestamp": .string(Self.timestamp(now)),
        ]
        let targetId = String(sub.subscriptionArn.split(separator: ":").last ?? "subscription")
        let target: JSONValue = ["Id": .string(targetId), "Arn": .string(sub.subscriptionArn), "SnsHttpEndpoint": .string(sub.endpoint)]
        try await outbox.enqueue([EventDelivery(
            accountId: sub.accountId, region: sub.region, ruleArn: sub.subscriptionArn, targetId: targetId,
            target: target.jsonString(), payload: body.jsonString(), eventId: messageId, eventTime: nowMs, nextAttemptAt: nowMs)])
        wake()
    }

    static func queryEncode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }

    /// `2026-11-21T12:00:00.123Z`.
    static func timestamp(_ time: Date) -> String {
        let ms = Int((time.timeIntervalSince1970 * 1000).truncatingRemainder(dividingBy: 1000))
        return String(Timestamp.iso8601(time).dropLast()) + "." + String(1000 + ms).dropFirst() + "Z"
    }

    /// SNS's JSON notification, as SQS subscribers receive it.
    static func envelope(topic: TopicRecord, message: Message, text: String, at time: Date) -> JSONValue {
        let stamp = timestamp(time)
        var attrs: [(String, JSONValue)] = []
        for a in message.attributes {
            attrs.append((a.name, ["Type": .string(a.dataType), "Value": .string(a.value)]))
        }
        return .compact([
            ("Type", "Notification"), ("MessageId", .string(message.messageId)), ("TopicArn", .string(topic.arn)),
            ("Subject", message.subject.map(JSONValue.string)), ("Message", .string(text)), ("Timestamp", .string(stamp)),
            ("MessageAttributes", attrs.isEmpty ? nil : .object(attrs)),
        ])
    }

    /// A subscription's filter policy, over the message attributes or the body (its FilterPolicyScope).
    static func passes(_ sub: SubscriptionRecord, _ message: Message) -> Bool {
        guard let policyText = sub.attributes["FilterPolicy"], !policyText.isEmpty,
              let policy = try? EventPattern(json: policyText) else { return true }
        let document: String
        if sub.attributes["FilterPolicyScope"] == "MessageBody" {
            document = message.message
        } else {
            var members: [(String, JSONValue)] = []
            for a in message.attributes {
                switch a.baseType {
                case "Number": members.append((a.name, (try? JSONValue.parse(a.value)) ?? .string(a.value)))
                case "String" where a.dataType == "String.Array":
                    members.append((a.name, (try? JSONValue.parse(a.value)) ?? .string(a.value)))
                case "String": members.append((a.name, .string(a.value)))
                default: continue  // Binary attributes are not matched, as in SNS
                }
            }
            document = JSONValue.object(members).jsonString()
        }
        return (try? policy.matches(eventJSON: document)) ?? false
    }
}
