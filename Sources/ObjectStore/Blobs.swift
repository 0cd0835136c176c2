import CairnCore
import Foundation
import Storage
import Wire

/// A blob just written: its name and, from `DatabaseBlobs`, its last chunk, held back so that the catalog stores it in
/// the transaction that commits the object or part referring to the blob (`ObjectCatalog.putObject`). Until then
/// the blob cannot be read; dropped, it leaves at most the earlier chunks, which `Blobs.delete` or `orphans` removes.
public struct WrittenBlob: Sendable {
    public var name: String
    public var held: HeldChunk?
}

/// Where object bytes live: files (`FileBlobs`) or the shared database (`DatabaseBlobs`). A blob is written once
/// under a random name, never changed, and deleted once no object or part refers to it.
public protocol Blobs: Sendable {
    /// Streams chunks into a new blob. `next` may throw to abandon the write; nothing that can be read is left
    /// behind (at most an orphan `orphans` finds).
    func write(_ next: () async throws -> [UInt8]?) async throws -> WrittenBlob
    /// `length` bytes from `offset`, as a response streams them.
    func payload(_ blob: String, offset: Int64, length: Int64) async throws -> ResponsePayload
    /// `length` bytes from `offset`, chunk by chunk (copies, checksums).
    func chunks(_ blob: String, offset: Int64, length: Int64) async throws -> () async throws -> [UInt8]?
    /// A whole small blob (manifests), at most `limit` bytes.
    func read(_ blob: String, limit: Int) async throws -> [UInt8]
    /// A new blob with the same bytes.
    func duplicate(_ blob: String, size: Int64) async throws -> String
    /// A new blob made of other blobs, in order (multipart completion).
    func concatenate(_ parts: [(blob: String, size: Int64)]) async throws -> String
    /// Blobs nothing refers to that are old enough to be leftovers of a write whose commit never came.
    func orphans(referenced: Set<String>) async throws -> [String]
    /// Deletes blobs no metadata refers to any more.
    func delete(_ blobs: [String]) async
}

extension Blobs {
    /// Writes bytes held in memory as a new blob.
    func write(bytes: [UInt8]) async throws -> WrittenBlob {
        var once: [UInt8]? = bytes
        return try await write { defer { once = nil }; return once }
    }

    /// The additional checksum of a whole blob, base64 (a copy that asks for another algorithm).
    func checksum(_ blob: String, size: Int64, algorithm: ChecksumAlgorithm) async throws -> String {
        let next = try await chunks(blob, offset: 0, length: size)
        var summer = Checksummer(algorithm)
        while let chunk = try await next() { summer.update(chunk) }
        return Data(summer.digest).base64EncodedString()
    }
}

/// A new blob name: 32 lower-case hex characters.
func newBlobName() -> String {
    Identifiers.uuid().replacingOccurrences(of: "-", with: "").lowercased()
}
