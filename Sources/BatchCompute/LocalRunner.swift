import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where and as whom the local Batch runner runs job commands.
///
/// Jobs work in directories under `workDirectory` (outside the data directory, 0700) and, when Cairn runs as root,
/// as the unprivileged `runAs` user: a job can then read neither the database, the credentials nor the signing keys.
public struct LocalRunner: Sendable {
    /// The user jobs run as.
    public struct User: Sendable, Equatable {
        public var name: String
        public var uid: uid_t
        public var gid: gid_t
        public var home: String
    }

    /// Why the runner cannot start; the text says what to change.
    public struct RefusedError: Error, CustomStringConvertible, Sendable { public var description: String }

    /// `<data-dir>/batch-logs`: each attempt's stdout and stderr (opened by Cairn, handed to the job).
    public let logDirectory: String
    public let workDirectory: String
    public let runAs: User?

    /// The default work directory: `<system temp>/cairn-batch-<uid>`.
    public static var defaultWorkDirectory: String {
        (NSTemporaryDirectory() as NSString).appendingPathComponent("cairn-batch-\(geteuid())")
    }

    /// Checks the settings and prepares the work directory. As root, `runAs` is required; otherwise it must be absent
    /// or the current user. The work directory must be a real directory (not a link) owned by the job's user, or
    /// absent (it is created); it ends up 0700.
    public init(logDirectory: String, workDirectory: String, runAs userName: String?) throws {
        let root = geteuid() == 0
        var user: User?
        if let userName {
            guard let pw = getpwnam(userName) else {
                throw RefusedError(description: "--batch-run-as names no user: '\(userName)'.")
            }
            let found = User(name: userName, uid: pw.pointee.pw_uid, gid: pw.pointee.pw_gid,
                             home: String(cString: pw.pointee.pw_dir))
            if found.uid == 0 {
                throw RefusedError(description: "--batch-run-as must name an unprivileged user, not root.")
            }
            if !root, found.uid != geteuid() {
                throw RefusedError(description: "Only Cairn running as root can run jobs as another user (--batch-run-as \(userName)).")
            }
            user = root ? found : nil
        } else if root {
            throw RefusedError(description: """
                Cairn runs as root: --batch-runner local needs --batch-run-as USER (CAIRN_BATCH_RUN_AS), an unprivileged \
                user for job commands, so that no job can read the database, the credentials or the signing keys.
                """)
        }
        let work = URL(fileURLWithPath: workDirectory).standardizedFileURL.path
        let data = URL(fileURLWithPath: logDirectory).deletingLastPathComponent().standardizedFileURL.path
        if work == data || work.hasPrefix(data + "/") {
            throw RefusedError(description: "--batch-work-dir must lie outside the data directory (\(data)).")
        }
        let owner = user?.uid ?? geteuid()
        if mkdir(work, 0o700) != 0, errno != EEXIST {
            throw RefusedError(description: "Cannot create the batch work directory \(work): \(String(cString: strerror(errno))).")
        }
        var info = stat()
        guard lstat(work, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw RefusedError(description: "The batch work directory \(work) is not a directory.")
        }
        if info.st_uid != owner {
            // Ours to hand over only if we made it (owned by this process's user) and we are root.
            guard root, info.st_uid == geteuid(), chown(work, owner, user?.gid ?? getegid()) == 0 else {
                throw RefusedError(description: "The batch work directory \(work) belongs to uid \(info.st_uid), not to the job user (uid \(owner)).")
            }
        }
        chmod(work, 0o700)
        do {
            try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw RefusedError(description: "Cannot create the batch log directory \(logDirectory): \(error).")
        }
        // Jobs' orphans (background children whose parent exited) become Cairn's to reap, not init's.
        LocalProcess.becomeSubreaper()
        self.logDirectory = logDirectory
        self.workDirectory = work
        self.runAs = user
    }

    /// Creates an attempt's work directory, owned by the job's user.
    func makeWorkDirectory(jobId: String, attempt: Int64) throws -> String {
        try Self.makeAttemptDirectory(in: workDirectory, jobId: jobId, attempt: attempt, owner: runAs)
    }

    /// Creates the directory for an attempt's stdout and stderr, Cairn's own.
    func makeLogDirectory(jobId: String, attempt: Int64) throws -> String {
        try Self.makeAttemptDirectory(in: logDirectory, jobId: jobId, attempt: attempt, owner: nil)
    }

    /// `<base>/<jobId>/<attempt>`, 0700, given to `owner` when there is one. Two mkdir calls, not FileManager's
    /// walk of every component: every job start makes two of these.
    private static func makeAttemptDirectory(in base: String, jobId: String, attempt: Int64, owner: User?) throws -> String {
        let job = base + "/" + jobId
        let dir = job + "/" + String(attempt)
        for path in [job, dir] {
            if mkdir(path, 0o700) != 0, errno != EEXIST {
                throw LocalProcess.SpawnError(description: "cannot create \(path): \(String(cString: strerror(errno)))")
            }
            if let owner { _ = chown(path, owner.uid, owner.gid) }
        }
        return dir
    }
}
