import CairnCore
import Foundation
import Wire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Object bytes as files under `<data>/objects`. A blob's name is a random id, never derived from a key, so keys
/// cannot name paths. Writes go to a temporary file that is fsynced and renamed into place; a blob is never
/// changed after that, only deleted once no metadata refers to it.
public struct BlobStore: Sendable {
    let root: String
    let temporary: String

    /// The failures of the file system, with the OS error.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(directory: String) throws {
        root = directory + "/blobs"
        temporary = directory + "/tmp"
        let fm = FileManager.default
        try fm.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        for i in 0..<256 {
            try fm.createDirectory(atPath: root + "/" + String(format: "%02x", i), withIntermediateDirectories: true)
        }
        // Temporary files left by a crash mid-upload belong to no object.
        for name in (try? fm.contentsOfDirectory(atPath: temporary)) ?? [] {
            try? fm.removeItem(atPath: temporary + "/" + name)
        }
    }

    func path(_ blob: String) -> String { root + "/" + blob.prefix(2) + "/" + blob }

    /// A new blob name: 32 lower-case hex characters.
    static func newName() -> String {
        Identifiers.uuid().replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// Streams chunks into a new blob and returns its name; `consume` sees every chunk before it is written
    /// and may throw to abandon the write (nothing is left behind).
    func write(_ next: () async throws -> [UInt8]?, consume: (inout [UInt8]) throws -> Void = { _ in }) async throws -> String {
        let name = Self.newName()
        let tmp = temporary + "/" + name
        let fd = Glibc.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot create \(tmp): errno \(errno)") }
        var closed = false
        do {
            while var chunk = try await next() {
                try consume(&chunk)
                try Self.writeAll(fd, chunk)
            }
            guard fsync(fd) == 0 else { throw Failure(description: "fsync failed: errno \(errno)") }
            close(fd)
            closed = true
            guard rename(tmp, path(name)) == 0 else { throw Failure(description: "rename failed: errno \(errno)") }
            Self.syncDirectory(root + "/" + name.prefix(2))
            return name
        } catch {
            if !closed { close(fd) }
            unlink(tmp)
            throw error
        }
    }

    /// Writes bytes held in memory as a new blob.
    func write(bytes: [UInt8]) async throws -> String {
        var once: [UInt8]? = bytes
        return try await write { defer { once = nil }; return once }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure(description: "write failed: errno \(errno)")
                }
                offset += n
            }
        }
    }

    static func syncDirectory(_ path: String) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// Opens a blob for reading. The open file stays readable even if the blob is deleted meanwhile.
    func open(_ blob: String) throws -> OpenFile {
        let fd = Glibc.open(path(blob), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "cannot open blob \(blob): errno \(errno)") }
        return OpenFile(descriptor: fd)
    }

    /// Reads a whole blob (small objects: manifests, digests).
    func read(_ blob: String, limit: Int) throws -> [UInt8] {
        let file = try open(blob)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(file.descriptor, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw Failure(description: "read failed: errno \(errno)") }
            if n == 0 { break }
            out += buffer[0..<n]
            if out.count > limit { throw Failure(description: "blob larger than \(limit) bytes") }
        }
        return out
    }

    /// Chunks of a range of a blob, for copies and concatenation.
    func chunks(of file: OpenFile, offset: Int64, length: Int64) -> () async throws -> [UInt8]? {
        var position = offset
        let end = offset + length
        return {
            guard position < end else { return nil }
            let want = Int(min(Int64(1 << 20), end - position))
            var buffer = [UInt8](repeating: 0, count: want)
            let n = buffer.withUnsafeMutableBytes { pread(file.descriptor, $0.baseAddress!, want, off_t(position)) }
            guard n > 0 else { throw Failure(description: "short read from blob") }
            position += Int64(n)
            return n == want ? buffer : Array(buffer[0..<n])
        }
    }

    /// The additional checksum of a whole blob, base64 (a copy that asks for another algorithm).
    func checksum(_ blob: String, size: Int64, algorithm: ChecksumAlgorithm) async throws -> String {
        let next = chunks(of: try open(blob), offset: 0, length: size)
        var summer = Checksummer(algorithm)
        while let chunk = try await next() { summer.update(chunk) }
        return Data(summer.digest).base64EncodedString()
    }

    /// A new blob with the same bytes: a hard link (blobs never change), or a streamed copy where links fail.
    func duplicate(_ blob: String, size: Int64) async throws -> String {
        let name = Self.newName()
        if link(path(blob), path(name)) == 0 { return name }
        let file = try open(blob)
        return try await write(chunks(of: file, offset: 0, length: size))
    }

    /// A new blob made of other blobs, in order (multipart completion).
    func concatenate(_ parts: [(blob: String, size: Int64)]) async throws -> String {
        var index = 0
        var current: (() async throws -> [UInt8]?)?
        var files: [OpenFile] = []
        for part in parts { files.append(try open(part.blob)) }
        return try await write {
            while true {
                if let next = current, let chunk = try await next() { return chunk }
                guard index < parts.count else { return nil }
                current = chunks(of: files[index], offset: 0, length: parts[index].size)
                index += 1
            }
        }
    }

    /// Every blob on disk.
    func allBlobs() -> [String] {
        var names: [String] = []
        for i in 0..<256 {
            names += (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + String(format: "%02x", i))) ?? []
        }
        return names
    }

    /// Deletes blobs no metadata refers to any more. Missing files are fine.
    func delete(_ blobs: [String]) {
        for blob in blobs { unlink(path(blob)) }
    }
}
