import Foundation

/// Files only their owner may read, written whole or not at all.
public enum PrivateFile {
    /// Why a private file could not be written.
    public struct WriteError: Error, Sendable, CustomStringConvertible { public var description: String }

    /// Writes `contents` to `path` with mode 0600, through a temporary file renamed into place.
    public static func write(_ contents: Data, to path: String) throws {
        let tmp = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: tmp, contents: contents, attributes: [.posixPermissions: 0o600]) else {
            throw WriteError(description: "Cannot write \(tmp)")
        }
        guard rename(tmp, path) == 0 else { throw WriteError(description: "Cannot move \(tmp) to \(path)") }
    }
}
