import CairnCore
import Foundation
import Storage
import Synchronization
import Wire

/// Object bytes in the database, in chunks of about 1 MiB: any node sharing the database serves any object, and a
/// lost node loses none. Bodies stream in and out a chunk at a time; no whole body is held in memory.
public struct DatabaseBlobs: Blobs {
    let store: any BlobChunkStore
    let clock: any WallClock
    /// A blob nothing refers to is a leftover once it is this old (another node may be between writing a blob
    /// and committing its object).
    let orphanAge: Duration
    static let chunkSize = 1 << 20

    public init(store: any BlobChunkStore, clock: any WallClock, orphanAge: Duration = .seconds(3600)) {
        self.store = store
        self.clock = clock
        self.orphanAge = orphanAge
    }

    /// Every chunk but the last is stored as soon as it is full; the last is held back for the catalog's transaction,
    /// so a body of up to one chunk commits with its object in one transaction.
    public func write(_ next: () async throws -> [UInt8]?) async throws -> WrittenBlob {
        let name = newBlobName()
        var index = 0
        var pending: [UInt8] = []
        pending.reserveCapacity(Self.chunkSize)
        do {
            while let chunk = try await next() {
                var rest = chunk[...]
                while !rest.isEmpty {
                    if pending.count == Self.chunkSize {
                        // Full, and more bytes follow: not the last chunk.
                        try await store.putChunk(blob: name, index: index, bytes: pending, at: clock.nowMs())
                        index += 1
                        pending.removeAll(keepingCapacity: true)
                    }
                    let take = min(Self.chunkSize - pending.count, rest.count)
                    pending += rest.prefix(take)
                    rest = rest.dropFirst(take)
                }
            }
            let held = pending.isEmpty ? nil : HeldChunk(blob: name, index: index, bytes: pending, createdAt: clock.nowMs())
            return WrittenBlob(name: name, held: held)
        } catch {
            if index > 0 { try? await store.delete(blobs: [name]) }
            throw error
        }
    }

    public func payload(_ blob: String, offset: Int64, length: Int64) async throws -> ResponsePayload {
        let cursor = ChunkCursor(store: store, blob: blob, sizes: try await store.chunkSizes(blob: blob), offset: offset, length: length)
        return .stream(length: length, chunks: { try await cursor.next() })
    }

    public func chunks(_ blob: String, offset: Int64, length: Int64) async throws -> () async throws -> [UInt8]? {
        let sizes = try await store.chunkSizes(blob: blob)
        let cursor = ChunkCursor(store: store, blob: blob, sizes: sizes, offset: offset, length: length)
        return { try await cursor.next() }
    }

    public func read(_ blob: String, limit: Int) async throws -> [UInt8] {
        let sizes = try await store.chunkSizes(blob: blob)
        let total = sizes.reduce(0, +)
        guard total <= Int64(limit) else { throw FileBlobs.Failure(description: "blob larger than \(limit) bytes") }
        let next = try await chunks(blob, offset: 0, length: total)
        var out: [UInt8] = []
        while let chunk = try await next() { out += chunk }
        return out
    }

    public func duplicate(_ blob: String, size: Int64) async throws -> String {
        try await concatenate([(blob, size)])
    }

    public func concatenate(_ parts: [(blob: String, size: Int64)]) async throws -> String {
        let name = newBlobName()
        try await store.concatenate(parts.map(\.blob), into: name, at: clock.nowMs())
        return name
    }

    public func orphans(referenced: Set<String>) async throws -> [String] {
        let before = clock.nowMs() - orphanAge.components.seconds * 1000
        return try await store.unreferencedBlobs(writtenBefore: before).filter { !referenced.contains($0) }
    }

    public func delete(_ blobs: [String]) async {
        try? await store.delete(blobs: blobs)
    }
}

/// Reads a range of a stored blob one chunk at a time.
/// `@unchecked Sendable`: one response body (or copy) calls `next()`, sequentially; `state` is only touched there.
final class ChunkCursor: @unchecked Sendable {
    let store: any BlobChunkStore
    let blob: String
    let sizes: [Int64]
    private var index = 0
    private var chunkStart: Int64 = 0
    private var position: Int64
    private let end: Int64

    init(store: any BlobChunkStore, blob: String, sizes: [Int64], offset: Int64, length: Int64) {
        self.store = store
        self.blob = blob
        self.sizes = sizes
        position = offset
        end = offset + length
    }

    func next() async throws -> [UInt8]? {
        guard position < end else { return nil }
        // Skip whole chunks before the position.
        while index < sizes.count, chunkStart + sizes[index] <= position {
            chunkStart += sizes[index]
            index += 1
        }
        guard index < sizes.count, let bytes = try await store.chunk(blob: blob, index: index),
              Int64(bytes.count) == sizes[index] else {
            // The blob was deleted (its object overwritten) mid-read: fail rather than end a short body as complete.
            throw FileBlobs.Failure(description: "blob \(blob) changed while it was read")
        }
        let from = Int(position - chunkStart)
        let to = Int(min(end - chunkStart, sizes[index]))
        position = chunkStart + Int64(to)
        return from == 0 && to == bytes.count ? bytes : Array(bytes[from..<to])
    }
}
