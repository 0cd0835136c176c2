extension Migrations {
    /// SNS topics and subscriptions (`SQLTopicStore`).
    static let topics: [Migration] = [
        Migration(name: "0005_sns", statements: [
            """
            CREATE TABLE sns_topic (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                attributes TEXT NOT NULL,
                tags TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (account_id, region, name)
            )
            """,
            """
            CREATE TABLE sns_subscription (
                subscription_arn TEXT PRIMARY KEY,
                topic_arn TEXT NOT NULL,
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                protocol TEXT NOT NULL,
                endpoint TEXT NOT NULL,
                attributes TEXT NOT NULL,
                confirmed INTEGER NOT NULL,
                token TEXT,
                created_at INTEGER NOT NULL
            )
            """,
            "CREATE INDEX sns_subscription_by_topic ON sns_subscription (topic_arn, subscription_arn)",
            "CREATE INDEX sns_subscription_by_account ON sns_subscription (account_id, region, subscription_arn)",
        ]),
    ]
}
