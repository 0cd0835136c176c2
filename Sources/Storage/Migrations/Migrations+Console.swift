extension Migrations {
    /// Console sessions (`SQLConsoleSessionStore`).
    static let console: [Migration] = [
        Migration(name: "0018_console_session", statements: [
            """
            CREATE TABLE console_session (
                token_hash TEXT PRIMARY KEY,
                access_key_id TEXT NOT NULL,
                region TEXT NOT NULL,
                csrf_token TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                last_seen_at INTEGER NOT NULL
            )
            """,
            "CREATE INDEX console_session_by_last_seen ON console_session (last_seen_at)",
        ]),
    ]
}
