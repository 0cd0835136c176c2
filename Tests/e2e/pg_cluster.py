#!/usr/bin/env python3
"""A throwaway PostgreSQL cluster for tests, from Debian's `postgresql` package (initdb, pg_ctl, psql).

The cluster lives in a fresh directory under /tmp (``cairn-pg-XXXXXXXX``), listens on 127.0.0.1 only (a free port,
its unix socket inside that directory), trusts local and 127.0.0.1 connections as the superuser ``postgres``
(``initdb --auth=trust -U postgres``), keeps ``fsync=on`` (a commit Cairn was told about is on disk) and allows
``max_connections`` (300 by default: every Cairn server opens a pool). initdb and pg_ctl refuse to run as root, so
as root they run as the ``postgres`` user (``runuser``) and the directory is that user's. The cluster is stopped
with ``pg_ctl stop -m fast`` on its own data directory, never by a process name.

As a module::

    cluster = PgCluster.start()
    url = cluster.create_database("cairn_1")     # postgres://postgres@127.0.0.1:PORT/cairn_1
    cluster.stop()

As a script (for scripts/test, the Swift tests, or a shell)::

    python3 Tests/e2e/pg_cluster.py start [--max-connections N] [--timeout S]
        -> one JSON line: {"url": admin URL (database postgres), "dir": DIR, "data": DIR/data, "port": N,
                           "host": "127.0.0.1", "user": "postgres", "bin": the PostgreSQL bin directory}
    python3 Tests/e2e/pg_cluster.py create-database DIR NAME [--template T]   -> prints the database's URL
    python3 Tests/e2e/pg_cluster.py drop-database DIR NAME
    python3 Tests/e2e/pg_cluster.py stop DIR       (DIR as printed by start; its data subdirectory works too)

Exit codes: 0 done, 1 failed (the reason on stderr), 3 PostgreSQL is not installed (no initdb/pg_ctl found).
No PG* variable of the caller's environment reaches the PostgreSQL tools: nothing here connects anywhere but the
cluster it started on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
SUPERUSER = "postgres"
DEFAULT_MAX_CONNECTIONS = 300
START_TIMEOUT = 60.0
STATE_FILE = "cluster.json"
NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresMissing(RuntimeError):
    """PostgreSQL's server binaries (initdb, pg_ctl) are not installed."""


class ClusterError(RuntimeError):
    """The cluster could not be started, reached or changed; the message says why (with the server's log)."""


def find_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres: $CAIRN_TEST_PG_BINDIR when set (only that one), else the
    one of `initdb` on PATH, else the newest /usr/lib/postgresql/*/bin (Debian does not put initdb on PATH)."""
    candidates: list[Path] = []
    if os.environ.get("CAIRN_TEST_PG_BINDIR"):
        d = Path(os.environ["CAIRN_TEST_PG_BINDIR"])
        return d if all(os.access(d / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")) else None
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(os.path.realpath(on_path)).parent)

    def version(p: str) -> tuple:
        v = Path(p).parent.parent.name
        return tuple(int(x) for x in re.findall(r"\d+", v)) or (0,)

    candidates += [Path(p).parent for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version,
                                                  reverse=True)]
    for d in candidates:
        if all(os.access(d / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return d
    return None


def require_bindir() -> Path:
    d = find_bindir()
    if d is None:
        raise PostgresMissing("PostgreSQL is not installed: no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin "
                              "(install Debian's `postgresql` package, e.g. `apt-get install -y postgresql`)")
    return d


def _tool(bindir: Path, name: str) -> str:
    p = bindir / name
    if os.access(p, os.X_OK):
        return str(p)
    found = shutil.which(name)
    if not found:
        raise PostgresMissing(f"{name} not found (in {bindir} or on PATH)")
    return found


def _env() -> dict[str, str]:
    """The caller's environment without PG* variables (PGHOST, PGPORT, PGSERVICE... must not redirect a tool)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env.pop("LANG", None)
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _run_as() -> str | None:
    """The user initdb/pg_ctl run as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    return os.environ.get("CAIRN_TEST_PG_OS_USER", "postgres")


def _as_user(cmd: list[str], user: str | None) -> list[str]:
    if user is None:
        return cmd
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--", *cmd]
    import shlex
    return ["su", user, "-s", "/bin/sh", "-c", shlex.join(cmd)]


def _tail(path: Path, n: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


class PgCluster:
    def __init__(self, root: Path, port: int, bindir: Path, os_user: str | None):
        self.root = Path(root)
        self.port = port
        self.bindir = Path(bindir)
        self.os_user = os_user

    # -- where things are --------------------------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://{SUPERUSER}@{HOST}:{self.port}/{database}"

    @property
    def admin_url(self) -> str:
        return self.url("postgres")

    def describe(self) -> dict:
        return {"url": self.admin_url, "dir": str(self.root), "data": str(self.data_dir), "port": self.port,
                "host": HOST, "user": SUPERUSER, "bin": str(self.bindir)}

    # -- lifecycle ---------------------------------------------------------------------------------------------------

    @classmethod
    def start(cls, max_connections: int = DEFAULT_MAX_CONNECTIONS, timeout: float = START_TIMEOUT,
              parent: str = "/tmp") -> "PgCluster":
        """initdb a new cluster in a fresh directory under `parent` and start it; returns once it accepts
        connections on 127.0.0.1. Raises PostgresMissing or ClusterError (the directory is removed then)."""
        bindir = require_bindir()
        os_user = _run_as()
        root = Path(tempfile.mkdtemp(prefix="cairn-pg-", dir=parent))
        try:
            if os_user is not None:
                import pwd
                try:
                    pw = pwd.getpwnam(os_user)
                except KeyError:
                    raise ClusterError(f"running as root, but there is no user {os_user!r} to run initdb/pg_ctl as "
                                       "(Debian's postgresql package creates `postgres`; or set "
                                       "CAIRN_TEST_PG_OS_USER)") from None
                os.chown(root, pw.pw_uid, pw.pw_gid)
            os.chmod(root, 0o700)
            cluster = cls(root, 0, bindir, os_user)
            cluster._initdb(max_connections)
            last = ""
            for _ in range(5):  # a free port can be taken by someone else before the postmaster binds it
                cluster.port = _free_port()
                cluster._write_port()
                ok, last = cluster._pg_ctl_start(timeout)
                if ok:
                    break
                if "could not bind" not in last and "already in use" not in last:
                    raise ClusterError(f"PostgreSQL did not start (pg_ctl start in {root}):\n{last}")
            else:
                raise ClusterError(f"PostgreSQL did not start: no free port after 5 tries:\n{last}")
            cluster._wait_ready(timeout)
            cluster._save()
            return cluster
        except BaseException:
            cls._stop_dir(root, bindir, os_user, quiet=True)
            shutil.rmtree(root, ignore_errors=True)
            raise

    @classmethod
    def attach(cls, directory: str | os.PathLike) -> "PgCluster":
        """The cluster started earlier in `directory` (the directory `start` printed, or its data subdirectory)."""
        d = Path(directory).resolve()
        if not (d / STATE_FILE).exists() and (d.parent / STATE_FILE).exists():
            d = d.parent
        try:
            state = json.loads((d / STATE_FILE).read_text())
        except (OSError, ValueError) as e:
            raise ClusterError(f"{d} is not a cluster started by pg_cluster.py (no readable {STATE_FILE}: {e})") from None
        return cls(d, int(state["port"]), Path(state["bin"]), state.get("os_user"))

    def _save(self) -> None:
        state = dict(self.describe(), os_user=self.os_user, owner_pid=os.getpid())
        (self.root / STATE_FILE).write_text(json.dumps(state) + "\n")

    def _run(self, cmd: list[str], timeout: float, as_owner: bool = True) -> subprocess.CompletedProcess:
        full = _as_user(cmd, self.os_user if as_owner else None)
        # A session of its own: a Ctrl-C at the terminal reaches pytest (which stops the cluster), not the postmaster.
        return subprocess.run(full, env=_env(), cwd=str(self.root), stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout, start_new_session=True)

    def _initdb(self, max_connections: int) -> None:
        cp = self._run([_tool(self.bindir, "initdb"), "-D", str(self.data_dir), "--auth=trust", "-U", SUPERUSER,
                        "--encoding=UTF8", "--locale=C", "--no-instructions"], timeout=300)
        if cp.returncode != 0:
            raise ClusterError(f"initdb failed ({cp.returncode}):\n{cp.stdout[-2000:]}\n{cp.stderr[-3000:]}")
        conf = self.data_dir / "postgresql.conf"
        settings = {
            "listen_addresses": f"'{HOST}'",
            "unix_socket_directories": f"'{self.socket_dir}'",
            "max_connections": str(int(max_connections)),
            "fsync": "on",
            "synchronous_commit": "on",
            "full_page_writes": "on",
            "log_min_messages": "warning",
            "log_connections": "off",
            "logging_collector": "off",
            "include_if_exists": "'cairn-port.conf'",
        }
        self._append_as_owner(conf, "\n# cairn pg_cluster.py\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))
        self._mkdir_as_owner(self.socket_dir)

    def _append_as_owner(self, path: Path, text: str) -> None:
        with open(path, "a") as f:  # root may write the postgres user's file; the owner stays the same
            f.write(text)

    def _mkdir_as_owner(self, path: Path) -> None:
        path.mkdir(mode=0o700, exist_ok=True)
        if self.os_user is not None:
            st = self.root.stat()
            os.chown(path, st.st_uid, st.st_gid)

    def _write_port(self) -> None:
        p = self.data_dir / "cairn-port.conf"
        p.write_text(f"port = {self.port}\n")
        if self.os_user is not None:
            st = self.root.stat()
            os.chown(p, st.st_uid, st.st_gid)

    def _pg_ctl_start(self, timeout: float) -> tuple[bool, str]:
        if self.os_user is not None and not self.log_path.exists():
            self.log_path.touch()
            st = self.root.stat()
            os.chown(self.log_path, st.st_uid, st.st_gid)
        try:
            cp = self._run([_tool(self.bindir, "pg_ctl"), "start", "-D", str(self.data_dir), "-l", str(self.log_path),
                            "-w", "-t", str(int(timeout))], timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            return False, f"pg_ctl start did not return within {timeout + 30:.0f}s\n{_tail(self.log_path)}"
        if cp.returncode == 0:
            return True, ""
        return False, f"pg_ctl start: {cp.returncode}\n{cp.stdout[-1500:]}\n{cp.stderr[-1500:]}\n" \
                      f"--- {self.log_path} ---\n{_tail(self.log_path)}"

    def _wait_ready(self, timeout: float) -> None:
        isready = _tool(self.bindir, "pg_isready")
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            cp = self._run([isready, "-h", HOST, "-p", str(self.port), "-U", SUPERUSER, "-d", "postgres", "-t", "5"],
                           timeout=30, as_owner=False)
            if cp.returncode == 0:
                try:
                    if self.psql("SELECT 1", timeout=30).strip() == "1":
                        return
                except ClusterError as e:
                    last = str(e)
            else:
                last = (cp.stdout + cp.stderr).strip()
            time.sleep(0.2)
        raise ClusterError(f"PostgreSQL in {self.root} did not accept connections on {HOST}:{self.port} within "
                           f"{timeout:.0f}s (last: {last})\n--- {self.log_path} ---\n{_tail(self.log_path)}")

    def stop(self, remove: bool = True) -> None:
        """pg_ctl stop -m fast on this cluster's data directory (immediate if that does not finish), then remove
        the directory."""
        self._stop_dir(self.root, self.bindir, self.os_user)
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)

    @staticmethod
    def _stop_dir(root: Path, bindir: Path, os_user: str | None, quiet: bool = False) -> None:
        data = Path(root) / "data"
        if not (data / "postmaster.pid").exists():
            return
        pg_ctl = _tool(bindir, "pg_ctl")
        last = ""
        for mode, wait in (("fast", 60), ("immediate", 30)):
            cp = subprocess.run(_as_user([pg_ctl, "stop", "-D", str(data), "-m", mode, "-w", "-t", str(wait)], os_user),
                                env=_env(), cwd=str(root), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=wait + 30, start_new_session=True)
            if cp.returncode == 0 or not (data / "postmaster.pid").exists():
                return
            last = cp.stdout + cp.stderr
        if not quiet:
            raise ClusterError(f"pg_ctl stop on {data} failed:\n{last}")

    # -- SQL ---------------------------------------------------------------------------------------------------------

    def psql(self, sql: str, database: str = "postgres", timeout: float = 120) -> str:
        """Run `sql` as the superuser over TCP on 127.0.0.1; returns psql's unaligned, tuples-only output."""
        cmd = [_tool(self.bindir, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", HOST,
               "-p", str(self.port), "-U", SUPERUSER, "-d", database, "-c", sql]
        cp = self._run(cmd, timeout=timeout, as_owner=False)
        if cp.returncode != 0:
            raise ClusterError(f"psql ({sql}) failed ({cp.returncode}): {cp.stderr.strip()}")
        return cp.stdout

    @staticmethod
    def _ident(name: str) -> str:
        if not NAME.match(name):
            raise ValueError(f"database name {name!r}: use lower-case letters, digits and _ (at most 63)")
        return f'"{name}"'

    def create_database(self, name: str, template: str | None = None, timeout: float = 30) -> str:
        """CREATE DATABASE name (a copy of `template` when given); returns its URL. A template must have no
        connections: while one still closes (a server just stopped), this retries for up to `timeout` seconds."""
        sql = f"CREATE DATABASE {self._ident(name)}"
        if template:
            sql += f" TEMPLATE {self._ident(template)}"
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.psql(sql)
                return self.url(name)
            except ClusterError as e:
                if "being accessed by other users" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def drop_database(self, name: str) -> None:
        self.psql(f"DROP DATABASE IF EXISTS {self._ident(name)} WITH (FORCE)")

    def database_exists(self, name: str) -> bool:
        return self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip() == "1" \
            if NAME.match(name) else False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("start", help="start a cluster; prints one JSON line")
    s.add_argument("--max-connections", type=int, default=DEFAULT_MAX_CONNECTIONS)
    s.add_argument("--timeout", type=float, default=START_TIMEOUT)
    s = sub.add_parser("stop", help="stop the cluster in DIR and remove DIR")
    s.add_argument("dir")
    s.add_argument("--keep", action="store_true", help="stop but keep the directory")
    s = sub.add_parser("create-database", help="create database NAME; prints its URL")
    s.add_argument("dir")
    s.add_argument("name")
    s.add_argument("--template")
    s = sub.add_parser("drop-database", help="drop database NAME (WITH FORCE)")
    s.add_argument("dir")
    s.add_argument("name")
    a = ap.parse_args(argv)
    try:
        if a.command == "start":
            print(json.dumps(PgCluster.start(a.max_connections, a.timeout).describe()), flush=True)
        elif a.command == "stop":
            PgCluster.attach(a.dir).stop(remove=not a.keep)
        elif a.command == "create-database":
            print(PgCluster.attach(a.dir).create_database(a.name, a.template), flush=True)
        elif a.command == "drop-database":
            PgCluster.attach(a.dir).drop_database(a.name)
    except PostgresMissing as e:
        print(f"pg_cluster.py: {e}", file=sys.stderr)
        return 3
    except (ClusterError, ValueError, subprocess.TimeoutExpired) as e:
        print(f"pg_cluster.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
