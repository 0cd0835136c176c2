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
        let blob = try await blobs.write(bytes: bytes)
        let etag = Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let object = ObjectRecord(bucket: bucket, key: key, blob: blob, size: Int64(bytes.count), etag: etag,
                                  lastModified: nowMillis(), contentType: contentType, metadata: metadata)
        try await commit(object)
        return object
    }
}
