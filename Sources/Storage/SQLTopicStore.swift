import Foundation
import SQLKit

/// `TopicStore` over SQL.
public struct SQLTopicStore: TopicStore {
    let store: SQLStore

    public init(store: SQLStore) { self.store = store }

    /// An `sns_topic` row as stored.
    private struct TopicColumns: Decodable {
        var accountId: String
        var region: String
        var name: String
        var attributes: String
        var tags: String
        var createdAt: Int64
    }

    /// An `sns_subscription` row as stored.
    private struct SubscriptionColumns: Decodable {
        var subscriptionArn: String
        var topicArn: String
        var accountId: String
        var region: String
        var `protocol`: String
        var endpoint: String
        var attributes: String
        var confirmed: Int
        var token: String?
        var createdAt: Int64
    }

    static func decodeTopic(_ row: any SQLRow) throws -> TopicRecord {
        let c = try row.decodeColumns(TopicColumns.self)
        return TopicRecord(accountId: c.accountId, region: c.region, name: c.name,
                           attributes: StringMapColumn.decode(c.attributes), tags: StringMapColumn.decode(c.tags),
                           createdAt: c.createdAt)
    }

    static func decodeSubscription(_ row: any SQLRow) throws -> SubscriptionRecord {
        let c = try row.decodeColumns(SubscriptionColumns.self)
        return SubscriptionRecord(
            subscriptionArn: c.subscriptionArn, topicArn: c.topicArn, accountId: c.accountId, region: c.region,
            protocol: c.protocol, endpoint: c.endpoint, attributes: StringMapColumn.decode(c.attributes),
            confirmed: c.confirmed != 0, token: c.token, createdAt: c.createdAt)
    }

    public func createTopic(_ t: TopicRecord) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO sns_topic (account_id, region, name, attributes, tags, created_at)
                VALUES (\(bind: t.accountId), \(bind: t.region), \(bind: t.name), \(bind: StringMapColumn.encode(t.attributes)),
                        \(bind: StringMapColumn.encode(t.tags)), \(bind: t.createdAt))
                """).run()
        }
    }

    public func topic(accountId: String, region: String, name: String) async throws -> TopicRecord? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM sns_topic WHERE account_id = \(bind: accountId) AND region = \(bind: region) AND name = \(bind: name)
                """).first().map(Self.decodeTopic)
        }
    }

    public func topics(accountId: String, region: String, after: String?, limit: Int) async throws -> [TopicRecord] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM sns_topic WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND name > \(bind: after ?? "") ORDER BY name LIMIT \(bind: limit)
                """).all().map(Self.decodeTopic)
        }
    }

    public func deleteTopic(accountId: String, region: String, name: String) async throws {
        let arn = "arn:aws:sns:\(region):\(accountId):\(name)"
        try await store.write { db in
            try await db.raw("DELETE FROM sns_subscription WHERE topic_arn = \(bind: arn)").run()
            try await db.raw("""
                DELETE FROM sns_topic WHERE account_id = \(bind: accountId) AND region = \(bind: region) AND name = \(bind: name)
                """).run()
        }
    }

    public func updateTopic(_ t: TopicRecord) async throws {
        try await store.write { db in
            try await db.raw("""
                UPDATE sns_topic SET attributes = \(bind: StringMapColumn.encode(t.attributes)), tags = \(bind: StringMapColumn.encode(t.tags))
                WHERE account_id = \(bind: t.accountId) AND region = \(bind: t.region) AND name = \(bind: t.name)
                """).run()
        }
    }

    public func putSubscription(_ s: SubscriptionRecord) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO sns_subscription (subscription_arn, topic_arn, account_id, region, protocol, endpoint, attributes,
                                              confirmed, token, created_at)
                VALUES (\(bind: s.subscriptionArn), \(bind: s.topicArn), \(bind: s.accountId), \(bind: s.region), \(bind: s.protocol),
                        \(bind: s.endpoint), \(bind: StringMapColumn.encode(s.attributes)), \(bind: s.confirmed ? 1 : 0), \(bind: s.token),
                        \(bind: s.createdAt))
                ON CONFLICT (subscription_arn) DO UPDATE SET attributes = excluded.attributes, confirmed = excluded.confirmed,
                    token = excluded.token
                """).run()
        }
    }

    public func subscription(arn: String) async throws -> SubscriptionRecord? {
        try await store.read { db in
            try await db.raw("SELECT * FROM sns_subscription WHERE subscription_arn = \(bind: arn)").first().map(Self.decodeSubscription)
        }
    }

    public func subscriptions(topicArn: String, after: String?, limit: Int) async throws -> [SubscriptionRecord] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM sns_subscription WHERE topic_arn = \(bind: topicArn) AND subscription_arn > \(bind: after ?? "")
                ORDER BY subscription_arn LIMIT \(bind: limit)
                """).all().map(Self.decodeSubscription)
        }
    }

    public func subscriptions(accountId: String, region: String, after: String?, limit: Int) async throws -> [SubscriptionRecord] {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM sns_subscription WHERE account_id = \(bind: accountId) AND region = \(bind: region)
                AND subscription_arn > \(bind: after ?? "") ORDER BY subscription_arn LIMIT \(bind: limit)
                """).all().map(Self.decodeSubscription)
        }
    }

    public func deleteSubscription(arn: String) async throws {
        try await store.write { db in
            try await db.raw("DELETE FROM sns_subscription WHERE subscription_arn = \(bind: arn)").run()
        }
    }
}
