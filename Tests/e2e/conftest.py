"""End-to-end harness: start the real `cairn` binary and talk to it with boto3 and the aws CLI.

The binary comes from $CAIRN_BIN, else <repo>/.build/debug/cairn. Every server gets its own
temporary data directory and a free port (``--port 0``), binds 127.0.0.1 only, and is stopped
by its own PID (SIGTERM, then SIGKILL) when its fixture ends.

The storage engine is $CAIRN_TEST_ENGINE or ``--engine``: ``sqlite`` (the default: the database is
<data-dir>/cairn.sqlite) or ``postgres``: one throwaway PostgreSQL cluster for the session
(pg_cluster.py, started on the first server start, stopped at the end), and every server gets
``--database-url`` for a database of its own data directory: the same data directory (a restart,
kill -9 and start, a second server on it) reaches the same database, a new one a fresh database,
and a copy of a known data directory (shutil.copytree) a copy of its database. Tests that read
the SQLite file itself are marked ``@sqlite_only`` and skipped on PostgreSQL.
"""

from __future__ import annotations

import atexit
import configparser
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterable
from unittest import mock

import boto3
import botocore.auth
import pytest
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

import pg_cluster

REPO = Path(__file__).resolve().parents[2]
CAIRN_BIN = Path(os.environ.get("CAIRN_BIN") or REPO / ".build" / "debug" / "cairn")

LISTENING = re.compile(r"Cairn \S+ listening on (http://127\.0\.0\.1:(\d+))")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

CLOUDTRAIL_TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"

# Clients never retry: a 5xx or a dropped connection must show up as the failure it is.
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"},
                  connect_timeout=10, read_timeout=60)

# Every server started by a test, so a failing test's report shows the server's log.
_RUNNING: list["CairnServer"] = []

# -- storage engine ---------------------------------------------------------------------------------------------------

ENGINES = ("sqlite", "postgres")
# $CAIRN_TEST_ENGINE, overridden by --engine (pytest_configure). Read it at run time (conftest.ENGINE), not at import.
ENGINE = (os.environ.get("CAIRN_TEST_ENGINE") or "sqlite").strip().lower()

# Marks a test that needs the SQLite engine (it reads or changes <data-dir>/cairn.sqlite itself): skipped, with the
# reason printed, on any other engine. `@sqlite_only` or `@sqlite_only(reason="...")`.
sqlite_only = pytest.mark.sqlite_only
SQLITE_ONLY_REASON = "inspects the SQLite file directly"
# An aws CLI test whose calls the PostgreSQL run already makes through boto3: the CLI speaks the same wire on both
# engines, and each of its commands costs a Python start, so it runs once, on SQLite. (The CLI tests whose commands
# reach engine-specific paths, S3 bodies in the database and validate-logs over delivered files, run on both.)
cli_on_sqlite_only = sqlite_only(reason="the aws CLI speaks the same wire on both engines; the PostgreSQL run makes "
                                        "these calls through boto3")


def pytest_addoption(parser):
    parser.addoption("--engine", choices=ENGINES, default=None,
                     help="storage engine of every cairn server started: sqlite (default) or postgres "
                          "(a throwaway PostgreSQL cluster for the session); default $CAIRN_TEST_ENGINE or sqlite")


def pytest_configure(config):
    global ENGINE
    ENGINE = (config.getoption("engine", default=None) or ENGINE).strip().lower()
    if ENGINE not in ENGINES:
        raise pytest.UsageError(f"CAIRN_TEST_ENGINE/--engine is {ENGINE!r}: use one of {', '.join(ENGINES)}")
    config.addinivalue_line("markers", f"sqlite_only(reason): needs the SQLite engine (default reason: "
                                       f"{SQLITE_ONLY_REASON}); skipped on PostgreSQL")
    if ENGINE != "sqlite":
        # Show every skip's reason: a test not run on this engine is said so in the summary.
        rc = getattr(config.option, "reportchars", "") or ""
        if "s" not in rc and "a" not in rc and "A" not in rc:
            config.option.reportchars = rc + "s"
        if pg_cluster.find_bindir() is None and in_ci():
            raise pytest.UsageError(f"engine postgres, but PostgreSQL is not installed (no initdb/pg_ctl on PATH or in "
                                    f"/usr/lib/postgresql/*/bin): CI is set, and in CI a missing prerequisite is a "
                                    f"failure, not a skip")
        # A SIGTERM (a CI timeout, `kill`) ends the session as Ctrl-C does, so the cluster is stopped too.
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            def _terminated(signum, frame):
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                raise KeyboardInterrupt(f"signal {signum}")
            signal.signal(signal.SIGTERM, _terminated)


def pytest_sessionstart(session):
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    if tr is None:
        return
    if ENGINE == "postgres":
        bindir = pg_cluster.find_bindir()
        where = f"PostgreSQL from {bindir}" if bindir else "PostgreSQL NOT INSTALLED: tests that start a server skip"
        tr.write_line(f"e2e engine: postgres ({where}; one cluster for the session, a database per data directory)")
    else:
        tr.write_line("e2e engine: sqlite (<data-dir>/cairn.sqlite)")


def pytest_collection_modifyitems(config, items):
    if ENGINE == "sqlite":
        return
    for item in items:
        mark = item.get_closest_marker("sqlite_only")
        if mark is not None:
            reason = mark.kwargs.get("reason") or (mark.args[0] if mark.args else SQLITE_ONLY_REASON)
            item.add_marker(pytest.mark.skip(reason=f"SQLite only ({reason}); engine is {ENGINE}"))


class _Postgres:
    """The session's PostgreSQL cluster (started on first use) and the database of every data directory."""

    def __init__(self):
        self.lock = threading.RLock()
        self.cluster: pg_cluster.PgCluster | None = None
        self.failure: str | None = None
        self.databases: dict[str, str] = {}  # realpath of a data directory -> its database
        self.created = 0
        # A database `cairn migrate` brought to this build's schema: new databases are copies of it, so a server
        # starts without running every migration (about 1.3 s of each PostgreSQL start on a loaded 2-core machine).
        self.template: str | None = None

    def _cluster(self) -> pg_cluster.PgCluster:
        if self.cluster is not None:
            return self.cluster
        if self.failure is not None:
            pytest.fail(self.failure, pytrace=False)
        try:
            self.cluster = pg_cluster.PgCluster.start(
                max_connections=int(os.environ.get("CAIRN_TEST_PG_MAX_CONNECTIONS") or
                                    pg_cluster.DEFAULT_MAX_CONNECTIONS))
            url = self.cluster.create_database("cairn_e2e_migrated")
            subprocess.run([str(CAIRN_BIN), "migrate", "--database-url", url], check=True, capture_output=True,
                           text=True, timeout=120)
            self.template = "cairn_e2e_migrated"
        except pg_cluster.PostgresMissing as e:
            skip_or_fail_in_ci(f"engine postgres: {e}")
        except Exception as e:  # noqa: BLE001 - said once, then every later server start fails with the same words
            detail = f"{e}: {e.stderr}" if isinstance(e, subprocess.CalledProcessError) else str(e)
            self.failure = f"engine postgres: could not start the PostgreSQL cluster or migrate its template: {detail}"
            pytest.fail(self.failure, pytrace=False)
        return self.cluster

    def url_for(self, data_dir: Path) -> str:
        """The URL of `data_dir`'s database, created on first use; a data directory copied from a known one (its
        `credentials` file is the same) gets a copy of that one's database, as a copied SQLite file would be."""
        key = os.path.realpath(data_dir)
        with self.lock:
            cluster = self._cluster()
            if key in self.databases:
                return cluster.url(self.databases[key])
            self.created += 1
            name = f"cairn_e2e_{self.created:05d}"
            source = self._copied_from(Path(key))
            if source is not None:
                try:
                    url = cluster.create_database(name, template=source)
                except pg_cluster.ClusterError:  # still in use (a copy of a running server's directory)
                    url = cluster.create_database(name)
            else:
                url = cluster.create_database(name, template=self.template)
            self.databases[key] = name
            return url

    def _copied_from(self, data_dir: Path) -> str | None:
        try:
            mine = (data_dir / "credentials").read_bytes()
        except OSError:
            return None
        for other, database in self.databases.items():
            try:
                if (Path(other) / "credentials").read_bytes() == mine:
                    return database
            except OSError:
                continue
        return None

    def forget(self, data_dir: Path) -> None:
        """Drop the database of a data directory no server will use again (disk and catalog stay small)."""
        key = os.path.realpath(data_dir)
        with self.lock:
            name = self.databases.pop(key, None)
            if name is None or self.cluster is None:
                return
            try:
                self.cluster.drop_database(name)
            except Exception:  # noqa: BLE001 - the cluster goes at the session's end anyway
                pass

    def stop(self) -> None:
        with self.lock:
            cluster, self.cluster = self.cluster, None
            self.databases.clear()
            if cluster is not None:
                cluster.stop()


_POSTGRES = _Postgres()
atexit.register(_POSTGRES.stop)


@pytest.fixture(scope="session", autouse=True)
def _postgres_cluster():
    """Stops the session's PostgreSQL cluster (if one was started) when the session ends, Ctrl-C included."""
    yield
    _POSTGRES.stop()


def database_args(data_dir: Path) -> list[str]:
    """What `cairn serve` needs, besides --data-dir, to use this session's engine for `data_dir`: nothing on SQLite,
    `--database-url URL` (and `--database-pool-size N` when $CAIRN_TEST_DATABASE_POOL_SIZE is set) on PostgreSQL.
    For a test that starts `cairn serve` by itself."""
    if ENGINE == "sqlite":
        return []
    args = ["--database-url", _POSTGRES.url_for(data_dir)]
    if os.environ.get("CAIRN_TEST_DATABASE_POOL_SIZE"):
        args += ["--database-pool-size", os.environ["CAIRN_TEST_DATABASE_POOL_SIZE"]]
    return args


def database_sql(data_dir: Path, sql: str) -> str:
    """Runs `sql` in the PostgreSQL database of the server on `data_dir` (engine postgres only); psql's
    unaligned, tuples-only output. For tests that look at what the store holds, as others read cairn.sqlite."""
    assert ENGINE == "postgres", "database_sql needs the postgres engine"
    url = _POSTGRES.url_for(data_dir)
    return _POSTGRES._cluster().psql(sql, database=url.rsplit("/", 1)[1])


class HTTPResponse:
    """The little of a response the tests read (urllib3 ships with botocore; requests may not)."""

    def __init__(self, r: urllib3.BaseHTTPResponse):
        self.status_code = r.status
        self.headers = r.headers
        self.content = r.data

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


_HTTP = urllib3.PoolManager(retries=False)


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
         timeout: float = 60, chunked: bool = False) -> HTTPResponse:
    """One plain HTTP request, no retries, no redirects. Connection errors raise
    urllib3.exceptions.HTTPError subclasses."""
    r = _HTTP.request(method, url, body=body, headers=headers or {}, redirect=False,
                      timeout=urllib3.Timeout(connect=10, read=timeout), chunked=chunked,
                      preload_content=True)
    return HTTPResponse(r)


def wait_for(predicate, timeout: float = 30, interval: float = 0.2, what: str = "condition"):
    """Polls until `predicate()` returns something truthy, and returns it; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        time.sleep(interval)


def pages_of(call, items: str, per_page: int | None = None, **kw) -> tuple[list, int]:
    """Follows `NextToken` through `call(**kw)` to the end: every page's `items` and how many pages there were. Each
    page has at most `per_page` items when given; more than 50 pages fails (a token that never ends)."""
    seen, token, pages = [], None, 0
    while True:
        page = call(**kw, **({"NextToken": token} if token else {}))
        pages += 1
        got = page.get(items, [])
        assert per_page is None or len(got) <= per_page, (pages, got)
        seen += got
        token = page.get("NextToken")
        if not token:
            return seen, pages
        assert pages < 50, "NextToken never ends"


def in_ci() -> bool:
    """True when the environment variable CI is set (CI runs with CI=true)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def skip_or_fail_in_ci(reason: str) -> None:
    """Skips the test locally when something it needs is missing; in CI a skip would hide a test that never ran,
    so there it fails, loudly."""
    if in_ci():
        pytest.fail(f"{reason}: CI is set, and in CI a missing prerequisite is a failure, not a skip",
                    pytrace=False)
    pytest.skip(reason)


def unique(prefix: str) -> str:
    """A name no other test uses, valid for IAM users and roles."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def trust_policy(*principals: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": list(principals) if len(principals) > 1 else principals[0]},
            "Action": "sts:AssumeRole",
        }],
    })


ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


def grant(iam, *, user: str | None = None, role: str | None = None, group: str | None = None,
          actions: Iterable[str] | str | None = None, resource: str | list[str] = "*") -> None:
    """Give one IAM user, role or group permissions, as an administrator (`iam`, an IAM client) would.

    Authorization is on: an identity a test creates starts with no permissions (only sts:GetCallerIdentity
    needs none). Without `actions`, the AWS managed policy AdministratorAccess is attached; with `actions`, an
    inline policy allowing exactly those actions on `resource` is put instead (each call adds its own).
    """
    kinds = [(k, v) for k, v in (("User", user), ("Role", role), ("Group", group)) if v]
    assert len(kinds) == 1, "grant() takes exactly one of user, role or group"
    kind, name = kinds[0]
    if actions is None:
        getattr(iam, f"attach_{kind.lower()}_policy")(**{f"{kind}Name": name}, PolicyArn=ADMINISTRATOR_ACCESS)
        return
    actions = [actions] if isinstance(actions, str) else list(actions)
    document = json.dumps({"Version": "2012-10-17",
                           "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]})
    getattr(iam, f"put_{kind.lower()}_policy")(**{f"{kind}Name": name}, PolicyName=f"e2e-{uuid.uuid4().hex[:10]}",
                                               PolicyDocument=document)


EVENTS_PRINCIPAL = "events.amazonaws.com"
SNS_PRINCIPAL = "sns.amazonaws.com"


def service_policy(services: Iterable[str] | str, action: str, resource: str, source_arn: str | None = None) -> str:
    """A resource policy allowing the AWS service principal(s) `services` `action` on `resource`, only from
    `source_arn` (an `aws:SourceArn` ArnEquals condition) when one is given."""
    services = [services] if isinstance(services, str) else list(services)
    statement: dict[str, Any] = {"Sid": "e2e-service", "Effect": "Allow",
                                 "Principal": {"Service": services[0] if len(services) == 1 else services},
                                 "Action": action, "Resource": resource}
    if source_arn is not None:
        statement["Condition"] = {"ArnEquals": {"aws:SourceArn": source_arn}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def allow_service_to_queue(sqs, queue_url: str, service: Iterable[str] | str = EVENTS_PRINCIPAL,
                           source_arn: str | None = None) -> str:
    """Set the queue's `Policy` (replacing any) so that `service` (EventBridge by default; `SNS_PRINCIPAL` for a
    topic subscription; a list for both) may sqs:SendMessage to it, as AWS requires before it delivers to a queue;
    with `source_arn` (the rule or topic ARN), only from that source. Returns the queue's ARN."""
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=queue_url,
                             Attributes={"Policy": service_policy(service, "sqs:SendMessage", arn, source_arn)})
    return arn


def new_queue(sqs, prefix: str = "q", allow: Iterable[str] | str | None = None, source_arn: str | None = None,
              **attributes) -> tuple[str, str]:
    """A new queue: (url, arn). Without a policy, unless `allow` names the service principal(s) that may send to it
    (EVENTS_PRINCIPAL for a rule's target or dead-letter queue, SNS_PRINCIPAL for a topic's subscriber), from
    `source_arn` only when given."""
    name = unique(prefix)
    url = sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]
    if allow:
        return url, allow_service_to_queue(sqs, url, allow, source_arn)
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def allow_events_to_topic(sns, topic_arn: str, source_arn: str | None = None) -> None:
    """Set the topic's `Policy` (replacing any) so that EventBridge may sns:Publish to it (only from the rule
    `source_arn`, when given), as AWS requires before a rule's target publishes to a topic."""
    sns.set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy",
                             AttributeValue=service_policy(EVENTS_PRINCIPAL, "sns:Publish", topic_arn, source_arn))


def clean_env(**extra: str) -> dict[str, str]:
    """The process environment without any AWS_* or CAIRN_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and not k.startswith("CAIRN_")}
    env.update(extra)
    return env


class Creds:
    def __init__(self, access_key: str, secret_key: str, token: str | None = None):
        self.access_key = access_key
        self.secret_key = secret_key
        self.token = token

    @classmethod
    def from_access_key(cls, resp: dict) -> "Creds":
        """From an iam.create_access_key or sts.assume_role response."""
        if "AccessKey" in resp:
            k = resp["AccessKey"]
            return cls(k["AccessKeyId"], k["SecretAccessKey"])
        c = resp["Credentials"]
        return cls(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])

    def env(self) -> dict[str, str]:
        env = {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}
        if self.token:
            env["AWS_SESSION_TOKEN"] = self.token
        return env


class CairnServer:
    """One `cairn serve` process."""

    def __init__(self, data_dir: Path, log_dir: Path, extra_args: Iterable[str] = (),
                 env: dict[str, str] | None = None, settings_from_env: bool = False):
        self.settings_from_env = settings_from_env
        self.data_dir = Path(data_dir)
        self.log_dir = Path(log_dir)
        self.extra_args = list(extra_args)
        self.extra_env = dict(env or {})
        self.proc: subprocess.Popen | None = None
        self.endpoint = ""
        self.port = 0
        self.starts = 0
        self.stdout_path = self.stderr_path = None
        self.database_url = ""  # on PostgreSQL, the database this data directory's servers use

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT) -> "CairnServer":
        assert self.proc is None, "already running"
        if not CAIRN_BIN.exists():
            pytest.fail(f"cairn binary not found at {CAIRN_BIN} (build it or set CAIRN_BIN)")
        self.starts += 1
        self.stdout_path = self.log_dir / f"stdout.{self.starts}.log"
        self.stderr_path = self.log_dir / f"stderr.{self.starts}.log"
        env = clean_env(**self.extra_env)
        if os.geteuid() == 0:
            # As root, Cairn runs local Batch jobs only as an unprivileged user (ignored by servers without the runner).
            env.setdefault("CAIRN_BATCH_RUN_AS", "nobody")
        # The session's engine, unless the test chose a database itself.
        chosen = "CAIRN_DATABASE_URL" in self.extra_env or any(
            a == "--database-url" or a.startswith("--database-url=") for a in self.extra_args)
        engine_args = [] if chosen else database_args(self.data_dir)
        if engine_args:
            self.database_url = engine_args[1]
        if self.settings_from_env:
            # The same settings through CAIRN_* variables instead of flags (the database URL too).
            for flag, value in zip(engine_args[::2], engine_args[1::2]):
                env["CAIRN_" + flag[2:].replace("-", "_").upper()] = value  # --database-url: CAIRN_DATABASE_URL
            cmd = [str(CAIRN_BIN), "serve", *self.extra_args]
            env.update(CAIRN_HOST="127.0.0.1", CAIRN_PORT="0", CAIRN_DATA_DIR=str(self.data_dir))
        else:
            cmd = [str(CAIRN_BIN), "serve", "--host", "127.0.0.1", "--port", "0",
                   "--data-dir", str(self.data_dir), *engine_args, *self.extra_args]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         env=env, cwd=str(self.log_dir))
        if self not in _RUNNING:
            _RUNNING.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = LISTENING.search(self.stdout_path.read_text(errors="replace"))
            if m:
                self.endpoint, self.port = m.group(1), int(m.group(2))
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"cairn exited with {self.proc.returncode} before listening:\n"
                                   + self.logs())
            time.sleep(0.02)
        self.kill9()
        raise RuntimeError(f"cairn did not print its listening line within {timeout}s:\n"
                           + self.logs())

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int | None:
        """Signal our own process, wait, then SIGKILL. Returns the exit code."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        self.proc = None
        return proc.returncode

    def kill9(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(STOP_TIMEOUT)
        self.proc = None

    def restart(self) -> "CairnServer":
        self.stop()
        return self.start()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def status(self) -> str:
        if self.proc is None:
            return "stopped by the test harness"
        code = self.proc.poll()
        if code is None:
            return f"running (pid {self.proc.pid})"
        if code < 0:
            return f"DIED from signal {-code} ({signal.Signals(-code).name})"
        return f"EXITED with code {code}"

    def logs(self) -> str:
        parts = [f"--- process: {self.status()} ---"]
        if self.database_url:
            parts.append(f"--- database: {self.database_url} ---")
        for p in (self.stdout_path, self.stderr_path):
            if p and p.exists():
                text = p.read_text(errors="replace")
                parts.append(f"--- {p.name} ---\n{text[-6000:]}")
        return "\n".join(parts)

    # -- files written by the server ---------------------------------------------------------

    @property
    def credentials_path(self) -> Path:
        return self.data_dir / "credentials"

    @property
    def config_path(self) -> Path:
        return self.data_dir / "config"

    @property
    def admin(self) -> Creds:
        cp = configparser.ConfigParser()
        cp.read(self.credentials_path)
        sec = cp["default"]
        return Creds(sec["aws_access_key_id"], sec["aws_secret_access_key"])

    def user_env(self, **extra: str) -> dict[str, str]:
        """What a user exports, per the server's banner: nothing else from AWS_*."""
        env = clean_env(AWS_SHARED_CREDENTIALS_FILE=str(self.credentials_path),
                        AWS_CONFIG_FILE=str(self.config_path),
                        AWS_ENDPOINT_URL=self.endpoint)
        env.update(extra)
        return env

    # -- clients -----------------------------------------------------------------------------

    def session(self, creds: Creds | None = None, region: str = "us-east-1") -> boto3.Session:
        creds = creds or self.admin
        return boto3.Session(aws_access_key_id=creds.access_key,
                             aws_secret_access_key=creds.secret_key,
                             aws_session_token=creds.token, region_name=region)

    def client(self, service: str, creds: Creds | None = None, region: str = "us-east-1"):
        return self.session(creds, region).client(service, endpoint_url=self.endpoint,
                                                  config=NO_RETRY)

    def aws(self, *args: str, creds: Creds | None = None, check: bool = True,
            env: dict[str, str] | None = None, timeout: float = 60):
        """Run the aws CLI as a user would: only the env the server's banner tells to set.

        With `creds`, those keys come from AWS_ACCESS_KEY_ID/... instead of the file.
        Returns the parsed JSON output (or None for empty output) when check=True, else the
        CompletedProcess.
        """
        e = self.user_env(**(env or {}))
        if creds:
            e.update(creds.env())
        cp = subprocess.run(["aws", *args, "--output", "json"], env=e, capture_output=True,
                            text=True, timeout=timeout)
        if not check:
            return cp
        assert cp.returncode == 0, f"aws {' '.join(args)} failed ({cp.returncode}):\n{cp.stderr}"
        return json.loads(cp.stdout) if cp.stdout.strip() else None

    def cairn(self, *args: str, env: dict[str, str] | None = None, user_env: bool = True,
              timeout: float = 60) -> subprocess.CompletedProcess:
        """Run the cairn CLI (same binary), e.g. `events lookup ...`."""
        e = self.user_env(**(env or {})) if user_env else clean_env(**(env or {}))
        return subprocess.run([str(CAIRN_BIN), *args], env=e, capture_output=True, text=True,
                              timeout=timeout, cwd=str(self.log_dir))

    def health(self, timeout: float = 10) -> dict:
        r = http("GET", self.endpoint + "/_cairn/health", timeout=timeout)
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()

    def assert_healthy(self) -> None:
        assert self.alive, "cairn process died:\n" + self.logs()
        body = self.health()
        assert body["status"] == "ok", body
        # And a real signed call still works.
        assert self.client("sts").get_caller_identity()["Account"]

    # -- raw signed requests -----------------------------------------------------------------

    def signed_request(self, service: str, body: bytes | str, headers: dict[str, str],
                       creds: Creds | None = None, region: str = "us-east-1",
                       at: dt.datetime | None = None, method: str = "POST", path: str = "/",
                       timeout: float = 60) -> HTTPResponse:
        """Sign with botocore's SigV4Auth (optionally as if the clock said `at`) and send."""
        creds = creds or self.admin
        if isinstance(body, str):
            body = body.encode()
        req = AWSRequest(method=method, url=self.endpoint + path, data=body, headers=headers)
        signer = SigV4Auth(Credentials(creds.access_key, creds.secret_key, creds.token),
                           service, region)
        with clock_at(at):
            signer.add_auth(req)
        prepared = req.prepare()
        return http(method, prepared.url, body=body, headers=dict(prepared.headers),
                    timeout=timeout)

    def query_request(self, service: str, params: dict[str, str], **kw) -> HTTPResponse:
        """A query-protocol (IAM/STS) request, signed."""
        from urllib.parse import urlencode
        return self.signed_request(
            service, urlencode(params),
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, **kw)

    def cloudtrail_request(self, operation: str, body: bytes | str | dict, **kw) -> HTTPResponse:
        if isinstance(body, dict):
            body = json.dumps(body)
        return self.signed_request(
            "cloudtrail", body,
            {"Content-Type": "application/x-amz-json-1.1",
             "X-Amz-Target": f"{CLOUDTRAIL_TARGET}.{operation}"}, **kw)

    # -- event history -----------------------------------------------------------------------

    def lookup(self, key: str | None = None, value: str | None = None, creds: Creds | None = None,
               **kwargs: Any) -> list[dict]:
        """All events (every page) matching one lookup attribute, newest first, with the
        CloudTrailEvent JSON parsed into `Record`."""
        ct = self.client("cloudtrail", creds)
        if key is not None:
            kwargs["LookupAttributes"] = [{"AttributeKey": key, "AttributeValue": value}]
        events: list[dict] = []
        token = None
        for _ in range(10_000):
            args = dict(kwargs)
            if token:
                args["NextToken"] = token
            page = ct.lookup_events(**args)
            events.extend(page["Events"])
            token = page.get("NextToken")
            if not token:
                break
        for e in events:
            e["Record"] = json.loads(e["CloudTrailEvent"])
        return events

    def record_for(self, response: dict, event_name: str, **lookup: Any) -> dict:
        """The one LookupEvents event whose record has the requestID of this boto3 response
        (or of a ClientError's response)."""
        request_id = response["ResponseMetadata"]["RequestId"]
        assert request_id, response
        events = [e for e in self.lookup("EventName", event_name, **lookup)
                  if e["Record"].get("requestID") == request_id]
        assert len(events) == 1, (
            f"expected exactly one {event_name} record with requestID {request_id}, "
            f"found {len(events)}")
        return events[0]

    def all_request_ids(self) -> set[str]:
        return {e["Record"].get("requestID") for e in self.lookup()}


@contextlib.contextmanager
def clock_at(at: dt.datetime | None):
    """Make botocore sign as if the current time were `at` (a UTC datetime)."""
    if at is None:
        yield
        return
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda: at):
        yield


@contextlib.contextmanager
def clock_shifted(seconds: float):
    """Make botocore sign as if the clock ran `seconds` ahead (time keeps flowing)."""
    delta = dt.timedelta(seconds=seconds)
    real = botocore.auth.get_current_datetime
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda: real() + delta):
        yield


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class ServerFactory:
    def __init__(self, base: Path):
        self.base = base
        self.servers: list[CairnServer] = []

    def new(self, *extra_args: str, data_dir: Path | None = None,
            env: dict[str, str] | None = None, start: bool = True,
            settings_from_env: bool = False) -> CairnServer:
        n = len(self.servers)
        log_dir = self.base / f"server{n}"
        log_dir.mkdir(parents=True, exist_ok=True)
        data_dir = data_dir or (log_dir / "data")
        srv = CairnServer(data_dir, log_dir, extra_args, env, settings_from_env)
        self.servers.append(srv)
        return srv.start() if start else srv

    def close(self) -> None:
        for srv in self.servers:
            srv.stop()
            if srv in _RUNNING:
                _RUNNING.remove(srv)
        # On PostgreSQL, the databases of the data directories this factory made (they go with it) are dropped.
        for srv in self.servers:
            if srv.database_url and srv.data_dir.resolve().is_relative_to(self.base.resolve()):
                _POSTGRES.forget(srv.data_dir)


@contextlib.contextmanager
def _factory(prefix: str):
    base = Path(tempfile.mkdtemp(prefix=prefix))
    f = ServerFactory(base)
    try:
        yield f
    finally:
        f.close()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def cairn_factory():
    """Start as many isolated servers as the test wants; all stopped at the end."""
    with _factory("cairn-e2e-fn-") as f:
        yield f


@pytest.fixture(scope="module")
def server():
    """One fresh server shared by the tests of a module (they use unique names)."""
    with _factory("cairn-e2e-mod-") as f:
        yield f.new()


@pytest.fixture(scope="session")
def aws_cli():
    path = shutil.which("aws")
    if not path:
        skip_or_fail_in_ci("aws CLI not installed")
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for srv in list(_RUNNING):
            rep.sections.append((f"cairn log ({srv.data_dir})", srv.logs()))


@pytest.fixture(scope="session")
def clock_shim(tmp_path_factory):
    """Build support/clockshift.c, an LD_PRELOAD library that moves a server's wall clock.

    Returns the path of the built library. Skips when no C compiler is installed or the build fails; in CI
    (CI set) that fails instead, so the expired-token and retention tests can never be dropped silently.
    """
    cc = shutil.which("cc") or shutil.which("clang") or shutil.which("gcc")
    if not cc:
        skip_or_fail_in_ci("no C compiler (cc, clang or gcc) to build the clock shim")
    out = tmp_path_factory.mktemp("clockshift") / "clockshift.so"
    src = Path(__file__).parent / "support" / "clockshift.c"
    cp = subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", str(out), str(src), "-ldl"],
                        capture_output=True, text=True)
    if cp.returncode != 0:
        skip_or_fail_in_ci(f"could not build the clock shim: {cp.stderr[-500:]}")
    return out


class ShiftedClock:
    """A server clock `seconds` ahead of the real one (set at any time, read on every call)."""

    def __init__(self, shim: Path, path: Path):
        self.shim = shim
        self.path = path
        self.set(0)

    def set(self, seconds: int) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{int(seconds)}\n")
        os.replace(tmp, self.path)

    def env(self) -> dict[str, str]:
        return {"LD_PRELOAD": str(self.shim), "CAIRN_E2E_CLOCK_FILE": str(self.path)}


class HTTPEndpoint:
    """An HTTP endpoint on 127.0.0.1 that answers with the statuses it is given, then 200."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                outer.requests.append((self.path, dict(self.headers), body))
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, n, timeout=15.0):
        deadline = time.monotonic() + timeout
        while len(self.requests) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.requests) >= n, f"expected {n} requests, got {len(self.requests)}"
        return self.requests

    def close(self):
        self.server.shutdown()
