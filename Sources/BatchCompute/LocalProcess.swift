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

    /// The command runs in `directory`: `/bin/sh -c 'cd "$0" && exec "$@"'` sets it, because Glibc here does not
    /// offer posix_spawn_file_actions_addchdir_np.
    static func spawn(command: [String], environment: [String: String], directory: String, stdout: String,
                      stderr: String) throws -> LocalProcess {
        let command = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory] + command
        guard let executable = command.first, !executable.isEmpty, command.count > 4 else {
            throw SpawnError(description: "the command is empty")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
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

        let argv = command.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        return LocalProcess(pid: pid)
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

    /// Kills a process group left by an earlier server process, if it still exists.
    static func killGroup(_ pid: pid_t) { if pid > 1 { kill(-pid, SIGKILL) } }
}
