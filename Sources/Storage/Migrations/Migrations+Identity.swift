extension Migrations {
    /// Accounts, IAM users, roles, groups, access keys, policies (`SQLIdentityStore`).
    static let identity: [Migration] = [
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
        Migration(name: "0017_secret_key_check", statements: [
            // A known value sealed with the key the database's secrets are sealed with, so a node holding another
            // key refuses to start instead of sealing secrets no other node can open.
            "CREATE TABLE secret_key_check (name TEXT PRIMARY KEY, sealed TEXT NOT NULL)",
        ]),
    ]
}
