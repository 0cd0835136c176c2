extension Migrations {
    /// SQS queues, messages and de-duplication ids (`SQLQueueStore`).
    static let queues: [Migration] = [
        Migration(name: "0003_sqs", statements: [
            """
            CREATE TABLE sqs_queue (
                queue_id INTEGER PRIMARY KEY AUTOINCREMENT,
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                fifo INTEGER NOT NULL,
                attributes TEXT NOT NULL,
                tags TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                modified_at INTEGER NOT NULL,
                purged_at INTEGER
            )
            """,
            "CREATE UNIQUE INDEX sqs_queue_by_name ON sqs_queue (account_id, region, name)",
            """
            CREATE TABLE sqs_queue_tombstone (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                deleted_at INTEGER NOT NULL,
                PRIMARY KEY (account_id, region, name)
            )
            """,
            """
            CREATE TABLE sqs_message (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                queue_id INTEGER NOT NULL,
                message_id TEXT NOT NULL,
                body TEXT NOT NULL,
                message_attributes TEXT,
                system_attributes TEXT,
                md5_body TEXT NOT NULL,
                md5_attributes TEXT,
                sender_id TEXT NOT NULL,
                sent_at INTEGER NOT NULL,
                visible_at INTEGER NOT NULL,
                receive_count INTEGER NOT NULL,
                first_receive_at INTEGER,
                receipt TEXT,
                group_id TEXT,
                dedup_id TEXT
            )
            """,
            "CREATE INDEX sqs_message_by_visibility ON sqs_message (queue_id, visible_at, seq)",
            "CREATE INDEX sqs_message_by_group ON sqs_message (queue_id, group_id, visible_at)",
            """
            CREATE TABLE sqs_dedup (
                queue_id INTEGER NOT NULL,
                dedup_id TEXT NOT NULL,
                message_id TEXT NOT NULL,
                seq INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                PRIMARY KEY (queue_id, dedup_id)
            )
            """,
        ]),
        // GetQueueAttributes counts in-flight and delayed messages by receive_count: in the index, a count reads
        // no message rows (10,000 in flight were 10,000 row reads per call).
        Migration(name: "0026_sqs_counts_from_index", statements: [
            "DROP INDEX sqs_message_by_visibility",
            "CREATE INDEX sqs_message_by_visibility ON sqs_message (queue_id, visible_at, seq, receive_count)",
        ]),
    ]
}
