import CairnCore
import Policies
import Foundation
import Storage
import Wire

extension SNSService {
    static let settableTopicAttributes: Set<String> = [
        "DisplayName", "Policy", "DeliveryPolicy", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication",
        "SignatureVersion", "TracingConfig",
    ]

    static func topicResource(_ arn: String) -> [CloudTrailRecord.Resource] {
        [.init(type: "AWS::SNS::Topic", name: arn, arn: arn)]
    }

    func createTopic(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let name = try Self.required(form, "Name")
        var attributes = Self.attributes(form)
        let fifo = attributes["FifoTopic"] == "true"
        let base = fifo ? String(name.dropLast(5)) : name
        guard (1...256).contains(name.count), !base.isEmpty, fifo == name.hasSuffix(".fifo"),
              base.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else {
            throw Self.invalidParameter("Topic Name")
        }
        for key in attributes.keys where !Self.settableTopicAttributes.contains(key) {
            throw Self.invalidParameter("Attributes Reason: Unknown attribute \(key)")
        }
        if let dedup = attributes["ContentBasedDeduplication"] { try Self.validateContentBasedDeduplication(dedup, fifo: fifo) }
        if let policy = attributes["Policy"] { try Self.validatePolicy(policy) }
        var tags: [String: String] = [:]
        for t in form.structList("Tags") { if let k = t["Key"] { tags[k] = t["Value"] ?? "" } }
        guard tags.count <= 50 else {
            throw AWSError(code: "TagLimitExceeded", status: 400, message: "Could not complete request: tag quota of per resource exceeded")
        }
        let arn = "arn:aws:sns:\(ctx.region):\(ctx.accountId):\(name)"
        if let existing = try await topics.topic(accountId: ctx.accountId, region: ctx.region, name: name) {
            for (k, v) in attributes where existing.attributes[k] != v {
                throw Self.invalidParameter("Attributes Reason: Topic already exists with different attributes")
            }
            return OperationResult(output: ["TopicArn": .string(arn)],
                                   audit: AuditDetails(responseElements: ["topicArn": .string(arn)], resources: Self.topicResource(arn)))
        }
        attributes.removeValue(forKey: "FifoTopic")
        if fifo { attributes["FifoTopic"] = "true" }
        do {
            try await topics.createTopic(TopicRecord(accountId: ctx.accountId, region: ctx.region, name: name,
                                                     attributes: attributes, tags: tags, createdAt: clock.nowMs()))
        } catch let e as StoreError where e.isDuplicate {
            // Created concurrently: the same answer.
        }
        return OperationResult(output: ["TopicArn": .string(arn)],
                               audit: AuditDetails(responseElements: ["topicArn": .string(arn)], resources: Self.topicResource(arn)))
    }

    func deleteTopic(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let arnText = try Self.required(form, "TopicArn")
        guard let arn = ARN(arnText), arn.service == "sns" else { throw Self.invalidParameter("TopicArn") }
        // Deleting a topic that does not exist succeeds, as in AWS.
        if arn.accountId == ctx.accountId, arn.region == ctx.region {
            try await topics.deleteTopic(accountId: ctx.accountId, region: ctx.region, name: arn.resource)
        }
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.topicResource(arnText)))
    }

    func listTopics(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let after = try Self.pageToken(form)
        let page = try await topics.topics(accountId: ctx.accountId, region: ctx.region, after: after, limit: 101)
        let shown = page.prefix(100)
        var out: [(String, JSONValue)] = [("Topics", .array(shown.map { ["TopicArn": .string($0.arn)] }))]
        if page.count > 100, let last = shown.last { out.append(("NextToken", .string(Self.pageToken(after: last.name)))) }
        return OperationResult(output: .object(out))
    }

    static func pageToken(after key: String) -> String { Data(key.utf8).base64EncodedString() }

    static func pageToken(_ form: QueryForm) throws(AWSError) -> String? {
        guard let t = form["NextToken"] else { return nil }
        guard let data = Data(base64Encoded: t), let key = String(data: data, encoding: .utf8) else {
            throw invalidParameter("NextToken")
        }
        return key
    }

    func getTopicAttributes(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let topic = try await topic(arn: try Self.required(form, "TopicArn"), ctx)
        let subs = try await topics.subscriptions(topicArn: topic.arn, after: nil, limit: 100_000)
        var attrs = topic.attributes
        attrs["TopicArn"] = topic.arn
        attrs["Owner"] = topic.accountId
        attrs["DisplayName"] = attrs["DisplayName"] ?? ""
        attrs["SubscriptionsConfirmed"] = String(subs.filter(\.confirmed).count)
        attrs["SubscriptionsPending"] = String(subs.filter { !$0.confirmed }.count)
        attrs["SubscriptionsDeleted"] = "0"
        attrs["Policy"] = attrs["Policy"] ?? Self.defaultPolicy(topicArn: topic.arn, accountId: topic.accountId)
        attrs["EffectiveDeliveryPolicy"] = attrs["DeliveryPolicy"] ?? Self.defaultDeliveryPolicy
        if attrs["FifoTopic"] == "true" { attrs["ContentBasedDeduplication"] = attrs["ContentBasedDeduplication"] ?? "false" }
        let entries: [JSONValue] = attrs.keys.sorted().map { ["key": .string($0), "value": .string(attrs[$0]!)] }
        return OperationResult(output: ["Attributes": .object([("entry", .array(entries))])],
                               audit: AuditDetails(resources: Self.topicResource(topic.arn)))
    }

    static func validateContentBasedDeduplication(_ value: String, fifo: Bool) throws(AWSError) {
        guard fifo else { throw invalidParameter("Attributes Reason: Content-based deduplication can only be set for FIFO topics") }
        guard value == "true" || value == "false" else {
            throw invalidParameter("Attributes Reason: ContentBasedDeduplication must be true or false")
        }
    }

    /// The access policy AWS gives a new topic: the owning account may use it.
    static func defaultPolicy(topicArn: String, accountId: String) -> String {
        let statement: JSONValue = [
            "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": ["AWS": "*"],
            "Action": .array(["GetTopicAttributes", "SetTopicAttributes", "AddPermission", "RemovePermission", "DeleteTopic",
                              "Subscribe", "ListSubscriptionsByTopic", "Publish"].map { .string("SNS:" + $0) }),
            "Resource": .string(topicArn), "Condition": ["StringEquals": ["AWS:SourceOwner": .string(accountId)]],
        ]
        let policy: JSONValue = ["Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [statement]]
        return policy.jsonString()
    }

    static let defaultDeliveryPolicy = #"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#

    /// A topic policy is evaluated for every call and delivery: one SNS would refuse is never stored.
    static func validatePolicy(_ text: String) throws(AWSError) {
        do {
            _ = try PolicyDocument(json: text, kind: .resource)
        } catch {
            throw invalidParameter("Policy Error: \(error.message)")
        }
    }

    func setTopicAttributes(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        var topic = try await topic(arn: try Self.required(form, "TopicArn"), ctx)
        let name = try Self.required(form, "AttributeName")
        guard Self.settableTopicAttributes.contains(name), name != "FifoTopic" else {
            throw Self.invalidParameter("AttributeName")
        }
        let value = form["AttributeValue"] ?? ""
        if name == "ContentBasedDeduplication" {
            try Self.validateContentBasedDeduplication(value, fifo: topic.attributes["FifoTopic"] == "true")
        }
        if name == "Policy" { try Self.validatePolicy(value) }
        topic.attributes[name] = value
        try await topics.updateTopic(topic)
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.topicResource(topic.arn)))
    }
}
