"""Hardening (issue 12), end to end, as a user or an attacker meets it: owner-only files, sealed secrets, one account
per data directory, no keys minted by role sessions, no unverified credentials from URLs or browser-sendable bodies,
every signed byte checked (payload hashes, SigV2's bucket, `Expires`, future dates, `+`, duplicate parameters),
no DTDs, no outbound requests to link-local/metadata or denied ranges, no redirects, connection secrets kept out of
answers and records, and an unsigned SubscribeURL that records only a real confirmation.

No test connects anywhere but 127.0.0.1: link-local and denied endpoints are only ever created (and refused), never
called."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import socket
import stat
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.parsers import create_parser

from conftest import (NO_RETRY, CairnServer, Creds, HTTPResponse, ServerFactory, allow_service_to_queue, clock_at, grant,
                      http, sqlite_only, trust_policy, unique, utcnow, wait_for)

ACCOUNT = "000000000000"
OTHER_ACCOUNT = "111111111111"
REGION = "us-east-1"
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
S3_ROLE = f"arn:aws:iam::{ACCOUNT}:role/batch-operations"
BATCH_STATUSES = ["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"]
# Anything --accept-any-credentials takes as the account's root without checking a signature.
ANY = Creds("test", "test")


# -- servers --------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def factory(tmp_path_factory):
    f = ServerFactory(tmp_path_factory.mktemp("hardening"))
    yield f
    f.close()


@pytest.fixture(scope="module")
def anyserver(factory):
    """A server started with --accept-any-credentials (unknown keys are the account's root, unverified)."""
    return factory.new("--accept-any-credentials")


@pytest.fixture(scope="module")
def outbound(factory):
    """A server whose deliveries retry fast and that also denies 127.0.0.2/32."""
    return factory.new("--delivery-retry-base-ms", "50", "--http-target-deny", "127.0.0.2/32")


@pytest.fixture(scope="module")
def s3(server):
    return server.client("s3")


# -- helpers --------------------------------------------------------------------------------------------------------

def wire_error(resp: HTTPResponse, protocol: str) -> tuple[int, str, str]:
    """(status, code, message) of an error response, parsed by botocore's parser for `protocol`
    ('json', 'rest-json', 'query', 'rest-xml')."""
    parsed = create_parser(protocol).parse(
        {"status_code": resp.status_code, "headers": resp.headers, "body": resp.content}, None)
    err = parsed.get("Error", {})
    return resp.status_code, err.get("Code", ""), err.get("Message", "")


def client_error(call, *args, **kwargs) -> tuple[int, str, str, dict]:
    """(status, code, message, response) of a boto3 call that must fail."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    r = info.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"].get("Message", ""), r


def sign(srv: CairnServer, service: str, method: str, url: str, body: bytes = b"", headers: dict | None = None,
         creds: Creds | None = None, at: dt.datetime | None = None) -> dict[str, str]:
    """The headers botocore's SigV4Auth gives a request (with `x-amz-content-sha256` as set in `headers`, which
    botocore then signs as the payload hash)."""
    creds = creds or srv.admin
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    with clock_at(at):
        SigV4Auth(Credentials(creds.access_key, creds.secret_key, creds.token), service, REGION).add_auth(req)
    return dict(req.prepare().headers)


def s3_signed(srv: CairnServer, method: str, path: str, body: bytes = b"", headers: dict | None = None,
              send_path: str | None = None, creds: Creds | None = None) -> HTTPResponse:
    """An S3 request signed as botocore signs it (x-amz-content-sha256 = the body's hash unless given), sent to
    `send_path` (default: the path signed)."""
    headers = dict(headers or {})
    if not any(k.lower() == "x-amz-content-sha256" for k in headers):
        headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
    signed = sign(srv, "s3", method, srv.endpoint + path, body, headers, creds)
    return http(method, srv.endpoint + (send_path or path), body=body, headers=signed)


def s3control(srv: CairnServer, creds: Creds | None = None):
    """boto3's s3control client, reaching the server in proxy mode (it calls http://<account>.127.0.0.1:port)."""
    cfg = NO_RETRY.merge(Config(proxies={"http": srv.endpoint}))
    return srv.session(creds).client("s3control", endpoint_url=srv.endpoint, config=cfg)


@contextlib.contextmanager
def body_swapped_after_signing(client, operation: str, old: bytes, new: bytes):
    """While active, `client`'s `operation` requests are signed over their real body, then sent with `old` replaced
    by `new` (same length, so Content-Length and every signed header stay as signed)."""
    assert len(old) == len(new) and old != new
    swapped: list[bytes] = []

    def swap(request, **_):
        body = request.body if isinstance(request.body, bytes) else request.body.encode()
        assert old in body, body[:500]
        request.body = body.replace(old, new, 1)
        swapped.append(request.body)

    event = f"before-send.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    handler_id = f"swap-{uuid.uuid4().hex}"
    client.meta.events.register(event, swap, unique_id=handler_id)
    try:
        yield swapped
    finally:
        client.meta.events.unregister(event, unique_id=handler_id)


def new_bucket(s3, prefix: str = "hard") -> str:
    name = unique(prefix).lower()
    s3.create_bucket(Bucket=name)
    return name


def tags_of(s3, bucket: str, key: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}


def exists(s3, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as e:
        assert e.response["Error"]["Code"] == "404", e.response
        return False


def xml_tagging(tags: dict[str, str]) -> bytes:
    inner = "".join(f"<Tag><Key>{k}</Key><Value>{v}</Value></Tag>" for k, v in tags.items())
    return f'<?xml version="1.0" encoding="UTF-8"?><Tagging><TagSet>{inner}</TagSet></Tagging>'.encode()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def records(srv: CairnServer, event_name: str) -> list[dict]:
    return [e["Record"] for e in srv.lookup("EventName", event_name)]


def file_mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def loose_entries(root: Path) -> list[str]:
    """Every directory not 0700 and every file not 0600 under `root` (itself included)."""
    bad = []
    for p in [root, *root.rglob("*")]:
        if p.is_symlink():
            continue
        want = 0o700 if p.is_dir() else 0o600
        if file_mode(p) != want:
            bad.append(f"{p.relative_to(root.parent)} {oct(file_mode(p))}")
    return bad


def start_fails(srv: CairnServer) -> tuple[int, str]:
    """Starts a server that must refuse to start; returns its exit code and its output."""
    with pytest.raises(RuntimeError):
        srv.start(timeout=120)
    assert srv.proc is not None, "the server neither listened nor exited within 120s:\n" + srv.logs()
    code = srv.proc.wait(30)
    out = srv.stdout_path.read_text(errors="replace") + srv.stderr_path.read_text(errors="replace")
    srv.proc = None
    return code, out


class Receiver:
    """An HTTP server on 127.0.0.1 that records every request and answers `status` (with `headers`)."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None):
        self.requests: list[tuple[str, str, dict, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def handle_any(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0) or 0))
                outer.requests.append((self.command, self.path, dict(self.headers), body))
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, n: int, timeout: float = 30.0) -> list:
        wait_for(lambda: len(self.requests) >= n, timeout=timeout, interval=0.05,
                 what=f"{n} requests at {self.url} (got {len(self.requests)})")
        return self.requests

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def new_queue(srv: CairnServer) -> tuple[str, str]:
    """A queue a rule's target may dead-letter to (its policy lets EventBridge send to it): (url, arn)."""
    sqs = srv.client("sqs")
    name = unique("q")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    allow_service_to_queue(sqs, url)
    return url, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def receive_one(srv: CairnServer, url: str, timeout: float = 30.0) -> dict:
    sqs = srv.client("sqs")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1,
                                  MessageAttributeNames=["All"], AttributeNames=["All"]).get("Messages", [])
        if got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
            return got[0]
    raise AssertionError(f"no message in {url} within {timeout}s")


def message_counts(srv: CairnServer, url: str) -> int:
    attrs = srv.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return sum(int(attrs[a]) for a in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                                       "ApproximateNumberOfMessagesDelayed"))


def batch_setup(batch) -> tuple[str, str]:
    """A compute environment, a job queue on it and a job definition: (queue, definition)."""
    ce = unique("ce")
    batch.create_compute_environment(computeEnvironmentName=ce, type="MANAGED", state="ENABLED",
                                     computeResources={"type": "FARGATE", "maxvCpus": 4, "subnets": ["subnet-0abc"]})
    q = unique("jq")
    batch.create_job_queue(jobQueueName=q, state="ENABLED", priority=1,
                           computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}])
    d = unique("jd")
    batch.register_job_definition(jobDefinitionName=d, type="container", containerProperties={
        "image": "busybox", "command": ["sh", "-c", "echo hello"],
        "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "512"}]})
    return q, d


def jobs_in(batch, queue: str) -> list[str]:
    """The names of the queue's jobs, whatever their status (jobs without the local runner stop at RUNNABLE, so one
    moving on while the statuses are listed is seen at least once; a set, as it may be seen twice)."""
    return sorted({j["jobName"] for s in BATCH_STATUSES
                   for j in batch.list_jobs(jobQueue=queue, jobStatus=s)["jobSummaryList"]})


# -- 1. secrets at rest: file modes ---------------------------------------------------------------------------------

@sqlite_only(reason="checks the modes of cairn.sqlite and its -wal/-shm files")
def test_data_dir_is_0700_and_every_file_cairn_writes_in_it_is_0600(cairn_factory):
    srv = cairn_factory.new("--batch-runner", "local")
    iam, s3 = srv.client("iam"), srv.client("s3")
    user = unique("perm")
    iam.create_user(UserName=user)
    iam.create_access_key(UserName=user)
    bucket = new_bucket(s3)
    for i in range(3):
        s3.put_object(Bucket=bucket, Key=f"obj/{i}", Body=os.urandom(1000 + i))
    srv.client("sqs").create_queue(QueueName=unique("q"))
    batch = srv.client("batch")
    queue, definition = batch_setup(batch)
    job = batch.submit_job(jobName=unique("job"), jobQueue=queue, jobDefinition=definition)["jobId"]
    wait_for(lambda: batch.describe_jobs(jobs=[job])["jobs"][0]["status"] in ("SUCCEEDED", "FAILED"), timeout=60,
             what="the job to finish")

    data = srv.data_dir
    assert file_mode(data) == 0o700
    for name in ("cairn.sqlite", "cairn.sqlite-wal", "cairn.sqlite-shm", "credentials", "config", "master.key"):
        assert (data / name).exists(), name
        assert file_mode(data / name) == 0o600, (name, oct(file_mode(data / name)))
    blobs = [p for p in (data / "objects").rglob("*") if p.is_file()]
    assert len(blobs) >= 3, blobs
    assert all(file_mode(p) == 0o600 for p in blobs), [(str(p), oct(file_mode(p))) for p in blobs]
    # Nothing anywhere in the directory (job logs included) is open to group or others.
    assert loose_entries(data) == []


@sqlite_only(reason="loosens and checks the mode of cairn.sqlite")
def test_loose_data_dir_from_an_earlier_version_is_tightened_at_start_and_logged(cairn_factory):
    srv = cairn_factory.new()
    admin = srv.admin
    srv.client("iam").create_user(UserName=unique("u"))
    srv.stop()
    data = srv.data_dir
    os.chmod(data, 0o755)
    for name in ("cairn.sqlite", "credentials", "config"):
        os.chmod(data / name, 0o644)
    srv.start()
    assert file_mode(data) == 0o700
    for name in ("cairn.sqlite", "credentials", "config"):
        assert file_mode(data / name) == 0o600, (name, oct(file_mode(data / name)))
    assert loose_entries(data) == []
    log = srv.stdout_path.read_text(errors="replace") + srv.stderr_path.read_text(errors="replace")
    assert "tightened permissions" in log, log
    assert srv.admin.secret_key == admin.secret_key
    srv.assert_healthy()


# -- 2. secrets at rest: sealed -------------------------------------------------------------------------------------

@sqlite_only(reason="reads cairn.sqlite and its WAL file")
def test_access_key_secrets_and_session_tokens_are_not_in_the_database_files(cairn_factory):
    srv = cairn_factory.new()
    iam, sts = srv.client("iam"), srv.client("sts")
    admin = srv.admin
    user = unique("sealed")
    iam.create_user(UserName=user)
    key = Creds.from_access_key(iam.create_access_key(UserName=user))
    # The user's key works: the server can still read the secret it sealed.
    assert srv.client("sts", key).get_caller_identity()["Arn"].endswith(f":user/{user}")
    me = sts.get_caller_identity()["Arn"]
    role = unique("sealed-role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust_policy(me))
    session = Creds.from_access_key(sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}",
                                                    RoleSessionName="sealed"))
    assert srv.client("sts", session).get_caller_identity()["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/")
    secrets = {"admin secret": admin.secret_key, "user secret": key.secret_key,
               "session secret": session.secret_key, "session token": session.token}

    def leaks() -> list[str]:
        found = []
        for p in srv.data_dir.rglob("*"):
            if p.is_file() and p.name != "credentials":
                raw = p.read_bytes()
                found += [f"{what} in {p.name}" for what, s in secrets.items() if s.encode() in raw]
        return found

    # While running (WAL mode: recent writes are in cairn.sqlite-wal) ...
    assert (srv.data_dir / "cairn.sqlite-wal").exists()
    assert leaks() == []
    # ... and after a clean stop (checkpointed into cairn.sqlite).
    srv.stop()
    assert leaks() == []
    srv.start()
    assert srv.client("sts", key).get_caller_identity()["Arn"].endswith(f":user/{user}")


def test_data_dir_copied_without_master_key_refuses_to_start_naming_master_key(cairn_factory, tmp_path):
    srv = cairn_factory.new()
    user = unique("copied")
    srv.client("iam").create_user(UserName=user)
    key = Creds.from_access_key(srv.client("iam").create_access_key(UserName=user))
    srv.stop()
    copy = tmp_path / "copy"
    shutil.copytree(srv.data_dir, copy)
    (copy / "master.key").unlink()
    thief = cairn_factory.new(data_dir=copy, start=False)
    code, out = start_fails(thief)
    assert code > 0, f"exit code {code} (a negative code is a signal: a crash, not a refusal):\n{out[:3000]}"
    assert "master.key" in out and "does not open the secrets" in out, out
    # The original, with its key file, still starts and its keys still work.
    srv.start()
    assert srv.client("sts", key).get_caller_identity()["Arn"].endswith(f":user/{user}")


# -- 3. one account per data directory ------------------------------------------------------------------------------

def test_other_account_id_on_existing_data_dir_refuses_to_start(cairn_factory):
    srv = cairn_factory.new()
    admin = srv.admin
    srv.stop()
    other = cairn_factory.new("--account-id", OTHER_ACCOUNT, data_dir=srv.data_dir, start=False)
    code, out = start_fails(other)
    assert code > 0, f"exit code {code} (a negative code is a signal: a crash, not a refusal):\n{out[:3000]}"
    assert f"belongs to account {ACCOUNT}" in out, out
    # Nothing of the other account was written: the same data directory starts as before, with the same keys.
    srv.start()
    assert srv.admin.access_key == admin.access_key
    assert srv.client("sts").get_caller_identity()["Account"] == ACCOUNT


# -- 4. keys role sessions may not mint; root keys ------------------------------------------------------------------

def test_create_access_key_with_role_session_credentials_needs_user_name(anyserver):
    srv = anyserver
    iam, sts = srv.client("iam"), srv.client("sts")
    role = unique("minter")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust_policy(sts.get_caller_identity()["Arn"]))
    # Even a session allowed everything: the refusal is about whose key it would be, not about permissions.
    grant(iam, role=role)
    session = Creds.from_access_key(sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}",
                                                    RoleSessionName="minter"))
    status, code, message, resp = client_error(srv.client("iam", session).create_access_key)
    assert (status, code) == (400, "ValidationError"), resp
    assert message == "Must specify userName when calling with non-User credentials"
    status, code, message, _ = client_error(srv.client("iam", session).list_access_keys)
    assert (status, code) == (400, "ValidationError")
    # No root key was minted: the account's root (any unknown key on this server) lists none.
    assert srv.client("iam", ANY).list_access_keys()["AccessKeyMetadata"] == []
    record = srv.record_for(resp, "CreateAccessKey")["Record"]
    assert record["errorCode"] == "ValidationError"
    assert "responseElements" not in record or not record["responseElements"]


def test_root_access_keys_are_listed_by_root_and_can_be_deleted(anyserver):
    srv = anyserver
    root = srv.client("iam", ANY)
    assert root.list_access_keys()["AccessKeyMetadata"] == []
    created = root.create_access_key()["AccessKey"]
    assert "UserName" not in created or not created["UserName"]
    key = Creds(created["AccessKeyId"], created["SecretAccessKey"])
    assert srv.client("sts", key).get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    listed = root.list_access_keys()["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key.access_key]
    assert "UserName" not in listed[0]
    assert listed[0]["Status"] == "Active"
    # The root key lists itself too, and is verified (a known key with a wrong secret is refused).
    assert [k["AccessKeyId"] for k in srv.client("iam", key).list_access_keys()["AccessKeyMetadata"]] == [key.access_key]
    status, code, _, _ = client_error(srv.client("sts", Creds(key.access_key, "wrong" * 8)).get_caller_identity)
    assert (status, code) == (403, "SignatureDoesNotMatch")
    root.delete_access_key(AccessKeyId=key.access_key)
    assert root.list_access_keys()["AccessKeyMetadata"] == []


# -- 5. --accept-any-credentials: never from URLs or browser-sendable bodies; no CORS -------------------------------

def test_any_credentials_are_never_taken_from_the_query_string_of_a_batch_request(anyserver):
    srv = anyserver
    batch = srv.client("batch", ANY)
    queue, definition = batch_setup(batch)
    name = unique("evil")
    body = json.dumps({"jobName": name, "jobQueue": queue, "jobDefinition": definition,
                       "containerOverrides": {"command": ["sh", "-c", "touch /tmp/pwned"]}})
    amz_date = utcnow().strftime("%Y%m%dT%H%M%SZ")
    query = urllib.parse.urlencode({
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": f"x/{amz_date[:8]}/{REGION}/batch/aws4_request",
        "X-Amz-Date": amz_date, "X-Amz-Expires": "300", "X-Amz-SignedHeaders": "host", "X-Amz-Signature": "00"})
    for content_type in ("text/plain", "text/plain;charset=UTF-8", "application/json"):
        r = http("POST", f"{srv.endpoint}/v1/submitjob?{query}", body=body, headers={"Content-Type": content_type})
        assert wire_error(r, "rest-json")[:2] == (403, "AccessDeniedException"), (content_type, r.status_code, r.text)
    # No job, and no SubmitJob record (the records of calls made after the refusals are there).
    assert name not in jobs_in(batch, queue)
    marker = srv.client("iam", ANY).list_users()
    srv.record_for(marker, "ListUsers")
    assert [r for r in records(srv, "SubmitJob") if name in json.dumps(r)] == []


def test_any_credentials_are_never_taken_from_an_s3_presigned_url(anyserver):
    srv = anyserver
    s3 = srv.client("s3", ANY)
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="private", Body=b"private data")
    v4 = srv.session(ANY).client("s3", endpoint_url=srv.endpoint, config=NO_RETRY.merge(Config(signature_version="s3v4")))
    v2 = srv.session(ANY).client("s3", endpoint_url=srv.endpoint, config=NO_RETRY.merge(Config(signature_version="s3")))
    for client in (v4, v2):
        url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "private"}, ExpiresIn=300)
        r = http("GET", url)
        assert wire_error(r, "rest-xml")[:2] == (403, "AccessDenied"), (url, r.text)
        assert b"private data" not in r.content
        put = client.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "planted"}, ExpiresIn=300)
        r = http("PUT", put, body=b"planted")
        assert wire_error(r, "rest-xml")[:2] == (403, "AccessDenied"), (put, r.text)
    assert not exists(s3, bucket, "planted")


def test_any_credentials_refuse_bodies_a_browser_can_send_cross_origin(anyserver):
    srv = anyserver
    batch = srv.client("batch", ANY)
    queue, definition = batch_setup(batch)
    url = srv.endpoint + "/v1/submitjob"
    refused = []
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None):
        name = unique("evil")
        body = json.dumps({"jobName": name, "jobQueue": queue, "jobDefinition": definition}).encode()
        headers = {"Content-Type": content_type} if content_type else {}
        r = http("POST", url, body=body, headers=sign(srv, "batch", "POST", url, body, headers, ANY))
        assert wire_error(r, "rest-json")[:2] == (403, "AccessDeniedException"), (content_type, r.status_code, r.text)
        refused.append(name)
    # The same request as an SDK sends it (application/json) is taken, as --accept-any-credentials promises.
    good = unique("good")
    body = json.dumps({"jobName": good, "jobQueue": queue, "jobDefinition": definition}).encode()
    headers = {"Content-Type": "application/json"}
    r = http("POST", url, body=body, headers=sign(srv, "batch", "POST", url, body, headers, ANY))
    assert r.status_code == 200, r.text
    assert jobs_in(batch, queue) == [good]
    submitted = [json.dumps(r) for r in records(srv, "SubmitJob")]
    assert any(good in s for s in submitted)
    assert not any(name in s for s in submitted for name in refused)
    # A JSON-protocol service likewise: text/plain refused, its own type taken.
    sqs_url = srv.client("sqs", ANY).create_queue(QueueName=unique("q"))["QueueUrl"]
    body = json.dumps({"QueueUrl": sqs_url, "MessageBody": "from a web page"}).encode()
    for content_type in ("text/plain", "application/x-amz-json-1.0"):
        headers = {"Content-Type": content_type, "X-Amz-Target": "AmazonSQS.SendMessage"}
        r = http("POST", srv.endpoint + "/", body=body,
                 headers=sign(srv, "sqs", "POST", srv.endpoint + "/", body, headers, ANY))
        if content_type == "text/plain":
            assert wire_error(r, "json")[:2] == (403, "AccessDeniedException"), r.text
            assert message_counts(srv, sqs_url) == 0
        else:
            assert r.status_code == 200, r.text
            assert message_counts(srv, sqs_url) == 1


def test_no_cors_preflight_is_answered(anyserver):
    srv = anyserver
    for path in ("/", "/v1/submitjob", "/some-bucket/key"):
        r = http("OPTIONS", srv.endpoint + path, headers={
            "Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-amz-date,x-amz-target"})
        allow = {k.lower(): v for k, v in r.headers.items() if k.lower().startswith("access-control-")}
        assert allow == {}, (path, r.status_code, dict(r.headers))
        assert r.status_code >= 400, (path, r.status_code, r.text)
    # Nor does an ordinary answer carry CORS headers.
    url = srv.endpoint + "/v1/listjobs"
    body = b'{"jobQueue":"none"}'
    headers = {"Content-Type": "application/json", "Origin": "http://evil.example"}
    r = http("POST", url, body=body, headers=sign(srv, "batch", "POST", url, body, headers, ANY))
    assert not [k for k in r.headers if k.lower().startswith("access-control-")], dict(r.headers)


# -- 6. every signed byte checked -----------------------------------------------------------------------------------

def test_json_and_query_requests_signed_with_unsigned_payload_are_refused(server):
    url = server.client("sqs").create_queue(QueueName=unique("q"))["QueueUrl"]
    body = json.dumps({"QueueUrl": url, "MessageBody": "unsigned"}).encode()
    base = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.SendMessage"}
    r = http("POST", server.endpoint + "/", body=body, headers=sign(
        server, "sqs", "POST", server.endpoint + "/", body, {**base, "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}))
    assert wire_error(r, "json")[:2] == (400, "InvalidSignatureException"), r.text
    assert message_counts(server, url) == 0
    # Signed over its real hash, the same request goes through.
    r = http("POST", server.endpoint + "/", body=body, headers=sign(
        server, "sqs", "POST", server.endpoint + "/", body, {**base, "X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()}))
    assert r.status_code == 200, r.text
    assert message_counts(server, url) == 1
    # The query protocol (IAM) too.
    user = unique("unsigned")
    body = urllib.parse.urlencode({"Action": "CreateUser", "Version": "2010-05-08", "UserName": user}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    r = http("POST", server.endpoint + "/", body=body,
             headers=sign(server, "iam", "POST", server.endpoint + "/", body, headers))
    assert wire_error(r, "query")[:2] == (403, "SignatureDoesNotMatch"), r.text
    assert client_error(server.client("iam").get_user, UserName=user)[1] == "NoSuchEntity"


def test_s3_xml_bodies_altered_after_signing_are_refused_and_change_nothing(s3):
    bucket = new_bucket(s3)
    for key in ("k-aaaa", "k-bbbb"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())

    def refused(call, **kw):
        status, code, _, resp = client_error(call, **kw)
        assert (status, code) == (400, "XAmzContentSHA256Mismatch"), resp

    # DeleteObjects signed for k-aaaa, sent for k-bbbb.
    with body_swapped_after_signing(s3, "DeleteObjects", b"k-aaaa", b"k-bbbb") as swapped:
        refused(s3.delete_objects, Bucket=bucket, Delete={"Objects": [{"Key": "k-aaaa"}]})
    assert swapped
    assert exists(s3, bucket, "k-aaaa") and exists(s3, bucket, "k-bbbb")

    # PutBucketPolicy: the policy in place stays.
    def policy(sid: str) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": sid, "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]})
    s3.put_bucket_policy(Bucket=bucket, Policy=policy("original"))
    with body_swapped_after_signing(s3, "PutBucketPolicy", b"signedsid", b"publicsid") as swapped:
        refused(s3.put_bucket_policy, Bucket=bucket, Policy=policy("signedsid"))
    assert swapped
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(policy("original"))

    # PutObjectTagging: the tags in place stay. (Cairn answers PutBucketTagging NotImplemented.)
    s3.put_object_tagging(Bucket=bucket, Key="k-aaaa", Tagging={"TagSet": [{"Key": "t", "Value": "v0000"}]})
    with body_swapped_after_signing(s3, "PutObjectTagging", b"v1111", b"v2222") as swapped:
        refused(s3.put_object_tagging, Bucket=bucket, Key="k-aaaa", Tagging={"TagSet": [{"Key": "t", "Value": "v1111"}]})
    assert swapped
    assert tags_of(s3, bucket, "k-aaaa") == {"t": "v0000"}

    # CompleteMultipartUpload: no object, the upload still open.
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mpu")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload, PartNumber=1, Body=b"part one")["ETag"]
    with body_swapped_after_signing(s3, "CompleteMultipartUpload", b"<PartNumber>1<", b"<PartNumber>2<") as swapped:
        refused(s3.complete_multipart_upload, Bucket=bucket, Key="mpu", UploadId=upload,
                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert swapped
    assert not exists(s3, bucket, "mpu")
    assert [p["PartNumber"] for p in s3.list_parts(Bucket=bucket, Key="mpu", UploadId=upload)["Parts"]] == [1]


def test_s3_control_bodies_altered_after_signing_are_refused_and_change_nothing(server, s3):
    ctl = s3control(server)
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="a", Body=b"a")
    etag = s3.put_object(Bucket=bucket, Key="manifest.csv", Body=f"{bucket},a\n".encode())["ETag"]
    manifest = {"Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key"]},
                "Location": {"ObjectArn": f"arn:aws:s3:::{bucket}/manifest.csv", "ETag": etag}}
    operation = {"S3PutObjectTagging": {"TagSet": [{"Key": "by", "Value": "job"}]}}
    before = {j["JobId"] for j in ctl.list_jobs(AccountId=ACCOUNT)["Jobs"]}

    def create(**kw):
        return ctl.create_job(AccountId=ACCOUNT, ConfirmationRequired=True, Operation=operation, Manifest=manifest,
                              Report={"Enabled": False}, Priority=10, RoleArn=S3_ROLE, **kw)

    with body_swapped_after_signing(ctl, "CreateJob", b"<Priority>10<", b"<Priority>99<") as swapped:
        status, code, _, resp = client_error(create)
    assert swapped
    assert (status, code) == (400, "XAmzContentSHA256Mismatch"), resp
    assert {j["JobId"] for j in ctl.list_jobs(AccountId=ACCOUNT)["Jobs"]} == before

    job = create()["JobId"]
    ctl.put_job_tagging(AccountId=ACCOUNT, JobId=job, Tags=[{"Key": "t", "Value": "v0000"}])
    with body_swapped_after_signing(ctl, "PutJobTagging", b"v1111", b"v2222") as swapped:
        status, code, _, resp = client_error(ctl.put_job_tagging, AccountId=ACCOUNT, JobId=job,
                                             Tags=[{"Key": "t", "Value": "v1111"}])
    assert swapped
    assert (status, code) == (400, "XAmzContentSHA256Mismatch"), resp
    assert ctl.get_job_tagging(AccountId=ACCOUNT, JobId=job)["Tags"] == [{"Key": "t", "Value": "v0000"}]


def test_unsigned_payload_is_refused_for_s3_configuration_bodies_and_accepted_for_object_data(server, s3):
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"k")
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "t", "Value": "before"}]})
    unsigned = {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    # PutObjectTagging (Cairn answers PutBucketTagging NotImplemented whatever the signature).
    body = xml_tagging({"t": "unsigned"})
    r = s3_signed(server, "PUT", f"/{bucket}/k?tagging", body, {**unsigned, "Content-MD5": md5_b64(body)})
    assert wire_error(r, "rest-xml")[:2] == (403, "AccessDenied"), r.text
    assert tags_of(s3, bucket, "k") == {"t": "before"}
    # PutBucketPolicy.
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}).encode()
    r = s3_signed(server, "PUT", f"/{bucket}?policy", policy, unsigned)
    assert wire_error(r, "rest-xml")[:2] == (403, "AccessDenied"), r.text
    assert client_error(s3.get_bucket_policy, Bucket=bucket)[1] == "NoSuchBucketPolicy"
    # DeleteObjects.
    delete = b"<Delete><Object><Key>k</Key></Object></Delete>"
    r = s3_signed(server, "POST", f"/{bucket}?delete", delete, {**unsigned, "Content-MD5": md5_b64(delete)})
    assert wire_error(r, "rest-xml")[:2] == (403, "AccessDenied"), r.text
    assert exists(s3, bucket, "k")
    # Object data may go unsigned, as in S3.
    r = s3_signed(server, "PUT", f"/{bucket}/data", b"object data, unsigned", unsigned)
    assert r.status_code == 200, r.text
    assert s3.get_object(Bucket=bucket, Key="data")["Body"].read() == b"object data, unsigned"


# -- bodies are read only after the headers are checked ------------------------------------------------------------

def head_without_body(srv: CairnServer, method: str, path: str, headers: dict[str, str], content_length: int,
                      timeout: float = 30) -> HTTPResponse:
    """Sends a request line and headers announcing `content_length` body bytes, sends none of them, and reads the
    answer: one that comes shows the server answered from the headers alone."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() not in ("host", "content-length"))
    head += f"Content-Length: {content_length}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", srv.port), timeout=timeout) as sock:
        sock.sendall(head.encode())
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                assert chunk, f"connection closed without an answer: {data!r}"
                data += chunk
            raw_head, _, body = data.partition(b"\r\n\r\n")
            lines = raw_head.decode("latin-1").split("\r\n")
            headers_in = urllib3.HTTPHeaderDict()
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers_in.add(name.strip(), value.strip())
            length = int(headers_in.get("content-length", "0"))
            while len(body) < length:
                chunk = sock.recv(65536)
                assert chunk, "connection closed mid-answer"
                body += chunk
        except socket.timeout:
            raise AssertionError(f"no answer within {timeout}s to {method} {path} without its body: the server waits "
                                 f"for a body it should refuse from the headers alone (got {data[:300]!r})")
    resp = HTTPResponse.__new__(HTTPResponse)
    resp.status_code, resp.headers, resp.content = int(lines[0].split(" ", 2)[1]), headers_in, body
    return resp


def test_requests_refused_by_their_headers_are_answered_before_the_body_is_read(server):
    fake = Creds("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    wrong_secret = Creds(server.admin.access_key, "x" * 40)
    url = server.endpoint + "/"
    # An unknown key, JSON protocol.
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ListQueues"}
    r = head_without_body(server, "POST", "/", sign(server, "sqs", "POST", url, b"{}", headers, fake), 1_000_000)
    assert wire_error(r, "json")[:2] == (400, "UnrecognizedClientException"), r.content
    # An unknown key, rest-json.
    batch_url = server.endpoint + "/v1/submitjob"
    r = head_without_body(server, "POST", "/v1/submitjob",
                          sign(server, "batch", "POST", batch_url, b"{}", {"Content-Type": "application/json"}, fake),
                          1_000_000)
    assert wire_error(r, "rest-json")[:2] == (400, "UnrecognizedClientException"), r.content
    # A known key with the wrong secret, S3 (the signature covers the declared hash, not the body).
    bucket = new_bucket(server.client("s3"))
    path = f"/{bucket}/never-sent"
    headers = {"X-Amz-Content-SHA256": hashlib.sha256(b"x").hexdigest()}
    r = head_without_body(server, "PUT", path, sign(server, "s3", "PUT", server.endpoint + path, b"x", headers,
                                                   wrong_secret), 1_000_000)
    assert wire_error(r, "rest-xml")[:2] == (403, "SignatureDoesNotMatch"), r.content
    # A Content-Length over the limit, with a good signature: refused by the length alone.
    body = urllib.parse.urlencode({"Action": "ListUsers", "Version": "2010-05-08"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    r = head_without_body(server, "POST", "/", sign(server, "iam", "POST", url, body, headers), 17 * 1024 * 1024)
    assert wire_error(r, "query")[:2] == (413, "RequestEntityTooLarge"), r.content
    server.assert_healthy()


# -- 7. SigV2's bucket, Expires, future-dated SigV4 URLs ------------------------------------------------------------

def test_sigv2_presigned_url_for_one_bucket_does_not_read_another(server, s3):
    a, b = new_bucket(s3, "alice"), new_bucket(s3, "bob")
    s3.put_object(Bucket=a, Key="key", Body=b"alice's object")
    s3.put_object(Bucket=b, Key="key", Body=b"bob's secret")
    s3.put_object(Bucket=b, Key=f"{a}/key", Body=b"bob's other secret")
    port = server.port
    session = server.session()
    path_v2 = session.client("s3", endpoint_url=server.endpoint, config=NO_RETRY.merge(
        Config(signature_version="s3", s3={"addressing_style": "path"})))
    virtual_v2 = session.client("s3", endpoint_url=f"http://localhost:{port}", config=NO_RETRY.merge(
        Config(signature_version="s3", s3={"addressing_style": "virtual"})))

    path_url = path_v2.generate_presigned_url("get_object", Params={"Bucket": a, "Key": "key"}, ExpiresIn=300)
    assert f"/{a}/key?" in path_url and "AWSAccessKeyId=" in path_url
    virtual_url = virtual_v2.generate_presigned_url("get_object", Params={"Bucket": a, "Key": "key"}, ExpiresIn=300)
    parts = urllib.parse.urlsplit(virtual_url)
    assert parts.hostname == f"{a}.localhost" and parts.path == "/key", virtual_url
    virtual_query = parts.query

    # The URLs as made work: path style, and virtual-hosted (Host names the bucket).
    r = http("GET", path_url)
    assert (r.status_code, r.content) == (200, b"alice's object"), r.text
    r = http("GET", f"{server.endpoint}/key?{virtual_query}", headers={"Host": f"{a}.localhost:{port}"})
    assert (r.status_code, r.content) == (200, b"alice's object"), r.text

    # Alice's virtual-hosted URL re-sent to Bob's bucket, same path.
    r = http("GET", f"{server.endpoint}/key?{virtual_query}", headers={"Host": f"{b}.localhost:{port}"})
    assert wire_error(r, "rest-xml")[:2] == (403, "SignatureDoesNotMatch"), r.text
    assert b"secret" not in r.content
    # Alice's path-style URL re-sent virtual-hosted to Bob's bucket: /<a>/key is then a key in Bob's bucket.
    path_query = urllib.parse.urlsplit(path_url).query
    r = http("GET", f"{server.endpoint}/{a}/key?{path_query}", headers={"Host": f"{b}.localhost:{port}"})
    assert wire_error(r, "rest-xml")[:2] == (403, "SignatureDoesNotMatch"), r.text
    assert b"secret" not in r.content


@pytest.mark.parametrize("expires", ["inf", "nan", "%2B9999999999", "+9999999999", "1e10", "9999999999.0", "-1",
                                     "0x7fffffff", "99999999999999999999"])
def test_sigv2_presigned_expires_must_be_a_plain_integer(server, s3, expires):
    bucket = new_bucket(s3, "expires")
    s3.put_object(Bucket=bucket, Key="k", Body=b"not for you")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
    assert "Expires=" in url and "X-Amz-Signature" not in url
    bad = re.sub(r"Expires=\d+", f"Expires={expires}", url)
    assert bad != url
    r = http("GET", bad)
    status, code, message = wire_error(r, "rest-xml")
    assert (status, code) == (400, "AuthorizationHeaderMalformed"), r.text
    assert "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters" in message
    assert b"not for you" not in r.content
    # The URL as made works.
    assert http("GET", url).content == b"not for you"


def test_sigv4_presigned_url_dated_in_the_future_is_not_valid_yet(server, s3):
    bucket = new_bucket(s3, "future")
    s3.put_object(Bucket=bucket, Key="k", Body=b"later")
    v4 = server.session().client("s3", endpoint_url=server.endpoint,
                                 config=NO_RETRY.merge(Config(signature_version="s3v4")))
    with clock_at(utcnow() + dt.timedelta(hours=1)):
        url = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=3600)
        put = v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "planted"}, ExpiresIn=3600)
    r = http("GET", url)
    status, code, message = wire_error(r, "rest-xml")
    assert (status, code) == (403, "AccessDenied"), r.text
    assert message == "Request is not valid yet"
    assert b"later" not in r.content
    r = http("PUT", put, body=b"planted")
    assert wire_error(r, "rest-xml")[:2] == (403, "AccessDenied"), r.text
    assert not exists(s3, bucket, "planted")
    # Dated now, the same URL works.
    assert http("GET", v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})).content == b"later"


# -- 8. the query string: `+` and duplicate names -------------------------------------------------------------------

def test_plus_in_the_query_is_a_space_for_signer_and_parser(server, s3):
    bucket = new_bucket(s3, "plus")
    for key in ("a b", "a+b", "a bc"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())

    def keys(r: HTTPResponse) -> list[str]:
        assert r.status_code == 200, r.text
        return re.findall(r"<Key>([^<]*)</Key>", r.text)

    # Signed over prefix "a+b" (a%2Bb), sent with a bare + (which reads as a space): refused.
    r = s3_signed(server, "GET", f"/{bucket}?list-type=2&prefix=a%2Bb", send_path=f"/{bucket}?list-type=2&prefix=a+b")
    assert wire_error(r, "rest-xml")[:2] == (403, "SignatureDoesNotMatch"), r.text
    # Signed over prefix "a b" (a%20b), sent form-encoded as a+b: the prefix is "a b".
    r = s3_signed(server, "GET", f"/{bucket}?list-type=2&prefix=a%20b&delimiter=c",
                  send_path=f"/{bucket}?list-type=2&prefix=a+b&delimiter=c")
    assert keys(r) == ["a b"], r.text
    # And %2B is a plus.
    assert keys(s3_signed(server, "GET", f"/{bucket}?list-type=2&prefix=a%2Bb")) == ["a+b"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="a b")["Contents"]] == ["a b", "a bc"]


def test_duplicate_query_parameters_are_malformed_for_query_services(server):
    user = unique("dup")
    query = f"Action=ListUsers&Action=CreateUser&UserName={user}&Version=2010-05-08"
    for method in ("GET", "POST"):
        url = f"{server.endpoint}/?{query}"
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"} if method == "POST" else {}
        r = http(method, url, body=b"" if method == "POST" else None,
                 headers=sign(server, "iam", method, url, b"", headers))
        assert wire_error(r, "query")[:2] == (400, "MalformedQueryString"), (method, r.text)
    assert client_error(server.client("iam").get_user, UserName=user)[1] == "NoSuchEntity"
    # One Action is fine.
    url = f"{server.endpoint}/?Action=CreateUser&UserName={user}&Version=2010-05-08"
    r = http("GET", url, headers=sign(server, "iam", "GET", url))
    assert r.status_code == 200, r.text
    assert server.client("iam").get_user(UserName=user)["User"]["UserName"] == user


def test_s3_control_list_jobs_with_repeated_job_statuses_still_works(server, s3):
    ctl = s3control(server)
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="a", Body=b"a")
    etag = s3.put_object(Bucket=bucket, Key="manifest.csv", Body=f"{bucket},a\n".encode())["ETag"]
    job = ctl.create_job(AccountId=ACCOUNT, ConfirmationRequired=True, Priority=10, RoleArn=S3_ROLE,
                         Operation={"S3PutObjectTagging": {"TagSet": [{"Key": "by", "Value": "job"}]}},
                         Manifest={"Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key"]},
                                   "Location": {"ObjectArn": f"arn:aws:s3:::{bucket}/manifest.csv", "ETag": etag}},
                         Report={"Enabled": False})["JobId"]
    wait_for(lambda: ctl.describe_job(AccountId=ACCOUNT, JobId=job)["Job"]["Status"] == "Suspended", timeout=60,
             interval=0.05, what="the job to wait for confirmation")
    listed = ctl.list_jobs(AccountId=ACCOUNT, JobStatuses=["Complete", "Suspended"])
    assert listed["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert job in [j["JobId"] for j in listed["Jobs"]]
    assert job not in [j["JobId"] for j in ctl.list_jobs(AccountId=ACCOUNT, JobStatuses=["Complete", "Failed"])["Jobs"]]


# -- 9. no DTDs -----------------------------------------------------------------------------------------------------

DOCTYPE = '<!DOCTYPE r [<!ENTITY x "victim">]>'


def doctype_bodies(document: str) -> dict[str, bytes]:
    """The same document with a DTD, hidden every way a prefix check or a byte search could miss it."""
    declared16 = '<?xml version="1.0" encoding="UTF-16"?>'
    return {
        "after 5000 bytes of whitespace and comment": (
            '<?xml version="1.0" encoding="UTF-8"?>' + " " * 5000 + "<!-- " + "p" * 5000 + " -->\n"
            + DOCTYPE + document).encode(),
        "UTF-8 bytes declaring UTF-16": (declared16 + DOCTYPE + document).encode(),
        "UTF-16LE declaring UTF-16, no BOM": (declared16 + DOCTYPE + document).encode("utf-16-le"),
        "UTF-16 with a BOM": (declared16 + DOCTYPE + document).encode("utf-16"),
        "UTF-16 with a BOM, no declaration": (DOCTYPE + document).encode("utf-16"),
        "UTF-16BE with a BOM": b"\xfe\xff" + (declared16 + DOCTYPE + document).encode("utf-16-be"),
    }


def test_xml_bodies_with_a_doctype_are_malformed_whatever_the_padding_or_encoding(server, s3):
    bucket = new_bucket(s3, "dtd")
    s3.put_object(Bucket=bucket, Key="victim", Body=b"still here")
    s3.put_object_tagging(Bucket=bucket, Key="victim", Tagging={"TagSet": [{"Key": "t", "Value": "before"}]})
    tagging = "<Tagging><TagSet><Tag><Key>t</Key><Value>&x;</Value></Tag></TagSet></Tagging>"
    delete = "<Delete><Object><Key>&x;</Key></Object></Delete>"
    for how, body in doctype_bodies(tagging).items():
        r = s3_signed(server, "PUT", f"/{bucket}/victim?tagging", body, {"Content-MD5": md5_b64(body)})
        assert wire_error(r, "rest-xml")[:2] == (400, "MalformedXML"), (how, r.text)
    for how, body in doctype_bodies(delete).items():
        r = s3_signed(server, "POST", f"/{bucket}?delete", body, {"Content-MD5": md5_b64(body)})
        assert wire_error(r, "rest-xml")[:2] == (400, "MalformedXML"), (how, r.text)
    assert tags_of(s3, bucket, "victim") == {"t": "before"}
    assert s3.get_object(Bucket=bucket, Key="victim")["Body"].read() == b"still here"
    # The control: the same tagging without a DTD is taken.
    body = xml_tagging({"t": "after"})
    r = s3_signed(server, "PUT", f"/{bucket}/victim?tagging", body, {"Content-MD5": md5_b64(body)})
    assert r.status_code == 200, r.text
    assert tags_of(s3, bucket, "victim") == {"t": "after"}


# -- 11. outbound: never link-local/metadata or denied ranges; own connections; secrets -----------------------------

METADATA_ENDPOINTS = ["http://169.254.169.254/latest/meta-data", "http://[fe80::1]/x", "https://169.254.170.2/v2/creds",
                      "http://[::ffff:169.254.169.254]/latest", "http://[fd00:ec2::254]/latest"]


def connection(events, secret: str = "s3cr3t-value") -> str:
    return events.create_connection(Name=unique("conn"), AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": secret}})["ConnectionArn"]


def test_link_local_and_metadata_endpoints_are_refused_at_creation(outbound):
    events, sns = outbound.client("events"), outbound.client("sns")
    conn = connection(events)
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    names = []
    for endpoint in METADATA_ENDPOINTS:
        name = unique("dest")
        names.append(name)
        status, code, message, resp = client_error(events.create_api_destination, Name=name, ConnectionArn=conn,
                                                   InvocationEndpoint=endpoint, HttpMethod="POST")
        assert (status, code) == (400, "ValidationException"), (endpoint, resp)
    # SNS sends a confirmation as soon as it accepts a subscription, so only link-local literals are tried there:
    # should one be accepted, its packet would at least stay on the local link.
    for endpoint in ("http://169.254.169.254/", "https://169.254.169.254/latest", "http://[fe80::1]/x"):
        proto = endpoint.split(":", 1)[0]
        status, code, message, resp = client_error(sns.subscribe, TopicArn=topic, Protocol=proto, Endpoint=endpoint)
        assert (status, code) == (400, "InvalidParameter"), (endpoint, resp)
    assert not set(names) & {d["Name"] for d in events.list_api_destinations()["ApiDestinations"]}
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_http_target_deny_adds_ranges_and_loopback_stays_allowed(outbound):
    events, sns = outbound.client("events"), outbound.client("sns")
    conn = connection(events)
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    status, code, _, resp = client_error(events.create_api_destination, Name=unique("dest"), ConnectionArn=conn,
                                         InvocationEndpoint="http://127.0.0.2:9/x", HttpMethod="POST")
    assert (status, code) == (400, "ValidationException"), resp
    status, code, _, resp = client_error(sns.subscribe, TopicArn=topic, Protocol="http", Endpoint="http://127.0.0.2:9/x")
    assert (status, code) == (400, "InvalidParameter"), resp
    # Loopback receivers stay allowed.
    receiver = Receiver()
    try:
        d = events.create_api_destination(Name=unique("dest"), ConnectionArn=conn, InvocationEndpoint=receiver.url + "/x",
                                          HttpMethod="POST")
        assert d["ApiDestinationState"] == "ACTIVE"
        assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url + "/sns")["SubscriptionArn"] == \
            "pending confirmation"
        method, path, headers, body = receiver.wait(1)[0]
        assert path == "/sns" and json.loads(body)["Type"] == "SubscriptionConfirmation"
    finally:
        receiver.close()


def test_api_destination_needs_a_connection_of_the_callers_account(outbound):
    events = outbound.client("events")
    conn = connection(events)
    assert f":{ACCOUNT}:connection/" in conn
    forged = conn.replace(f":{ACCOUNT}:", f":{OTHER_ACCOUNT}:")
    real = events.create_api_destination(Name=unique("dest"), ConnectionArn=conn, InvocationEndpoint="http://127.0.0.1:9/x",
                                         HttpMethod="POST")["ApiDestinationArn"]
    names = []
    for arn in (forged, real):  # another account's connection; a destination passed off as a connection
        name = unique("dest")
        names.append(name)
        status, code, _, resp = client_error(events.create_api_destination, Name=name, ConnectionArn=arn,
                                             InvocationEndpoint="http://127.0.0.1:9/x", HttpMethod="POST")
        assert (status, code) == (400, "ResourceNotFoundException"), (arn, resp)
    assert not set(names) & {d["Name"] for d in events.list_api_destinations()["ApiDestinations"]}


def test_connection_secrets_never_appear_in_answers_records_logs_or_dead_letters(outbound):
    events = outbound.client("events")
    api_secret, password = f"apikey-{uuid.uuid4().hex}", f"password-{uuid.uuid4().hex}"
    api_name, basic_name = unique("conn"), unique("conn")
    created = events.create_connection(Name=api_name, AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": api_secret}})
    basic = events.create_connection(Name=basic_name, AuthorizationType="BASIC", AuthParameters={
        "BasicAuthParameters": {"Username": "u", "Password": password}})
    secrets = (api_secret, password)

    def clean(what, value):
        text = json.dumps(value, default=str)
        assert not any(s in text for s in secrets), (what, text)

    for answer in (created, basic, events.describe_connection(Name=api_name), events.describe_connection(Name=basic_name),
                   events.list_connections()):
        clean("answer", answer)
    assert events.describe_connection(Name=api_name)["AuthParameters"]["ApiKeyAuthParameters"] == {"ApiKeyName": "x-api-key"}
    assert events.describe_connection(Name=basic_name)["AuthParameters"]["BasicAuthParameters"] == {"Username": "u"}
    for resp in (created, basic):
        record = outbound.record_for(resp, "CreateConnection")
        clean("record", record)
        assert HIDDEN in record["CloudTrailEvent"], record["CloudTrailEvent"]

    # A delivery that ends in the dead-letter queue: the secret went to the endpoint, not into the message.
    receiver = Receiver(status=400)
    try:
        dest = events.create_api_destination(Name=unique("dest"), ConnectionArn=created["ConnectionArn"],
                                             InvocationEndpoint=receiver.url + "/hook", HttpMethod="POST")["ApiDestinationArn"]
        dlq_url, dlq_arn = new_queue(outbound)
        source, rule = unique("app"), unique("rule")
        events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
        events.put_targets(Rule=rule, Targets=[{"Id": "h", "Arn": dest, "DeadLetterConfig": {"Arn": dlq_arn}}])
        events.put_events(Entries=[{"Source": source, "DetailType": "d", "Detail": "{}"}])
        message = receive_one(outbound, dlq_url)
        clean("dead letter", message)
        assert receiver.requests[0][2].get("x-api-key") == api_secret
    finally:
        receiver.close()
    log = outbound.stdout_path.read_text(errors="replace") + outbound.stderr_path.read_text(errors="replace")
    assert not any(s in log for s in secrets)


# -- 12. redirects are not followed ---------------------------------------------------------------------------------

def test_api_destination_redirects_are_not_followed(outbound):
    events = outbound.client("events")
    elsewhere = Receiver()
    redirector = Receiver(status=302, headers={"Location": elsewhere.url + "/stolen"})
    try:
        dest = events.create_api_destination(Name=unique("dest"), ConnectionArn=connection(events),
                                             InvocationEndpoint=redirector.url + "/hook",
                                             HttpMethod="POST")["ApiDestinationArn"]
        dlq_url, dlq_arn = new_queue(outbound)
        source, rule = unique("app"), unique("rule")
        events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
        events.put_targets(Rule=rule, Targets=[{"Id": "h", "Arn": dest, "DeadLetterConfig": {"Arn": dlq_arn},
                                                "RetryPolicy": {"MaximumRetryAttempts": 0}}])
        events.put_events(Entries=[{"Source": source, "DetailType": "d", "Detail": '{"n":1}'}])
        # The dead letter is written after the delivery attempt ended: a followed redirect would have reached
        # `elsewhere` by then.
        message = receive_one(outbound, dlq_url)
        assert json.loads(message["Body"])["detail"] == {"n": 1}
        attrs = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
        assert attrs["ERROR_CODE"] == "ERROR_FROM_TARGET" and "302" in attrs["ERROR_MESSAGE"], attrs
        assert len(redirector.requests) == 1
        assert elsewhere.requests == []
    finally:
        redirector.close()
        elsewhere.close()


# -- 13. the unsigned SubscribeURL ----------------------------------------------------------------------------------

def confirmations(srv: CairnServer, topic: str) -> list[dict]:
    return [r for r in records(srv, "ConfirmSubscription") if topic in json.dumps(r.get("requestParameters"))]


def pending_http_subscription(srv: CairnServer, receiver: Receiver) -> tuple[str, dict]:
    sns = srv.client("sns")
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url + "/sns")["SubscriptionArn"] == \
        "pending confirmation"
    confirmation = json.loads(receiver.wait(1)[0][3])
    assert confirmation["Type"] == "SubscriptionConfirmation"
    return topic, confirmation


def signed_marker(srv: CairnServer, topic: str) -> None:
    """A signed call whose record is visible: anything recorded before it is visible too."""
    resp = srv.client("sns").get_topic_attributes(TopicArn=topic)
    srv.record_for(resp, "GetTopicAttributes")


def test_subscribe_url_with_a_wrong_token_is_refused_and_records_nothing(outbound):
    receiver = Receiver()
    try:
        topic, confirmation = pending_http_subscription(outbound, receiver)
        for token in ("wrong", confirmation["Token"][:-1], ""):
            query = urllib.parse.urlencode({"Action": "ConfirmSubscription", "TopicArn": topic, "Token": token})
            r = http("GET", f"{outbound.endpoint}/?{query}")
            status, code, _ = wire_error(r, "query")
            assert (status, code) == (400, "InvalidParameter"), (token, r.text)
        signed_marker(outbound, topic)
        assert confirmations(outbound, topic) == []
        assert outbound.client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]["SubscriptionArn"] \
            == "PendingConfirmation"
    finally:
        receiver.close()


def test_subscribe_url_confirms_once_and_a_replay_records_nothing(outbound):
    receiver = Receiver()
    try:
        topic, confirmation = pending_http_subscription(outbound, receiver)
        url = confirmation["SubscribeURL"]
        assert urllib.parse.urlsplit(url).hostname == "127.0.0.1", url
        r = http("GET", url)
        assert r.status_code == 200, r.text
        sub = re.search(r"<SubscriptionArn>([^<]+)</SubscriptionArn>", r.text).group(1)
        assert sub.startswith(topic + ":")
        [record] = confirmations(outbound, topic)
        assert record["userIdentity"]["accountId"] == "ANONYMOUS_PRINCIPAL"
        assert "errorCode" not in record
        # The same URL again: an error, and no second record.
        r = http("GET", url)
        assert wire_error(r, "query")[:2] == (400, "InvalidParameter"), r.text
        signed_marker(outbound, topic)
        assert len(confirmations(outbound, topic)) == 1
        assert [s["SubscriptionArn"] for s in
                outbound.client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]] == [sub]
    finally:
        receiver.close()


def test_a_connection_that_stops_sending_mid_body_is_closed(cairn_factory):
    """A client that trickles nothing after its headers cannot hold a connection open: after the idle timeout
    the server closes it, and it still serves others."""
    import socket
    srv = cairn_factory.new("--connection-idle-timeout", "1")
    host, port = "127.0.0.1", srv.port
    with socket.create_connection((host, port), timeout=60) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\n"
                  b"Content-Length: 1000\r\n\r\n{\"partial\":")
        # The server must end the connection by itself (EOF or reset); a socket timeout (60 s) fails the test.
        closed = False
        try:
            while not closed:
                closed = s.recv(65536) == b""
        except ConnectionResetError:
            closed = True
    assert closed
    assert srv.client("sts").get_caller_identity()["Account"] == "000000000000"


# -- U+0000 in parameters ------------------------------------------------------------------------------------------------

def test_a_nul_character_is_refused_with_the_services_error_and_nothing_is_written(server):
    # No AWS string parameter takes U+0000; SQLite would cut a value there and PostgreSQL's text cannot hold it.
    # SQS checks its own characters (InvalidMessageContents); other services answer the protocol's bad-parameter
    # error; the failed call is recorded; the same on both engines.
    sqs, events, iam = server.client("sqs"), server.client("events"), server.client("iam")
    url = sqs.create_queue(QueueName=unique("nul"))["QueueUrl"]
    status, code, _, _ = client_error(sqs.send_message, QueueUrl=url, MessageBody="before\x00after")
    assert (status, code) == (400, "InvalidMessageContents")
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    status, code, _, _ = client_error(sqs.get_queue_url, QueueName="nul\x00queue")
    assert status == 400, code
    status, code, _, _ = client_error(iam.create_user, UserName="nul\x00user")
    assert (status, code) == (400, "InvalidParameterValue")
    name = unique("nul")
    status, code, message, response = client_error(events.put_rule, Name=name, EventPattern='{"source":["a"]}',
                                                   Description="x\x00y")
    assert (status, code) == (400, "ValidationException") and "U+0000" in message
    with pytest.raises(ClientError):
        events.describe_rule(Name=name)
    record = server.record_for(response, "PutRule")["Record"]
    assert record["errorCode"] == "ValidationException"
