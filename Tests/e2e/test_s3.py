"""S3 with boto3 and the aws CLI exactly as a user calls them: buckets, objects and their digests,
checksums, ranges and conditionals, copies and tags, keys that look like paths, listings and
paging in UTF-8 byte order, multipart uploads, presigned URLs (SigV2 and SigV4), 100-continue,
aws-chunked bodies, virtual-hosted requests, which calls are management events (in LookupEvents)
and which are data events (not), authentication failures, concurrent writers and restarts."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import shutil
import subprocess
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

import conftest
from conftest import NO_RETRY, Creds, HTTPResponse, database_sql, http, skip_or_fail_in_ci, unique, wait_for

ACCOUNT = "000000000000"
MiB = 1024 * 1024
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


# -- helpers -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def s3(server):
    return server.client("s3")


def new_bucket(s3, prefix: str = "bkt") -> str:
    name = unique(prefix).lower()
    s3.create_bucket(Bucket=name)
    return name


def error_of(call, *args, **kwargs) -> dict:
    """The Error of a call that must fail, plus the HTTP status."""
    with pytest.raises(ClientError) as ei:
        call(*args, **kwargs)
    err = dict(ei.value.response["Error"])
    err["Status"] = ei.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return err


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def status(resp: dict) -> int:
    return resp["ResponseMetadata"]["HTTPStatusCode"]


def body_of(s3, bucket: str, key: str, **kw) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key, **kw)["Body"].read()


def utf8_sorted(keys) -> list[str]:
    return sorted(keys, key=lambda k: k.encode("utf-8"))


def all_keys_v2(s3, bucket: str, **kw) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, **kw):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return keys


def all_keys_v1(s3, bucket: str, **kw) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects").paginate(Bucket=bucket, **kw):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return keys


def xml_error(resp: HTTPResponse) -> tuple[int, str, str]:
    """(status, Code, Message) of an S3 XML error body."""
    root = ET.fromstring(resp.content)
    ns = re.match(r"\{.*\}", root.tag)
    ns = ns.group(0) if ns else ""
    assert root.tag == f"{ns}Error", resp.text
    return resp.status_code, root.findtext(f"{ns}Code"), root.findtext(f"{ns}Message") or ""


def signed(server, method: str, path: str, body: bytes = b"", headers: dict | None = None,
           creds: Creds | None = None, chunked: bool = False, region: str = "us-east-1") -> HTTPResponse:
    """A SigV4 request signed for `s3` as botocore signs it, with X-Amz-Content-SHA256 set to
    the body's hash unless the caller set it."""
    creds = creds or server.admin
    headers = dict(headers or {})
    if not any(k.lower() == "x-amz-content-sha256" for k in headers):
        headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
    req = AWSRequest(method=method, url=server.endpoint + path, data=body, headers=headers)
    SigV4Auth(Credentials(creds.access_key, creds.secret_key, creds.token), "s3", region).add_auth(req)
    prepared = req.prepare()
    out_headers = dict(prepared.headers)
    if chunked:
        out_headers = {k: v for k, v in out_headers.items() if k.lower() != "content-length"}
    return http(method, prepared.url, body=body, headers=out_headers, chunked=chunked)


def aws_chunked(data: bytes, trailers: dict[str, str], chunk: int = 64 * 1024) -> bytes:
    """An unsigned aws-chunked body: hex-size CRLF data CRLF ..., 0 CRLF, trailer lines, CRLF."""
    out = b""
    for i in range(0, len(data), chunk):
        part = data[i:i + chunk]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    out += b"0\r\n"
    for name, value in trailers.items():
        out += f"{name}:{value}\r\n".encode()
    return out + b"\r\n"


def chunked_headers(data: bytes) -> dict[str, str]:
    return {"Content-Encoding": "aws-chunked",
            "X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "X-Amz-Decoded-Content-Length": str(len(data)),
            "X-Amz-Trailer": "x-amz-checksum-crc32",
            "x-amz-sdk-checksum-algorithm": "CRC32",
            "Content-Type": "application/octet-stream"}


def raw_head(server, method: str, path: str, body: bytes, headers: dict[str, str],
             extra: str = "") -> bytes:
    """The request line and headers of a SigV4-signed request (hex payload hash), for sending
    by hand over a socket; `extra` header lines are added unsigned (like Expect)."""
    headers = dict(headers)
    headers.setdefault("X-Amz-Content-SHA256", hashlib.sha256(body).hexdigest())
    req = AWSRequest(method=method, url=server.endpoint + path, data=body, headers=headers)
    admin = server.admin
    SigV4Auth(Credentials(admin.access_key, admin.secret_key), "s3", "us-east-1").add_auth(req)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
    for name, value in req.headers.items():
        head += f"{name}: {value}\r\n"
    head += f"Content-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode()


def read_response_head(sock: socket.socket, pending: bytes = b"") -> tuple[int, bytes, bytes]:
    """(status, head, bytes after the head) of the next response on a socket."""
    data = pending
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response head: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head, rest


def stored_blobs(srv) -> list[bytes]:
    """Every object body the server keeps: blob files on SQLite, chunk rows on PostgreSQL (joined per blob)."""
    if conftest.ENGINE == "postgres":
        out = database_sql(srv.data_dir, "SELECT encode(string_agg(data, ''::bytea ORDER BY chunk_index), 'hex') "
                                         "FROM s3_blob_chunk GROUP BY blob")
        return [bytes.fromhex(line) for line in out.split()]
    root = srv.data_dir / "objects" / "blobs"
    return [p.read_bytes() for p in root.rglob("*") if p.is_file()]


def no_partial_uploads(srv) -> bool:
    """Nothing of an upload in progress is left (SQLite: the temporary directory is empty)."""
    tmp = srv.data_dir / "objects" / "tmp"
    return conftest.ENGINE == "postgres" or not list(tmp.iterdir())


def cli(server, *args: str, check: bool = True, timeout: float = 120):
    """The aws CLI for commands whose output is not JSON (`aws s3 ...`)."""
    cp = server.aws(*args, check=False, timeout=timeout)
    if check:
        assert cp.returncode == 0, f"aws {' '.join(args)} failed ({cp.returncode}):\n{cp.stderr}"
    return cp


# -- buckets -------------------------------------------------------------------------------

def test_create_list_head_and_delete_a_bucket(s3):
    name = unique("life").lower()
    created = s3.create_bucket(Bucket=name)
    assert created["Location"] == f"/{name}"
    listed = s3.list_buckets()
    assert name in [b["Name"] for b in listed["Buckets"]]
    mine = next(b for b in listed["Buckets"] if b["Name"] == name)
    assert abs((mine["CreationDate"] - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 60
    assert listed["Owner"]["ID"]
    head = s3.head_bucket(Bucket=name)
    assert status(head) == 200
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    deleted = s3.delete_bucket(Bucket=name)
    assert status(deleted) == 204
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    err = error_of(s3.head_bucket, Bucket=name)
    assert (err["Status"], err["Code"]) == (404, "404")


def test_get_bucket_location_us_east_1_and_eu_west_1(s3, server):
    name = new_bucket(s3, "loc")
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    eu = server.client("s3", region="eu-west-1")
    eu_name = unique("loceu").lower()
    eu.create_bucket(Bucket=eu_name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert eu.get_bucket_location(Bucket=eu_name)["LocationConstraint"] == "eu-west-1"
    assert s3.get_bucket_location(Bucket=eu_name)["LocationConstraint"] == "eu-west-1"
    regions = {b["Name"]: b.get("BucketRegion") for b in s3.list_buckets()["Buckets"]}
    assert regions[eu_name] == "eu-west-1" and regions[name] == "us-east-1"


def test_create_existing_bucket_is_bucket_already_owned_by_you(s3, server):
    # us-east-1 keeps AWS's legacy answer: 200 for a bucket you already own there, unchanged.
    name = new_bucket(s3, "dup")
    s3.put_object(Bucket=name, Key="kept", Body=b"still here")
    again = s3.create_bucket(Bucket=name)
    assert status(again) == 200
    assert body_of(s3, name, "kept") == b"still here"
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]].count(name) == 1
    # Every other region says so.
    eu = server.client("s3", region="eu-west-1")
    eu_name = unique("dupeu").lower()
    eu.create_bucket(Bucket=eu_name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    err = error_of(eu.create_bucket, Bucket=eu_name,
                   CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert (err["Status"], err["Code"]) == (409, "BucketAlreadyOwnedByYou")
    assert err.get("BucketName") == eu_name


@pytest.mark.parametrize("name", ["ab", "Upper-Case-Bucket", "under_score", "-leading-dash",
                                  "trailing-dash-", "two..dots", "192.168.1.1", "x" * 64])
def test_invalid_bucket_names(s3, name):
    err = error_of(s3.create_bucket, Bucket=name)
    assert (err["Status"], err["Code"]) == (400, "InvalidBucketName"), err
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_delete_non_empty_bucket_is_bucket_not_empty(s3):
    name = new_bucket(s3, "full")
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    err = error_of(s3.delete_bucket, Bucket=name)
    assert (err["Status"], err["Code"]) == (409, "BucketNotEmpty")
    assert body_of(s3, name, "k") == b"x"
    s3.delete_object(Bucket=name, Key="k")
    assert status(s3.delete_bucket(Bucket=name)) == 204


def test_missing_bucket_is_no_such_bucket(s3):
    name = unique("ghost").lower()
    for call, kw in [(s3.get_object, {"Key": "k"}), (s3.put_object, {"Key": "k", "Body": b"x"}),
                     (s3.list_objects_v2, {}), (s3.list_objects, {}), (s3.delete_bucket, {}),
                     (s3.get_bucket_location, {}), (s3.delete_object, {"Key": "k"})]:
        err = error_of(call, Bucket=name, **kw)
        assert (err["Status"], err["Code"]) == (404, "NoSuchBucket"), (call, err)
        assert err.get("BucketName") == name


def test_bucket_policy_put_get_delete(s3):
    name = new_bucket(s3, "pol")
    err = error_of(s3.get_bucket_policy, Bucket=name)
    assert (err["Status"], err["Code"]) == (404, "NoSuchBucketPolicy")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "ReadAll", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}]})
    assert status(s3.put_bucket_policy(Bucket=name, Policy=policy)) == 204
    assert json.loads(s3.get_bucket_policy(Bucket=name)["Policy"]) == json.loads(policy)
    assert status(s3.delete_bucket_policy(Bucket=name)) == 204
    err = error_of(s3.get_bucket_policy, Bucket=name)
    assert (err["Status"], err["Code"]) == (404, "NoSuchBucketPolicy")


def test_malformed_bucket_policy(s3):
    name = new_bucket(s3, "badpol")
    for bad in ["not json", "[1, 2]", json.dumps({"Version": "2012-10-17"})]:
        err = error_of(s3.put_bucket_policy, Bucket=name, Policy=bad)
        assert (err["Status"], err["Code"]) == (400, "MalformedPolicy"), (bad, err)
    assert error_of(s3.get_bucket_policy, Bucket=name)["Code"] == "NoSuchBucketPolicy"


# -- objects -------------------------------------------------------------------------------

def test_put_get_round_trip_with_metadata_content_type_and_etag(s3):
    bucket = new_bucket(s3, "obj")
    data = os.urandom(100_000)
    put = s3.put_object(Bucket=bucket, Key="dir/file.bin", Body=data, ContentType="image/png",
                        Metadata={"Color": "blue", "x-y": "z w"}, CacheControl="max-age=60",
                        ContentDisposition='attachment; filename="f.bin"')
    assert put["ETag"] == f'"{md5_hex(data)}"'
    got = s3.get_object(Bucket=bucket, Key="dir/file.bin")
    assert got["Body"].read() == data
    assert got["ContentLength"] == len(data)
    assert got["ContentType"] == "image/png"
    assert got["ETag"] == put["ETag"]
    assert got["Metadata"] == {"color": "blue", "x-y": "z w"}
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentDisposition"] == 'attachment; filename="f.bin"'
    assert got["AcceptRanges"] == "bytes"
    assert abs((got["LastModified"] - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 60
    head = s3.head_object(Bucket=bucket, Key="dir/file.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == put["ETag"] and head["Metadata"] == got["Metadata"]
    assert head["ContentType"] == "image/png"
    # No Content-Type: S3's default.
    s3.put_object(Bucket=bucket, Key="plain", Body=b"")
    empty = s3.get_object(Bucket=bucket, Key="plain")
    assert empty["ContentType"] == "binary/octet-stream"
    assert empty["Body"].read() == b"" and empty["ContentLength"] == 0
    assert empty["ETag"] == f'"{md5_hex(b"")}"'


def test_overwrite_replaces_body_and_metadata(s3):
    bucket = new_bucket(s3, "over")
    s3.put_object(Bucket=bucket, Key="k", Body=b"first", Metadata={"a": "1"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"second!", ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"second!"
    assert got["Metadata"] == {}
    assert got["ContentType"] == "text/plain"
    assert got["ETag"] == f'"{md5_hex(b"second!")}"'


def test_content_md5_good_bad_and_invalid(s3):
    bucket = new_bucket(s3, "md5")
    data = b"payload with a digest"
    put = s3.put_object(Bucket=bucket, Key="good", Body=data, ContentMD5=md5_b64(data))
    assert put["ETag"] == f'"{md5_hex(data)}"'
    err = error_of(s3.put_object, Bucket=bucket, Key="bad", Body=data, ContentMD5=md5_b64(b"other"))
    assert (err["Status"], err["Code"]) == (400, "BadDigest")
    assert error_of(s3.head_object, Bucket=bucket, Key="bad")["Code"] == "404"
    for invalid in ["not-base64!!", base64.b64encode(b"short").decode()]:
        err = error_of(s3.put_object, Bucket=bucket, Key="invalid", Body=data, ContentMD5=invalid)
        assert (err["Status"], err["Code"]) == (400, "InvalidDigest"), (invalid, err)
    assert error_of(s3.head_object, Bucket=bucket, Key="invalid")["Code"] == "404"


def test_crc32_checksum_is_echoed_stored_and_validated_on_get(s3):
    bucket = new_bucket(s3, "crc")
    data = os.urandom(33_333)
    put = s3.put_object(Bucket=bucket, Key="c", Body=data, ChecksumAlgorithm="CRC32")
    assert put["ChecksumCRC32"] == crc32_b64(data)
    got = s3.get_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == crc32_b64(data)
    assert got["Body"].read() == data  # botocore validates the body against the header
    head = s3.head_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == crc32_b64(data)
    # A ranged GET must not carry the full object's checksum.
    ranged = s3.get_object(Bucket=bucket, Key="c", Range="bytes=0-9", ChecksumMode="ENABLED")
    assert ranged["Body"].read() == data[:10]
    assert "ChecksumCRC32" not in ranged


def test_wrong_crc32_checksum_is_bad_digest(s3):
    bucket = new_bucket(s3, "badcrc")
    err = error_of(s3.put_object, Bucket=bucket, Key="c", Body=b"hello world",
                   ChecksumCRC32=crc32_b64(b"something else"))
    assert (err["Status"], err["Code"]) == (400, "BadDigest")
    assert error_of(s3.head_object, Bucket=bucket, Key="c")["Code"] == "404"


def test_ranges(s3):
    bucket = new_bucket(s3, "range")
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    for rng, body, content_range in [("bytes=2-4", b"234", "bytes 2-4/10"),
                                     ("bytes=-3", b"789", "bytes 7-9/10"),
                                     ("bytes=5-", b"56789", "bytes 5-9/10"),
                                     ("bytes=8-100", b"89", "bytes 8-9/10"),
                                     ("bytes=0-0", b"0", "bytes 0-0/10")]:
        got = s3.get_object(Bucket=bucket, Key="r", Range=rng)
        assert status(got) == 206, rng
        assert got["Body"].read() == body, rng
        assert got["ContentRange"] == content_range, rng
        assert got["ContentLength"] == len(body), rng
    err = error_of(s3.get_object, Bucket=bucket, Key="r", Range="bytes=10-20")
    assert (err["Status"], err["Code"]) == (416, "InvalidRange")


def test_conditional_get(s3):
    bucket = new_bucket(s3, "cond")
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"conditional")["ETag"]
    err = error_of(s3.get_object, Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert (err["Status"], err["Code"]) == (304, "304")
    err = error_of(s3.get_object, Bucket=bucket, Key="c", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert (err["Status"], err["Code"]) == (412, "PreconditionFailed")
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    err = error_of(s3.get_object, Bucket=bucket, Key="c", IfModifiedSince=future)
    assert (err["Status"], err["Code"]) == (304, "304")
    # The conditions that hold serve the object.
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    assert body_of(s3, bucket, "c", IfMatch=etag) == b"conditional"
    assert body_of(s3, bucket, "c", IfNoneMatch='"ffffffffffffffffffffffffffffffff"') == b"conditional"
    assert body_of(s3, bucket, "c", IfModifiedSince=past) == b"conditional"
    assert body_of(s3, bucket, "c", IfUnmodifiedSince=future) == b"conditional"
    err = error_of(s3.get_object, Bucket=bucket, Key="c", IfUnmodifiedSince=past)
    assert (err["Status"], err["Code"]) == (412, "PreconditionFailed")
    # HEAD answers the same statuses.
    assert error_of(s3.head_object, Bucket=bucket, Key="c", IfNoneMatch=etag)["Status"] == 304
    assert error_of(s3.head_object, Bucket=bucket, Key="c", IfMatch='"00"')["Status"] == 412


def test_missing_key_head_is_404_get_is_no_such_key(s3):
    bucket = new_bucket(s3, "missing")
    err = error_of(s3.head_object, Bucket=bucket, Key="nope")
    assert (err["Status"], err["Code"]) == (404, "404")
    err = error_of(s3.get_object, Bucket=bucket, Key="nope/deeper")
    assert (err["Status"], err["Code"]) == (404, "NoSuchKey")
    assert err.get("Key") == "nope/deeper"
    for call in (s3.get_object_tagging, s3.delete_object_tagging):
        assert error_of(call, Bucket=bucket, Key="nope")["Code"] == "NoSuchKey"


def test_delete_object_is_idempotent(s3):
    bucket = new_bucket(s3, "del")
    s3.put_object(Bucket=bucket, Key="d", Body=b"x")
    assert status(s3.delete_object(Bucket=bucket, Key="d")) == 204
    assert error_of(s3.get_object, Bucket=bucket, Key="d")["Code"] == "NoSuchKey"
    assert status(s3.delete_object(Bucket=bucket, Key="d")) == 204
    assert status(s3.delete_object(Bucket=bucket, Key="never-existed")) == 204


def test_delete_objects_quiet_and_verbose(s3):
    bucket = new_bucket(s3, "multi")
    keys = [f"k{i}" for i in range(6)] + ["sp ace", "plus+x", "ü/ß"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    verbose = s3.delete_objects(Bucket=bucket, Delete={
        "Objects": [{"Key": k} for k in keys[:3] + ["sp ace", "absent"]]})
    assert sorted(d["Key"] for d in verbose["Deleted"]) == sorted(keys[:3] + ["sp ace", "absent"])
    assert not verbose.get("Errors")
    quiet = s3.delete_objects(Bucket=bucket, Delete={
        "Objects": [{"Key": k} for k in keys[3:] if k != "sp ace"], "Quiet": True})
    assert not quiet.get("Deleted") and not quiet.get("Errors")
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_copy_object_same_and_other_bucket(s3):
    src = new_bucket(s3, "cpsrc")
    dst = new_bucket(s3, "cpdst")
    data = os.urandom(10_000)
    etag = s3.put_object(Bucket=src, Key="orig/a b+c", Body=data, ContentType="text/x-src",
                         Metadata={"m": "1"}, Tagging="t=1")["ETag"]
    same = s3.copy_object(Bucket=src, Key="copy", CopySource={"Bucket": src, "Key": "orig/a b+c"})
    assert same["CopyObjectResult"]["ETag"] == etag
    other = s3.copy_object(Bucket=dst, Key="nested/copy",
                           CopySource=f"{src}/orig/a b+c")
    assert other["CopyObjectResult"]["ETag"] == etag
    for b, k in [(src, "copy"), (dst, "nested/copy")]:
        got = s3.get_object(Bucket=b, Key=k)
        assert got["Body"].read() == data
        assert got["ContentType"] == "text/x-src"
        assert got["Metadata"] == {"m": "1"}
        assert got["TagCount"] == 1
    # The copy is independent of its source.
    s3.delete_object(Bucket=src, Key="orig/a b+c")
    assert body_of(s3, dst, "nested/copy") == data
    err = error_of(s3.copy_object, Bucket=dst, Key="x", CopySource={"Bucket": src, "Key": "orig/a b+c"})
    assert (err["Status"], err["Code"]) == (404, "NoSuchKey")


def test_copy_metadata_and_tagging_directives(s3):
    bucket = new_bucket(s3, "cpdir")
    s3.put_object(Bucket=bucket, Key="src", Body=b"data", ContentType="text/plain",
                  Metadata={"old": "yes"}, Tagging="a=1&b=2")
    src = {"Bucket": bucket, "Key": "src"}
    s3.copy_object(Bucket=bucket, Key="copied", CopySource=src, MetadataDirective="COPY",
                   Metadata={"ignored": "x"})
    got = s3.head_object(Bucket=bucket, Key="copied")
    assert got["Metadata"] == {"old": "yes"} and got["ContentType"] == "text/plain"
    s3.copy_object(Bucket=bucket, Key="replaced", CopySource=src, MetadataDirective="REPLACE",
                   Metadata={"new": "1"}, ContentType="application/json")
    got = s3.head_object(Bucket=bucket, Key="replaced")
    assert got["Metadata"] == {"new": "1"} and got["ContentType"] == "application/json"
    # Tagging: COPY keeps the source's tags, REPLACE takes the request's.
    tags = s3.get_object_tagging(Bucket=bucket, Key="copied")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("a", "1"), ("b", "2")]
    s3.copy_object(Bucket=bucket, Key="retagged", CopySource=src, TaggingDirective="REPLACE",
                   Tagging="z=26")
    tags = s3.get_object_tagging(Bucket=bucket, Key="retagged")["TagSet"]
    assert tags == [{"Key": "z", "Value": "26"}]
    s3.copy_object(Bucket=bucket, Key="untagged", CopySource=src, TaggingDirective="REPLACE")
    assert s3.get_object_tagging(Bucket=bucket, Key="untagged")["TagSet"] == []


def test_copy_onto_itself_needs_a_change(s3):
    bucket = new_bucket(s3, "cpself")
    s3.put_object(Bucket=bucket, Key="self", Body=b"same", Metadata={"v": "1"})
    err = error_of(s3.copy_object, Bucket=bucket, Key="self",
                   CopySource={"Bucket": bucket, "Key": "self"})
    assert (err["Status"], err["Code"]) == (400, "InvalidRequest")
    s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"},
                   MetadataDirective="REPLACE", Metadata={"v": "2"})
    got = s3.get_object(Bucket=bucket, Key="self")
    assert got["Body"].read() == b"same" and got["Metadata"] == {"v": "2"}


def test_object_tagging_put_get_delete(s3):
    bucket = new_bucket(s3, "tags")
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="a=1&b=2")
    got = s3.get_object(Bucket=bucket, Key="t")
    assert got["TagCount"] == 2
    tags = s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("a", "1"), ("b", "2")]
    new = [{"Key": "env", "Value": "prod"}, {"Key": "with space", "Value": "a&b=c"},
           {"Key": "empty", "Value": ""}]
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": new})
    tags = s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]
    assert sorted(tags, key=lambda t: t["Key"]) == sorted(new, key=lambda t: t["Key"])
    assert s3.head_object(Bucket=bucket, Key="t").get("ResponseMetadata")["HTTPHeaders"][
        "x-amz-tagging-count"] == "3"
    assert status(s3.delete_object_tagging(Bucket=bucket, Key="t")) == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    assert "TagCount" not in s3.get_object(Bucket=bucket, Key="t")


def test_more_than_ten_tags_is_invalid_tag(s3):
    bucket = new_bucket(s3, "manytags")
    s3.put_object(Bucket=bucket, Key="t", Body=b"x")
    eleven = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]
    err = error_of(s3.put_object_tagging, Bucket=bucket, Key="t", Tagging={"TagSet": eleven})
    assert (err["Status"], err["Code"]) == (400, "InvalidTag")
    err = error_of(s3.put_object, Bucket=bucket, Key="t2", Body=b"x",
                   Tagging="&".join(f"k{i}=v" for i in range(11)))
    assert (err["Status"], err["Code"]) == (400, "InvalidTag")
    assert error_of(s3.head_object, Bucket=bucket, Key="t2")["Code"] == "404"
    ten = eleven[:10]
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": ten})
    assert len(s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]) == 10


def test_put_if_none_match_star(s3):
    bucket = new_bucket(s3, "inm")
    s3.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")
    err = error_of(s3.put_object, Bucket=bucket, Key="once", Body=b"second", IfNoneMatch="*")
    assert (err["Status"], err["Code"]) == (412, "PreconditionFailed")
    assert body_of(s3, bucket, "once") == b"first"


# -- keys are data -------------------------------------------------------------------------

TRICKY_KEYS = [
    "with space", "two  spaces ", "a+b=c&d", "100% done", "%41%2F", "plus+", "question?x=1#frag",
    "ünïcödé/日本語.txt", "emoji😀", "\ue000private", "../../etc/passwd", "../x", "/leading",
    "//double-leading", "a//b", "dots/./x", "dots/../y", "trailing/", ".", "..", "semi;colon,comma",
    "tilde~star*paren()", "quote\"apos'", "<xml>&amp;", "back\\slash", "é" * 512,
]


def test_tricky_keys_round_trip_and_list_back_exactly(s3, server):
    passwd_before = Path("/etc/passwd").read_bytes() if Path("/etc/passwd").exists() else None
    bucket = new_bucket(s3, "keys")
    assert len(("é" * 512).encode()) == 1024
    for key in TRICKY_KEYS:
        put = s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
        assert put["ETag"] == f'"{md5_hex(key.encode())}"', key
    for key in TRICKY_KEYS:
        assert body_of(s3, bucket, key) == key.encode(), key
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(key.encode()), key
    expected = utf8_sorted(TRICKY_KEYS)
    assert all_keys_v2(s3, bucket) == expected
    assert all_keys_v1(s3, bucket) == expected
    # Small pages: the continuation tokens and markers carry these keys too.
    assert all_keys_v2(s3, bucket, PaginationConfig={"PageSize": 3}) == expected
    assert all_keys_v1(s3, bucket, PaginationConfig={"PageSize": 3}) == expected
    # Each as an exact prefix and as StartAfter.
    for key in TRICKY_KEYS:
        got = s3.list_objects_v2(Bucket=bucket, Prefix=key)
        assert key in [o["Key"] for o in got["Contents"]], key
        assert got["Prefix"] == key
        after = s3.list_objects_v2(Bucket=bucket, StartAfter=key).get("Contents", [])
        assert [o["Key"] for o in after] == expected[expected.index(key) + 1:], key
    # Nothing was written where a key names a path.
    base = server.log_dir.parent
    assert not [p for p in base.rglob("passwd")]
    assert not (base / "etc").exists() and not (server.data_dir / "etc").exists()
    objects = server.data_dir / "objects"
    for p in objects.rglob("*"):
        if p.is_file():
            rel = p.relative_to(objects).parts
            assert rel[0] in ("blobs", "tmp"), p
            if rel[0] == "blobs":
                assert len(rel) == 3 and re.fullmatch(r"[0-9a-f]{32}", rel[2]) and rel[1] == rel[2][:2], p
    if passwd_before is not None:
        assert Path("/etc/passwd").read_bytes() == passwd_before
    # Copies name these keys in x-amz-copy-source; DeleteObjects names them in XML.
    for key in TRICKY_KEYS[:-1]:
        s3.copy_object(Bucket=bucket, Key="copy/" + key, CopySource={"Bucket": bucket, "Key": key})
        assert body_of(s3, bucket, "copy/" + key) == key.encode(), key
    assert all_keys_v2(s3, bucket, Prefix="copy/") == utf8_sorted("copy/" + k for k in TRICKY_KEYS[:-1])
    deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in TRICKY_KEYS]})
    assert sorted(d["Key"] for d in deleted["Deleted"]) == sorted(TRICKY_KEYS)
    assert not deleted.get("Errors")
    for key in TRICKY_KEYS[:-1]:
        s3.delete_object(Bucket=bucket, Key="copy/" + key)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_presigned_urls_for_tricky_keys(s3, server):
    bucket = new_bucket(s3, "prekeys")
    v4 = v4_client(server)
    # urllib3 removes dot segments from URLs it is given, so those keys are left to boto3 above.
    keys = [k for k in TRICKY_KEYS if "." not in k.split("/") and ".." not in k.split("/")]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
        for client in (s3, v4):
            url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
            r = http("GET", url)
            assert r.status_code == 200, (key, url, r.text)
            assert r.content == key.encode(), key


def test_key_length_limit_is_1024_utf8_bytes(s3):
    bucket = new_bucket(s3, "keylen")
    s3.put_object(Bucket=bucket, Key="k" * 1024, Body=b"ok")
    assert body_of(s3, bucket, "k" * 1024) == b"ok"
    for too_long in ["k" * 1025, "é" * 512 + "x"]:
        err = error_of(s3.put_object, Bucket=bucket, Key=too_long, Body=b"no")
        assert (err["Status"], err["Code"]) == (400, "KeyTooLongError"), err
    assert all_keys_v2(s3, bucket) == ["k" * 1024]


# -- listings ------------------------------------------------------------------------------

LISTING_KEYS = ["photos/2023/a.jpg", "photos/2023/b.jpg", "photos/2024/c.jpg", "photos/top.jpg",
                "readme", "videos/x.mp4", "videos/y/z.mp4", "zeta"]


@pytest.fixture(scope="module")
def listing_bucket(s3):
    bucket = new_bucket(s3, "listing")
    for k in LISTING_KEYS:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    return bucket


def test_list_with_prefix(s3, listing_bucket):
    got = s3.list_objects_v2(Bucket=listing_bucket, Prefix="photos/2023/")
    assert [o["Key"] for o in got["Contents"]] == ["photos/2023/a.jpg", "photos/2023/b.jpg"]
    assert got["KeyCount"] == 2 and got["IsTruncated"] is False
    first = got["Contents"][0]
    assert first["Size"] == len(b"photos/2023/a.jpg")
    assert first["ETag"] == f'"{md5_hex(b"photos/2023/a.jpg")}"'
    assert first["StorageClass"] == "STANDARD"
    assert "Contents" not in s3.list_objects_v2(Bucket=listing_bucket, Prefix="nothing")
    v1 = s3.list_objects(Bucket=listing_bucket, Prefix="videos/")
    assert [o["Key"] for o in v1["Contents"]] == ["videos/x.mp4", "videos/y/z.mp4"]


def test_list_with_delimiter_and_common_prefixes(s3, listing_bucket):
    top = s3.list_objects_v2(Bucket=listing_bucket, Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["readme", "zeta"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["photos/", "videos/"]
    assert top["KeyCount"] == 4 and top["Delimiter"] == "/"
    photos = s3.list_objects_v2(Bucket=listing_bucket, Prefix="photos/", Delimiter="/")
    assert [o["Key"] for o in photos["Contents"]] == ["photos/top.jpg"]
    assert [p["Prefix"] for p in photos["CommonPrefixes"]] == ["photos/2023/", "photos/2024/"]
    v1 = s3.list_objects(Bucket=listing_bucket, Delimiter="/")
    assert [o["Key"] for o in v1["Contents"]] == ["readme", "zeta"]
    assert [p["Prefix"] for p in v1["CommonPrefixes"]] == ["photos/", "videos/"]
    # A delimiter other than '/'.
    other = s3.list_objects_v2(Bucket=listing_bucket, Delimiter="2")
    assert [p["Prefix"] for p in other["CommonPrefixes"]] == ["photos/2"]


def test_v2_max_keys_paging_with_continuation_token(s3, listing_bucket):
    seen, token, pages = [], None, 0
    while True:
        kw = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=listing_bucket, MaxKeys=3, **kw)
        pages += 1
        assert page["MaxKeys"] == 3 and page["KeyCount"] == len(page.get("Contents", []))
        seen += [o["Key"] for o in page.get("Contents", [])]
        if not page["IsTruncated"]:
            assert "NextContinuationToken" not in page
            break
        token = page["NextContinuationToken"]
        assert page["KeyCount"] == 3
    assert seen == LISTING_KEYS and pages == 3
    # Paging with a delimiter counts keys and common prefixes together.
    entries, token = [], None
    while True:
        kw = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=listing_bucket, MaxKeys=1, Delimiter="/", **kw)
        entries += [o["Key"] for o in page.get("Contents", [])]
        entries += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert entries == ["photos/", "readme", "videos/", "zeta"]


def test_v1_marker_and_next_marker_with_delimiter(s3, listing_bucket):
    entries, marker = [], ""
    for _ in range(10):
        page = s3.list_objects(Bucket=listing_bucket, MaxKeys=1, Delimiter="/", Marker=marker)
        assert page["Marker"] == marker
        entries += [o["Key"] for o in page.get("Contents", [])]
        entries += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        if not page["IsTruncated"]:
            break
        marker = page["NextMarker"]
    assert entries == ["photos/", "readme", "videos/", "zeta"]
    # Without a delimiter the next marker is the last key (no NextMarker element).
    page = s3.list_objects(Bucket=listing_bucket, MaxKeys=2)
    assert page["IsTruncated"] is True
    assert [o["Key"] for o in page["Contents"]] == LISTING_KEYS[:2]
    page = s3.list_objects(Bucket=listing_bucket, MaxKeys=2, Marker=page["Contents"][-1]["Key"])
    assert [o["Key"] for o in page["Contents"]] == LISTING_KEYS[2:4]


def test_start_after(s3, listing_bucket):
    got = s3.list_objects_v2(Bucket=listing_bucket, StartAfter="photos/2024/c.jpg")
    assert [o["Key"] for o in got["Contents"]] == LISTING_KEYS[3:]
    assert got["StartAfter"] == "photos/2024/c.jpg"
    got = s3.list_objects_v2(Bucket=listing_bucket, StartAfter="photos/2023/a.jpga")
    assert [o["Key"] for o in got["Contents"]] == LISTING_KEYS[1:]
    assert "Contents" not in s3.list_objects_v2(Bucket=listing_bucket, StartAfter="zzz")


NFC = "caf\u00e9"     # é as one code point
NFD = "cafe\u0301"    # e + COMBINING ACUTE ACCENT: a different key, not a longer "cafe"


def test_prefixes_are_bytes_not_graphemes_nfd_keys(s3):
    """S3 prefixes and delimiters match UTF-8 bytes. A key spelled with a combining character
    right after the prefix (NFD file names from macOS) starts with that prefix; NFC and NFD
    spellings are different keys and different common prefixes."""
    bucket = new_bucket(s3, "nfd")
    keys = ["cafe.txt", NFD + ".txt", NFD + "/2", NFC + "/1"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    assert all_keys_v2(s3, bucket) == utf8_sorted(keys)

    def listed(**kw):
        r = s3.list_objects_v2(Bucket=bucket, **kw)
        return ([o["Key"] for o in r.get("Contents", [])],
                [p["Prefix"] for p in r.get("CommonPrefixes", [])])

    assert listed(Prefix="cafe") == (utf8_sorted(["cafe.txt", NFD + ".txt", NFD + "/2"]), [])
    assert listed(Prefix=NFD) == (utf8_sorted([NFD + ".txt", NFD + "/2"]), [])
    assert listed(Prefix=NFC) == ([NFC + "/1"], [])
    assert listed(Delimiter="/") == (utf8_sorted(["cafe.txt", NFD + ".txt"]),
                                     utf8_sorted([NFD + "/", NFC + "/"]))
    assert listed(Prefix="cafe", Delimiter="\u0301") == (["cafe.txt"], ["cafe\u0301"])


def test_prefixes_are_bytes_not_graphemes_crlf(s3):
    """"\r\n" is one grapheme but two bytes: the key "a\r\nb" starts with the prefix "a\r"."""
    bucket = new_bucket(s3, "crlf")
    for k in ["a\r\nb", "a\rb"]:
        s3.put_object(Bucket=bucket, Key=k, Body=b"")
    r = s3.list_objects_v2(Bucket=bucket, Prefix="a\r")
    assert [o["Key"] for o in r.get("Contents", [])] == ["a\r\nb", "a\rb"]
    r = s3.list_objects_v2(Bucket=bucket, Prefix="a\r", Delimiter="\n")
    assert [o["Key"] for o in r.get("Contents", [])] == ["a\rb"]
    assert [p["Prefix"] for p in r.get("CommonPrefixes", [])] == ["a\r\n"]


def test_paginators_over_1200_keys_in_utf8_byte_order(s3):
    bucket = new_bucket(s3, "big")
    keys = [f"n/{i:05d}" for i in range(1188)] + [
        "\ue000", "\U0001f600", "\ue000/x", "\U0001f600/y", "é", "Z", "a", "a/b", "~", "\x7f",
        "\uffff", "z\U0010fffd"]
    assert len(keys) == 1200
    # UTF-16 code-unit order differs from UTF-8 byte order here.
    assert "\U0001f600".encode("utf-16-be") < "\ue000".encode("utf-16-be")
    assert "\ue000".encode() < "\U0001f600".encode()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b""), keys))
    expected = utf8_sorted(keys)
    v2 = all_keys_v2(s3, bucket)
    assert len(v2) == 1200 and v2 == expected
    assert all_keys_v1(s3, bucket) == expected
    assert all_keys_v2(s3, bucket, PaginationConfig={"PageSize": 700}) == expected
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket))
    assert [p["KeyCount"] for p in pages] == [1000, 200]
    # With a delimiter: the 1,188 n/ keys roll up into one prefix.
    rolled = list(s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 2}))
    prefixes = [p["Prefix"] for page in rolled for p in page.get("CommonPrefixes", [])]
    plain = [o["Key"] for page in rolled for o in page.get("Contents", [])]
    assert prefixes == utf8_sorted(["n/", "\ue000/", "\U0001f600/", "a/"])
    assert plain == utf8_sorted(["\ue000", "\U0001f600", "é", "Z", "a", "~", "\x7f", "\uffff",
                                 "z\U0010fffd"])


# -- multipart -----------------------------------------------------------------------------

def test_multipart_upload_two_parts(s3):
    bucket = new_bucket(s3, "mpu")
    part1, part2 = os.urandom(5 * MiB), os.urandom(123_457)
    up = s3.create_multipart_upload(Bucket=bucket, Key="big/object", ContentType="video/mp4",
                                    Metadata={"origin": "mpu"})
    uid = up["UploadId"]
    assert up["Key"] == "big/object" and up["Bucket"] == bucket
    e1 = s3.upload_part(Bucket=bucket, Key="big/object", UploadId=uid, PartNumber=1, Body=part1)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="big/object", UploadId=uid, PartNumber=2, Body=part2)["ETag"]
    assert e1 == f'"{md5_hex(part1)}"' and e2 == f'"{md5_hex(part2)}"'
    parts = s3.list_parts(Bucket=bucket, Key="big/object", UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [
        (1, e1, len(part1)), (2, e2, len(part2))]
    # Not visible before completion.
    assert error_of(s3.head_object, Bucket=bucket, Key="big/object")["Code"] == "404"
    done = s3.complete_multipart_upload(Bucket=bucket, Key="big/object", UploadId=uid,
                                        MultipartUpload={"Parts": [
                                            {"PartNumber": 1, "ETag": e1},
                                            {"PartNumber": 2, "ETag": e2}]})
    expected_etag = hashlib.md5(hashlib.md5(part1).digest() + hashlib.md5(part2).digest()).hexdigest()
    assert done["ETag"] == f'"{expected_etag}-2"'
    assert done["Key"] == "big/object" and done["Bucket"] == bucket
    got = s3.get_object(Bucket=bucket, Key="big/object")
    assert got["ETag"].endswith('-2"')
    assert got["ETag"] == done["ETag"]
    assert got["ContentType"] == "video/mp4" and got["Metadata"] == {"origin": "mpu"}
    assert got["Body"].read() == part1 + part2
    ranged = s3.get_object(Bucket=bucket, Key="big/object", Range=f"bytes={5 * MiB - 2}-{5 * MiB + 1}")
    assert ranged["Body"].read() == part1[-2:] + part2[:2]
    # The upload is gone.
    err = error_of(s3.list_parts, Bucket=bucket, Key="big/object", UploadId=uid)
    assert (err["Status"], err["Code"]) == (404, "NoSuchUpload")


def test_multipart_small_non_last_part_is_entity_too_small(s3):
    bucket = new_bucket(s3, "mpusmall")
    uid = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="k", UploadId=uid, PartNumber=1, Body=b"a" * 1024)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="k", UploadId=uid, PartNumber=2, Body=b"b" * 1024)["ETag"]
    err = error_of(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=uid,
                   MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                              {"PartNumber": 2, "ETag": e2}]})
    assert (err["Status"], err["Code"]) == (400, "EntityTooSmall")
    assert error_of(s3.head_object, Bucket=bucket, Key="k")["Code"] == "404"
    # A single small part is fine: it is the last one.
    done = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=uid,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}]})
    assert done["ETag"].endswith('-1"')
    assert body_of(s3, bucket, "k") == b"a" * 1024


def test_multipart_wrong_etag_is_invalid_part(s3):
    bucket = new_bucket(s3, "mpuinv")
    uid = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=uid, PartNumber=1, Body=b"a" * 100)
    err = error_of(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=uid,
                   MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"' + "0" * 32 + '"'}]})
    assert (err["Status"], err["Code"]) == (400, "InvalidPart")
    err = error_of(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=uid,
                   MultipartUpload={"Parts": [{"PartNumber": 7, "ETag": f'"{md5_hex(b"a" * 100)}"'}]})
    assert (err["Status"], err["Code"]) == (400, "InvalidPart")
    assert error_of(s3.head_object, Bucket=bucket, Key="k")["Code"] == "404"


def test_multipart_abort_then_no_such_upload(s3):
    bucket = new_bucket(s3, "mpuabort")
    uid = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="k", UploadId=uid, PartNumber=1, Body=b"x" * 10)["ETag"]
    assert status(s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=uid)) == 204
    for call, kw in [(s3.list_parts, {}),
                     (s3.upload_part, {"PartNumber": 2, "Body": b"y"}),
                     (s3.complete_multipart_upload, {"MultipartUpload": {"Parts": [
                         {"PartNumber": 1, "ETag": e1}]}})]:
        err = error_of(call, Bucket=bucket, Key="k", UploadId=uid, **kw)
        assert (err["Status"], err["Code"]) == (404, "NoSuchUpload"), (call, err)
    assert error_of(s3.head_object, Bucket=bucket, Key="k")["Code"] == "404"


def test_multipart_part_order_and_replaced_parts(s3):
    bucket = new_bucket(s3, "mpuorder")
    uid = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    first = os.urandom(5 * MiB)
    s3.upload_part(Bucket=bucket, Key="k", UploadId=uid, PartNumber=1, Body=b"stale")
    e1 = s3.upload_part(Bucket=bucket, Key="k", UploadId=uid, PartNumber=1, Body=first)["ETag"]
    e3 = s3.upload_part(Bucket=bucket, Key="k", UploadId=uid, PartNumber=3, Body=b"tail")["ETag"]
    parts = s3.list_parts(Bucket=bucket, Key="k", UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, e1, len(first)), (3, e3, 4)]
    page = s3.list_parts(Bucket=bucket, Key="k", UploadId=uid, MaxParts=1)
    assert [p["PartNumber"] for p in page["Parts"]] == [1] and page["IsTruncated"] is True
    page = s3.list_parts(Bucket=bucket, Key="k", UploadId=uid, PartNumberMarker=page["NextPartNumberMarker"])
    assert [p["PartNumber"] for p in page["Parts"]] == [3] and page["IsTruncated"] is False
    err = error_of(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=uid,
                   MultipartUpload={"Parts": [{"PartNumber": 3, "ETag": e3}, {"PartNumber": 1, "ETag": e1}]})
    assert (err["Status"], err["Code"]) == (400, "InvalidPartOrder")
    # Gaps in the numbering are allowed.
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": e1}, {"PartNumber": 3, "ETag": e3}]})
    assert body_of(s3, bucket, "k") == first + b"tail"


def test_multipart_upload_id_of_another_key_is_no_such_upload(s3):
    bucket = new_bucket(s3, "mpuother")
    uid = s3.create_multipart_upload(Bucket=bucket, Key="one")["UploadId"]
    err = error_of(s3.upload_part, Bucket=bucket, Key="two", UploadId=uid, PartNumber=1, Body=b"x")
    assert (err["Status"], err["Code"]) == (404, "NoSuchUpload")
    err = error_of(s3.list_parts, Bucket=bucket, Key="one", UploadId="no-such-upload-id")
    assert (err["Status"], err["Code"]) == (404, "NoSuchUpload")
    s3.abort_multipart_upload(Bucket=bucket, Key="one", UploadId=uid)


# -- the aws CLI ---------------------------------------------------------------------------

def test_cli_cp_20mb_up_and_down_uses_multipart(s3, server, aws_cli, tmp_path):
    bucket = new_bucket(s3, "clicp")
    data = os.urandom(20_000_000)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    cli(server, "s3", "cp", str(src), f"s3://{bucket}/dir/big.bin")
    head = s3.head_object(Bucket=bucket, Key="dir/big.bin")
    assert head["ContentLength"] == len(data)
    assert re.fullmatch(r'"[0-9a-f]{32}-3"', head["ETag"]), head["ETag"]  # 8 MiB parts
    out = tmp_path / "down.bin"
    cli(server, "s3", "cp", f"s3://{bucket}/dir/big.bin", str(out))
    assert out.read_bytes() == data


def test_cli_sync_ls_rm_rb(s3, server, aws_cli, tmp_path):
    bucket = new_bucket(s3, "clisync")
    tree = {"a/b/c.txt": b"c", "a/d.txt": b"dd", "e.txt": b"eee", "sp ace/ü+.txt": b"u"}
    root = tmp_path / "tree"
    for rel, data in tree.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        # S3 LastModified has whole seconds: files written in the same second as their upload
        # would look newer than their copies (on AWS too), so they are dated a minute back.
        past = time.time() - 60
        os.utime(root / rel, (past, past))
    cli(server, "s3", "sync", str(root), f"s3://{bucket}/pre")
    expected = utf8_sorted(f"pre/{k}" for k in tree)
    assert all_keys_v2(s3, bucket) == expected
    for rel, data in tree.items():
        assert body_of(s3, bucket, f"pre/{rel}") == data
    # A second sync has nothing to do; a changed file is uploaded again.
    again = cli(server, "s3", "sync", str(root), f"s3://{bucket}/pre")
    assert "upload:" not in again.stdout, again.stdout
    (root / "e.txt").write_bytes(b"changed, longer")
    again = cli(server, "s3", "sync", str(root), f"s3://{bucket}/pre")
    assert "e.txt" in again.stdout
    assert body_of(s3, bucket, "pre/e.txt") == b"changed, longer"
    ls = cli(server, "s3", "ls", f"s3://{bucket}", "--recursive")
    listed = [line.split(None, 3)[3] for line in ls.stdout.splitlines() if line.strip()]
    assert listed == expected, ls.stdout
    buckets = cli(server, "s3", "ls")
    assert bucket in buckets.stdout
    # rb refuses a non-empty bucket.
    cp = cli(server, "s3", "rb", f"s3://{bucket}", check=False)
    assert cp.returncode != 0 and "BucketNotEmpty" in cp.stderr, cp.stderr
    cli(server, "s3", "rm", f"s3://{bucket}", "--recursive")
    assert all_keys_v2(s3, bucket) == []
    cli(server, "s3", "rb", f"s3://{bucket}")
    assert error_of(s3.head_bucket, Bucket=bucket)["Status"] == 404


def test_cli_s3api_put_and_get_object(s3, server, aws_cli, tmp_path):
    bucket = new_bucket(s3, "s3api")
    data = os.urandom(4096)
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    put = server.aws("s3api", "put-object", "--bucket", bucket, "--key", "k/with space",
                     "--body", str(src), "--content-type", "application/x-test",
                     "--metadata", "owner=cli")
    assert put["ETag"] == f'"{md5_hex(data)}"'
    out = tmp_path / "out.bin"
    got = server.aws("s3api", "get-object", "--bucket", bucket, "--key", "k/with space", str(out))
    assert got["ContentLength"] == len(data)
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"owner": "cli"}
    assert got["ETag"] == put["ETag"]
    assert out.read_bytes() == data
    listed = server.aws("s3api", "list-objects-v2", "--bucket", bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["k/with space"]


# -- presigned URLs ------------------------------------------------------------------------

def v4_client(server, region: str = "us-east-1"):
    return server.session(region=region).client(
        "s3", endpoint_url=server.endpoint,
        config=NO_RETRY.merge(Config(signature_version="s3v4")))


def test_presigned_get_default_is_sigv2_and_works(s3, server):
    bucket = new_bucket(s3, "pre2")
    s3.put_object(Bucket=bucket, Key="dir/a b+c.txt", Body=b"presigned v2", ContentType="text/plain")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/a b+c.txt"},
                                    ExpiresIn=300)
    assert "AWSAccessKeyId=" in url and "Signature=" in url and "X-Amz-Signature" not in url
    r = http("GET", url)
    assert r.status_code == 200, r.text
    assert r.content == b"presigned v2"
    assert r.headers["Content-Type"] == "text/plain"
    # response-* overrides are part of the signature.
    url = s3.generate_presigned_url("get_object", Params={
        "Bucket": bucket, "Key": "dir/a b+c.txt", "ResponseContentType": "application/x-over"})
    r = http("GET", url)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/x-over"


def test_presigned_urls_work_with_curl(s3, server, tmp_path):
    """What a user does with `aws s3 presign`: hand the URL to curl."""
    if shutil.which("curl") is None:
        skip_or_fail_in_ci("curl is not installed")
    bucket = new_bucket(s3, "curl")
    body = os.urandom(300_000)
    s3.put_object(Bucket=bucket, Key="shared/report 1.bin", Body=body)
    presigned = server.aws("s3", "presign", f"s3://{bucket}/shared/report 1.bin", "--expires-in", "600", check=False)
    assert presigned.returncode == 0, presigned.stderr
    for url in (presigned.stdout.strip(),
                v4_client(server).generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared/report 1.bin"})):
        out = tmp_path / "download.bin"
        cp = subprocess.run(["curl", "-sS", "-f", "-o", str(out), url], capture_output=True, text=True, timeout=60)
        assert cp.returncode == 0, cp.stderr
        assert out.read_bytes() == body
    # A URL for another key does not open this one.
    bad = presigned.stdout.strip().replace("report%201.bin", "report%202.bin")
    cp = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", bad], capture_output=True, text=True, timeout=60)
    assert cp.stdout == "403"


def test_presigned_get_sigv4_works(s3, server):
    bucket = new_bucket(s3, "pre4")
    s3.put_object(Bucket=bucket, Key="ü/k", Body=b"presigned v4")
    url = v4_client(server).generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "ü/k"},
                                                   ExpiresIn=300)
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url and "X-Amz-Signature=" in url
    r = http("GET", url)
    assert r.status_code == 200, r.text
    assert r.content == b"presigned v4"


def test_presigned_tampered_signature_is_signature_does_not_match(s3, server):
    bucket = new_bucket(s3, "pretamp")
    s3.put_object(Bucket=bucket, Key="k", Body=b"secret")
    v4 = v4_client(server).generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    sig = re.search(r"X-Amz-Signature=([0-9a-f]{64})", v4).group(1)
    flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    r = http("GET", v4.replace(sig, flipped))
    assert xml_error(r)[:2] == (403, "SignatureDoesNotMatch"), r.text
    assert b"secret" not in r.content
    v2 = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    r = http("GET", re.sub(r"Signature=[^&]+", "Signature=AAAAAAAAAAAAAAAAAAAAAAAAAAA%3D", v2))
    assert xml_error(r)[:2] == (403, "SignatureDoesNotMatch"), r.text
    # Another key under the same signature.
    r = http("GET", v4.replace(f"/{bucket}/k?", f"/{bucket}/other?"))
    assert xml_error(r)[:2] == (403, "SignatureDoesNotMatch"), r.text


def test_presigned_expired_is_403(s3, server):
    bucket = new_bucket(s3, "preexp")
    s3.put_object(Bucket=bucket, Key="k", Body=b"soon gone")
    v4 = v4_client(server).generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"},
                                                  ExpiresIn=1)
    v2 = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=1)
    time.sleep(2.5)
    for url in (v4, v2):
        r = http("GET", url)
        assert r.status_code == 403, (url, r.text)
        assert xml_error(r)[1] == "AccessDenied", r.text
        assert b"soon gone" not in r.content


def test_presigned_put_sigv4(s3, server):
    bucket = new_bucket(s3, "preput")
    url = v4_client(server).generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up/load"},
                                                   ExpiresIn=300)
    data = os.urandom(50_000)
    r = http("PUT", url, body=data)
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == f'"{md5_hex(data)}"'
    assert body_of(s3, bucket, "up/load") == data


# -- wire details: 100-continue, aws-chunked, payload hashes, virtual hosts -----------------

def test_expect_100_continue_gets_an_interim_response(s3, server):
    bucket = new_bucket(s3, "expect")
    data = os.urandom(MiB)
    head = raw_head(server, "PUT", f"/{bucket}/continued", data,
                    {"Content-Type": "application/octet-stream"}, extra="Expect: 100-continue\r\n")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head)
        # Nothing of the body is sent until the interim response arrives.
        interim, interim_head, rest = read_response_head(sock)
        assert interim == 100, interim_head
        sock.sendall(data)
        final, final_head, _ = read_response_head(sock, rest)
        assert final == 200, final_head
        assert f'ETag: "{md5_hex(data)}"'.lower().encode() in final_head.lower(), final_head
    got = s3.get_object(Bucket=bucket, Key="continued")
    assert got["Body"].read() == data
    assert got["ContentType"] == "application/octet-stream"


def test_upload_fileobj_with_expect_continue_completes(s3, tmp_path):
    bucket = new_bucket(s3, "fileobj")
    data = os.urandom(MiB)
    f = tmp_path / "one-mb"
    f.write_bytes(data)
    with open(f, "rb") as fh:
        s3.upload_fileobj(fh, bucket, "from-file")
    assert body_of(s3, bucket, "from-file") == data


@pytest.mark.parametrize("http_chunked", [False, True], ids=["content-length", "transfer-encoding"])
def test_aws_chunked_with_crc32_trailer(s3, server, http_chunked):
    bucket = new_bucket(s3, "chunked")
    data = os.urandom(150_001)
    body = aws_chunked(data, {"x-amz-checksum-crc32": crc32_b64(data)})
    r = signed(server, "PUT", f"/{bucket}/streamed", body, chunked_headers(data), chunked=http_chunked)
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == f'"{md5_hex(data)}"'
    assert r.headers.get("x-amz-checksum-crc32") == crc32_b64(data)
    got = s3.get_object(Bucket=bucket, Key="streamed", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ContentLength"] == len(data)
    assert got["ChecksumCRC32"] == crc32_b64(data)
    assert "ContentEncoding" not in got  # aws-chunked is not stored


def test_aws_chunked_wrong_trailer_checksum_is_bad_digest(s3, server):
    bucket = new_bucket(s3, "chunkbad")
    data = b"hello world" * 1000
    body = aws_chunked(data, {"x-amz-checksum-crc32": crc32_b64(b"not the data")})
    r = signed(server, "PUT", f"/{bucket}/streamed", body, chunked_headers(data))
    assert xml_error(r)[:2] == (400, "BadDigest"), r.text
    assert error_of(s3.head_object, Bucket=bucket, Key="streamed")["Code"] == "404"


def test_declared_sha256_mismatch_is_rejected(s3, server):
    bucket = new_bucket(s3, "shamis")
    r = signed(server, "PUT", f"/{bucket}/k", b"the real body",
               {"X-Amz-Content-SHA256": hashlib.sha256(b"another body").hexdigest()})
    assert xml_error(r)[:2] == (400, "XAmzContentSHA256Mismatch"), r.text
    assert error_of(s3.head_object, Bucket=bucket, Key="k")["Code"] == "404"
    # The control: the right hash is accepted through the same helper.
    r = signed(server, "PUT", f"/{bucket}/k", b"the real body")
    assert r.status_code == 200, r.text
    assert body_of(s3, bucket, "k") == b"the real body"


def test_virtual_hosted_style_request(s3, server):
    bucket = new_bucket(s3, "vhost")
    s3.put_object(Bucket=bucket, Key="dir/v.txt", Body=b"virtual")
    host = {"Host": f"{bucket}.localhost:{server.port}"}
    r = signed(server, "GET", "/?list-type=2", headers=host)
    assert r.status_code == 200, r.text
    root = ET.fromstring(r.content)
    ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
    assert root.findtext(f"{ns}Name") == bucket
    assert [c.findtext(f"{ns}Key") for c in root.findall(f"{ns}Contents")] == ["dir/v.txt"]
    r = signed(server, "GET", "/dir/v.txt", headers=host)
    assert r.status_code == 200, r.text
    assert r.content == b"virtual"
    r = signed(server, "PUT", "/dir/w.txt", b"written virtually", headers=host)
    assert r.status_code == 200, r.text
    assert body_of(s3, bucket, "dir/w.txt") == b"written virtually"


# -- CloudTrail ----------------------------------------------------------------------------

def test_bucket_calls_are_management_events_object_calls_are_data_events(s3, server):
    name = unique("trail").lower()
    created = s3.create_bucket(Bucket=name)
    rec = server.record_for(created, "CreateBucket")
    assert rec["EventSource"] == "s3.amazonaws.com"
    assert rec["Record"]["eventSource"] == "s3.amazonaws.com"
    assert rec["Record"]["requestParameters"]["bucketName"] == name
    assert rec["Record"]["managementEvent"] is True
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket",
        "Resource": f"arn:aws:s3:::{name}"}]})
    put_policy = s3.put_bucket_policy(Bucket=name, Policy=policy)
    rec = server.record_for(put_policy, "PutBucketPolicy")
    assert rec["Record"]["requestParameters"]["bucketName"] == name
    data_ids = []
    for resp in [s3.put_object(Bucket=name, Key="k", Body=b"x"),
                 s3.get_object(Bucket=name, Key="k"),
                 s3.head_object(Bucket=name, Key="k"),
                 s3.list_objects_v2(Bucket=name),
                 s3.delete_object(Bucket=name, Key="k")]:
        data_ids.append(resp["ResponseMetadata"]["RequestId"])
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=name, Key="missing")
    data_ids.append(ei.value.response["ResponseMetadata"]["RequestId"])
    deleted_policy = s3.delete_bucket_policy(Bucket=name)
    deleted = s3.delete_bucket(Bucket=name)
    rec = server.record_for(deleted, "DeleteBucket")
    assert rec["Record"]["eventSource"] == "s3.amazonaws.com"
    assert rec["Record"]["requestParameters"]["bucketName"] == name
    assert len(set(data_ids)) == len(data_ids) == 6 and None not in data_ids, data_ids
    recorded = server.all_request_ids()
    # The bucket calls made around the object calls are there, so the history was read in full...
    management_ids = [r["ResponseMetadata"]["RequestId"] for r in (created, put_policy, deleted_policy, deleted)]
    assert set(management_ids) <= recorded, "bucket calls must be in LookupEvents"
    # ...and the object calls are not.
    assert not [r for r in data_ids if r in recorded], "object calls must not be in LookupEvents"
    names = {e["EventName"] for e in server.lookup("ResourceName", name)}
    assert not names & {"PutObject", "GetObject", "HeadObject", "DeleteObject", "ListObjectsV2"}


# -- authentication ------------------------------------------------------------------------

def test_unknown_access_key_is_invalid_access_key_id(s3, server):
    bucket = new_bucket(s3, "authkey")
    bad = server.client("s3", creds=Creds("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
    err = error_of(bad.list_objects_v2, Bucket=bucket)
    assert (err["Status"], err["Code"]) == (403, "InvalidAccessKeyId")
    err = error_of(bad.put_object, Bucket=bucket, Key="k", Body=b"x")
    assert (err["Status"], err["Code"]) == (403, "InvalidAccessKeyId")
    assert error_of(s3.head_object, Bucket=bucket, Key="k")["Code"] == "404"


def test_wrong_secret_is_signature_does_not_match(s3, server):
    bucket = new_bucket(s3, "authsig")
    s3.put_object(Bucket=bucket, Key="k", Body=b"private")
    bad = server.client("s3", creds=Creds(server.admin.access_key, "x" * 40))
    err = error_of(bad.get_object, Bucket=bucket, Key="k")
    assert (err["Status"], err["Code"]) == (403, "SignatureDoesNotMatch")
    err = error_of(bad.put_object, Bucket=bucket, Key="k", Body=b"overwritten")
    assert (err["Status"], err["Code"]) == (403, "SignatureDoesNotMatch")
    assert body_of(s3, bucket, "k") == b"private"


def test_unsigned_request_is_access_denied(s3, server):
    bucket = new_bucket(s3, "anon")
    s3.put_object(Bucket=bucket, Key="k", Body=b"private")
    for method, path, body in [("GET", f"/{bucket}/k", None), ("GET", f"/{bucket}", None),
                               ("PUT", f"/{bucket}/k", b"anon"), ("GET", "/", None)]:
        r = http(method, server.endpoint + path, body=body)
        assert xml_error(r)[:2] == (403, "AccessDenied"), (method, path, r.text)
        assert b"private" not in r.content
    assert body_of(s3, bucket, "k") == b"private"


# -- concurrency and durability ------------------------------------------------------------

def test_concurrent_overwrites_leave_one_intact_object_and_one_blob(cairn_factory):
    srv = cairn_factory.new()
    bucket = unique("race").lower()
    srv.client("s3").create_bucket(Bucket=bucket)
    bodies: dict[str, bytes] = {}
    lock = threading.Lock()
    errors: list[BaseException] = []

    def writer(t: int):
        try:
            client = srv.client("s3")
            for j in range(10):
                data = bytes([t]) * 16 + os.urandom(256 * 1024 - 16)
                with lock:
                    bodies[md5_hex(data)] = data
                etag = client.put_object(Bucket=bucket, Key="contended", Body=data)["ETag"]
                assert etag == f'"{md5_hex(data)}"'
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not errors, errors
    assert len(bodies) == 80
    got = srv.client("s3").get_object(Bucket=bucket, Key="contended")
    data = got["Body"].read()
    assert got["ETag"] == f'"{md5_hex(data)}"'
    assert bodies.get(md5_hex(data)) == data
    blobs = wait_for(lambda: len(stored_blobs(srv)) == 1 and stored_blobs(srv), 5.0, 0.05)
    assert blobs, len(stored_blobs(srv))
    assert blobs[0] == data
    assert no_partial_uploads(srv)


def test_concurrent_if_none_match_puts_create_the_object_once(cairn_factory):
    """Conditional writes are atomic in S3: of simultaneous PUTs with If-None-Match: * to a new
    key exactly one succeeds; the others get 412 PreconditionFailed (or 409
    ConditionalRequestConflict). Every request's head and half its body are on the wire before
    any body is finished, so all eight are in flight together."""
    srv = cairn_factory.new()
    bucket = unique("inmrace").lower()
    srv.client("s3").create_bucket(Bucket=bucket)
    bodies = [bytes([i]) * MiB for i in range(8)]
    socks = []
    try:
        for data in bodies:
            head = raw_head(srv, "PUT", f"/{bucket}/once", data, {"If-None-Match": "*"})
            sock = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
            socks.append(sock)
            sock.sendall(head + data[:len(data) // 2])
        time.sleep(1)  # let every request reach the handler
        for sock, data in zip(socks, bodies):
            sock.sendall(data[len(data) // 2:])
        statuses = [read_response_head(sock)[0] for sock in socks]
    finally:
        for sock in socks:
            sock.close()
    winners = [i for i, st in enumerate(statuses) if st == 200]
    assert len(winners) == 1, statuses
    assert all(st in (409, 412) for i, st in enumerate(statuses) if i not in winners), statuses
    assert body_of(srv.client("s3"), bucket, "once") == bodies[winners[0]]


def test_blob_files_match_live_objects_after_every_kind_of_write(cairn_factory):
    """Overwrites, deletes, copies, failed uploads, multipart completes and aborts leave exactly
    one blob file per live object (nothing leaked, nothing shared wrongly)."""
    srv = cairn_factory.new()
    s3 = srv.client("s3")
    bucket = unique("blobs").lower()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a", Body=b"1")
    s3.put_object(Bucket=bucket, Key="a", Body=b"22")                       # overwrite
    s3.put_object(Bucket=bucket, Key="b", Body=b"b")
    s3.delete_object(Bucket=bucket, Key="b")                                  # delete
    s3.put_object(Bucket=bucket, Key="c", Body=b"c")
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "c"}]})      # batch delete
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "a"})
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "a"})  # again
    s3.copy_object(Bucket=bucket, Key="a", CopySource={"Bucket": bucket, "Key": "a"},
                   MetadataDirective="REPLACE", Metadata={"m": "1"})         # onto itself
    error_of(s3.put_object, Bucket=bucket, Key="bad", Body=b"x", ContentMD5=md5_b64(b"y"))
    error_of(s3.put_object, Bucket=bucket, Key="bad", Body=b"x", ChecksumCRC32=crc32_b64(b"y"))
    error_of(s3.put_object, Bucket=bucket, Key="a", Body=b"x", IfNoneMatch="*")
    r = signed(srv, "PUT", f"/{bucket}/bad", b"body", {"X-Amz-Content-SHA256": EMPTY_SHA256})
    assert r.status_code == 400, r.text
    body = aws_chunked(b"data", {"x-amz-checksum-crc32": crc32_b64(b"other")})
    assert signed(srv, "PUT", f"/{bucket}/bad", body, chunked_headers(b"data")).status_code == 400
    # Multipart: completed over an existing key, aborted, failed completion then aborted.
    p1 = os.urandom(5 * MiB)
    uid = s3.create_multipart_upload(Bucket=bucket, Key="copy")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="copy", UploadId=uid, PartNumber=1, Body=b"replaced part")
    e1 = s3.upload_part(Bucket=bucket, Key="copy", UploadId=uid, PartNumber=1, Body=p1)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="copy", UploadId=uid, PartNumber=2, Body=b"end")["ETag"]
    s3.upload_part(Bucket=bucket, Key="copy", UploadId=uid, PartNumber=3, Body=b"unused part")
    s3.complete_multipart_upload(Bucket=bucket, Key="copy", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    uid = s3.create_multipart_upload(Bucket=bucket, Key="aborted")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="aborted", UploadId=uid, PartNumber=1, Body=b"x")
    s3.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=uid)
    uid = s3.create_multipart_upload(Bucket=bucket, Key="small")["UploadId"]
    f1 = s3.upload_part(Bucket=bucket, Key="small", UploadId=uid, PartNumber=1, Body=b"x")["ETag"]
    f2 = s3.upload_part(Bucket=bucket, Key="small", UploadId=uid, PartNumber=2, Body=b"y")["ETag"]
    error_of(s3.complete_multipart_upload, Bucket=bucket, Key="small", UploadId=uid,
             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": f1}, {"PartNumber": 2, "ETag": f2}]})
    s3.abort_multipart_upload(Bucket=bucket, Key="small", UploadId=uid)

    live = {k: body_of(s3, bucket, k) for k in all_keys_v2(s3, bucket)}
    assert live == {"a": b"22", "copy": p1 + b"end"}
    stored = wait_for(lambda: len(stored_blobs(srv)) == len(live) and stored_blobs(srv), 5.0, 0.05)
    assert stored, len(stored_blobs(srv))
    assert sorted(stored) == sorted(live.values())
    assert no_partial_uploads(srv)


def test_objects_survive_a_restart(cairn_factory):
    srv = cairn_factory.new()
    s3 = srv.client("s3")
    bucket = unique("durable").lower()
    s3.create_bucket(Bucket=bucket)
    data = os.urandom(300_000)
    s3.put_object(Bucket=bucket, Key="keep/me", Body=data, ContentType="text/x-kept",
                  Metadata={"survives": "yes"}, Tagging="t=1", ChecksumAlgorithm="CRC32")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket",
        "Resource": f"arn:aws:s3:::{bucket}"}]})
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    srv.restart()
    s3 = srv.client("s3")
    got = s3.get_object(Bucket=bucket, Key="keep/me", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ETag"] == f'"{md5_hex(data)}"'
    assert got["ContentType"] == "text/x-kept"
    assert got["Metadata"] == {"survives": "yes"}
    assert got["TagCount"] == 1
    assert got["ChecksumCRC32"] == crc32_b64(data)
    assert all_keys_v2(s3, bucket) == ["keep/me"]
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(policy)
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
