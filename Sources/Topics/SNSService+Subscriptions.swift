import CairnCore
import Foundation
import Storage
import Wire

extension SNSService {
    static let subscriptionAttributes: Set<String> = [
        "RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy", "DeliveryPolicy",
        "SubscriptionRoleArn",
    ]

    static func validateSubscriptionAttribute(_ name: String, _ value: String) throws(AWSError) {
        guard subscriptionAttributes.contains(name) else { throw invalidParameter("AttributeName") }
        switch name {
        case "RawMessageDelivery":
            guard value == "true" || value == "false" else { throw invalidParameter("RawMessageDelivery: must be true or false") }
        case "FilterPolicy":
            if !value.isEmpty { try validateFilterPolicy(value) }
        case "RedrivePolicy" where !value.isEmpty:
            guard let policy = try? JSONValue.parse(value), let arn = policy["deadLetterTargetArn"]?.stringValue,
                  ARN(arn)?.service == "sqs" else {
                throw invalidParameter("RedrivePolicy: deadLetterTargetArn must be the ARN of an SQS queue")
            }
        case "FilterPolicyScope":
            guard value == "MessageAttributes" || value == "MessageBody" else {
                throw invalidParameter("FilterPolicyScope: must be MessageAttributes or MessageBody")
            }
        default: break
        }
    }

    func subscribe(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let topic = try await topic(arn: try Self.required(form, "TopicArn"), ctx)
        let proto = try Self.required(form, "Protocol")
        let endpoint = form["Endpoint"] ?? ""
        switch proto {
        case "sqs":
            guard let arn = ARN(endpoint), arn.service == "sqs", !arn.resource.isEmpty else {
                throw Self.invalidParameter("SQS endpoint ARN")
            }
            if arn.resource.hasSuffix(".fifo"), topic.attributes["FifoTopic"] != "true" {
                throw Self.invalidParameter("Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
            }
        case "http", "https":
            guard let url = URL(string: endpoint), url.scheme == proto, url.host != nil else {
                throw Self.invalidParameter("Invalid parameter: Endpoint must match the specified protocol")
            }
            if let refusal = outboundPolicy.refusal(forURL: endpoint) {
                throw Self.invalidParameter("Invalid parameter: Endpoint Reason: \(refusal)")
            }
        case "email", "email-json", "sms", "lambda", "application", "firehose":
            throw Self.invalidParameter("Protocol Reason: Cairn delivers SNS messages to sqs, http and https subscriptions; \(proto) is not served")
        default:
            throw Self.invalidParameter("Invalid protocol type: \(proto)")
        }
        let attributes = Self.attributes(form)
        for (k, v) in attributes { try Self.validateSubscriptionAttribute(k, v) }
        // The same topic, protocol and endpoint give the same subscription.
        let existing = try await topics.subscriptions(topicArn: topic.arn, after: nil, limit: 100_000)
            .first { $0.protocol == proto && $0.endpoint == endpoint }
        let arn = existing?.subscriptionArn ?? "\(topic.arn):\(Identifiers.uuid())"
        // Same-account SQS subscriptions are confirmed at once; HTTP endpoints must confirm the token sent to them.
        let needsConfirmation = proto == "http" || proto == "https"
        if existing == nil {
            let sub = SubscriptionRecord(
                subscriptionArn: arn, topicArn: topic.arn, accountId: ctx.accountId, region: ctx.region, protocol: proto,
                endpoint: endpoint, attributes: attributes, confirmed: !needsConfirmation,
                token: needsConfirmation ? Identifiers.alphanumeric(64).lowercased() : nil, createdAt: clock.nowMs())
            try await topics.putSubscription(sub)
            if needsConfirmation { try await publisher.requestConfirmation(sub, host: ctx.host) }
        }
        let confirmed = existing?.confirmed ?? !needsConfirmation
        let shown = confirmed || form["ReturnSubscriptionArn"] == "true" ? arn : "pending confirmation"
        return OperationResult(output: ["SubscriptionArn": .string(shown)],
                               audit: AuditDetails(responseElements: ["subscriptionArn": .string(shown)],
                                                   resources: Self.topicResource(topic.arn)))
    }

    func confirmSubscription(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let topic = try await topic(arn: try Self.required(form, "TopicArn"), ctx)
        let token = try Self.required(form, "Token")
        let subs = try await topics.subscriptions(topicArn: topic.arn, after: nil, limit: 100_000)
        // The unsigned SubscribeURL form confirms a pending subscription only; a signed call may repeat a confirmation.
        var anonymous = false
        if case .anonymous = ctx.principal { anonymous = true }
        guard var sub = subs.first(where: { $0.token == token && !(anonymous && $0.confirmed) }) else {
            throw Self.invalidParameter("Token")
        }
        sub.confirmed = true
        try await topics.putSubscription(sub)
        return OperationResult(output: ["SubscriptionArn": .string(sub.subscriptionArn)],
                               audit: AuditDetails(responseElements: ["subscriptionArn": .string(sub.subscriptionArn)],
                                                   resources: Self.topicResource(topic.arn)))
    }

    func existingSubscription(_ form: QueryForm, _ ctx: CallContext) async throws -> SubscriptionRecord {
        let arn = try Self.required(form, "SubscriptionArn")
        guard let sub = try await topics.subscription(arn: arn), sub.accountId == ctx.accountId else {
            throw Self.notFound("Subscription does not exist")
        }
        return sub
    }

    func unsubscribe(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let sub = try await existingSubscription(form, ctx)
        try await topics.deleteSubscription(arn: sub.subscriptionArn)
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.topicResource(sub.topicArn)))
    }

    static func subscriptionShape(_ s: SubscriptionRecord) -> JSONValue {
        ["SubscriptionArn": .string(s.confirmed ? s.subscriptionArn : "PendingConfirmation"), "Owner": .string(s.accountId),
         "Protocol": .string(s.protocol), "Endpoint": .string(s.endpoint), "TopicArn": .string(s.topicArn)]
    }

    func listSubscriptions(_ form: QueryForm, _ ctx: CallContext, topicArn: String?) async throws -> OperationResult {
        let after = try Self.pageToken(form)
        let page: [SubscriptionRecord]
        if let topicArn {
            let topic = try await topic(arn: topicArn, ctx)
            page = try await topics.subscriptions(topicArn: topic.arn, after: after, limit: 101)
        } else {
            page = try await topics.subscriptions(accountId: ctx.accountId, region: ctx.region, after: after, limit: 101)
        }
        let shown = page.prefix(100)
        var out: [(String, JSONValue)] = [("Subscriptions", .array(shown.map(Self.subscriptionShape)))]
        if page.count > 100, let last = shown.last { out.append(("NextToken", .string(Self.pageToken(after: last.subscriptionArn)))) }
        return OperationResult(output: .object(out))
    }

    func getSubscriptionAttributes(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let sub = try await existingSubscription(form, ctx)
        var attrs = sub.attributes
        attrs["SubscriptionArn"] = sub.subscriptionArn
        attrs["TopicArn"] = sub.topicArn
        attrs["Owner"] = sub.accountId
        attrs["Protocol"] = sub.protocol
        attrs["Endpoint"] = sub.endpoint
        attrs["ConfirmationWasAuthenticated"] = "true"
        attrs["PendingConfirmation"] = sub.confirmed ? "false" : "true"
        attrs["RawMessageDelivery"] = attrs["RawMessageDelivery"] ?? "false"
        if attrs["FilterPolicy"] != nil { attrs["FilterPolicyScope"] = attrs["FilterPolicyScope"] ?? "MessageAttributes" }
        let entries: [JSONValue] = attrs.keys.sorted().map { ["key": .string($0), "value": .string(attrs[$0]!)] }
        return OperationResult(output: ["Attributes": .object([("entry", .array(entries))])],
                               audit: AuditDetails(resources: Self.topicResource(sub.topicArn)))
    }

    func setSubscriptionAttributes(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        var sub = try await existingSubscription(form, ctx)
        let name = try Self.required(form, "AttributeName")
        let value = form["AttributeValue"] ?? ""
        try Self.validateSubscriptionAttribute(name, value)
        if value.isEmpty, name == "FilterPolicy" { sub.attributes.removeValue(forKey: name) } else { sub.attributes[name] = value }
        try await topics.putSubscription(sub)
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.topicResource(sub.topicArn)))
    }
}
