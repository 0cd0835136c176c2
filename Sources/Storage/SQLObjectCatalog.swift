import Foundation
import SQLKit

/// `ObjectCatalog` over SQL. Keys compare in UTF-8 byte order (SQLite's BINARY collation), as S3 lists them.
public struct SQLObjectCatalog: ObjectCatalog {
    let store: SQLStore

    public init(store: SQLStore) { self.store = store }

    /// An `s3_bucket` row as stored: tags as JSON text.
    private struct BucketColumns: Decodable {
        var name: String
        var accountId: String
        var region: String
        var policy: String?
        var tags: String
        var createdAt: Int64
    }

    /// An `s3_object` row as stored: headers, metadata and tags as JSON text.
    private struct ObjectColumns: Decodable {
        var bucket: String
        var objectKey: String
        var blob: String
        var size: Int64
        var etag: String
        var lastModified: Int64
        var contentType: String
        var headers: String
        var metadata: String
        var tags: String
        var checksumAlgorithm: String?
        var checksumValue: String?
    }

    /// An `s3_upload` row as stored.
    private struct UploadColumns: Decodable {
        var uploadId: String
        var bucket: String
        var objectKey: String
        var template: String
        var createdAt: Int64
    }

    /// An `s3_part` row as stored.
    private struct PartColumns: Decodable {
        var uploadId: String
        var partNumber: Int
        var blob: String
        var size: Int64
        var md5: String
        var lastModified: Int64
    }

    /// The blob an object or part names.
    private struct BlobColumns: Decodable {
        var blob: String
    }

    static func decodeBucket(_ row: any SQLRow) throws -> BucketRecord {
        let c = try row.decodeColumns(BucketColumns.self)
        return BucketRecord(name: c.name, accountId: c.accountId, region: c.region, policy: c.policy,
                            tags: StringMapColumn.decode(c.tags), createdAt: c.createdAt)
    }

    static func decodeObject(_ row: any SQLRow) throws -> ObjectRecord {
        let c = try row.decodeColumns(ObjectColumns.self)
        return ObjectRecord(bucket: c.bucket, key: c.objectKey, blob: c.blob, size: c.size, etag: c.etag,
                            lastModified: c.lastModified, contentType: c.contentType,
                            headers: StringMapColumn.decode(c.headers), metadata: StringMapColumn.decode(c.metadata),
                            tags: StringMapColumn.decode(c.tags), checksumAlgorithm: c.checksumAlgorithm,
                            checksumValue: c.checksumValue)
    }

    static func decodeBlob(_ row: any SQLRow) throws -> String {
        try row.decodeColumns(BlobColumns.self).blob
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

    public func putObject(_ o: ObjectRecord, onlyIfAbsent: Bool, chunk: HeldChunk?) async throws -> String? {
        try await store.write { db in
            let replaced = try await Self.put(o, onlyIfAbsent: onlyIfAbsent, in: db)
            if let chunk { try await SQLBlobChunkStore.insert(chunk, in: db) }
            return replaced
        }
    }

    static func put(_ o: ObjectRecord, onlyIfAbsent: Bool = false, in db: any SQLDatabase) async throws -> String? {
        guard try await db.raw("SELECT name FROM s3_bucket WHERE name = \(bind: o.bucket)").first() != nil else {
            throw StoreError.notFound("The specified bucket does not exist")
        }
        let previous = try await db.raw("""
            SELECT blob FROM s3_object WHERE bucket = \(bind: o.bucket) AND object_key = \(bind: o.key)
            """).first().map(Self.decodeBlob)
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
                    """).first().map(Self.decodeBlob)
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
                let c = try row.decodeColumns(UploadColumns.self)
                return UploadRecord(uploadId: c.uploadId, bucket: c.bucket, key: c.objectKey, template: c.template,
                                    createdAt: c.createdAt)
            }
        }
    }

    public func putPart(_ p: PartRecord, chunk: HeldChunk?) async throws -> String? {
        try await store.write { db in
            guard try await db.raw("SELECT 1 AS found FROM s3_upload WHERE upload_id = \(bind: p.uploadId)").first() != nil else {
                throw StoreError.notFound("The specified upload does not exist.")
            }
            let previous = try await db.raw("""
                SELECT blob FROM s3_part WHERE upload_id = \(bind: p.uploadId) AND part_number = \(bind: p.partNumber)
                """).first().map(Self.decodeBlob)
            try await db.raw("""
                INSERT INTO s3_part (upload_id, part_number, blob, size, md5, last_modified)
                VALUES (\(bind: p.uploadId), \(bind: p.partNumber), \(bind: p.blob), \(bind: p.size), \(bind: p.md5),
                        \(bind: p.lastModified))
                ON CONFLICT (upload_id, part_number) DO UPDATE SET blob = excluded.blob, size = excluded.size,
                    md5 = excluded.md5, last_modified = excluded.last_modified
                """).run()
            if let chunk { try await SQLBlobChunkStore.insert(chunk, in: db) }
            return previous
        }
    }

    public func parts(uploadId: String) async throws -> [PartRecord] {
        try await store.read { db in
            try await db.raw("SELECT * FROM s3_part WHERE upload_id = \(bind: uploadId) ORDER BY part_number").all().map { row in
                let c = try row.decodeColumns(PartColumns.self)
                return PartRecord(uploadId: c.uploadId, partNumber: c.partNumber, blob: c.blob, size: c.size, md5: c.md5,
                                  lastModified: c.lastModified)
            }
        }
    }

    public func referencedBlobs() async throws -> Set<String> {
        try await store.read { db in
            Set(try await db.raw("SELECT blob FROM s3_object UNION SELECT blob FROM s3_part").all().map(Self.decodeBlob))
        }
    }

    public func finishUpload(id: String, object: ObjectRecord?) async throws -> [String] {
        try await store.write { db in
            guard try await db.raw("SELECT 1 AS found FROM s3_upload WHERE upload_id = \(bind: id)").first() != nil else {
                throw StoreError.notFound("The specified upload does not exist.")
            }
            var unused = try await db.raw("SELECT blob FROM s3_part WHERE upload_id = \(bind: id)").all()
                .map(Self.decodeBlob)
            if let object, let replaced = try await Self.put(object, in: db) { unused.append(replaced) }
            try await db.raw("DELETE FROM s3_part WHERE upload_id = \(bind: id)").run()
            try await db.raw("DELETE FROM s3_upload WHERE upload_id = \(bind: id)").run()
            return unused
        }
    }
}
