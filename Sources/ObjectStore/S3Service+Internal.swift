import CairnCore
import Crypto
import Foundation
import Storage
import Wire

extension S3Service {
    /// A bucket by name, for services that deliver into buckets (trails, batch reports).
    public func bucket(named name: String) async throws -> BucketRecord? {
        try await catalog.bucket(named: name)
    }

    /// Stores an object on behalf of an AWS service (CloudTrail delivering log files). The caller records the call.
    public func storeObject(bucket: String, key: String, bytes: [UInt8], contentType: String,
                            metadata: [String: String]) async throws -> ObjectRecord {
        let written = try await blobs.write(bytes: bytes)
        let etag = SigV4.hex(Array(Insecure.MD5.hash(data: bytes)))
        let object = ObjectRecord(bucket: bucket, key: key, blob: written.name, size: Int64(bytes.count), etag: etag,
                                  lastModified: nowMillis(), contentType: contentType, metadata: metadata)
        try await commit(object, held: written.held)
        return object
    }
}

extension S3Service {
    /// An object's metadata.
    public func objectRecord(bucket: String, key: String) async throws -> ObjectRecord? {
        try await catalog.object(bucket: bucket, key: key)
    }

    /// The bytes of a small object (manifests), at most `limit`.
    public func readObject(_ object: ObjectRecord, limit: Int) async throws -> [UInt8] {
        try await blobs.read(object.blob, limit: limit)
    }

    /// Objects under a prefix in key order, after `after`.
    public func objects(bucket: String, prefix: String, after: String?, limit: Int) async throws -> [ObjectRecord] {
        try await catalog.objects(bucket: bucket, prefix: prefix, after: after, limit: limit)
    }

    /// Replaces the tags of many objects at once; per item, whether the object existed.
    public func replaceTags(_ items: [(bucket: String, key: String, tags: [String: String])]) async throws -> [Bool] {
        try await catalog.setObjectTags(items)
    }

    /// Copies an object as CopyObject does, with the changes a Batch Operations copy asks for.
    public func copyObject(_ source: ObjectRecord, toBucket bucket: String, key: String,
                           replace: (contentType: String?, headers: [String: String], metadata: [String: String])?,
                           tags: [String: String]?) async throws -> ObjectRecord {
        var object = try await copy(source, to: bucket, key: key)
        if let replace {
            object.metadata = replace.metadata
            object.headers = replace.headers
            object.contentType = replace.contentType ?? "binary/octet-stream"
        }
        if let tags { object.tags = tags }
        try await commit(object)
        return object
    }
}

extension S3Service {
    /// Decodes a URL-encoded key (manifests, paths): `%XX` once, `+` kept; nil unless valid UTF-8 without NUL.
    public static func decodeKey(_ s: Substring) -> String? { S3Target.decode(s) }
}
