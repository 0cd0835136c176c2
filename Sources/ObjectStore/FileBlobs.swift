import CairnCore
import Foundation
import NIOPosix
import Wire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Object bytes as files under `<data>/objects` (or `--objects-dir`). A blob's name is a random id, never derived
/// from a key, so keys cannot name paths. Writes go to a temporary file that is fsynced and renamed into place; a
/// blob is never changed after that, only deleted once no metadata refers to it.
public struct FileBlobs: Blobs {
    let root: String
    let temporary: String
    /// Orphans younger than this are left alone: on a directory several nodes share, another node may be between
    /// writing a blob and committing its object. Nil when the directory is this node's alone.
    let orphanAge: Duration?

    /// The failures of the file system, with the OS error.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(directory: String, orphanAge: Duration? = nil) throws {
        root = directory + "/blobs"
        temporary = directory + "/tmp"
        self.orphanAge = orphanAge
        let fm = FileManager.default
        try fm.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        for i in 0..<256 {
            try fm.createDirectory(atPath: root + "/" + String(format: "%02x", i), withIntermediateDirectories: true)
        }
        // Temporary files left by a crash mid-upload belong to no object (on a shared directory, only old ones).
        for name in (try? fm.contentsOfDirectory(atPath: temporary)) ?? [] where Self.old(temporary + "/" + name, orphanAge) {
            try? fm.removeItem(atPath: temporary + "/" + name)
        }
    }

    static func old(_ path: String, _ age: Duration?) -> Bool {
        guard let age else { return true }
        guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else { return false }
        return Date().timeIntervalSince(modified) > Double(age.components.seconds)
    }

    func path(_ blob: String) -> String { root + "/" + blob.prefix(2) + "/" + blob }

    /// Threads for the blocking file calls of writes, so an fsync never holds one of the few cooperative threads
    /// every request shares. Several writes sync at once, and the file system's journal commits them together (a group
    /// fsync for concurrent uploads). Started on the first write.
    static let io: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        return pool
    }()

    /// Bytes gathered before they go to the file in one call (an object up to this size takes one trip to `io`).
    static let flushSize = 1 << 20

    public func write(_ next: () async throws -> [UInt8]?) async throws -> WrittenBlob {
        let name = newBlobName()
        let tmp = temporary + "/" + name
        let file = TemporaryFile(path: tmp)
        var pending: [UInt8] = []
        do {
            while let chunk = try await next() {
                if pending.isEmpty { pending = chunk } else { pending += chunk }
                if pending.count > Self.flushSize {
                    let bytes = pending
                    pending = []
                    try await Self.io.runIfActive { try file.append(bytes) }
                }
            }
            let bytes = pending, final = path(name), directory = root + "/" + name.prefix(2)
            try await Self.io.runIfActive {
                try file.append(bytes)
                try file.commit(as: final, syncing: directory)
            }
            return WrittenBlob(name: name)
        } catch {
            file.discard()
            throw error
        }
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

    /// The open file stays readable even if the blob is deleted meanwhile.
    public func payload(_ blob: String, offset: Int64, length: Int64) async throws -> ResponsePayload {
        .file(try open(blob), offset: offset, length: length)
    }

    public func chunks(_ blob: String, offset: Int64, length: Int64) async throws -> () async throws -> [UInt8]? {
        chunks(of: try open(blob), offset: offset, length: length)
    }

    /// Opens a blob for reading. The open file stays readable even if the blob is deleted meanwhile.
    func open(_ blob: String) throws -> OpenFile {
        let fd = Glibc.open(path(blob), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "cannot open blob \(blob): errno \(errno)") }
        return OpenFile(descriptor: fd)
    }

    public func read(_ blob: String, limit: Int) async throws -> [UInt8] {
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

    /// A hard link (blobs never change), or a streamed copy where links fail.
    public func duplicate(_ blob: String, size: Int64) async throws -> String {
        let name = newBlobName()
        if link(path(blob), path(name)) == 0 { return name }
        let file = try open(blob)
        return try await write(chunks(of: file, offset: 0, length: size)).name
    }

    public func concatenate(_ parts: [(blob: String, size: Int64)]) async throws -> String {
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
        }.name
    }

    public func orphans(referenced: Set<String>) async throws -> [String] {
        var names: [String] = []
        for i in 0..<256 {
            let directory = root + "/" + String(format: "%02x", i)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            where !referenced.contains(name) && Self.old(directory + "/" + name, orphanAge) {
                names.append(name)
            }
        }
        return names
    }

    /// Missing files are fine.
    public func delete(_ blobs: [String]) async {
        for blob in blobs { unlink(path(blob)) }
    }
}

/// A blob's temporary file, created on the first append; used from one write at a time, on `FileBlobs.io`.
final class TemporaryFile: @unchecked Sendable {
    let path: String
    private var fd: Int32 = -1

    init(path: String) { self.path = path }

    func append(_ bytes: [UInt8]) throws {
        if fd < 0 {
            fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw FileBlobs.Failure(description: "cannot create \(path): errno \(errno)") }
        }
        try FileBlobs.writeAll(fd, bytes)
    }

    /// Makes the bytes durable and moves them to `final` (its directory synced too).
    func commit(as final: String, syncing directory: String) throws {
        if fd < 0 { try append([]) }
        #if os(Linux)
        guard fdatasync(fd) == 0 else { throw FileBlobs.Failure(description: "fdatasync failed: errno \(errno)") }
        #else
        guard fsync(fd) == 0 else { throw FileBlobs.Failure(description: "fsync failed: errno \(errno)") }
        #endif
        close(fd)
        fd = -1
        guard rename(path, final) == 0 else {
            unlink(path)
            throw FileBlobs.Failure(description: "rename failed: errno \(errno)")
        }
        FileBlobs.syncDirectory(directory)
    }

    /// Removes what was written.
    func discard() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(path)
    }
}
