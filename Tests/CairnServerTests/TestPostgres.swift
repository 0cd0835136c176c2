import Foundation
import Synchronization

/// A throwaway PostgreSQL cluster for the store contract tests: one per test process, started on first use and
/// shared by every test, each of which gets a database of its own (`TestPostgresDatabase.create()`).
///
/// The cluster comes from Debian's `postgresql` package (`initdb`, `pg_ctl`, `psql`). It lives in a fresh directory
/// under /tmp (`cairn-test-pg-…`), listens on 127.0.0.1 only (a free port; its unix socket in that directory),
/// trusts the superuser `postgres` (`initdb --auth=trust`), and runs with `fsync=off`: contract tests need no
/// durability. initdb and pg_ctl refuse to run as root, so as root they run as the `postgres` user (`runuser`) and
/// the directory is that user's. At process exit an `atexit` handler stops the cluster (`pg_ctl stop -m immediate`
/// on its own data directory, never by process name) and removes the directory; a watchdog process does the same
/// if the test process dies without running its exit handlers (a crash, SIGKILL).
///
/// No `PG*` variable of the caller's environment reaches the PostgreSQL tools: they only ever talk to this cluster.
actor TestPostgres {
    static let shared = TestPostgres()

    /// The one start of the cluster; later callers wait for it (and share its failure rather than retry).
    private var start: Task<TestPostgresCluster, any Error>?

    /// The running cluster, started on first call.
    func cluster() async throws -> TestPostgresCluster {
        if let start { return try await start.value }
        let installation: PostgresInstallation
        switch PostgresInstallation.found {
        case .success(let found): installation = found
        case .failure(let missing): throw missing
        }
        let task = Task { try await TestPostgresCluster.start(installation) }
        start = task
        return try await task.value
    }
}

/// A database of its own on the shared cluster.
struct TestPostgresDatabase: Sendable {
    let cluster: TestPostgresCluster
    let name: String
    var url: String { cluster.url(database: name) }

    /// Creates a fresh, empty database (from template1) on the shared cluster, starting the cluster if needed.
    static func create() async throws -> TestPostgresDatabase {
        let cluster = try await TestPostgres.shared.cluster()
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await cluster.psql("CREATE DATABASE \(name)")
        return TestPostgresDatabase(cluster: cluster, name: name)
    }

    /// Drops the database (its connections too). Best effort: the whole cluster goes at exit anyway.
    func drop() async {
        try? await cluster.psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}

/// Where PostgreSQL's programs are, and as whom they run.
struct PostgresInstallation: Sendable {
    /// The directory holding initdb, pg_ctl, postgres and psql.
    let bin: String
    /// When the tests run as root, the user initdb and pg_ctl run as (through runuser); nil otherwise.
    let serverUser: ServerUser?

    struct ServerUser: Sendable {
        let name: String
        let uid: uid_t
        let gid: gid_t
    }

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    static let runuser = "/usr/sbin/runuser"

    /// PostgreSQL on this machine, or why it cannot be used.
    static let found: Result<PostgresInstallation, Missing> = find()

    /// Why the PostgreSQL cases cannot run here; nil when they can.
    static var missingReason: String? {
        if case .failure(let missing) = found { return missing.description }
        return nil
    }

    /// `$CAIRN_TEST_PG_BINDIR` when set (and then only that), else the newest `/usr/lib/postgresql/*/bin` (Debian's
    /// layout), else the directory of `initdb` on PATH.
    private static func find() -> Result<PostgresInstallation, Missing> {
        let fm = FileManager.default
        var candidates: [String] = []
        if let dir = ProcessInfo.processInfo.environment["CAIRN_TEST_PG_BINDIR"], !dir.isEmpty {
            candidates.append(dir)
        } else {
            candidates += debianAndPathCandidates()
        }
        let tools = ["initdb", "pg_ctl", "postgres", "psql", "pg_isready"]
        guard let bin = candidates.first(where: { dir in tools.allSatisfy { fm.isExecutableFile(atPath: "\(dir)/\($0)") } })
        else {
            return .failure(Missing(description: "PostgreSQL's programs (\(tools.joined(separator: ", "))) are not in "
                + "\(candidates.isEmpty ? "/usr/lib/postgresql/*/bin or beside initdb on PATH" : candidates.joined(separator: ", "))"
                + " (install Debian's postgresql, or set CAIRN_TEST_PG_BINDIR)"))
        }
        guard getuid() == 0 else { return .success(PostgresInstallation(bin: bin, serverUser: nil)) }
        guard fm.isExecutableFile(atPath: runuser) else {
            return .failure(Missing(description: "running as root, and \(runuser) (needed to run initdb as postgres) is missing"))
        }
        guard let entry = getpwnam("postgres") else {
            return .failure(Missing(description: "running as root, and there is no `postgres` user to run initdb as"))
        }
        return .success(PostgresInstallation(
            bin: bin, serverUser: ServerUser(name: "postgres", uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)))
    }

    private static func debianAndPathCandidates() -> [String] {
        let fm = FileManager.default
        var candidates: [String] = []
        let versions = ((try? fm.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap { name in Int(name).map { (version: $0, name: name) } }
            .sorted { $0.version > $1.version }
        candidates += versions.map { "/usr/lib/postgresql/\($0.name)/bin" }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let initdb = "\(dir)/initdb"
            if fm.isExecutableFile(atPath: initdb) {
                candidates.append(URL(fileURLWithPath: initdb).resolvingSymlinksInPath().deletingLastPathComponent().path)
            }
        }
        return candidates
    }

    /// The command line running `tool` from `bin`, as the server user when there is one.
    func commandLine(_ tool: String, _ arguments: [String], asServerUser: Bool) -> [String] {
        let program = [bin + "/" + tool] + arguments
        if asServerUser, let serverUser { return [Self.runuser, "-u", serverUser.name, "--"] + program }
        return program
    }
}

/// The running cluster.
struct TestPostgresCluster: Sendable {
    static let host = "127.0.0.1"
    static let superuser = "postgres"

    let installation: PostgresInstallation
    /// The cluster's directory: `data` (the data directory), the server log and the unix socket.
    let dir: String
    let port: Int
    var data: String { dir + "/data" }
    var log: String { dir + "/postgres.log" }

    func url(database: String) -> String { "postgres://\(Self.superuser)@\(Self.host):\(port)/\(database)" }

    /// Runs one statement through psql on the `postgres` database (outside a transaction, as CREATE DATABASE needs).
    func psql(_ sql: String) async throws {
        try await TestProcess.run(
            installation.commandLine("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", Self.host, "-p", "\(port)",
                                              "-U", Self.superuser, "-d", "postgres", "-c", sql], asServerUser: false),
            what: "psql -c \(sql)")
    }

    static func start(_ installation: PostgresInstallation) async throws -> TestPostgresCluster {
        let fm = FileManager.default
        let dir = "/tmp/cairn-test-pg-" + UUID().uuidString.prefix(8).lowercased()
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        if let user = installation.serverUser, chown(dir, user.uid, user.gid) != 0 {
            throw TestProcess.Failure(description: "cannot give \(dir) to \(user.name): \(String(cString: strerror(errno)))")
        }
        let cluster = TestPostgresCluster(installation: installation, dir: dir, port: try freePort())
        // From here on the directory (and soon the server) must go away at exit, whatever happens next.
        TestPostgresExit.register(cluster)
        try await TestProcess.run(
            installation.commandLine("initdb", ["-D", cluster.data, "--auth=trust", "-U", superuser, "-E", "UTF8",
                                                "--locale=C", "--no-sync"], asServerUser: true),
            what: "initdb")
        // pg_ctl hands -o to the server through a shell: the directory holds no spaces or quotes.
        let options = ["-c listen_addresses=\(host)", "-c port=\(cluster.port)", "-c unix_socket_directories=\(dir)",
                       "-c max_connections=200", "-c fsync=off"].joined(separator: " ")
        do {
            try await TestProcess.run(
                installation.commandLine("pg_ctl", ["start", "-w", "-t", "60", "-D", cluster.data, "-l", cluster.log,
                                                    "-o", options], asServerUser: true),
                what: "pg_ctl start")
            // pg_ctl -w waits for the server to accept connections; make sure it does on the TCP port tests use.
            var attempt = 0
            while true {
                do {
                    try await TestProcess.run(
                        installation.commandLine("pg_isready", ["-q", "-h", host, "-p", "\(cluster.port)", "-U", superuser,
                                                                "-d", "postgres"], asServerUser: false),
                        what: "pg_isready")
                    break
                } catch where attempt < 100 {
                    attempt += 1
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        } catch {
            let log = (try? String(contentsOfFile: cluster.log, encoding: .utf8)) ?? "(no server log)"
            throw TestProcess.Failure(description: "\(error)\nserver log \(cluster.log):\n\(log)")
        }
        print("PostgreSQL test cluster: \(cluster.url(database: "postgres")) in \(dir)")
        return cluster
    }

    /// A port on 127.0.0.1 nothing listens on now: bind port 0, read the port the kernel chose, close.
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestProcess.Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr(host)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard bound else { throw TestProcess.Failure(description: "bind 127.0.0.1:0: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Stops the cluster when the test process ends.
enum TestPostgresExit {
    private struct Registered: Sendable {
        let dir: String
        let stop: [String]
    }

    private static let registered = Mutex<Registered?>(nil)

    /// Stops `cluster` and removes its directory at exit (atexit), and starts a watchdog that does the same if this
    /// process dies without running exit handlers.
    static func register(_ cluster: TestPostgresCluster) {
        let stop = cluster.installation.commandLine("pg_ctl", ["stop", "-s", "-m", "immediate", "-D", cluster.data],
                                                    asServerUser: true)
        registered.withLock { $0 = Registered(dir: cluster.dir, stop: stop) }
        atexit { TestPostgresExit.stopNow() }
        startWatchdog(dir: cluster.dir, stop: stop)
    }

    /// Runs at exit: stops the server synchronously, then removes its directory.
    static func stopNow() {
        guard let cluster = registered.withLock({ value -> Registered? in defer { value = nil }; return value }) else { return }
        if FileManager.default.fileExists(atPath: cluster.dir + "/data/postmaster.pid") {
            TestProcess.runSynchronously(cluster.stop)
        }
        try? FileManager.default.removeItem(atPath: cluster.dir)
    }

    /// A shell that waits for this process to go, then stops the cluster if it still runs and removes its directory.
    /// Its output goes nowhere, so nothing waiting for this process's output waits for it. Never waited for: it
    /// lives as long as this process.
    private static func startWatchdog(dir: String, stop: [String]) {
        let quoted = stop.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            if [ -f '\(dir)/data/postmaster.pid' ]; then \(quoted); fi
            rm -rf '\(dir)'
            """
        _ = try? TestProcess.spawn(["/bin/sh", "-c", script], output: "/dev/null")
    }
}

/// Runs the PostgreSQL tools, through posix_spawn rather than Foundation's `Process`: `Process` learns of a child's
/// exit from a socket the child inherits, and the server pg_ctl leaves running inherits it too, so pg_ctl would
/// never seem to end (swift-corelibs-foundation#4795). Children get no descriptor of this process but their output
/// file, so nothing here keeps another test's `Process` or pipe open either.
enum TestProcess {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The tools' whole environment: no PG* variable (host, port, password, service) of the caller gets through.
    static let environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"]

    /// Runs `commandLine` to its end; throws with its output unless it exits 0.
    static func run(_ commandLine: [String], what: String) async throws {
        let output = NSTemporaryDirectory() + "cairn-test-pg-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let pid = try spawn(commandLine, output: output)
        // waitpid blocks, so on a thread of its own rather than one of the concurrency pool's few.
        let status = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            Thread.detachNewThread { continuation.resume(returning: waitFor(pid)) }
        }
        guard status == 0 else {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            throw Failure(description: "\(what) failed (wait status \(status)): \(commandLine.joined(separator: " "))\n\(text)")
        }
    }

    /// Runs `commandLine` and waits for it, without the concurrency runtime (for exit handlers). Returns its status.
    @discardableResult
    static func runSynchronously(_ commandLine: [String]) -> Int32 {
        guard let pid = try? spawn(commandLine, output: "/dev/null") else { return -1 }
        return waitFor(pid)
    }

    /// Starts `commandLine` with stdin from /dev/null, stdout and stderr to the file `output`, and no other
    /// descriptor of this process, leading a process group of its own: a Batch scheduler running in this test
    /// process reaps every ended child that leads no group as an orphan of a job (`LocalProcess.reapOrphans`), and
    /// took a psql from under its `waitpid` (wait status -1).
    static func spawn(_ commandLine: [String], output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        closeInheritedDescriptors(&actions)
        let argv = commandLine.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let error = posix_spawn(&pid, commandLine[0], &actions, &attributes, argv, envp)
        guard error == 0 else {
            throw Failure(description: "cannot run \(commandLine[0]): \(String(cString: strerror(error)))")
        }
        return pid
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does not declare.
    private static let addCloseFrom: AddCloseFrom? =
        dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: AddCloseFrom.self) }

    /// Closes every descriptor above stderr in the child: all at once where glibc can, else each one open now.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let addCloseFrom, addCloseFrom(&actions, 3) == 0 { return }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let fd = Int32(name), fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        }
    }

    /// Waits for `pid` to end; its wait status (0: exited 0).
    private static func waitFor(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        return status
    }
}
