extension Migrations {
    /// Event history: CloudTrail records and their resources (`SQLAuditEventStore`).
    static let auditEvents: [Migration] = [
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
        Migration(name: "0020_audit_error_code", statements: [
            // Records before this migration keep none: the dashboard counts errors from here on.
            "ALTER TABLE audit_event ADD COLUMN error_code TEXT",
        ]),
    ]
}
