import Foundation
import SQLKit

/// A blob's last chunk, not yet stored: the catalog writes it in the transaction that commits the object or part
/// referring to the blob, so a body of one chunk (up to 1 MiB) and its catalog row commit together.
public struct HeldChunk: Sendable, Equatable {
    public var blob: String
    public var index: Int
    public var bytes: [UInt8]
    /// Epoch milliseconds.
    public var createdAt: Int64

    public init(blob: String, index: Int, bytes: [UInt8], createdAt: Int64) {
        self.blob = blob
        self.index = index
        self.bytes = bytes
        self.createdAt = createdAt
    }
}

/// Object bytes kept in the database as numbered chunks, so every node sharing it reads every object.
public protocol BlobChunkStore: Sendable {
    /// Stores one chunk of `blob` (chunks are numbered from 0, in order).
    func putChunk(blob: String, index: Int, bytes: [UInt8], at time: Int64) async throws
    /// The sizes of `blob`'s chunks, in order.
    func chunkSizes(blob: String) async throws -> [Int64]
    /// One chunk's bytes, nil when the blob (or that chunk) is gone.
    func chunk(blob: String, index: Int) async throws -> [UInt8]?
    /// Makes `blob` the concatenation of `sources`, in order, without moving the bytes through the caller.
    func concatenate(_ sources: [String], into blob: String, at time: Int64) async throws
    /// Blobs written before `time` that no object or part refers to.
    func unreferencedBlobs(writtenBefore time: Int64) async throws -> [String]
    func delete(blobs: [String]) async throws
}

/// `BlobChunkStore` over SQL.
public struct SQLBlobChunkStore: BlobChunkStore {
    let store: SQLStore

    public init(store: SQLStore) { self.store = store }

    /// A length or count (`... AS n`).
    private struct SizeColumns: Decodable {
        var n: Int64
    }

    /// A chunk's bytes.
    private struct DataColumns: Decodable {
        var data: Data
    }

    /// A blob name.
    private struct BlobColumns: Decodable {
        var blob: String
    }

    public func putChunk(blob: String, index: Int, bytes: [UInt8], at time: Int64) async throws {
        try await store.write { db in
            try await Self.insert(HeldChunk(blob: blob, index: index, bytes: bytes, createdAt: time), in: db)
        }
    }

    /// Inserts one chunk in the caller's transaction.
    static func insert(_ chunk: HeldChunk, in db: any SQLDatabase) async throws {
        try await db.raw("""
            INSERT INTO s3_blob_chunk (blob, chunk_index, data, created_at)
            VALUES (\(bind: chunk.blob), \(bind: chunk.index), \(bind: Data(chunk.bytes)), \(bind: chunk.createdAt))
            """).run()
    }

    public func chunkSizes(blob: String) async throws -> [Int64] {
        try await store.read { db in
            try await db.raw("""
                SELECT length(data) AS n FROM s3_blob_chunk WHERE blob = \(bind: blob) ORDER BY chunk_index
                """).all().map { try $0.decodeColumns(SizeColumns.self).n }
        }
    }

    public func chunk(blob: String, index: Int) async throws -> [UInt8]? {
        try await store.read { db in
            try await db.raw("SELECT data FROM s3_blob_chunk WHERE blob = \(bind: blob) AND chunk_index = \(bind: index)")
                .first().map { [UInt8](try $0.decodeColumns(DataColumns.self).data) }
        }
    }

    public func concatenate(_ sources: [String], into blob: String, at time: Int64) async throws {
        try await store.write { db in
            var next: Int64 = 0
            for source in sources {
                try await db.raw("""
                    INSERT INTO s3_blob_chunk (blob, chunk_index, data, created_at)
                    SELECT \(bind: blob), chunk_index + \(bind: next), data, \(bind: time) FROM s3_blob_chunk WHERE blob = \(bind: source)
                    """).run()
                let count = try await db.raw("SELECT COUNT(*) AS n FROM s3_blob_chunk WHERE blob = \(bind: source)")
                    .first()?.decodeColumns(SizeColumns.self).n ?? 0
                next += count
            }
        }
    }

    public func unreferencedBlobs(writtenBefore time: Int64) async throws -> [String] {
        try await store.read { db in
            try await db.raw("""
                SELECT DISTINCT c.blob AS blob FROM s3_blob_chunk c WHERE c.created_at < \(bind: time)
                AND NOT EXISTS (SELECT 1 FROM s3_object o WHERE o.blob = c.blob)
                AND NOT EXISTS (SELECT 1 FROM s3_part p WHERE p.blob = c.blob)
                """).all().map { try $0.decodeColumns(BlobColumns.self).blob }
        }
    }

    public func delete(blobs: [String]) async throws {
        guard !blobs.isEmpty else { return }
        try await store.write { db in
            try await db.raw("DELETE FROM s3_blob_chunk WHERE blob IN (\(SQLList(blobs.map { SQLBind($0) })))").run()
        }
    }
}
