extension Migrations {
    /// S3 Batch Operations jobs and their tasks (`SQLJobStore`), AWS Batch resources and jobs (`SQLBatchStore`).
    static let jobs: [Migration] = [
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
        Migration(
            name: "0014_batch_job_tags",
            // A job's tags leave its JSON document for a column of their own (no JSON functions in the stores).
            statements: ["ALTER TABLE batch_job ADD COLUMN tags TEXT NOT NULL DEFAULT '{}'"],
            sqliteUpgrade: ["UPDATE batch_job SET tags = COALESCE(json_extract(document, '$.tags'), '{}')"]),
        Migration(
            name: "0025_batch_job_active",
            // The Batch scheduler reads the active jobs' versions every pass: a covering index of only those jobs
            // makes that an index scan in order, not a scan of every job ever run and a sort. Its WHERE is the
            // query's own, word for word, which is what lets both engines use a partial index.
            statements: ["""
                CREATE INDEX batch_job_active ON batch_job (created_at, job_id, status, updated_at)
                WHERE status NOT IN ('SUCCEEDED', 'FAILED')
                """]),
    ]
}
