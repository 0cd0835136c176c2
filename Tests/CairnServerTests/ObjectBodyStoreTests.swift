import CairnCore
import Testing
@testable import ObjectStore
@testable import Storage

/// Object bodies kept in the database (`DatabaseBlobs` over `SQLBlobChunkStore`) and the catalog rows that refer to
/// them, run against every engine: a blob's last chunk commits in the catalog's transaction, so a body of one chunk
/// and its object are stored together or not at all.
struct ObjectBodyStoreTests {
    static let bucket = BucketRecord(name: "bodies", accountId: "000000000000", region: "us-east-1", createdAt: 1)

    static func object(_ key: String, _ written: WrittenBlob, size: Int, bucket: String = bucket.name) -> ObjectRecord {
        ObjectRecord(bucket: bucket, key: key, blob: written.name, size: Int64(size), etag: "e", lastModified: 1,
                     contentType: "binary/octet-stream")
    }

    static func bytes(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) ^ seed }
    }

    /// A fresh store on `engine` with the bucket `bodies`: its chunk store, the blobs over it, and its catalog.
    static func withBodies(_ engine: TestEngine,
                           _ body: (SQLBlobChunkStore, DatabaseBlobs, SQLObjectCatalog) async throws -> Void) async throws {
        try await withTestStore(engine) { store in
            let chunks = SQLBlobChunkStore(store: store)
            let catalog = SQLObjectCatalog(store: store)
            try await catalog.createBucket(bucket)
            try await body(chunks, DatabaseBlobs(store: chunks, clock: SystemWallClock()), catalog)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func aOneChunkBodyIsStoredOnlyWithItsObject(_ engine: TestEngine) async throws {
        try await Self.withBodies(engine) { chunks, blobs, catalog in
            let body = Self.bytes(1000, seed: 7)
            let written = try await blobs.write(bytes: body)
            #expect(written.held?.bytes == body)
            // Nothing is stored before the catalog's transaction.
            #expect(try await chunks.chunkSizes(blob: written.name) == [])

            #expect(try await catalog.putObject(Self.object("k", written, size: body.count), onlyIfAbsent: false,
                                                chunk: written.held) == nil)
            #expect(try await blobs.read(written.name, limit: 1 << 20) == body)

            // A catalog write that fails stores no chunk either: the bucket is missing, or the key exists.
            let lost = try await blobs.write(bytes: Self.bytes(10, seed: 1))
            await #expect(throws: StoreError.self) {
                try await catalog.putObject(Self.object("k", lost, size: 10, bucket: "missing"), onlyIfAbsent: false,
                                            chunk: lost.held)
            }
            await #expect(throws: StoreError.self) {
                try await catalog.putObject(Self.object("k", lost, size: 10), onlyIfAbsent: true, chunk: lost.held)
            }
            #expect(try await chunks.chunkSizes(blob: lost.name) == [])
            #expect(try await chunks.unreferencedBlobs(writtenBefore: .max) == [])
        }
    }

    @Test(arguments: TestEngine.allCases)
    func aLongerBodyHoldsBackOnlyItsLastChunk(_ engine: TestEngine) async throws {
        try await Self.withBodies(engine) { chunks, blobs, catalog in
            let size = DatabaseBlobs.chunkSize

            // Exactly two chunks: the second, though full, is the one held back.
            let body = Self.bytes(2 * size, seed: 3)
            let written = try await blobs.write(bytes: body)
            #expect(written.held?.index == 1)
            #expect(written.held?.bytes.count == size)
            #expect(try await chunks.chunkSizes(blob: written.name) == [Int64(size)])
            _ = try await catalog.putObject(Self.object("two", written, size: body.count), onlyIfAbsent: false,
                                            chunk: written.held)
            #expect(try await chunks.chunkSizes(blob: written.name) == [Int64(size), Int64(size)])
            #expect(try await blobs.read(written.name, limit: 4 * size) == body)

            // A part, likewise; a part of an upload that is gone stores nothing.
            try await catalog.createUpload(UploadRecord(uploadId: "u1", bucket: Self.bucket.name, key: "big",
                                                        template: "{}", createdAt: 1))
            let part = try await blobs.write(bytes: Self.bytes(size + 5, seed: 9))
            #expect(part.held?.bytes.count == 5)
            _ = try await catalog.putPart(PartRecord(uploadId: "u1", partNumber: 1, blob: part.name, size: Int64(size + 5),
                                                     md5: "m", lastModified: 1), chunk: part.held)
            #expect(try await chunks.chunkSizes(blob: part.name) == [Int64(size), 5])
            let orphan = try await blobs.write(bytes: Self.bytes(5, seed: 2))
            await #expect(throws: StoreError.self) {
                try await catalog.putPart(PartRecord(uploadId: "gone", partNumber: 1, blob: orphan.name, size: 5, md5: "m",
                                                     lastModified: 1), chunk: orphan.held)
            }
            #expect(try await chunks.chunkSizes(blob: orphan.name) == [])
        }
    }
}
