import Foundation
import SQLKit

/// `ObjectCatalog` over SQL. Keys compare in UTF-8 byte order (SQLite's BINARY collation), as S3 lists them.
public struct SQLObjectCatalog: ObjectCatalog {
    let store: SQLStore

    public init(store: SQLStore) { self.store = store }

    static func decodeBucket(_ row: any SQLRow) throws -> BucketRecord {
        BucketRecord(name: try row.decode(column: "name", as: String.self),
                     accountId: try row.decode(column: "account_id", as: String.self),
                     region: try row.decode(column: "region", as: String.self),
                     policy: try row.decode(column: "policy", as: String?.self),
                     tags: StringMapColumn.decode(try row.decode(column: "tags", as: String.self)),
                     createdAt: try row.decode(column: "created_at", as: Int64.self))
    }

    static func decodeObject(_ row: any SQLRow) throws -> ObjectRecord {
        ObjectRecord(bucket: try row.decode(column: "bucket", as: String.self),
                     key: try row.decode(column: "object_key", as: String.self),
                     blob: try row.decode(column: "blob", as: String.self),
                     size: try row.decode(column: "size", as: Int64.self),
                     etag: try row.decode(column: "etag", as: String.self),
                     lastModified: try row.decode(column: "last_modified", as: Int64.self),
                     contentType: try row.decode(column: "content_type", as: String.self),
                     headers: StringMapColumn.decode(try row.decode(column: "headers", as: String.self)),
                     metadata: StringMapColumn.decode(try row.decode(column: "metadata", as: String.self)),
                     tags: StringMapColumn.decode(try row.decode(column: "tags", as: String.self)),
                     checksumAlgorithm: try row.decode(column: "checksum_algorithm", as: String?.self),
                     checksumValue: try row.decode(column: "checksum_value", as: String?.self))
    }

    public func createBucket(_ b: BucketRecord) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO s3_bucket (name, account_id, region, policy, tags, created_at)
                VALUES (\(bind: b.name), \(bind: b.accountId), \(bind: b.region), \(bind: b.policy),
                        \(bind: StringMapColumn.encode(b.tags)), \(bind: b.createdAt))
                """).run()
        }
    }

    public func bucket(named name: String) async throws -> BucketRecord? {
        try await store.read { db in
            try await db.raw("SELECT * FROM s3_bucket WHERE name = \(bind: name)").first().map(Self.decodeBucket)
        }
    }

    public func buckets(accountId: String) async throws -> [BucketRecord] {
        try await store.read { db in
            try await db.raw("SELECT * FROM s3_bucket WHERE account_id = \(bind: accountId) ORDER BY name").all()
                .map(Self.decodeBucket)
        }
    }

    public func deleteBucket(named name: String) async throws {
        try await store.write { db in
            let used = try await db.raw("""
                SELECT 1 AS used FROM s3_object WHERE bucket = \(bind: name)
                UNION ALL SELECT 1 AS used FROM s3_upload WHERE bucket = \(bind: name) LIMIT 1
                """).first()
            if used != nil { throw StoreError.conflict("The bucket you tried to delete is not empty") }
            try await db.raw("DELETE FROM s3_bucket WHERE name = \(bind: name)").run()
        }
    }

    public func setBucketPolicy(_ policy: String?, bucket: String) async throws {
        try await store.write { db in
            try await db.raw("UPDATE s3_bucket SET policy = \(bind: policy) WHERE name = \(bind: bucket)").run()
        }
    }

    public func putObject(_ o: ObjectRecord, onlyIfAbsent: Bool) async throws -> String? {
        try await store.write { db in try await Self.put(o, onlyIfAbsent: onlyIfAbsent, in: db) }
    }

    static func put(_ o: ObjectRecord, onlyIfAbsent: Bool = false, in db: any SQLDatabase) async throws -> String? {
        guard try await db.raw("SELECT name FROM s3_bucket WHERE name = \(bind: o.bucket)").first() != nil else {
            throw StoreError.notFound("The specified bucket does not exist")
        }
        let previous = try await db.raw("""
            SELECT blob FROM s3_object WHERE bucket = \(bind: o.bucket) AND object_key = \(bind: o.key)
            """).first().map { try $0.decode(column: "blob", as: String.self) }
        if onlyIfAbsent, previous != nil { throw StoreError.conflict("The object already exists") }
        try await db.raw("""
            INSERT INTO s3_object (bucket, object_key, blob, size, etag, last_modified, content_type, headers, metadata, tags,
                                   checksum_algorithm, checksum_value)
            VALUES (\(bind: o.bucket), \(bind: o.key), \(bind: o.blob), \(bind: o.size), \(bind: o.etag), \(bind: o.lastModified),
                    \(bind: o.contentType), \(bind: StringMapColumn.encode(o.headers)), \(bind: StringMapColumn.encode(o.metadata)),
                    \(bind: StringMapColumn.encode(o.tags)), \(bind: o.checksumAlgorithm), \(bind: o.checksumValue))
            ON CONFLICT (bucket, object_key) DO UPDATE SET blob = excluded.blob, size = excluded.size, etag = excluded.etag,
                last_modified = excluded.last_modified, content_type = excluded.content_type, headers = excluded.headers,
                metadata = excluded.metadata, tags = excluded.tags, checksum_algorithm = excluded.checksum_algorithm,
                checksum_value = excluded.checksum_value
            """).run()
        return previous == o.blob ? nil : previous
    }

    public func object(bucket: String, key: String) async throws -> ObjectRecord? {
        try await store.read { db in
            try await db.raw("SELECT * FROM s3_object WHERE bucket = \(bind: bucket) AND object_key = \(bind: key)")
                .first().map(Self.decodeObject)
        }
    }

    public func deleteObject(bucket: String, key: String) async throws -> String? {
        try await deleteObjects(bucket: bucket, keys: [key]).first
    }

    public func deleteObjects(bucket: String, keys: [String]) async throws -> [String] {
        try await store.write { db in
            var removed: [String] = []
            for key in keys {
                let blob = try await db.raw("""
                    SELECT blob FROM s3_object WHERE bucket = \(bind: bucket) AND object_key = \(bind: key)
                    """).first().map { try $0.decode(column: "blob", as: String.self) }
                if let blob {
                    try await db.raw("DELETE FROM s3_object WHERE bucket = \(bind: bucket) AND object_key = \(bind: key)").run()
                    removed.append(blob)
                }
            }
            return removed
        }
    }

    public func objects(bucket: String, prefix: String, after: String?, limit: Int) async throws -> [ObjectRecord] {
        // A range scan from the larger of the prefix and the cursor; the caller stops at the first key without the prefix.
        // Byte order, not Swift's Unicode ordering: S3 keys are UTF-8 bytes.
        let afterIsLarger = after.map { Array($0.utf8).lexicographicallyPrecedes(Array(prefix.utf8)) == false } ?? false
        let from = afterIsLarger ? after! : prefix
        let inclusive = !afterIsLarger
        return try await store.read { db in
            let rows = try await (inclusive
                ? db.raw("""
                    SELECT * FROM s3_object WHERE bucket = \(bind: bucket) AND object_key >= \(bind: from)
                    ORDER BY object_key LIMIT \(bind: limit)
                    """).all()
                : db.raw("""
                    SELECT * FROM s3_object WHERE bucket = \(bind: bucket) AND object_key > \(bind: from)
                    ORDER BY object_key LIMIT \(bind: limit)
                    """).all())
            return try rows.map(Self.decodeObject).filter { $0.key.utf8.starts(with: prefix.utf8) }
        }
    }

    public func setObjectTags(_ tags: [String: String], bucket: String, key: String) async throws -> Bool {
        try await setObjectTags([(bucket: bucket, key: key, tags: tags)]).first ?? false
    }

    public func setObjectTags(_ items: [(bucket: String, key: String, tags: [String: String])]) async throws -> [Bool] {
        try await store.write { db in
            var found: [Bool] = []
            for item in items {
                let exists = try await db.raw("""
                    SELECT 1 AS found FROM s3_object WHERE bucket = \(bind: item.bucket) AND object_key = \(bind: item.key)
                    """).first() != nil
                if exists {
                    try await db.raw("""
                        UPDATE s3_object SET tags = \(bind: StringMapColumn.encode(item.tags))
                        WHERE bucket = \(bind: item.bucket) AND object_key = \(bind: item.key)
                        """).run()
                }
                found.append(exists)
            }
            return found
        }
    }

    public func createUpload(_ u: UploadRecord) async throws {
        try await store.write { db in
            try await db.raw("""
                INSERT INTO s3_upload (upload_id, bucket, object_key, template, created_at)
                VALUES (\(bind: u.uploadId), \(bind: u.bucket), \(bind: u.key), \(bind: u.template), \(bind: u.createdAt))
                """).run()
        }
    }

    public func upload(id: String) async throws -> UploadRecord? {
        try await store.read { db in
            try await db.raw("SELECT * FROM s3_upload WHERE upload_id = \(bind: id)").first().map { row in
                UploadRecord(uploadId: try row.decode(column: "upload_id", as: String.self),
                             bucket: try row.decode(column: "bucket", as: String.self),
                             key: try row.decode(column: "object_key", as: String.self),
                             template: try row.decode(column: "template", as: String.self),
                             createdAt: try row.decode(column: "created_at", as: Int64.self))
            }
        }
    }

    public func putPart(_ p: PartRecord) async throws -> String? {
        try await store.write { db in
            guard try await db.raw("SELECT 1 AS found FROM s3_upload WHERE upload_id = \(bind: p.uploadId)").first() != nil else {
                throw StoreError.notFound("The specified upload does not exist.")
            }
            let previous = try await db.raw("""
                SELECT blob FROM s3_part WHERE upload_id = \(bind: p.uploadId) AND part_number = \(bind: p.partNumber)
                """).first().map { try $0.decode(column: "blob", as: String.self) }
            try await db.raw("""
                INSERT INTO s3_part (upload_id, part_number, blob, size, md5, last_modified)
                VALUES (\(bind: p.uploadId), \(bind: p.partNumber), \(bind: p.blob), \(bind: p.size), \(bind: p.md5),
                        \(bind: p.lastModified))
                ON CONFLICT (upload_id, part_number) DO UPDATE SET blob = excluded.blob, size = excluded.size,
                    md5 = excluded.md5, last_modified = excluded.last_modified
                """).run()
            return previous
        }
    }

    public func parts(uploadId: String) async throws -> [PartRecord] {
        try await store.read { db in
            try await db.raw("SELECT * FROM s3_part WHERE upload_id = \(bind: uploadId) ORDER BY part_number").all().map { row in
                PartRecord(uploadId: try row.decode(column: "upload_id", as: String.self),
                           partNumber: try row.decode(column: "part_number", as: Int.self),
                           blob: try row.decode(column: "blob", as: String.self),
                           size: try row.decode(column: "size", as: Int64.self),
                           md5: try row.decode(column: "md5", as: String.self),
                           lastModified: try row.decode(column: "last_modified", as: Int64.self))
            }
        }
    }

    public func referencedBlobs() async throws -> Set<String> {
        try await store.read { db in
            Set(try await db.raw("SELECT blob FROM s3_object UNION SELECT blob FROM s3_part").all().map {
                try $0.decode(column: "blob", as: String.self)
            })
        }
    }

    public func finishUpload(id: String, object: ObjectRecord?) async throws -> [String] {
        try await store.write { db in
            guard try await db.raw("SELECT 1 AS found FROM s3_upload WHERE upload_id = \(bind: id)").first() != nil else {
                throw StoreError.notFound("The specified upload does not exist.")
            }
            var unused = try await db.raw("SELECT blob FROM s3_part WHERE upload_id = \(bind: id)").all()
                .map { try $0.decode(column: "blob", as: String.self) }
            if let object, let replaced = try await Self.put(object, in: db) { unused.append(replaced) }
            try await db.raw("DELETE FROM s3_part WHERE upload_id = \(bind: id)").run()
            try await db.raw("DELETE FROM s3_upload WHERE upload_id = \(bind: id)").run()
            return unused
        }
    }
}
