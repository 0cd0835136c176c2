import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The data directory holds every secret Cairn keeps (the database with its access keys, signing keys and
/// connection secrets, the credentials file, object bodies, job logs): readable by its owner only.
enum DataDirectory {
    /// Files an earlier version may have left readable by others.
    static let knownFiles = ["cairn.sqlite", "cairn.sqlite-wal", "cairn.sqlite-shm", "credentials", "config", "master.key", "node-id"]

    /// Sets the process umask to 077 (every file and directory Cairn creates from now on is 0600/0700), creates
    /// the directory 0700, and tightens one created by an earlier version, saying so in the log.
    static func prepare(_ path: String, logger: Logger) throws {
        umask(0o077)
        let fm = FileManager.default
        try fm.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var tightened: [String] = []
        func tighten(_ target: String, to mode: mode_t) {
            var info = stat()
            guard lstat(target, &info) == 0, info.st_mode & S_IFMT != S_IFLNK, info.st_mode & 0o077 != 0 else { return }
            if chmod(target, mode) == 0 { tightened.append(target) }
        }
        tighten(path, to: 0o700)
        for name in knownFiles { tighten(path + "/" + name, to: 0o600) }
        for name in ["objects", "batch-logs"] { tighten(path + "/" + name, to: 0o700) }
        if !tightened.isEmpty {
            logger.warning("tightened permissions left by an earlier version (now owner-only): \(tightened.joined(separator: ", "))")
        }
    }

    /// This node's name among nodes sharing a database: made on its first start, kept in `<data-dir>/node-id`, so a
    /// restarted node knows which delivery leases were its own.
    static func nodeId(_ path: String) throws -> String {
        let file = (path as NSString).appendingPathComponent("node-id")
        if let data = FileManager.default.contents(atPath: file),
           let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty {
            return text
        }
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "node"
        let id = host + "-" + String(UUID().uuidString.prefix(8)).lowercased()
        try Data((id + "\n").utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        return id
    }
}
