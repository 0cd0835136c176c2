"""Start and stop a Cairn server for load scripts (fresh data dir, free port, stopped by its own PID).

Also the storage engines a benchmark can compare in one run (`--engines sqlite,pg1,pg3`):

- ``sqlite``: one node, SQLite in its data directory (what every load script ran before);
- ``pg1``: one node on PostgreSQL;
- ``pg3``: three nodes on one PostgreSQL database (each its own data dir and port, the first node's master.key
  copied into the others' data dirs before they start).

PostgreSQL is the server of ``--database-url`` (an admin URL: each engine run gets a fresh database created
through it and dropped after), or else a throwaway cluster started here with Tests/e2e/pg_cluster.py (fsync on,
127.0.0.1 only, stopped by its data directory at the end).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENGINES = ("sqlite", "pg1", "pg3")
ENGINE_TITLES = {"sqlite": "SQLite, one node", "pg1": "PostgreSQL, one node", "pg3": "PostgreSQL, three nodes"}
ENGINE_NODES = {"sqlite": 1, "pg1": 1, "pg3": 3}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _drain(stream):
    for _ in stream:
        pass


class CairnServer:
    def __init__(self, binary, data_dir=None, extra_args=(), database_url=None, pool_size=None):
        self.binary = binary
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="cairn-bench-")
        self.extra_args = list(extra_args)
        self.database_url = database_url
        self.pool_size = pool_size
        self.proc = None
        self.endpoint = None

    def start(self, timeout=60):
        args = list(self.extra_args)
        if self.database_url:
            args += ["--database-url", self.database_url]
            if self.pool_size:
                args += ["--database-pool-size", str(self.pool_size)]
        # The engine is the one asked for here, not one a CAIRN_* variable of the caller's shell chose.
        env = {k: v for k, v in os.environ.items()
               if k not in ("CAIRN_DATABASE_URL", "CAIRN_DATABASE_POOL_SIZE", "CAIRN_OBJECTS_DIR")}
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", self.data_dir,
             "--log-level", "warning", *args],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("cairn exited before listening")
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                self.endpoint = m.group(1)
                # Keep reading what it prints, so a full pipe never stalls the server.
                threading.Thread(target=_drain, args=(self.proc.stdout,), daemon=True).start()
                return self
        raise RuntimeError("cairn did not start in time")

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def credentials(self):
        key = secret = None
        with open(os.path.join(self.data_dir, "credentials")) as f:
            for line in f:
                if line.startswith("aws_access_key_id"):
                    key = line.split("=", 1)[1].strip()
                if line.startswith("aws_secret_access_key"):
                    secret = line.split("=", 1)[1].strip()
        return key, secret

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# -- CPU time ------------------------------------------------------------------------------------------------------

def _stat_fields(pid):
    """/proc/<pid>/stat after the command name: [state, ppid, ...]; utime is [11], stime [12], cutime [13],
    cstime [14] (clock ticks). None once the process is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def cpu_seconds(pid):
    """utime + stime of one process, in seconds (0 once it is gone)."""
    f = _stat_fields(pid)
    return (int(f[11]) + int(f[12])) / CLK_TCK if f else 0.0


def process_tree_cpu_seconds(pid):
    """A PostgreSQL postmaster's CPU with its backends: its own utime+stime, what its ended children used
    (cutime+cstime, counted once the postmaster reaps them) and its live children's utime+stime. A backend that
    ends between two readings moves from the last term to the second, so a difference of two readings is exact."""
    f = _stat_fields(pid)
    if not f:
        return 0.0
    ticks = sum(int(x) for x in f[11:15])
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            c = _stat_fields(int(entry))
            if c and int(c[1]) == pid:
                ticks += int(c[11]) + int(c[12])
    return ticks / CLK_TCK


class CpuMeter:
    """Server CPU used between start() and stop(): each Cairn process's (node1, node2, ...) and, when the
    PostgreSQL cluster runs on this machine under our control, the cluster's ("postgres")."""

    def __init__(self, nodes):
        self.nodes = nodes
        self.before = None
        self.used = None

    def _read(self):
        r = {"node%d" % (i + 1): cpu_seconds(s.pid) for i, s in enumerate(self.nodes.servers)}
        pg = self.nodes.postgres.cpu_seconds() if self.nodes.postgres else None
        if pg is not None:
            r["postgres"] = pg
        return r

    def start(self):
        self.before = self._read()
        return self

    def stop(self):
        after = self._read()
        self.used = {k: after[k] - self.before[k] for k in after if k in self.before}
        return self.used

    def per_1k(self, ops):
        """{'cairn': [s per 1,000 ops for each node], 'postgres': s per 1,000 ops or None}; each node's CPU is
        divided by all the ops of the phase, so the nodes' figures add up to the cluster's cost."""
        ops = max(ops, 1)
        cairn = [self.used[k] * 1000 / ops for k in sorted(self.used) if k.startswith("node")]
        pg = self.used.get("postgres")
        return {"cairn": cairn, "postgres": pg * 1000 / ops if pg is not None else None}

    def describe(self, ops, unit):
        """'cairn CPU 0.123 s/1k calls' (three nodes: '0.150 s/1k calls = 0.050+0.051+0.049'), with PostgreSQL's."""
        p = self.per_1k(ops)
        s = "cairn CPU %.3f s/1k %s" % (sum(p["cairn"]), unit)
        if len(p["cairn"]) > 1:
            s += " = " + "+".join("%.3f" % x for x in p["cairn"])
        if p["postgres"] is not None:
            s += ", postgres CPU %.3f s/1k" % p["postgres"]
        return s


def machine_note():
    return ("note: the load generator (wrk, or this script's Python) runs on this machine and shares its %d cores "
            "with Cairn (and PostgreSQL); CPU figures are server CPU seconds (utime+stime from /proc) per 1,000 "
            "operations, each Cairn process's CPU divided by all the operations of the phase (the nodes' figures "
            "add up), idle background work included." % (os.cpu_count() or 0))


# -- PostgreSQL ----------------------------------------------------------------------------------------------------

def _pg_cluster_module():
    sys.path.insert(0, os.path.join(ROOT, "Tests", "e2e"))
    import pg_cluster
    return pg_cluster


def _clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


class Postgres:
    """The PostgreSQL server the pg engines use: the one of an admin URL, or a throwaway cluster started here."""

    def __init__(self, admin_url=None, max_connections=300):
        pg_cluster = _pg_cluster_module()
        self.cluster = None
        if admin_url:
            self.admin_url = admin_url
        else:
            self.cluster = pg_cluster.PgCluster.start(max_connections=max_connections)
            self.admin_url = self.cluster.admin_url
        bindir = pg_cluster.find_bindir()
        self.psql_bin = str(bindir / "psql") if bindir and os.access(bindir / "psql", os.X_OK) else shutil.which("psql")
        if not self.psql_bin:
            raise RuntimeError("psql not found (install Debian's postgresql-client)")
        self.created = []

    def describe(self):
        if self.cluster:
            return "a throwaway cluster started here (%s, fsync=on, port %d)" % (self.cluster.root, self.cluster.port)
        u = urllib.parse.urlsplit(self.admin_url)
        return "%s:%s (--database-url)" % (u.hostname, u.port or 5432)

    def url(self, database):
        u = urllib.parse.urlsplit(self.admin_url)
        return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + database, u.query, u.fragment))

    def psql(self, url, *statements, stdin=None, timeout=3600):
        """Runs each statement on its own (-c each: VACUUM may not share a transaction); returns the output."""
        cmd = [self.psql_bin, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url]
        for s in statements:
            cmd += ["-c", s]
        cp = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=_clean_env(), timeout=timeout)
        if cp.returncode != 0:
            raise RuntimeError("psql (%s) failed: %s" % ("; ".join(statements), cp.stderr.strip()))
        return cp.stdout

    def copy_process(self, url, statement):
        """A psql running `COPY ... FROM STDIN`: write the rows to .stdin, close it, wait()."""
        return subprocess.Popen([self.psql_bin, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", statement],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=_clean_env())

    def fresh_database(self, label):
        name = re.sub(r"[^a-z0-9_]", "_", ("cairn_bench_%s_%d_%d" % (label, os.getpid(), len(self.created))).lower())[:63]
        self.psql(self.admin_url, 'CREATE DATABASE "%s"' % name)
        self.created.append(name)
        return self.url(name)

    def drop_database(self, url):
        name = urllib.parse.urlsplit(url).path.lstrip("/")
        deadline = time.time() + 30
        while True:
            try:
                self.psql(self.admin_url, 'DROP DATABASE IF EXISTS "%s"' % name)
                break
            except RuntimeError as e:  # a stopped node's sessions may still be closing
                if "being accessed by other users" not in str(e) or time.time() > deadline:
                    raise
                time.sleep(0.3)
        if name in self.created:
            self.created.remove(name)

    def cpu_seconds(self):
        """The cluster's CPU (postmaster and backends) when we started it, else None."""
        if not self.cluster:
            return None
        try:
            with open(os.path.join(str(self.cluster.data_dir), "postmaster.pid")) as f:
                return process_tree_cpu_seconds(int(f.readline()))
        except (OSError, ValueError):
            return None

    def stop(self):
        if self.cluster:
            self.cluster.stop()
            self.cluster = None
            return
        for name in list(self.created):
            try:
                self.drop_database(self.url(name))
            except RuntimeError as e:
                print("  (could not drop %s: %s)" % (name, e), file=sys.stderr)


# -- an engine's nodes ----------------------------------------------------------------------------------------------

class Nodes:
    """The Cairn node(s) of one engine run: `.servers`, `.endpoints` (load is spread over them), `.endpoint` (the
    first), `.credentials()` (the admin key all nodes share), `.database_url` (None on SQLite), `.stop()`."""

    def __init__(self, engine, binary, postgres=None, extra_args=(), pool_size=None, label="bench"):
        self.engine = engine
        self.postgres = postgres if engine != "sqlite" else None
        self.database_url = self.postgres.fresh_database("%s_%s" % (label, engine)) if self.postgres else None
        self.servers = []
        try:
            for i in range(ENGINE_NODES[engine]):
                node = CairnServer(binary, extra_args=extra_args, database_url=self.database_url, pool_size=pool_size)
                self.servers.append(node)
                if i:  # every node of a database needs the master.key of the first
                    shutil.copy2(os.path.join(self.servers[0].data_dir, "master.key"),
                                 os.path.join(node.data_dir, "master.key"))
                node.start()
            keys = {s.credentials() for s in self.servers}
            if len(keys) != 1:
                raise RuntimeError("the nodes wrote different admin keys: %s" % keys)
        except BaseException:
            self.stop()
            raise

    @property
    def endpoint(self):
        return self.servers[0].endpoint

    @property
    def endpoints(self):
        return [s.endpoint for s in self.servers]

    @property
    def data_dir(self):
        return self.servers[0].data_dir

    def credentials(self):
        return self.servers[0].credentials()

    def cpu(self):
        return CpuMeter(self)

    def stop(self):
        for s in reversed(self.servers):
            s.stop()
            shutil.rmtree(s.data_dir, ignore_errors=True)  # made by CairnServer for this run
        self.servers = []
        if self.postgres and self.database_url:
            try:
                self.postgres.drop_database(self.database_url)
            except RuntimeError as e:
                print("  (could not drop the database: %s)" % e, file=sys.stderr)
            self.database_url = None


def add_engine_args(ap):
    ap.add_argument("--engines", default=",".join(ENGINES),
                    help="comma-separated, any of sqlite, pg1 (one node on PostgreSQL), pg3 (three nodes on one "
                         "PostgreSQL database); default all three")
    ap.add_argument("--database-url", help="admin URL of an existing PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/"
                                           "postgres): each engine run creates a fresh database through it and drops "
                                           "it after; without it a throwaway cluster is started (Tests/e2e/pg_cluster.py)")
    ap.add_argument("--database-pool-size", type=int, help="passed to every node on PostgreSQL (default: Cairn's)")


class Profile:
    """`perf record` of one process for a phase (Debian's linux-perf; needs the release binary's symbols):
    `with Profile(pid, path):` around the load, then `.top(n)` gives the hottest symbols (self time)."""

    def __init__(self, pid, path, enabled=True):
        self.pid, self.path, self.enabled = pid, path, enabled and shutil.which("perf") is not None
        self.proc = None

    def start(self):
        if self.enabled:
            self.proc = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(self.pid), "-o", self.path],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.3)
        return self

    def stop(self):
        """Ends the recording (again: no-op)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=60)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def top(self, n=12):
        if not self.proc:
            return []
        out = subprocess.run(["perf", "report", "-i", self.path, "--stdio", "--no-children", "-g", "none",
                              "--percent-limit", "1", "--sort", "symbol"],
                             capture_output=True, text=True).stdout
        rows = [line.strip() for line in out.splitlines() if line.strip() and not line.startswith("#")]
        return rows[:n]


def parse_engines(text):
    engines = [e.strip() for e in text.split(",") if e.strip()]
    bad = [e for e in engines if e not in ENGINES]
    if bad or not engines:
        raise SystemExit("--engines: %s is not one of %s" % (",".join(bad) or "(none)", ",".join(ENGINES)))
    return list(dict.fromkeys(engines))


def start_postgres(args, engines):
    """The PostgreSQL for the pg engines of this run (None when only sqlite runs). A SIGTERM to the script then
    still stops what it started (it becomes SystemExit, so `finally` blocks run)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not any(e != "sqlite" for e in engines):
        return None
    pool = args.database_pool_size or 10
    pg = Postgres(args.database_url, max_connections=max(300, 3 * pool + 50))
    print("PostgreSQL: %s" % pg.describe(), flush=True)
    return pg


def split(total, parts):
    """`total` connections over `parts` nodes as evenly as possible (each at least 1)."""
    return [max(1, total // parts + (1 if i < total % parts else 0)) for i in range(parts)]


def ratio_table(title, rows, engines):
    """Prints rows of (label, {engine: value or None}, fmt) with one column per engine, then each engine's ratio to
    the first engine of the run (sqlite when it ran)."""
    base = engines[0]
    others = engines[1:]
    width = max([len(r[0]) for r in rows] + [10])
    print("== %s (absolute; ratio = engine / %s)" % (title, base))
    head = "  %-*s" % (width, "") + "".join("%12s" % e for e in engines) + "".join("%14s" % ("%s/%s" % (e, base))
                                                                               for e in others)
    print(head)
    for label, values, fmt in rows:
        line = "  %-*s" % (width, label)
        for e in engines:
            v = values.get(e)
            line += "%12s" % (fmt % v if v is not None else "-")
        for e in others:
            a, b = values.get(e), values.get(base)
            line += "%14s" % ("%.2fx" % (a / b) if a is not None and b else "-")
        print(line)


def allow_rule_to_send(sqs, queue_url, queue_arn, rule_arn):
    """As in AWS, EventBridge delivers to a queue only when the queue's policy lets the rule send to it."""
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]})})
