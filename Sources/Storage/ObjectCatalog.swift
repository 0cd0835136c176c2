/// A bucket of the built-in object store. Bucket names are global, as in S3.
public struct BucketRecord: Sendable, Equatable {
    public var name: String
    public var accountId: String
    public var region: String
    public var policy: String?
    public var tags: [String: String]
    /// Milliseconds since the epoch.
    public var createdAt: Int64

    public init(name: String, accountId: String, region: String, policy: String? = nil, tags: [String: String] = [:],
                createdAt: Int64) {
        self.name = name
        self.accountId = accountId
        self.region = region
        self.policy = policy
        self.tags = tags
        self.createdAt = createdAt
    }
}

/// One object's metadata; its bytes live in the blob named `blob`.
public struct ObjectRecord: Sendable, Equatable {
    public var bucket: String
    public var key: String
    public var blob: String
    public var size: Int64
    /// The ETag without quotes.
    public var etag: String
    /// Milliseconds since the epoch.
    public var lastModified: Int64
    public var contentType: String
    /// Stored system headers (`Content-Encoding`, `Cache-Control`, ...), by their HTTP names.
    public var headers: [String: String]
    /// `x-amz-meta-*` values by lower-case name without the prefix.
    public var metadata: [String: String]
    public var tags: [String: String]
    /// `CRC32`, `CRC32C`, `SHA1`, `SHA256` and its base64 value, when the upload carried one.
    public var checksumAlgorithm: String?
    public var checksumValue: String?

    public init(bucket: String, key: String, blob: String, size: Int64, etag: String, lastModified: Int64,
                contentType: String, headers: [String: String] = [:], metadata: [String: String] = [:],
                tags: [String: String] = [:], checksumAlgorithm: String? = nil, checksumValue: String? = nil) {
        self.bucket = bucket
        self.key = key
        self.blob = blob
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.contentType = contentType
        self.headers = headers
        self.metadata = metadata
        self.tags = tags
        self.checksumAlgorithm = checksumAlgorithm
        self.checksumValue = checksumValue
    }
}

/// A multipart upload in progress; `template` is the object's metadata as the service encodes it.
public struct UploadRecord: Sendable, Equatable {
    public var uploadId: String
    public var bucket: String
    public var key: String
    public var template: String
    public var createdAt: Int64

    public init(uploadId: String, bucket: String, key: String, template: String, createdAt: Int64) {
        self.uploadId = uploadId
        self.bucket = bucket
        self.key = key
        self.template = template
        self.createdAt = createdAt
    }
}

/// One uploaded part.
public struct PartRecord: Sendable, Equatable {
    public var uploadId: String
    public var partNumber: Int
    public var blob: String
    public var size: Int64
    /// Hex MD5 of the part's bytes.
    public var md5: String
    public var lastModified: Int64

    public init(uploadId: String, partNumber: Int, blob: String, size: Int64, md5: String, lastModified: Int64) {
        self.uploadId = uploadId
        self.partNumber = partNumber
        self.blob = blob
        self.size = size
        self.md5 = md5
        self.lastModified = lastModified
    }
}

/// The object store's metadata: buckets, objects, multipart uploads. Blob bytes are not here.
///
/// Operations that replace or drop metadata return the blobs no longer referenced, for the caller to delete
/// once the change is committed.
public protocol ObjectCatalog: Sendable {
    /// Throws `StoreError.duplicate` when the name is taken.
    func createBucket(_ bucket: BucketRecord) async throws
    func bucket(named name: String) async throws -> BucketRecord?
    func buckets(accountId: String) async throws -> [BucketRecord]
    /// Throws `StoreError.conflict` when the bucket still holds objects or uploads.
    func deleteBucket(named name: String) async throws
    func setBucketPolicy(_ policy: String?, bucket: String) async throws

    /// Inserts or replaces; returns the replaced object's blob. Throws `StoreError.notFound` when the bucket is gone,
    /// and `StoreError.conflict` when `onlyIfAbsent` and the key exists (checked in the same transaction). `chunk`,
    /// the blob's held-back last chunk (`DatabaseBlobs`), is stored in the same transaction.
    func putObject(_ object: ObjectRecord, onlyIfAbsent: Bool, chunk: HeldChunk?) async throws -> String?
    func object(bucket: String, key: String) async throws -> ObjectRecord?
    /// Returns the deleted object's blob, or nil when there was none.
    func deleteObject(bucket: String, key: String) async throws -> String?
    /// Deletes many objects of one bucket in one transaction; returns the blobs of those that existed.
    func deleteObjects(bucket: String, keys: [String]) async throws -> [String]
    /// Objects whose keys start with `prefix` and sort after `after` (UTF-8 byte order), at most `limit`.
    func objects(bucket: String, prefix: String, after: String?, limit: Int) async throws -> [ObjectRecord]
    /// Returns false when the object does not exist.
    func setObjectTags(_ tags: [String: String], bucket: String, key: String) async throws -> Bool
    /// Sets the tags of many objects in one transaction; returns, per item, whether the object exists.
    func setObjectTags(_ items: [(bucket: String, key: String, tags: [String: String])]) async throws -> [Bool]

    func createUpload(_ upload: UploadRecord) async throws
    func upload(id: String) async throws -> UploadRecord?
    /// Inserts or replaces a part; returns the replaced part's blob. `chunk` as for `putObject`.
    func putPart(_ part: PartRecord, chunk: HeldChunk?) async throws -> String?
    func parts(uploadId: String) async throws -> [PartRecord]
    /// Ends an upload: writes `object` (when given) and drops the upload and its parts. Returns the blobs
    /// no longer referenced: the replaced object's and every part's.
    func finishUpload(id: String, object: ObjectRecord?) async throws -> [String]
    /// Every blob an object or an uploaded part refers to.
    func referencedBlobs() async throws -> Set<String>
}
