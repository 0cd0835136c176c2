import Foundation

/// An SNS topic as stored.
public struct TopicRecord: Sendable, Equatable {
    public var accountId: String
    public var region: String
    public var name: String
    public var attributes: [String: String]
    public var tags: [String: String]
    public var createdAt: Int64

    public init(accountId: String, region: String, name: String, attributes: [String: String], tags: [String: String],
                createdAt: Int64) {
        self.accountId = accountId
        self.region = region
        self.name = name
        self.attributes = attributes
        self.tags = tags
        self.createdAt = createdAt
    }

    public var arn: String { "arn:aws:sns:\(region):\(accountId):\(name)" }
}

/// An SNS subscription as stored.
public struct SubscriptionRecord: Sendable, Equatable {
    public var subscriptionArn: String
    public var topicArn: String
    public var accountId: String
    public var region: String
    public var `protocol`: String
    public var endpoint: String
    public var attributes: [String: String]
    public var confirmed: Bool
    public var token: String?
    public var createdAt: Int64

    public init(subscriptionArn: String, topicArn: String, accountId: String, region: String, protocol: String,
                endpoint: String, attributes: [String: String], confirmed: Bool, token: String?, createdAt: Int64) {
        self.subscriptionArn = subscriptionArn
        self.topicArn = topicArn
        self.accountId = accountId
        self.region = region
        self.protocol = `protocol`
        self.endpoint = endpoint
        self.attributes = attributes
        self.confirmed = confirmed
        self.token = token
        self.createdAt = createdAt
    }
}

/// SNS topics and subscriptions.
public protocol TopicStore: Sendable {
    func createTopic(_ topic: TopicRecord) async throws
    func topic(accountId: String, region: String, name: String) async throws -> TopicRecord?
    func topics(accountId: String, region: String, after: String?, limit: Int) async throws -> [TopicRecord]
    /// Deletes the topic and its subscriptions.
    func deleteTopic(accountId: String, region: String, name: String) async throws
    func updateTopic(_ topic: TopicRecord) async throws

    func putSubscription(_ subscription: SubscriptionRecord) async throws
    func subscription(arn: String) async throws -> SubscriptionRecord?
    func subscriptions(topicArn: String, after: String?, limit: Int) async throws -> [SubscriptionRecord]
    func subscriptions(accountId: String, region: String, after: String?, limit: Int) async throws -> [SubscriptionRecord]
    func deleteSubscription(arn: String) async throws
}
