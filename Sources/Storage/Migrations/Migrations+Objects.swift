extension Migrations {
    /// S3 buckets, objects, multipart uploads and object bodies kept in the database (`SQLObjectCatalog`, `SQLBlobChunkStore`).
    static let objects: [Migration] = [
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
    ]
}
