extension Migrations {
    /// EventBridge Scheduler's schedule groups, schedules and the outbox of due firings (`SQLScheduleStore`).
    static let scheduler: [Migration] = [
        Migration(name: "0024_scheduler", statements: [
            """
            CREATE TABLE schedule_group (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                arn TEXT NOT NULL UNIQUE,
                tags TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                PRIMARY KEY (account_id, region, name)
            )
            """,
            // `definition` is the service's JSON; `next_fire_at` is NULL once a schedule never fires again.
            """
            CREATE TABLE schedule (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                group_name TEXT NOT NULL,
                name TEXT NOT NULL,
                arn TEXT NOT NULL UNIQUE,
                state TEXT NOT NULL,
                definition TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                next_fire_at INTEGER,
                PRIMARY KEY (account_id, region, group_name, name)
            )
            """,
            // ListSchedules: an account's schedules by ARN, of every group or of one.
            "CREATE INDEX schedule_by_arn ON schedule (account_id, region, arn)",
            "CREATE INDEX schedule_by_group ON schedule (account_id, region, group_name, arn)",
            // The scheduler's loop: the schedules due first.
            "CREATE INDEX schedule_by_next_fire ON schedule (next_fire_at)",
            // Leased as event_delivery rows are: `leased` 0/1 and the node holding the lease.
            """
            CREATE TABLE schedule_firing (
                firing_id INTEGER PRIMARY KEY AUTOINCREMENT,
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                group_name TEXT NOT NULL,
                schedule_arn TEXT NOT NULL,
                execution_id TEXT NOT NULL,
                scheduled_time INTEGER NOT NULL,
                target TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                next_attempt_at INTEGER NOT NULL,
                leased INTEGER NOT NULL DEFAULT 0,
                lease_owner TEXT,
                last_error TEXT
            )
            """,
            "CREATE INDEX schedule_firing_due ON schedule_firing (next_attempt_at, firing_id)",
            // DeleteScheduleGroup drops the group's pending firings.
            "CREATE INDEX schedule_firing_by_group ON schedule_firing (account_id, region, group_name)",
        ]),
    ]
}
