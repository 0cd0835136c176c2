extension Migrations {
    /// Trails, their delivered log files, digest chains and signing keys (`SQLTrailStore`).
    static let trails: [Migration] = [
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
    ]
}
