import CairnCore
import Storage
import Wire

/// What IAM must allow for each SNS operation, as the Service Authorization Reference names it, and the facts
/// (topic policy, tags) authorization reads about a topic.
extension SNSService {
    /// One row per operation. Subscription operations act on the subscription's topic.
    static let permissionTable: [String: PermissionRule] = [
        "CreateTopic": PermissionRule("sns:CreateTopic", resource: newTopicArn, keys: { requestTagKeys(createTags($0)) }),
        "DeleteTopic": PermissionRule("sns:DeleteTopic", resource: topicArn),
        "ListTopics": PermissionRule("sns:ListTopics"),
        "GetTopicAttributes": PermissionRule("sns:GetTopicAttributes", resource: topicArn),
        "SetTopicAttributes": PermissionRule("sns:SetTopicAttributes", resource: topicArn),
        "Subscribe": PermissionRule("sns:Subscribe", resource: topicArn),
        "ConfirmSubscription": PermissionRule("sns:ConfirmSubscription", resource: topicArn),
        "Unsubscribe": PermissionRule("sns:Unsubscribe", resource: subscriptionTopicArn),
        "ListSubscriptions": PermissionRule("sns:ListSubscriptions"),
        "ListSubscriptionsByTopic": PermissionRule("sns:ListSubscriptionsByTopic", resource: topicArn),
        "GetSubscriptionAttributes": PermissionRule("sns:GetSubscriptionAttributes", resource: subscriptionTopicArn),
        "SetSubscriptionAttributes": PermissionRule("sns:SetSubscriptionAttributes", resource: subscriptionTopicArn),
        "Publish": PermissionRule("sns:Publish", resource: publishTargetArn),
    ]

    /// The `TopicArn` parameter as given; `*` when missing (the handler answers the error).
    static func topicArn(_ r: PermissionRequest) -> String {
        r.string("TopicArn").flatMap { $0.isEmpty ? nil : $0 } ?? "*"
    }

    /// Publish names its topic by `TopicArn` or `TargetArn`, as the handler reads them.
    static func publishTargetArn(_ r: PermissionRequest) -> String {
        (r.string("TopicArn") ?? r.string("TargetArn")).flatMap { $0.isEmpty ? nil : $0 } ?? "*"
    }

    /// CreateTopic: the topic being created, in the caller's account and region.
    static func newTopicArn(_ r: PermissionRequest) -> String {
        guard let name = r.string("Name"), !name.isEmpty else { return "*" }
        return r.arn("sns", name)
    }

    /// The topic of a `SubscriptionArn`: the subscription ARN without its last `:` segment (the subscription id).
    static func subscriptionTopicArn(_ r: PermissionRequest) -> String {
        guard let arn = r.string("SubscriptionArn"), let colon = arn.lastIndex(of: ":") else { return "*" }
        let topic = String(arn[..<colon])
        guard let parsed = ARN(topic), parsed.service == "sns", !parsed.resource.isEmpty else { return "*" }
        return topic
    }

    /// CreateTopic's `Tags.member.N.Key` / `.Value` list, read as the handler reads it.
    static func createTags(_ r: PermissionRequest) -> [(String, String)] {
        r.input.form.structList("Tags").compactMap { t in t["Key"].map { ($0, t["Value"] ?? "") } }
    }
}

extension SNSService {
    /// See `permissionTable`.
    public var permissions: [String: PermissionRule] { Self.permissionTable }

    /// A topic's policy and tags; nil for an ARN that is not an existing topic.
    ///
    /// The store holds only the attributes the user set: GetTopicAttributes synthesises the default policy on read
    /// and never stores it. So `policy` is the policy the user stored (CreateTopic or SetTopicAttributes `Policy`), or
    /// nil when there is none: the synthesised default is not returned, so a topic the user gave no policy is decided
    /// by identity policies alone.
    public func resourceFacts(arn: String, context: CallContext) async throws -> ResourceFacts? {
        guard let parsed = ARN(arn), parsed.service == "sns", !parsed.resource.isEmpty, !parsed.resource.contains(":"),
              let topic = try await topics.topic(accountId: parsed.accountId, region: parsed.region, name: parsed.resource)
        else { return nil }
        let policy = topic.attributes["Policy"].flatMap { $0.isEmpty ? nil : $0 }
        return ResourceFacts(policy: policy, tags: topic.tags)
    }
}
