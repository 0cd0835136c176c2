import Foundation
import SQLKit

/// A named, append-only schema change. Never edit one that has landed; add a new one.
///
/// Statements are written in SQLite's types; `StoreDialect.schema` gives PostgreSQL its own.
public struct Migration: Sendable {
    public var name: String
    public var statements: [String]
    /// Data moves only an upgraded SQLite database needs: PostgreSQL support began at the schema of the
    /// migration that carries them, so a PostgreSQL database never holds data from before it.
    public var sqliteUpgrade: [String] = []
}

/// The schema, in order.
enum Migrations {
    static let all: [Migration] = [
        Migration(name: "0001_identity", statements: [
            """
            CREATE TABLE account (
                account_id TEXT PRIMARY KEY,
                created_at INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE iam_user (
                account_id TEXT NOT NULL,
                user_name TEXT NOT NULL,
                user_name_key TEXT NOT NULL,
                user_id TEXT NOT NULL UNIQUE,
                path TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (account_id, user_name_key)
            )
            """,
            """
            CREATE TABLE iam_role (
                account_id TEXT NOT NULL,
                role_name TEXT NOT NULL,
                role_name_key TEXT NOT NULL,
                role_id TEXT NOT NULL UNIQUE,
                path TEXT NOT NULL,
                assume_role_policy TEXT NOT NULL,
                description TEXT,
                max_session_duration INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (account_id, role_name_key)
            )
            """,
            """
            CREATE TABLE access_key (
                access_key_id TEXT PRIMARY KEY,
                secret TEXT NOT NULL,
                account_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                user_name TEXT,
                status TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                session_token TEXT,
                expires_at INTEGER,
                role_name TEXT,
                role_id TEXT,
                role_path TEXT,
                session_name TEXT
            )
            """,
            "CREATE INDEX access_key_by_user ON access_key (account_id, user_name)",
        ]),
        Migration(name: "0002_audit_event", statements: [
            """
            CREATE TABLE audit_event (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                event_id TEXT NOT NULL UNIQUE,
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                event_time INTEGER NOT NULL,
                event_name TEXT NOT NULL,
                event_source TEXT NOT NULL,
                read_only INTEGER NOT NULL,
                username TEXT,
                access_key_id TEXT,
                management INTEGER NOT NULL,
                record TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_event_by_time ON audit_event (account_id, region, management, event_time, seq)",
            "CREATE INDEX audit_event_by_name ON audit_event (account_id, region, event_name, management, event_time, seq)",
            "CREATE INDEX audit_event_by_source ON audit_event (account_id, region, event_source, management, event_time, seq)",
            "CREATE INDEX audit_event_by_username ON audit_event (account_id, region, username, management, event_time, seq)",
            "CREATE INDEX audit_event_by_key ON audit_event (account_id, region, access_key_id, management, event_time, seq)",
            """
            CREATE TABLE audit_resource (
                event_id TEXT NOT NULL,
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                event_time INTEGER NOT NULL,
                resource_type TEXT NOT NULL,
                resource_name TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_resource_by_type ON audit_resource (account_id, region, resource_type, event_time)",
            "CREATE INDEX audit_resource_by_name ON audit_resource (account_id, region, resource_name, event_time)",
            "CREATE INDEX audit_resource_by_event ON audit_resource (event_id)",
        ]),
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
        Migration(name: "0004_event_bus", statements: [
            """
            CREATE TABLE event_bus (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                description TEXT,
                policy TEXT,
                tags TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                modified_at INTEGER NOT NULL,
                PRIMARY KEY (account_id, region, name)
            )
            """,
            """
            CREATE TABLE event_rule (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                bus_name TEXT NOT NULL,
                name TEXT NOT NULL,
                event_pattern TEXT,
                schedule_expression TEXT,
                state TEXT NOT NULL,
                description TEXT,
                role_arn TEXT,
                tags TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (account_id, region, bus_name, name)
            )
            """,
            """
            CREATE TABLE event_target (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                bus_name TEXT NOT NULL,
                rule_name TEXT NOT NULL,
                target_id TEXT NOT NULL,
                arn TEXT NOT NULL,
                definition TEXT NOT NULL,
                PRIMARY KEY (account_id, region, bus_name, rule_name, target_id)
            )
            """,
            "CREATE INDEX event_target_by_arn ON event_target (account_id, region, arn)",
            """
            CREATE TABLE event_delivery (
                delivery_id INTEGER PRIMARY KEY AUTOINCREMENT,
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                rule_arn TEXT NOT NULL,
                target_id TEXT NOT NULL,
                target TEXT NOT NULL,
                payload TEXT NOT NULL,
                event_id TEXT NOT NULL,
                event_time INTEGER NOT NULL,
                attempts INTEGER NOT NULL,
                next_attempt_at INTEGER NOT NULL,
                leased INTEGER NOT NULL DEFAULT 0,
                last_error TEXT
            )
            """,
            "CREATE INDEX event_delivery_due ON event_delivery (next_attempt_at, delivery_id)",
        ]),
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
        Migration(name: "0006_api_destinations", statements: [
            """
            CREATE TABLE event_api_resource (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                arn TEXT NOT NULL UNIQUE,
                definition TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                modified_at INTEGER NOT NULL,
                PRIMARY KEY (account_id, region, kind, name)
            )
            """,
        ]),
        Migration(name: "0007_object_store", statements: [
            """
            CREATE TABLE s3_bucket (
                name TEXT PRIMARY KEY,
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                policy TEXT,
                tags TEXT NOT NULL,
                created_at INTEGER NOT NULL
            )
            """,
            "CREATE INDEX s3_bucket_by_account ON s3_bucket (account_id, name)",
            """
            CREATE TABLE s3_object (
                bucket TEXT NOT NULL,
                object_key TEXT NOT NULL,
                blob TEXT NOT NULL,
                size INTEGER NOT NULL,
                etag TEXT NOT NULL,
                last_modified INTEGER NOT NULL,
                content_type TEXT NOT NULL,
                headers TEXT NOT NULL,
                metadata TEXT NOT NULL,
                tags TEXT NOT NULL,
                checksum_algorithm TEXT,
                checksum_value TEXT,
                PRIMARY KEY (bucket, object_key)
            )
            """,
            """
            CREATE TABLE s3_upload (
                upload_id TEXT PRIMARY KEY,
                bucket TEXT NOT NULL,
                object_key TEXT NOT NULL,
                template TEXT NOT NULL,
                created_at INTEGER NOT NULL
            )
            """,
            "CREATE INDEX s3_upload_by_bucket ON s3_upload (bucket, object_key, upload_id)",
            """
            CREATE TABLE s3_part (
                upload_id TEXT NOT NULL,
                part_number INTEGER NOT NULL,
                blob TEXT NOT NULL,
                size INTEGER NOT NULL,
                md5 TEXT NOT NULL,
                last_modified INTEGER NOT NULL,
                PRIMARY KEY (upload_id, part_number)
            )
            """,
        ]),
        Migration(name: "0008_trails", statements: [
            """
            CREATE TABLE trail (
                arn TEXT PRIMARY KEY,
                account_id TEXT NOT NULL,
                home_region TEXT NOT NULL,
                name TEXT NOT NULL,
                definition TEXT NOT NULL,
                tags TEXT NOT NULL,
                is_logging INTEGER NOT NULL,
                cursor_seq INTEGER NOT NULL,
                status TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                UNIQUE (account_id, home_region, name)
            )
            """,
            """
            CREATE TABLE trail_log_file (
                trail_arn TEXT NOT NULL,
                region TEXT NOT NULL,
                object_key TEXT NOT NULL,
                bucket TEXT NOT NULL,
                first_seq INTEGER NOT NULL,
                last_seq INTEGER NOT NULL,
                sha256 TEXT,
                oldest_event INTEGER,
                newest_event INTEGER,
                delivered_at INTEGER,
                digested INTEGER NOT NULL,
                PRIMARY KEY (trail_arn, object_key)
            )
            """,
            "CREATE INDEX trail_log_file_pending ON trail_log_file (trail_arn, digested, region, delivered_at)",
            """
            CREATE TABLE trail_digest_chain (
                trail_arn TEXT NOT NULL,
                region TEXT NOT NULL,
                last_end INTEGER,
                last_bucket TEXT,
                last_key TEXT,
                last_signature TEXT,
                last_hash TEXT,
                pending_end INTEGER,
                PRIMARY KEY (trail_arn, region)
            )
            """,
            """
            CREATE TABLE trail_signing_key (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                private_key BLOB NOT NULL,
                public_key BLOB NOT NULL,
                valid_from INTEGER NOT NULL,
                valid_to INTEGER NOT NULL,
                PRIMARY KEY (account_id, region, fingerprint)
            )
            """,
        ]),
        Migration(name: "0009_batch_jobs", statements: [
            """
            CREATE TABLE s3_job (
                job_id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                status TEXT NOT NULL,
                priority INTEGER NOT NULL,
                client_token TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                definition TEXT NOT NULL,
                state TEXT NOT NULL,
                tags TEXT NOT NULL,
                total_tasks INTEGER NOT NULL,
                succeeded_tasks INTEGER NOT NULL,
                failed_tasks INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                UNIQUE (account_id, client_token)
            )
            """,
            "CREATE INDEX s3_job_by_account ON s3_job (account_id, region, created_at)",
            "CREATE INDEX s3_job_by_status ON s3_job (status, priority)",
            """
            CREATE TABLE s3_job_task (
                job_id TEXT NOT NULL,
                task_index INTEGER NOT NULL,
                bucket TEXT NOT NULL,
                object_key TEXT NOT NULL,
                version_id TEXT,
                result TEXT,
                error_code TEXT,
                http_status INTEGER,
                message TEXT,
                PRIMARY KEY (job_id, task_index)
            )
            """,
            "CREATE INDEX s3_job_task_pending ON s3_job_task (job_id, result, task_index)",
        ]),
        Migration(name: "0010_batch_compute", statements: [
            """
            CREATE TABLE batch_resource (
                arn TEXT PRIMARY KEY,
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                revision INTEGER NOT NULL,
                status TEXT NOT NULL,
                document TEXT NOT NULL,
                created_at INTEGER NOT NULL
            )
            """,
            "CREATE INDEX batch_resource_by_name ON batch_resource (account_id, region, kind, name, revision)",
            """
            CREATE TABLE batch_job (
                job_id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                queue_arn TEXT NOT NULL,
                parent_id TEXT,
                status TEXT NOT NULL,
                job_name TEXT NOT NULL,
                document TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            )
            """,
            "CREATE INDEX batch_job_by_queue ON batch_job (account_id, region, queue_arn, status, created_at)",
            "CREATE INDEX batch_job_by_parent ON batch_job (parent_id, job_id)",
            "CREATE INDEX batch_job_by_status ON batch_job (status, created_at)",
        ]),
        Migration(name: "0011_iam_tags", statements: [
            // A JSON list of {key, value}, in the order given.
            "ALTER TABLE iam_user ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'",
            "ALTER TABLE iam_role ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'",
        ]),
        Migration(name: "0012_iam_policies", statements: [
            """
            CREATE TABLE iam_group (
                account_id TEXT NOT NULL,
                group_name TEXT NOT NULL,
                group_name_key TEXT NOT NULL,
                group_id TEXT NOT NULL UNIQUE,
                path TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (account_id, group_name_key)
            )
            """,
            """
            CREATE TABLE iam_group_member (
                account_id TEXT NOT NULL,
                group_name_key TEXT NOT NULL,
                user_name_key TEXT NOT NULL,
                PRIMARY KEY (account_id, group_name_key, user_name_key)
            )
            """,
            "CREATE INDEX iam_group_member_by_user ON iam_group_member (account_id, user_name_key)",
            // Inline policies of users, groups and roles (owner_type: user, group, role).
            """
            CREATE TABLE iam_inline_policy (
                account_id TEXT NOT NULL,
                owner_type TEXT NOT NULL,
                owner_key TEXT NOT NULL,
                policy_name TEXT NOT NULL,
                policy_name_key TEXT NOT NULL,
                document TEXT NOT NULL,
                PRIMARY KEY (account_id, owner_type, owner_key, policy_name_key)
            )
            """,
            """
            CREATE TABLE iam_managed_policy (
                account_id TEXT NOT NULL,
                policy_name TEXT NOT NULL,
                policy_name_key TEXT NOT NULL,
                policy_id TEXT NOT NULL UNIQUE,
                path TEXT NOT NULL,
                description TEXT,
                default_version INTEGER NOT NULL,
                next_version INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                PRIMARY KEY (account_id, policy_name_key)
            )
            """,
            """
            CREATE TABLE iam_policy_version (
                account_id TEXT NOT NULL,
                policy_name_key TEXT NOT NULL,
                version INTEGER NOT NULL,
                document TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (account_id, policy_name_key, version)
            )
            """,
            """
            CREATE TABLE iam_policy_attachment (
                account_id TEXT NOT NULL,
                owner_type TEXT NOT NULL,
                owner_key TEXT NOT NULL,
                policy_arn TEXT NOT NULL,
                attached_at INTEGER NOT NULL,
                PRIMARY KEY (account_id, owner_type, owner_key, policy_arn)
            )
            """,
            "CREATE INDEX iam_policy_attachment_by_policy ON iam_policy_attachment (account_id, policy_arn)",
            // One counter per account, bumped in the transaction of every change that can alter a decision.
            """
            CREATE TABLE iam_policy_generation (
                account_id TEXT PRIMARY KEY,
                generation INTEGER NOT NULL
            )
            """,
            // Data directories made before policies existed: their administrator keeps doing everything.
            """
            INSERT INTO iam_policy_attachment (account_id, owner_type, owner_key, policy_arn, attached_at)
            SELECT account_id, 'user', user_name_key, 'arn:aws:iam::aws:policy/AdministratorAccess', created_at
            FROM iam_user WHERE user_name_key = 'admin'
            """,
        ]),
        Migration(name: "0013_session_policies", statements: [
            // A JSON list of the policy documents AssumeRole's Policy and PolicyArns gave the session.
            "ALTER TABLE access_key ADD COLUMN session_policies TEXT",
        ]),
        Migration(
            name: "0014_batch_job_tags",
            // A job's tags leave its JSON document for a column of their own (no JSON functions in the stores).
            statements: ["ALTER TABLE batch_job ADD COLUMN tags TEXT NOT NULL DEFAULT '{}'"],
            sqliteUpgrade: ["UPDATE batch_job SET tags = COALESCE(json_extract(document, '$.tags'), '{}')"]),
        Migration(name: "0015_delivery_lease_owner", statements: [
            // The node whose lease a delivery is under (nodes sharing a database release only their own at start).
            // Leases taken before this column existed belong to the one node there was.
            "ALTER TABLE event_delivery ADD COLUMN lease_owner TEXT",
            "UPDATE event_delivery SET lease_owner = 'local' WHERE leased = 1",
        ]),
        Migration(name: "0016_object_chunks", statements: [
            // Object bodies in the database (PostgreSQL without --objects-dir): about 1 MiB per row.
            """
            CREATE TABLE s3_blob_chunk (
                blob TEXT NOT NULL,
                chunk_index INTEGER NOT NULL,
                data BLOB NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (blob, chunk_index)
            )
            """,
            "CREATE INDEX s3_object_by_blob ON s3_object (blob)",
            "CREATE INDEX s3_part_by_blob ON s3_part (blob)",
        ]),
        Migration(name: "0017_secret_key_check", statements: [
            // A known value sealed with the key the database's secrets are sealed with, so a node holding another
            // key refuses to start instead of sealing secrets no other node can open.
            "CREATE TABLE secret_key_check (name TEXT PRIMARY KEY, sealed TEXT NOT NULL)",
        ]),
    ]

    /// Applies the migrations not yet recorded in `migration`, each in its own transaction. Several nodes may
    /// start at once: one at a time migrates, under a lock held across the transactions (each transaction then
    /// begins after the lock is taken, so it sees what the node before applied).
    static func apply(_ migrations: [Migration], to store: SQLStore) async throws {
        let dialect = store.dialect
        try await store.exclusively("migrations") {
            try await store.write { db in
                try await db.raw(SQLQueryString(dialect.schema(
                    "CREATE TABLE IF NOT EXISTS migration (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)"))).run()
            }
            let done = Set(try await store.read { db in
                try await db.raw("SELECT name FROM migration").all().map { try $0.decode(column: "name", as: String.self) }
            })
            for migration in migrations where !done.contains(migration.name) {
                try await store.write { db in
                    var statements = migration.statements.map(dialect.schema)
                    if dialect.engine == .sqlite { statements += migration.sqliteUpgrade }
                    for statement in statements { try await db.raw(SQLQueryString(statement)).run() }
                    let now = Int64(Date().timeIntervalSince1970)
                    try await db.raw("INSERT INTO migration (name, applied_at) VALUES (\(bind: migration.name), \(bind: now))").run()
                }
                store.logger.debug("applied migration \(migration.name)")
            }
        }
    }
}
