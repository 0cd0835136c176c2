import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A job attempt's command run as a local process in its own process group, stdout and stderr to files.
/// Written with posix_spawn: Foundation's `Process` cannot start a new process group, and killing the whole group
/// is how timeouts and TerminateJob stop a command's children too.
struct LocalProcess: Sendable {
    let pid: pid_t

    struct SpawnError: Error, CustomStringConvertible { var description: String }

    /// The command runs in `directory`, found as a shell's `exec` would find it: a name with a slash as it is
    /// (relative to `directory`), any other through the job's own `PATH`.
    /// With `runAs`, `setpriv` (util-linux) drops to that user, its group and supplementary groups and looks the
    /// command up itself, as that user: Cairn, as root, must not tell a job what exists where the job cannot look.
    /// stdout and stderr are opened by Cairn first, so the job writes them without reaching the data directory.
    static func spawn(command: [String], environment: [String: String], directory: String, stdout: String,
                      stderr: String, runAs: LocalRunner.User? = nil) throws -> LocalProcess {
        guard let name = command.first, !name.isEmpty else { throw SpawnError(description: "the command is empty") }
        let executable: String
        let argv: [String]
        if let runAs {
            guard let setpriv = find("setpriv", path: inherited["PATH"], directory: "/") else {
                throw SpawnError(description: "setpriv (util-linux) is not installed: it is needed to run jobs as \(runAs.name)")
            }
            executable = setpriv
            argv = ["setpriv", "--reuid=\(runAs.uid)", "--regid=\(runAs.gid)", "--init-groups", "--"] + command
        } else {
            guard let found = find(name, path: environment["PATH"], directory: directory) else {
                throw SpawnError(description: #"exec: "\#(name)": executable file not found in $PATH"#)
            }
            executable = found
            argv = [found] + command.dropFirst()
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Nothing else of Cairn's goes to the job: not its client connections, not its database sessions (an
        // inherited socket would keep a dead node's PostgreSQL session, and its singleton locks, alive), not files.
        guard let closeFrom = Self.addCloseFrom, closeFrom(&actions, 3) == 0 else {
            throw SpawnError(description: "cannot close Cairn's own file descriptors in the job (glibc 2.34 or later is needed)")
        }
        // Last, so that the files above are opened where Cairn named them.
        guard let chdir = Self.addChdir, chdir(&actions, directory) == 0 else {
            throw SpawnError(description: "cannot set the job's working directory (glibc 2.29 or later is needed)")
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let cArgv = argv.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in cArgv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, cArgv, envp)
        guard rc == 0 else {
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        return LocalProcess(pid: pid)
    }

    /// Cairn's own environment, read once: jobs inherit a few of its variables, and setpriv is found in its PATH.
    static let inherited = ProcessInfo.processInfo.environment

    /// Where `exec` finds `name`: itself when it holds a slash, else the first executable regular file named so in
    /// `path`'s directories (an empty entry is the working directory; relative ones are under `directory`, where
    /// the process starts). Nil when there is none.
    static func find(_ name: String, path: String?, directory: String) -> String? {
        if name.contains("/") { return name }
        for entry in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (entry.isEmpty ? "." : String(entry)) + "/" + name
            let absolute = candidate.hasPrefix("/") ? candidate : directory + "/" + candidate
            var info = stat()
            if stat(absolute, &info) == 0, info.st_mode & S_IFMT == S_IFREG, access(absolute, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+) and `posix_spawn_file_actions_addchdir_np`
    /// (2.29+), which the Glibc module does not export.
    private static let addCloseFrom = glibc("posix_spawn_file_actions_addclosefrom_np",
                                            as: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    private static let addChdir = glibc("posix_spawn_file_actions_addchdir_np",
                                        as: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32).self)

    private static func glibc<F>(_ name: String, as type: F.Type) -> F? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }

    /// The exit code (or 128 + signal) once the process has ended; nil while it runs.
    func poll() -> (exitCode: Int32, signal: Int32?)? {
        var status: Int32 = 0
        let rc = waitpid(pid, &status, WNOHANG)
        guard rc == pid else {
            if rc < 0, errno == ECHILD { return (-1, nil) }
            return nil
        }
        let low = status & 0x7F
        if low == 0 { return ((status >> 8) & 0xFF, nil) }
        return (128 + low, low)
    }

    /// Kills the whole process group.
    func killGroup() { kill(-pid, SIGKILL) }

    /// What identifies this process beyond its pid, which the system reuses: the boot and the start time in clock
    /// ticks since boot (`/proc/<pid>/stat` field 22). Nil when the process is gone.
    static func identity(of pid: pid_t) -> String? {
        guard pid > 1, let stat = read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // Fields after the command name (which may hold spaces and parentheses) start at field 3.
        let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard fields.count > 19 else { return nil }
        return bootId + ":" + String(decoding: fields[19], as: UTF8.self)
    }

    /// This boot's id: the same for every process, read once.
    private static let bootId: String = {
        guard let bytes = read("/proc/sys/kernel/random/boot_id") else { return "" }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    /// A small /proc file's bytes (one read: these are under a page), or nil when it cannot be read.
    private static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return Array(buffer[..<n])
    }

    /// Kills a process group left by an earlier server process, only if its leader is still the process that server
    /// started (same boot, same start time): a recycled pid is someone else's process.
    static func killGroup(_ pid: pid_t, identity: String?) -> Bool {
        guard pid > 1, let identity, Self.identity(of: pid) == identity else { return false }
        return kill(-pid, SIGKILL) == 0
    }

    /// Makes this process the reaper of its descendants' orphans (a job's background children whose parent exited),
    /// so none is left a zombie under a container's init that does not reap.
    /// (`prctl` is variadic in C, so Swift cannot import it: it is looked up and called with its fixed arguments.)
    @discardableResult
    static func becomeSubreaper() -> Bool {
        guard let prctl = glibc("prctl", as: (@convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32).self) else { return false }
        let prSetChildSubreaper: Int32 = 36  // <linux/prctl.h>
        return prctl(prSetChildSubreaper, 1, 0, 0, 0) == 0
    }

    /// Reaps ended orphans: children that are not process-group leaders (every job's own process leads its group,
    /// and is collected by `poll`). Returns how many it reaped.
    @discardableResult
    static func reapOrphans(limit: Int = 1000) -> Int {
        var reaped = 0
        while reaped < limit {
            var info = siginfo_t()
            guard waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { break }
            let pid = info._sifields._sigchld.si_pid
            guard pid > 0 else { break }
            // A job's leader (pid == pgid) is left for its own poll.
            guard getpgid(pid) != pid else { break }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { break }
            reaped += 1
        }
        return reaped
    }
}
