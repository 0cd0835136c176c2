import CairnCore
import Foundation
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

    public func write(_ next: () async throws -> [UInt8]?) async throws -> WrittenBlob {
        let name = newBlobName()
        let tmp = temporary + "/" + name
        let fd = Glibc.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot create \(tmp): errno \(errno)") }
        var closed = false
        do {
            while let chunk = try await next() {
                try Self.writeAll(fd, chunk)
            }
            guard fsync(fd) == 0 else { throw Failure(description: "fsync failed: errno \(errno)") }
            close(fd)
            closed = true
            guard rename(tmp, path(name)) == 0 else { throw Failure(description: "rename failed: errno \(errno)") }
            Self.syncDirectory(root + "/" + name.prefix(2))
            return WrittenBlob(name: name)
        } catch {
            if !closed { close(fd) }
            unlink(tmp)
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
