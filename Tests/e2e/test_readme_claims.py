"""README claims that no other file tested (issue 19, "Every README claim tested"): the metrics counters, SQS
message retention, S3's documented refusals and the checksums, listings and copy conditions it serves, S3 Batch
Operations' failure codes and manifest rules, SNS attributes, listings, MessageStructure and refusals, SNS → SQS
dead-lettering, API destinations (basic auth, rate limit, connection errors, OAuth refused, Describe/Delete),
Cairn's own deliveries left out of the trail, and secrets kept out of data-event records, trail log files and the
database. `Tests/e2e/README.md` ("README claims and their tests") maps each claim to its test, here or elsewhere."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import re
import socket
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, unquote_plus

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import (EVENTS_PRINCIPAL, NO_RETRY, SNS_PRINCIPAL, Creds, HTTPEndpoint, HTTPResponse, ShiftedClock,
                      allow_events_to_topic, grant, http, new_queue, sqlite_only, trust_policy, unique, wait_for)
from test_batch_operations import (Hold, create, describe, put_objects, read_report, report, runner_went_round,
                                   s3control, tags_of, upload_manifest, wait_status)

ACCOUNT = "000000000000"
REGION = "us-east-1"


# -- helpers -------------------------------------------------------------------------------------------

def error_of(call, *args, **kwargs) -> tuple[int, str]:
    """(HTTP status, error code) of a call that must fail."""
    with pytest.raises(ClientError) as ei:
        call(*args, **kwargs)
    return ei.value.response["ResponseMetadata"]["HTTPStatusCode"], ei.value.response["Error"]["Code"]


def new_bucket(s3, prefix: str = "rc") -> str:
    name = unique(prefix).lower()
    s3.create_bucket(Bucket=name)
    return name



def rule_to(events, source: str, targets: list[dict]) -> str:
    name = unique("rule")
    arn = events.put_rule(Name=name, EventPattern=json.dumps({"source": [source]}))["RuleArn"]
    out = events.put_targets(Rule=name, Targets=targets)
    assert out["FailedEntryCount"] == 0, out
    return arn


def put_event(events, source: str, detail: dict) -> dict:
    out = events.put_events(Entries=[{"Source": source, "DetailType": "readme", "Detail": json.dumps(detail)}])
    assert out["FailedEntryCount"] == 0, out
    return out


def wait_messages(sqs, url: str, n: int, timeout: float = 20.0, **kw) -> list[dict]:
    """Receives (and deletes) until n messages arrived."""
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(got) < n:
        assert time.monotonic() < deadline, f"expected {n} messages within {timeout}s, got {got}"
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, **kw).get("Messages", [])
        got += batch
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def dlq_attributes(message: dict) -> dict[str, str]:
    return {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}


def metric(srv, name: str, labels: str = "") -> int:
    """One counter from /_cairn/metrics (0 while it has never moved)."""
    r = http("GET", srv.endpoint + "/_cairn/metrics")
    assert r.status_code == 200, r.text
    m = re.search(r"^" + re.escape(name + labels) + r" (\d+)", r.text, re.M)
    return int(m.group(1)) if m else 0


def deliveries(srv, result: str) -> int:
    return metric(srv, "cairn_event_deliveries_total", '{result="' + result + '"}')


def signed_s3(srv, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> HTTPResponse:
    """An S3 request signed as botocore signs it (payload hash = the body's SHA-256 unless given)."""
    headers = dict(headers or {})
    headers.setdefault("X-Amz-Content-SHA256", hashlib.sha256(body).hexdigest())
    req = AWSRequest(method=method, url=srv.endpoint + path, data=body, headers=headers)
    admin = srv.admin
    SigV4Auth(Credentials(admin.access_key, admin.secret_key), "s3", REGION).add_auth(req)
    prepared = req.prepare()
    return http(method, prepared.url, body=body, headers=dict(prepared.headers))


def xml_error(resp) -> tuple[int, str]:
    root = ET.fromstring(resp.content)
    ns = re.match(r"\{.*\}", root.tag)
    ns = ns.group(0) if ns else ""
    return resp.status_code, root.findtext(f"{ns}Code")


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def trail_bucket(srv) -> str:
    """A bucket whose policy lets CloudTrail deliver into it."""
    s3 = srv.client("s3")
    bucket = unique("trail").lower()
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
         "Resource": f"arn:aws:s3:::{bucket}"},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{ACCOUNT}/*"}]}))
    return bucket


def start_trail(srv, selectors: list[dict]) -> str:
    """A logging trail with these advanced selectors; returns its bucket."""
    ct = srv.client("cloudtrail")
    bucket = trail_bucket(srv)
    name = unique("trail")
    ct.create_trail(Name=name, S3BucketName=bucket)
    ct.put_event_selectors(TrailName=name, AdvancedEventSelectors=selectors)
    ct.start_logging(Name=name)
    return bucket


def log_files(srv, bucket: str) -> list[bytes]:
    """The raw (gzipped) bytes of every log file delivered into the bucket."""
    s3 = srv.client("s3")
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            if "/CloudTrail/" in o["Key"]:
                out.append(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read())
    return out


def log_records(srv, bucket: str) -> list[dict]:
    return [r for raw in log_files(srv, bucket) for r in json.loads(gzip.decompress(raw))["Records"]]


def request_id(resp: dict) -> str:
    return resp["ResponseMetadata"]["RequestId"]


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    """A server of this module's own whose failed deliveries are retried after 50 ms."""
    from conftest import ServerFactory
    factory = ServerFactory(tmp_path_factory.mktemp("readme-fast"))
    yield factory.new("--delivery-retry-base-ms", "50")
    factory.close()


# -- Configuration: /_cairn/metrics ----------------------------------------------------------------------

def test_metrics_count_deliveries_delivered_retried_and_dead_lettered_and_recorder_work(cairn_factory):
    """README, Configuration: "GET /_cairn/metrics gives counters in Prometheus text (records and commits of the
    recorder, event deliveries by result: delivered, retried, dead-lettered, dropped)". A server of its own, so the
    counters move only for this test's deliveries."""
    srv = cairn_factory.new("--delivery-retry-base-ms", "50")
    r = http("GET", srv.endpoint + "/_cairn/metrics")
    assert r.status_code == 200 and "text/plain" in r.headers.get("content-type", ""), (r.status_code, r.headers)
    events, sqs = srv.client("events"), srv.client("sqs")
    srv.client("sts").get_caller_identity()
    wait_for(lambda: metric(srv, "cairn_audit_records_total") >= 1, what="a record counted")
    records, commits = metric(srv, "cairn_audit_records_total"), metric(srv, "cairn_audit_commits_total")
    assert commits >= 1
    srv.client("iam").create_user(UserName=unique("counted"))
    wait_for(lambda: metric(srv, "cairn_audit_records_total") == records + 1, what="the next record counted")
    assert metric(srv, "cairn_audit_commits_total") > commits

    # A delivery that succeeds: delivered 1.
    url, arn = new_queue(sqs, "ok", allow=EVENTS_PRINCIPAL)
    ok = unique("ok")
    rule_to(events, ok, [{"Id": "q", "Arn": arn}])
    put_event(events, ok, {"n": 1})
    wait_messages(sqs, url, 1)
    wait_for(lambda: deliveries(srv, "delivered") == 1, what="delivered counter at 1")

    # A delivery the target refuses (the queue's size limit) twice more than the first try, then dead-lettered.
    small_url, small_arn = new_queue(sqs, "small", allow=EVENTS_PRINCIPAL, MaximumMessageSize=1024)
    dlq_url, dlq_arn = new_queue(sqs, "dlq", allow=EVENTS_PRINCIPAL)
    bad = unique("bad")
    rule_to(events, bad, [{"Id": "q", "Arn": small_arn, "RetryPolicy": {"MaximumRetryAttempts": 2},
                           "DeadLetterConfig": {"Arn": dlq_arn}}])
    put_event(events, bad, {"pad": "p" * 1500})
    wait_messages(sqs, dlq_url, 1)
    wait_for(lambda: deliveries(srv, "dead_lettered") == 1, what="dead_lettered counter at 1")
    assert deliveries(srv, "retried") == 2
    assert deliveries(srv, "delivered") == 1
    assert deliveries(srv, "dropped") == 0


# -- SQS: message retention -------------------------------------------------------------------------------

def test_sqs_retention_is_enforced_on_receive(cairn_factory, clock_shim, tmp_path):
    """README, How Cairn differs: "Message retention is enforced on receive". The server's clock moves past the
    queue's 60-second retention: the old message is never received, a newer one is."""
    clock = ShiftedClock(clock_shim, tmp_path / "clock")
    srv = cairn_factory.new(env=clock.env())
    sqs = srv.client("sqs")
    url, _ = new_queue(sqs, "ret", MessageRetentionPeriod=60)
    sqs.send_message(QueueUrl=url, MessageBody="old")
    clock.set(120)  # two minutes later (well within the 15-minute signing skew)
    sqs.send_message(QueueUrl=url, MessageBody="new")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    assert [m["Body"] for m in got] == ["new"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    # The old message is gone, not merely skipped: only "new" (in flight) is left.
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")


def test_sqs_retention_sweep_drops_expired_messages_nobody_receives(cairn_factory, clock_shim, tmp_path):
    """README, How Cairn differs: "... and by a sweep every minute". The sweep runs when the server starts and then
    every minute; a restart after the clock moved shows it without waiting a minute. Counts include messages past
    their retention until something drops them, so the count reaching 0 without any receive is the sweep's work."""
    clock = ShiftedClock(clock_shim, tmp_path / "clock")
    srv = cairn_factory.new(env=clock.env())
    sqs = srv.client("sqs")
    short_url, _ = new_queue(sqs, "short", MessageRetentionPeriod=60)
    long_url, _ = new_queue(sqs, "long", MessageRetentionPeriod=3600)
    for url in (short_url, long_url):
        for i in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")

    def count(url: str) -> str:
        return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
            "Attributes"]["ApproximateNumberOfMessages"]
    assert (count(short_url), count(long_url)) == ("3", "3")
    srv.stop()
    clock.set(120)
    srv.start()
    sqs = srv.client("sqs")
    wait_for(lambda: count(short_url) == "0", what="the sweep dropping the expired messages")
    assert count(long_url) == "3"
    assert len(wait_messages(sqs, long_url, 3)) == 3


# -- S3: refusals ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def s3(server):
    return server.client("s3")


NOT_IMPLEMENTED = [
    ("put_bucket_versioning", {"VersioningConfiguration": {"Status": "Enabled"}}),
    ("put_bucket_acl", {"ACL": "public-read"}),
    ("get_bucket_acl", {}),
    ("put_bucket_lifecycle_configuration", {"LifecycleConfiguration": {"Rules": [
        {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}]}}),
    ("get_bucket_lifecycle_configuration", {}),
    ("put_bucket_cors", {"CORSConfiguration": {"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]}}),
    ("get_bucket_cors", {}),
    ("put_bucket_website", {"WebsiteConfiguration": {"IndexDocument": {"Suffix": "index.html"}}}),
    ("get_bucket_website", {}),
    ("put_bucket_replication", {"ReplicationConfiguration": {
        "Role": f"arn:aws:iam::{ACCOUNT}:role/r", "Rules": [{"Status": "Enabled", "Prefix": "",
                                                          "Destination": {"Bucket": "arn:aws:s3:::elsewhere"}}]}}),
    ("get_bucket_replication", {}),
    ("put_bucket_encryption", {"ServerSideEncryptionConfiguration": {"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}),
    ("get_bucket_encryption", {}),
    ("put_object_lock_configuration", {"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled"}}),
    ("get_object_lock_configuration", {}),
    ("put_bucket_tagging", {"Tagging": {"TagSet": [{"Key": "k", "Value": "v"}]}}),
    ("get_bucket_tagging", {}),
    ("delete_bucket_tagging", {}),
]


@pytest.mark.parametrize("operation, kwargs", NOT_IMPLEMENTED, ids=[op for op, _ in NOT_IMPLEMENTED])
def test_unserved_bucket_sub_resources_are_not_implemented(s3, operation, kwargs):
    """README, How Cairn differs (S3): "No versioning, ACLs, lifecycle, CORS, website, replication, encryption,
    object lock or bucket tagging: those sub-resources answer NotImplemented (501)"."""
    bucket = new_bucket(s3, "ni")
    assert error_of(getattr(s3, operation), Bucket=bucket, **kwargs) == (501, "NotImplemented")
    # Nothing changed: versioning stays off, the bucket still answers.
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.head_bucket(Bucket=bucket)


def test_object_acls_are_not_implemented(s3):
    bucket = new_bucket(s3, "acl")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert error_of(s3.get_object_acl, Bucket=bucket, Key="k") == (501, "NotImplemented")
    assert error_of(s3.put_object_acl, Bucket=bucket, Key="k", ACL="public-read") == (501, "NotImplemented")


def test_upload_part_copy_list_multipart_uploads_and_get_by_part_number_are_not_implemented(s3):
    """README, How Cairn differs (S3): "UploadPartCopy, ListMultipartUploads, GetObject by partNumber ... also
    answer NotImplemented"."""
    bucket = new_bucket(s3, "mpu")
    s3.put_object(Bucket=bucket, Key="src", Body=b"s" * 100)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    assert error_of(s3.upload_part_copy, Bucket=bucket, Key="dst", UploadId=upload, PartNumber=1,
                    CopySource=f"{bucket}/src") == (501, "NotImplemented")
    assert s3.list_parts(Bucket=bucket, Key="dst", UploadId=upload).get("Parts", []) == []
    assert error_of(s3.list_multipart_uploads, Bucket=bucket) == (501, "NotImplemented")
    assert error_of(s3.get_object, Bucket=bucket, Key="src", PartNumber=1) == (501, "NotImplemented")


def test_signed_aws_chunked_upload_is_not_implemented_and_stores_nothing(server, s3):
    """README: "signed aws-chunked uploads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD ...) also answer NotImplemented"."""
    bucket = new_bucket(s3, "sigchunk")
    data = b"hello chunks"
    body = (f"{len(data):x};chunk-signature={'0' * 64}\r\n".encode() + data + b"\r\n"
            + f"0;chunk-signature={'0' * 64}\r\n\r\n".encode())
    r = signed_s3(server, "PUT", f"/{bucket}/streamed", body, {
        "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(data))})
    assert xml_error(r) == (501, "NotImplemented"), r.text
    assert error_of(s3.head_object, Bucket=bucket, Key="streamed") == (404, "404")


def test_crc64nvme_checksum_is_refused_and_stores_nothing(server, s3):
    """README: "CRC64NVME checksums are refused"."""
    bucket = new_bucket(s3, "crc64")
    r = signed_s3(server, "PUT", f"/{bucket}/k", b"data", {
        "x-amz-sdk-checksum-algorithm": "CRC64NVME", "x-amz-checksum-crc64nvme": b64(b"\0" * 8)})
    assert xml_error(r) == (400, "InvalidRequest"), r.text
    assert error_of(s3.head_object, Bucket=bucket, Key="k") == (404, "404")


# -- S3: what it serves --------------------------------------------------------------------------------------

CHECKSUMS = {
    "CRC32C": lambda d: b64(crc32c(d).to_bytes(4, "big")),
    "SHA1": lambda d: b64(hashlib.sha1(d).digest()),
    "SHA256": lambda d: b64(hashlib.sha256(d).digest()),
}


@pytest.mark.parametrize("algorithm", list(CHECKSUMS))
def test_additional_checksums_are_checked_stored_and_returned(s3, algorithm):
    """README, S3 details: "the additional checksums CRC32, CRC32C, SHA1 and SHA256 ... checked and stored"
    (CRC32 is tested in test_s3.py)."""
    bucket = new_bucket(s3, "sum")
    data = uuid.uuid4().bytes * 1000
    value = CHECKSUMS[algorithm](data)
    member = f"Checksum{algorithm}"
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, **{member: value})
    assert put[member] == value
    head = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert head[member] == value
    attrs = s3.list_objects_v2(Bucket=bucket)["Contents"][0]
    assert attrs["ChecksumAlgorithm"] == [algorithm]
    # A value that is not the body's is BadDigest, and nothing is stored.
    assert error_of(s3.put_object, Bucket=bucket, Key="bad", Body=data,
                    **{member: CHECKSUMS[algorithm](b"other")}) == (400, "BadDigest")
    assert error_of(s3.head_object, Bucket=bucket, Key="bad") == (404, "404")


def test_list_objects_with_encoding_type_url_encodes_keys_and_prefixes(server, s3):
    """README, Supported operations: ListObjectsV2 (... `encoding-type=url`). Seen on the wire: boto3 asks for it
    on every listing and decodes it, so only raw XML shows the keys are encoded."""
    bucket = new_bucket(s3, "enc")
    keys = ["plain", "with space/a&b+c", "ünï/x"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")

    def listed(query: str) -> tuple[ET.Element, str]:
        r = signed_s3(server, "GET", f"/{bucket}?{query}")
        assert r.status_code == 200, r.text
        root = ET.fromstring(r.content)
        return root, re.match(r"\{.*\}", root.tag).group(0)

    root, ns = listed("delimiter=%2F&encoding-type=url&list-type=2")
    assert root.findtext(f"{ns}EncodingType") == "url"
    raw_keys = [c.findtext(f"{ns}Key") for c in root.findall(f"{ns}Contents")]
    raw_prefixes = [p.findtext(f"{ns}Prefix") for p in root.findall(f"{ns}CommonPrefixes")]
    assert raw_keys == ["plain"]
    assert sorted(unquote_plus(p) for p in raw_prefixes) == ["with space/", "ünï/"]
    for p in raw_prefixes:
        assert re.fullmatch(r"[A-Za-z0-9%+/._~*-]*", p), p  # nothing left unencoded
    root, ns = listed("encoding-type=url&list-type=2")
    raw_keys = [c.findtext(f"{ns}Key") for c in root.findall(f"{ns}Contents")]
    assert sorted(unquote_plus(k) for k in raw_keys) == sorted(keys)
    assert "with space/a&b+c" not in raw_keys and "ünï/x" not in raw_keys
    # Without it, keys come back as they are.
    root, ns = listed("list-type=2")
    assert root.findtext(f"{ns}EncodingType") is None
    assert sorted(c.findtext(f"{ns}Key") for c in root.findall(f"{ns}Contents")) == sorted(keys)


def test_copy_source_conditions(s3):
    """README, Supported operations: CopyObject (... `x-amz-copy-source-if-*`): each condition that fails is 412
    PreconditionFailed and copies nothing; each that holds copies."""
    bucket = new_bucket(s3, "cond")
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"source")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="src")["LastModified"]
    day = dt.timedelta(days=1)
    src = f"{bucket}/src"
    failing = [{"CopySourceIfMatch": '"0123456789abcdef0123456789abcdef"'},
               {"CopySourceIfNoneMatch": etag},
               {"CopySourceIfModifiedSince": modified},
               {"CopySourceIfUnmodifiedSince": modified - day}]
    for i, cond in enumerate(failing):
        assert error_of(s3.copy_object, Bucket=bucket, Key=f"no{i}", CopySource=src, **cond) == \
            (412, "PreconditionFailed"), cond
        assert error_of(s3.head_object, Bucket=bucket, Key=f"no{i}") == (404, "404"), cond
    holding = [{"CopySourceIfMatch": etag}, {"CopySourceIfNoneMatch": '"0123456789abcdef0123456789abcdef"'},
               {"CopySourceIfModifiedSince": modified - day}, {"CopySourceIfUnmodifiedSince": modified}]
    for i, cond in enumerate(holding):
        s3.copy_object(Bucket=bucket, Key=f"yes{i}", CopySource=src, **cond)
        assert s3.get_object(Bucket=bucket, Key=f"yes{i}")["Body"].read() == b"source", cond


def test_copy_source_if_match_true_wins_over_if_unmodified_since_false(s3):
    """AWS's CopyObject reference: when x-amz-copy-source-if-match holds and x-amz-copy-source-if-unmodified-since
    does not, S3 copies (200); when if-none-match fails and if-modified-since holds, 412."""
    bucket = new_bucket(s3, "combo")
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"source")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="src")["LastModified"]
    day = dt.timedelta(days=1)
    s3.copy_object(Bucket=bucket, Key="copied", CopySource=f"{bucket}/src", CopySourceIfMatch=etag,
                   CopySourceIfUnmodifiedSince=modified - day)
    assert s3.get_object(Bucket=bucket, Key="copied")["Body"].read() == b"source"
    assert error_of(s3.copy_object, Bucket=bucket, Key="refused", CopySource=f"{bucket}/src",
                    CopySourceIfNoneMatch=etag, CopySourceIfModifiedSince=modified - day) == (412, "PreconditionFailed")


def test_buckets_belong_to_the_account_not_to_the_user_who_created_them(server, s3):
    """README, How Cairn differs (S3): "a bucket is reachable only by its owner's account". Any principal of the
    owning account whose policies allow it reaches it (an IAM user, a role session: neither created the bucket,
    and no bucket policy names them); the cross-account half cannot be shown end to end: a data directory holds
    one account (see the coverage table)."""
    bucket = new_bucket(s3, "owned")
    s3.put_object(Bucket=bucket, Key="k", Body=b"owned")
    iam, sts = server.client("iam"), server.client("sts")
    user = unique("reader")
    iam.create_user(UserName=user)
    alice = Creds.from_access_key(iam.create_access_key(UserName=user))
    role = unique("reader-role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust_policy(sts.get_caller_identity()["Arn"]))
    session = Creds.from_access_key(sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}",
                                                    RoleSessionName="reader"))
    # Authorization is on: each may read the object and list the account's buckets, nothing more.
    for who in ({"user": user}, {"role": role}):
        grant(iam, **who, actions="s3:GetObject", resource=f"arn:aws:s3:::{bucket}/k")
        grant(iam, **who, actions="s3:ListAllMyBuckets")
    for creds in (alice, session):
        other = server.client("s3", creds)
        assert other.get_object(Bucket=bucket, Key="k")["Body"].read() == b"owned"
        assert bucket in [b["Name"] for b in other.list_buckets()["Buckets"]]


# -- S3 Batch Operations -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ctl(server):
    return s3control(server)


def job_failure_codes(job: dict) -> list[str]:
    return [f["FailureCode"] for f in job.get("FailureReasons", [])]


def test_generator_with_a_missing_manifest_output_bucket_fails_manifest_output_bucket_not_found(server, s3, ctl):
    """README, How Cairn differs (S3 Batch Operations): the job failure codes include ManifestOutputBucketNotFound."""
    src = new_bucket(s3, "gensrc")
    put_objects(s3, src, ["a"])
    gen = {"S3JobManifestGenerator": {
        "SourceBucket": f"arn:aws:s3:::{src}", "EnableManifestOutput": True,
        "ManifestOutputLocation": {"Bucket": f"arn:aws:s3:::{unique('gone').lower()}",
                                   "ManifestFormat": "S3InventoryReport_CSV_20211130"}}}
    job = wait_status(ctl, create(ctl, None, ManifestGenerator=gen, ConfirmationRequired=False))
    assert job["Status"] == "Failed", job
    assert job_failure_codes(job) == ["ManifestOutputBucketNotFound"]
    assert job["FailureReasons"][0]["FailureReason"]
    assert tags_of(s3, src, "a") == {}


def test_report_bucket_gone_before_completion_fails_report_write_failed(server, s3, ctl):
    """README: the job failure codes include ReportWriteFailed. The report bucket exists when the job is prepared
    (else ReportBucketNotFound, tested in test_batch_operations.py) and is deleted while the job waits for
    confirmation; the tasks run, then the report cannot be written."""
    bucket, reports = new_bucket(s3, "rwf"), new_bucket(s3, "rwfreports")
    put_objects(s3, bucket, ["a"])
    job_id = create(ctl, upload_manifest(s3, bucket, [(bucket, "a")]), rep=report(reports), ConfirmationRequired=True)
    assert wait_status(ctl, job_id, "Suspended")["Status"] == "Suspended"
    s3.delete_bucket(Bucket=reports)
    ctl.update_job_status(AccountId=ACCOUNT, JobId=job_id, RequestedJobStatus="Ready")
    job = wait_status(ctl, job_id)
    assert job["Status"] == "Failed", job
    assert job_failure_codes(job) == ["ReportWriteFailed"]
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 1
    assert tags_of(s3, bucket, "a") == {"project": "cairn", "stage": "batch"}


def test_manifest_entries_with_a_version_id_fail_and_the_others_run(server, s3, ctl):
    """README: "Manifest entries with a version id fail (the store keeps no versions)"."""
    bucket, reports = new_bucket(s3, "ver"), new_bucket(s3, "verreports")
    put_objects(s3, bucket, ["versioned", "plain"])
    text = f"{bucket},versioned,3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY\n{bucket},plain,\n"
    etag = s3.put_object(Bucket=bucket, Key="manifest.csv", Body=text.encode())["ETag"]
    manifest = {"Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key", "VersionId"]},
                "Location": {"ObjectArn": f"arn:aws:s3:::{bucket}/manifest.csv", "ETag": etag}}
    job_id = create(ctl, manifest, rep=report(reports), ConfirmationRequired=False)
    job = wait_status(ctl, job_id)
    assert job["Status"] == "Complete", job
    p = job["ProgressSummary"]
    assert (p["TotalNumberOfTasks"], p["NumberOfTasksSucceeded"], p["NumberOfTasksFailed"]) == (2, 1, 1)
    assert tags_of(s3, bucket, "versioned") == {}
    assert tags_of(s3, bucket, "plain") == {"project": "cairn", "stage": "batch"}
    _, rows = read_report(s3, reports, "reports", job_id)
    [failed] = rows["failed"]
    assert failed[:6] == [bucket, "versioned", "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY", "failed", "400", "InvalidRequest"]
    assert [r[1] for r in rows["succeeded"]] == ["plain"]


def test_inventory_report_manifests_are_refused_at_create_job(server, s3, ctl):
    """README: "Inventory-report manifests are refused"."""
    bucket = new_bucket(s3, "inv")
    etag = s3.put_object(Bucket=bucket, Key="inventory/manifest.json", Body=b'{"files": []}')["ETag"]
    before = {j["JobId"] for j in ctl.list_jobs(AccountId=ACCOUNT)["Jobs"]}
    manifest = {"Spec": {"Format": "S3InventoryReport_CSV_20161130"},
                "Location": {"ObjectArn": f"arn:aws:s3:::{bucket}/inventory/manifest.json", "ETag": etag}}
    assert error_of(create, ctl, manifest, ConfirmationRequired=False) == (400, "BadRequestException")
    assert {j["JobId"] for j in ctl.list_jobs(AccountId=ACCOUNT)["Jobs"]} == before


def test_manifest_generator_filters_beyond_prefix(server, s3, ctl):
    """README, S3 Batch Operations: an S3JobManifestGenerator's "prefix, suffix, substring, size, date and
    storage-class filters" (prefix is tested in test_batch_operations.py). Each filter gets a job whose all-tasks
    report lists exactly the objects it selected."""
    src, reports, probe = new_bucket(s3, "filt"), new_bucket(s3, "filtrep"), new_bucket(s3, "probe")
    early = {"f/a.csv": (10, None), "f/b.txt": (100, None), "f/mid-xyz-1": (1000, "STANDARD_IA")}
    for key, (size, cls) in early.items():
        s3.put_object(Bucket=src, Key=key, Body=b"e" * size, **({"StorageClass": cls} if cls else {}))
    last_early = max(s3.head_object(Bucket=src, Key=k)["LastModified"] for k in early)
    # Server time, by its own clock: wait (polling a probe object's LastModified) until it is two seconds past the
    # early objects, so a cut one second after them falls strictly between early and late objects.
    cut = last_early.replace(microsecond=0) + dt.timedelta(seconds=1)
    wait_for(lambda: s3.put_object(Bucket=probe, Key="p", Body=b"p") and
             s3.head_object(Bucket=probe, Key="p")["LastModified"] >= cut + dt.timedelta(seconds=1),
             timeout=30, what="the server's clock two seconds past the early objects")
    s3.put_object(Bucket=src, Key="g/c.csv", Body=b"l" * 5000)
    every = set(early) | {"g/c.csv"}

    def selected(flt: dict) -> set[str]:
        gen = {"S3JobManifestGenerator": {"SourceBucket": f"arn:aws:s3:::{src}", "EnableManifestOutput": False,
                                          "Filter": flt}}
        prefix = unique("r")
        job = wait_status(ctl, create(ctl, None, ManifestGenerator=gen, rep=report(reports, prefix),
                                      ConfirmationRequired=False))
        assert job["Status"] == "Complete", (flt, job)
        _, rows = read_report(s3, reports, prefix, job["JobId"])
        keys = {unquote(r[1]) for r in rows.get("succeeded", [])}
        assert job["ProgressSummary"]["TotalNumberOfTasks"] == len(keys), (flt, job)
        return keys

    assert selected({"KeyNameConstraint": {"MatchAnySuffix": [".csv"]}}) == {"f/a.csv", "g/c.csv"}
    assert selected({"KeyNameConstraint": {"MatchAnySubstring": ["xyz"]}}) == {"f/mid-xyz-1"}
    assert selected({"ObjectSizeGreaterThanBytes": 100}) == {"f/mid-xyz-1", "g/c.csv"}
    assert selected({"ObjectSizeLessThanBytes": 100}) == {"f/a.csv"}
    assert selected({"MatchAnyStorageClass": ["STANDARD_IA"]}) == {"f/mid-xyz-1"}
    assert selected({"CreatedAfter": cut}) == {"g/c.csv"}
    assert selected({"CreatedBefore": cut}) == set(early)
    assert selected({}) == every
    assert selected({"KeyNameConstraint": {"MatchAnyPrefix": ["f/"], "MatchAnySuffix": [".txt", ".csv"]}}) == \
        {"f/a.csv", "f/b.txt"}


def test_cancelled_jobs_write_no_report(cairn_factory, tmp_path):
    """README: "Reports of cancelled jobs are not written". The job is held Active after its first batch of 1,000
    tasks (the hold file), cancelled there, and the runner is seen going round after it."""
    gate = Hold(tmp_path / "hold")
    srv = cairn_factory.new(*gate.args())
    s3, ctl = srv.client("s3"), s3control(srv)
    bucket, reports = new_bucket(s3, "cancel"), new_bucket(s3, "cancelrep")
    put_objects(s3, bucket, ["a"])
    gate.hold(after_tasks=1000)
    job_id = create(ctl, upload_manifest(s3, bucket, [(bucket, "a")] * 1001), rep=report(reports),
                    ConfirmationRequired=False)
    wait_for(lambda: (j := describe(ctl, job_id))["Status"] == "Active"
             and j["ProgressSummary"]["NumberOfTasksSucceeded"] == 1000, timeout=60,
             what="the job held after its first batch")
    out = ctl.update_job_status(AccountId=ACCOUNT, JobId=job_id, RequestedJobStatus="Cancelled")
    assert out["Status"] == "Cancelling"
    assert wait_status(ctl, job_id)["Status"] == "Cancelled"
    gate.release()
    runner_went_round(ctl)
    assert describe(ctl, job_id)["Status"] == "Cancelled"
    assert s3.list_objects_v2(Bucket=reports).get("Contents", []) == []
    # The same job left to finish writes its report: the bucket and prefix were usable.
    done = create(ctl, upload_manifest(s3, bucket, [(bucket, "a")]), rep=report(reports), ConfirmationRequired=False)
    assert wait_status(ctl, done)["Status"] == "Complete"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=reports).get("Contents", [])]
    assert f"reports/job-{done}/manifest.json" in keys
    assert not [k for k in keys if f"job-{job_id}" in k]


# -- SNS -----------------------------------------------------------------------------------------------------

def test_get_and_set_topic_attributes(fast):
    """README, Supported operations: SNS Get/SetTopicAttributes."""
    sns, sqs = fast.client("sns"), fast.client("sqs")
    name = unique("topic")
    topic = sns.create_topic(Name=name)["TopicArn"]
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attrs["TopicArn"] == topic and attrs["Owner"] == ACCOUNT
    assert (attrs["DisplayName"], attrs["SubscriptionsConfirmed"], attrs["SubscriptionsPending"]) == ("", "0", "0")
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="Readme topic")
    _, arn = new_queue(sqs, allow=SNS_PRINCIPAL)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attrs["DisplayName"] == "Readme topic" and attrs["SubscriptionsConfirmed"] == "1"
    assert error_of(sns.set_topic_attributes, TopicArn=topic, AttributeName="NoSuchAttribute",
                    AttributeValue="x") == (400, "InvalidParameter")
    assert error_of(sns.get_topic_attributes, TopicArn=topic + "-missing") == (404, "NotFound")


def test_list_subscriptions_lists_every_topic_of_the_account(fast):
    """README, Supported operations: SNS ListSubscriptions (ListSubscriptionsByTopic is in test_sns_http.py)."""
    sns, sqs = fast.client("sns"), fast.client("sqs")
    topics = [sns.create_topic(Name=unique("topic"))["TopicArn"] for _ in range(2)]
    _, arn = new_queue(sqs)
    subs = {sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]: t for t in topics}
    listed = []
    token = None
    while True:
        page = sns.list_subscriptions(**({"NextToken": token} if token else {}))
        listed += page["Subscriptions"]
        token = page.get("NextToken")
        if not token:
            break
    mine = {s["SubscriptionArn"]: s for s in listed if s["SubscriptionArn"] in subs}
    assert set(mine) == set(subs)
    for sub, topic in subs.items():
        assert mine[sub] == {"SubscriptionArn": sub, "Owner": ACCOUNT, "Protocol": "sqs", "Endpoint": arn,
                             "TopicArn": topic}


def test_message_structure_json_sends_each_protocol_its_message(fast):
    """README, Supported operations: Publish (MessageStructure `json`): an SQS subscriber gets the "sqs" entry, and
    the "default" entry when there is none."""
    sns, sqs = fast.client("sns"), fast.client("sqs")
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    url, arn = new_queue(sqs, allow=SNS_PRINCIPAL)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, MessageStructure="json",
                Message=json.dumps({"default": "for everyone", "sqs": "for queues", "http": "for hooks"}))
    [m] = wait_messages(sqs, url, 1)
    assert json.loads(m["Body"])["Message"] == "for queues"
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "only default"}))
    [m] = wait_messages(sqs, url, 1)
    assert json.loads(m["Body"])["Message"] == "only default"


@pytest.mark.parametrize("protocol, endpoint", [
    ("email", "someone@example.com"), ("email-json", "someone@example.com"), ("sms", "+15555550100"),
    ("lambda", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f")])
def test_email_sms_and_lambda_subscriptions_are_refused(fast, protocol, endpoint):
    """README, How Cairn differs (SNS): "email, sms, lambda subscriptions are refused at Subscribe"."""
    sns = fast.client("sns")
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    assert error_of(sns.subscribe, TopicArn=topic, Protocol=protocol, Endpoint=endpoint) == (400, "InvalidParameter")
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_sns_to_sqs_delivery_that_fails_is_dead_lettered_by_the_subscription_redrive_policy(fast):
    """README, How Cairn differs: "An SNS → SQS delivery's dead-letter RULE_ARN is the subscription ARN" (and
    Get/SetSubscriptionAttributes take RedrivePolicy): a subscription whose queue does not exist sends the message
    to its RedrivePolicy's dead-letter queue (whose policy lets SNS send to it), with ERROR_CODE NO_RESOURCE."""
    sns, sqs = fast.client("sns"), fast.client("sqs")
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    dlq_url, dlq_arn = new_queue(sqs, "snsdlq", allow=SNS_PRINCIPAL)
    missing = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{unique('missing')}"
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=missing, Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})["SubscriptionArn"]
    assert json.loads(sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["RedrivePolicy"]) == \
        {"deadLetterTargetArn": dlq_arn}
    message_id = sns.publish(TopicArn=topic, Message="undeliverable")["MessageId"]
    [m] = wait_messages(fast.client("sqs"), dlq_url, 1, timeout=20, MessageAttributeNames=["All"])
    a = dlq_attributes(m)
    assert a["RULE_ARN"] == sub
    assert a["TARGET_ARN"] == missing
    assert a["ERROR_CODE"] == "NO_RESOURCE"
    assert json.loads(m["Body"])["MessageId"] == message_id


# -- EventBridge: API destinations ---------------------------------------------------------------------------

def destination(events, url: str, auth_type: str, auth: dict, **kw) -> str:
    conn = events.create_connection(Name=unique("conn"), AuthorizationType=auth_type, AuthParameters=auth)
    return events.create_api_destination(Name=unique("dest"), ConnectionArn=conn["ConnectionArn"],
                                         InvocationEndpoint=url, HttpMethod="POST", **kw)["ApiDestinationArn"]


def test_basic_auth_connection_sends_the_authorization_header(fast):
    """README, EventBridge targets: API destinations with "basic auth"."""
    events = fast.client("events")
    endpoint = HTTPEndpoint()
    try:
        password = f"pw-{uuid.uuid4().hex}"
        arn = destination(events, endpoint.url + "/hook", "BASIC",
                          {"BasicAuthParameters": {"Username": "alice", "Password": password}})
        source = unique("basic")
        rule_to(events, source, [{"Id": "h", "Arn": arn, "InputPath": "$.detail"}])
        put_event(events, source, {"order": 1})
        path, headers, body = endpoint.wait(1)[0]
        assert path == "/hook"
        assert headers["Authorization"] == "Basic " + b64(f"alice:{password}".encode())
        assert json.loads(body) == {"order": 1}
    finally:
        endpoint.close()


class ClockedEndpoint:
    """An HTTP receiver that, as each request arrives, reads how many "clock" messages (sent with DelaySeconds 1, 2,
    ...) the server's SQS has made visible: a request that arrives only once clock n is visible came at least n
    seconds after the clocks were sent, by the server's clock, with no stopwatch in the test."""

    def __init__(self, srv, clock_url: str):
        self.seen: list[int] = []
        sqs = srv.client("sqs")
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                with lock:
                    visible = sqs.get_queue_attributes(QueueUrl=clock_url, AttributeNames=[
                        "ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"]
                    outer.seen.append(int(visible))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_invocation_rate_limit_spaces_the_requests(fast):
    """README, EventBridge targets: API destinations with an "invocation rate limit". At 1 per second, three events
    put at once reach the endpoint one second apart: the second only once a 1-second clock message is visible, the
    third only once a 2-second one is."""
    events, sqs = fast.client("events"), fast.client("sqs")
    clock_url, _ = new_queue(sqs, "clock")
    endpoint = ClockedEndpoint(fast, clock_url)
    try:
        arn = destination(events, endpoint.url, "API_KEY",
                          {"ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "v"}},
                          InvocationRateLimitPerSecond=1)
        source = unique("rate")
        rule_to(events, source, [{"Id": "h", "Arn": arn}])
        sqs.send_message(QueueUrl=clock_url, MessageBody="1s", DelaySeconds=1)
        sqs.send_message(QueueUrl=clock_url, MessageBody="2s", DelaySeconds=2)
        out = events.put_events(Entries=[{"Source": source, "DetailType": "readme", "Detail": json.dumps({"n": i})}
                                         for i in range(3)])
        assert out["FailedEntryCount"] == 0
        wait_for(lambda: len(endpoint.seen) == 3, timeout=30, what="three requests")
        assert endpoint.seen[1] >= 1 and endpoint.seen[2] >= 2, endpoint.seen
    finally:
        endpoint.close()


def test_connection_failure_is_dead_lettered_with_connection_failure(fast):
    """README, How Cairn differs (EventBridge): "ERROR_CODE takes AWS's documented values: ERROR_FROM_TARGET ...,
    CONNECTION_FAILURE". Nothing listens on the destination's port."""
    events, sqs = fast.client("events"), fast.client("sqs")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: connections are refused
    arn = destination(events, f"http://127.0.0.1:{port}/hook", "API_KEY",
                      {"ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "v"}})
    dlq_url, dlq_arn = new_queue(sqs, "connerr", allow=EVENTS_PRINCIPAL)
    source = unique("connerr")
    rule_arn = rule_to(events, source, [{"Id": "h", "Arn": arn, "RetryPolicy": {"MaximumRetryAttempts": 1},
                                         "DeadLetterConfig": {"Arn": dlq_arn}}])
    event_id = put_event(events, source, {"n": 1})["Entries"][0]["EventId"]
    [m] = wait_messages(sqs, dlq_url, 1, MessageAttributeNames=["All"])
    a = dlq_attributes(m)
    assert a["ERROR_CODE"] == "CONNECTION_FAILURE"
    assert (a["RULE_ARN"], a["TARGET_ARN"]) == (rule_arn, arn)
    assert json.loads(m["Body"])["id"] == event_id


def test_oauth_connections_are_refused(fast):
    """README, How Cairn differs (EventBridge): "OAuth connections are refused with ValidationException"."""
    events = fast.client("events")
    name = unique("oauth")
    assert error_of(events.create_connection, Name=name, AuthorizationType="OAUTH_CLIENT_CREDENTIALS", AuthParameters={
        "OAuthParameters": {"ClientParameters": {"ClientID": "id", "ClientSecret": "secret"},
                            "AuthorizationEndpoint": "https://auth.example.com/token", "HttpMethod": "POST"}}) == \
        (400, "ValidationException")
    assert name not in [c["Name"] for c in events.list_connections()["Connections"]]


def test_describe_and_delete_api_destination(fast):
    """README, Supported operations: DescribeApiDestination, DeleteApiDestination; and a deleted destination is
    NO_RESOURCE for the target that still names it, not retried."""
    events, sqs = fast.client("events"), fast.client("sqs")
    conn = events.create_connection(Name=unique("conn"), AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "v"}})["ConnectionArn"]
    name = unique("dest")
    arn = events.create_api_destination(Name=name, ConnectionArn=conn, InvocationEndpoint="http://127.0.0.1:9/x/*",
                                        HttpMethod="PUT", InvocationRateLimitPerSecond=7,
                                        Description="readme")["ApiDestinationArn"]
    d = events.describe_api_destination(Name=name)
    assert (d["ApiDestinationArn"], d["Name"], d["ConnectionArn"], d["InvocationEndpoint"], d["HttpMethod"],
            d["InvocationRateLimitPerSecond"], d["ApiDestinationState"], d["Description"]) == \
        (arn, name, conn, "http://127.0.0.1:9/x/*", "PUT", 7, "ACTIVE", "readme")
    events.delete_api_destination(Name=name)
    assert error_of(events.describe_api_destination, Name=name) == (400, "ResourceNotFoundException")
    assert error_of(events.delete_api_destination, Name=name) == (400, "ResourceNotFoundException")
    assert arn not in [x["ApiDestinationArn"] for x in events.list_api_destinations()["ApiDestinations"]]
    dlq_url, dlq_arn = new_queue(sqs, "gone", allow=EVENTS_PRINCIPAL)
    source = unique("gone")
    rule_to(events, source, [{"Id": "h", "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn}}])
    put_event(events, source, {"n": 1})
    [m] = wait_messages(sqs, dlq_url, 1, MessageAttributeNames=["All"])
    assert dlq_attributes(m)["ERROR_CODE"] == "NO_RESOURCE"


# -- CloudTrail: Cairn's own deliveries, secrets -----------------------------------------------------------------

DATA_AND_MANAGEMENT = [{"Name": "data", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]},
                       {"Name": "management", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]


def test_cairns_own_deliveries_to_sqs_are_not_recorded(cairn_factory):
    """README, How Cairn differs: "Deliveries Cairn makes on its own (EventBridge → SQS/SNS) are not recorded".
    A trail taking every data event gets the caller's PutEvents, Publish, ReceiveMessage and SendMessage, and no
    SendMessage or Publish for the deliveries Cairn made in between."""
    srv = cairn_factory.new("--trail-delivery-interval", "1")
    bucket = start_trail(srv, DATA_AND_MANAGEMENT)
    events, sqs, sns = srv.client("events"), srv.client("sqs"), srv.client("sns")
    url, arn = new_queue(sqs, "target", allow=EVENTS_PRINCIPAL)
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    allow_events_to_topic(sns, topic)
    topic_url, topic_queue = new_queue(sqs, "viatopic", allow=SNS_PRINCIPAL)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=topic_queue)
    source = unique("own")
    rule_to(events, source, [{"Id": "q", "Arn": arn}, {"Id": "t", "Arn": topic}])
    put_id = request_id(put_event(events, source, {"n": 1}))
    publish_id = request_id(sns.publish(TopicArn=topic, Message="direct"))
    # Everything Cairn delivers has arrived (one event to the queue; the event and the direct publish via the topic).
    wait_messages(sqs, url, 1)
    wait_messages(sqs, topic_url, 2)
    marker = request_id(sqs.send_message(QueueUrl=url, MessageBody="marker"))  # the caller's own, made last
    wait_for(lambda: marker in {r.get("requestID") for r in log_records(srv, bucket)}, timeout=30,
             what="the marker in a delivered log file")
    records = log_records(srv, bucket)
    ids = {r.get("requestID") for r in records}
    assert put_id in ids and publish_id in ids
    sends = [r for r in records if r["eventName"] in ("SendMessage", "SendMessageBatch")]
    assert [r["requestID"] for r in sends] == [marker], sends
    publishes = [r for r in records if r["eventName"] == "Publish"]
    assert [r["requestID"] for r in publishes] == [publish_id], publishes
    # Every record is a caller's: none made in Cairn's or an AWS service's name for the deliveries.
    assert all(r["userIdentity"]["type"] != "AWSService" or r["eventSource"] == "s3.amazonaws.com" for r in records)


def test_secrets_are_absent_from_data_event_records_and_trail_log_files(cairn_factory):
    """README, The audit record: "Secrets (secretAccessKey, sessionToken, passwords) are replaced by
    HIDDEN_DUE_TO_SECURITY_REASONS before the record is stored"; Secrets at rest: "Access-key secrets and session
    tokens are stored sealed"; API destinations: connection secrets appear in no record. A trail taking management
    and data events gets calls that carry secrets — new access keys, a role session's credentials used for data
    calls (header-signed, SigV4 and SigV2 presigned URLs), connection keys and passwords — and no delivered log
    file, nor the database files, holds one of them in the clear."""
    srv = cairn_factory.new("--trail-delivery-interval", "1")
    bucket = start_trail(srv, DATA_AND_MANAGEMENT)
    iam, sts, events = srv.client("iam"), srv.client("sts"), srv.client("events")
    user = unique("keyed")
    iam.create_user(UserName=user)
    created_key = iam.create_access_key(UserName=user)
    key = Creds.from_access_key(created_key)
    role = unique("role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust_policy(sts.get_caller_identity()["Arn"]))
    grant(iam, role=role)  # the session makes S3 and SQS calls
    assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName="secrets")
    session = Creds.from_access_key(assumed)
    api_key, password = f"apikey-{uuid.uuid4().hex}", f"password-{uuid.uuid4().hex}"
    events.create_connection(Name=unique("conn"), AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": api_key}})
    events.create_connection(Name=unique("conn"), AuthorizationType="BASIC", AuthParameters={
        "BasicAuthParameters": {"Username": "u", "Password": password}})

    # Data events made with the session's credentials, in every way a client signs them.
    data = new_bucket(srv.client("s3"), "data")
    s3s = srv.client("s3", session)
    s3s.put_object(Bucket=data, Key="k", Body=b"v")
    data_ids = [request_id(s3s.get_object(Bucket=data, Key="k"))]
    for config in (None, Config(signature_version="s3v4")):
        signer = srv.session(session).client("s3", endpoint_url=srv.endpoint,
                                             config=NO_RETRY.merge(config) if config else NO_RETRY)
        url = signer.generate_presigned_url("get_object", Params={"Bucket": data, "Key": "k"}, ExpiresIn=300)
        assert ("X-Amz-Security-Token=" in url) if config else ("x-amz-security-token=" in url), url
        r = http("GET", url)
        assert r.status_code == 200 and r.content == b"v", (url, r.text)
        data_ids.append(r.headers["x-amz-request-id"])
    sqs = srv.client("sqs", session)
    queue = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    data_ids.append(request_id(sqs.send_message(QueueUrl=queue, MessageBody="m")))
    marker = request_id(srv.client("sqs").send_message(QueueUrl=queue, MessageBody="marker"))
    wait_for(lambda: marker in {r.get("requestID") for r in log_records(srv, bucket)}, timeout=30,
             what="the marker in a delivered log file")

    secrets = {"user secret access key": key.secret_key, "session secret access key": session.secret_key,
               "session token": session.token, "connection API key": api_key, "connection password": password}
    records = log_records(srv, bucket)
    ids = {r.get("requestID") for r in records}
    assert set(data_ids) <= ids, "the data calls were not all delivered"
    assert {"CreateAccessKey", "AssumeRole", "CreateConnection"} <= {r["eventName"] for r in records}
    logs = [gzip.decompress(raw) for raw in log_files(srv, bucket)]
    leaks = [what for what, s in secrets.items() if any(s.encode() in text for text in logs)]
    where = [(r["eventName"], r["eventCategory"], json.dumps(r["requestParameters"])[:300]) for r in records
             if any(s in json.dumps(r) for s in secrets.values())]
    assert leaks == [], f"in delivered trail log files: {leaks}, in the records {where}"
    # The same in the database files (cairn.sqlite and its WAL): data-event records are stored there for trails.
    for name in ("cairn.sqlite", "cairn.sqlite-wal"):
        path = srv.data_dir / name
        raw = path.read_bytes() if path.exists() else b""
        found = [what for what, s in secrets.items()
                 if what not in ("connection API key", "connection password") and s.encode() in raw]
        assert found == [], f"in {name}: {found}"


@sqlite_only(reason="reads the cairn.sqlite* files")
def test_connection_secrets_are_not_in_the_database_files(cairn_factory):
    """README, How Cairn differs (EventBridge): "A connection's SecretArn names the Secrets Manager secret AWS would
    keep; Cairn keeps the credentials sealed in its own store" — sealed, as access-key secrets are (Secrets at
    rest): a copy of the database alone does not hold them. Checked while running and after a clean stop."""
    srv = cairn_factory.new()
    events = srv.client("events")
    api_key, password = f"apikey-{uuid.uuid4().hex}", f"password-{uuid.uuid4().hex}"
    events.create_connection(Name=unique("conn"), AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": api_key}})
    events.create_connection(Name=unique("conn"), AuthorizationType="BASIC", AuthParameters={
        "BasicAuthParameters": {"Username": "u", "Password": password}})
    secrets = {"connection API key": api_key, "connection password": password}

    def leaks() -> list[str]:
        found = []
        for p in srv.data_dir.iterdir():
            if p.is_file() and p.name.startswith("cairn.sqlite"):
                raw = p.read_bytes()
                found += [f"{what} in {p.name}" for what, s in secrets.items() if s.encode() in raw]
        return found

    assert leaks() == []
    srv.stop()
    assert leaks() == []
