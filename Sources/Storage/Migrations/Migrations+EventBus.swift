extension Migrations {
    /// EventBridge buses, rules, targets, API destinations and the delivery outbox (`SQLEventBusStore`).
    static let eventBus: [Migration] = [
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
        Migration(name: "0015_delivery_lease_owner", statements: [
            // The node whose lease a delivery is under (nodes sharing a database release only their own at start).
            // Leases taken before this column existed belong to the one node there was.
            "ALTER TABLE event_delivery ADD COLUMN lease_owner TEXT",
            "UPDATE event_delivery SET lease_owner = 'local' WHERE leased = 1",
        ]),
        Migration(name: "0019_event_target_stat", statements: [
            """
            CREATE TABLE event_target_stat (
                rule_arn TEXT NOT NULL,
                target_id TEXT NOT NULL,
                delivered INTEGER NOT NULL DEFAULT 0,
                retried INTEGER NOT NULL DEFAULT 0,
                dead_lettered INTEGER NOT NULL DEFAULT 0,
                dropped INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                PRIMARY KEY (rule_arn, target_id)
            )
            """,
        ]),
        Migration(name: "0021_rule_schedule", statements: [
            // When a scheduled rule next fires (epoch ms); NULL for rules without a schedule.
            "ALTER TABLE event_rule ADD COLUMN next_fire_at INTEGER",
            "CREATE INDEX event_rule_by_next_fire ON event_rule (next_fire_at)",
        ]),
        Migration(name: "0022_event_archive", statements: [
            """
            CREATE TABLE event_archive (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                arn TEXT NOT NULL UNIQUE,
                bus_name TEXT NOT NULL,
                event_pattern TEXT,
                description TEXT,
                retention_days INTEGER NOT NULL,
                state TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (account_id, region, name)
            )
            """,
            // Each archived event once (deliveries are at least once). Events are ordered as the bus accepted them:
            // by acceptance time, then by `origin`, the outbox row that brought them (its id grows with each insert).
            """
            CREATE TABLE archived_event (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                archive_arn TEXT NOT NULL,
                event_id TEXT NOT NULL,
                event_time INTEGER NOT NULL,
                origin INTEGER NOT NULL,
                body TEXT NOT NULL,
                size_bytes INTEGER NOT NULL,
                UNIQUE (archive_arn, event_id)
            )
            """,
            "CREATE INDEX archived_event_by_time ON archived_event (archive_arn, event_time, origin)",
        ]),
        Migration(name: "0023_event_replay", statements: [
            """
            CREATE TABLE event_replay (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                archive_arn TEXT NOT NULL,
                destination TEXT NOT NULL,
                description TEXT,
                event_start INTEGER NOT NULL,
                event_end INTEGER NOT NULL,
                state TEXT NOT NULL,
                state_reason TEXT,
                last_seq INTEGER NOT NULL,
                last_replayed INTEGER,
                started_at INTEGER NOT NULL,
                ended_at INTEGER,
                PRIMARY KEY (account_id, region, name)
            )
            """,
            "CREATE INDEX event_replay_by_state ON event_replay (state)",
        ]),
    ]
}
