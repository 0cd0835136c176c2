#!/usr/bin/env python3
"""Trail delivery benchmark: a backlog of N records delivered as log files and digested.

    python3 Benchmarks/load/trail_bench.py [--binary .build-release/release/cairn] [--records 1000000]

Goal (issue): a million records delivered and digested in under 30 s on this machine.

1. Cairn runs with `--trail-delivery-interval 3600 --digest-interval 3600`, so nothing is delivered while the
   backlog builds. A bucket with the CloudTrail bucket policy and a trail with log file validation are created and
   StartLogging is called.
2. N records are generated through HTTP: signed sts GetCallerIdentity calls (management, read-only events, which
   the trail's default selectors take) replayed by wrk (Debian package `wrk`) until N calls are answered.
3. StopLogging wakes the trail writer, which plans and writes every file up to the stop and then the final digest.
   The clock runs from StopLogging until GetTrailStatus shows the final digest (LatestDigestDeliveryTime set).
4. The delivered log files are downloaded and their records counted; `aws cloudtrail validate-logs` checks the
   digest chain and every log file it lists.

moto_server delivers no CloudTrail log files, so there is no peer to compare with here. Prints figures; asserts
nothing about time.
"""
import argparse
import datetime as dt
import gzip
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(__file__))
from cairn_server import CairnServer  # noqa: E402
from spine_bench import signed  # noqa: E402

ACCOUNT = "000000000000"


def bucket_policy(bucket):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::%s" % bucket},
        {"Sid": "Write", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": "arn:aws:s3:::%s/AWSLogs/%s/*" % (bucket, ACCOUNT),
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}},
    ]})


def wrk_until(endpoint, headers, body, data_dir, total, connections, threads, max_seconds=900):
    """Replays one signed request until the store holds `total` more records, then stops wrk (SIGINT)."""
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua.write('wrk.method = "POST"\n')
    lua.write("wrk.body = %s\n" % json.dumps(body))
    for k, v in headers.items():
        if k.lower() in ("host", "content-length"):
            continue
        lua.write("wrk.headers[%s] = %s\n" % (json.dumps(k), json.dumps(v)))
    lua.write("""
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors_status=%d\\n", summary.requests, summary.errors.status))
end
""")
    lua.close()
    first = stored_seq(data_dir)
    t0 = time.time()
    proc = subprocess.Popen(["wrk", "-t", str(threads), "-c", str(connections), "-d", "%ds" % max_seconds, "-s", lua.name,
                             endpoint + "/"], stdout=subprocess.PIPE, text=True)
    while proc.poll() is None and stored_seq(data_dir) - first < total:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out = proc.communicate()[0]
    elapsed = time.time() - t0
    os.unlink(lua.name)
    m = re.search(r"RESULT requests=(\d+) errors_status=(\d+)", out)
    if not m:
        raise RuntimeError("wrk failed:\n" + out)
    return int(m.group(1)), int(m.group(2)), elapsed


def cpu_seconds(pid):
    """User + system CPU time the process has used so far (Linux /proc)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stored_seq(data_dir):
    db = sqlite3.connect(os.path.join(data_dir, "cairn.sqlite"))
    try:
        return db.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_event").fetchone()[0]
    finally:
        db.close()


def expected_records(data_dir, after, through):
    """Management events of the account in us-east-1 with after < seq <= through: what the trail must deliver."""
    db = sqlite3.connect(os.path.join(data_dir, "cairn.sqlite"))
    try:
        return db.execute("SELECT COUNT(*) FROM audit_event WHERE seq > ? AND seq <= ? AND management = 1"
                          " AND account_id = ? AND region = 'us-east-1'", (after, through, ACCOUNT)).fetchone()[0]
    finally:
        db.close()


def trail_row(data_dir, arn):
    db = sqlite3.connect(os.path.join(data_dir, "cairn.sqlite"))
    try:
        cursor, status = db.execute("SELECT cursor_seq, status FROM trail WHERE arn = ?", (arn,)).fetchone()
        return cursor, json.loads(status)
    finally:
        db.close()


def list_objects(s3, bucket):
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        out += page.get("Contents", [])
    return out


def main():
    ap = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--binary", default=os.environ.get("CAIRN_BIN", os.path.join(root, ".build-release/release/cairn")))
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=900, help="give up waiting for the final digest after this")
    ap.add_argument("--skip-validate", action="store_true", help="skip `aws cloudtrail validate-logs`")
    ap.add_argument("--keep", action="store_true", help="keep the server's data directory")
    args = ap.parse_args()

    server = CairnServer(args.binary, extra_args=["--trail-delivery-interval", "3600", "--digest-interval", "3600"]).start()
    try:
        key, secret = server.credentials()
        cfg = Config(retries={"max_attempts": 1}, max_pool_connections=16)
        kw = dict(endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id=key,
                  aws_secret_access_key=secret, config=cfg)
        s3, ct = boto3.client("s3", **kw), boto3.client("cloudtrail", **kw)
        bucket, name = "trail-bench-%d" % int(time.time()), "bench"
        arn = "arn:aws:cloudtrail:us-east-1:%s:trail/%s" % (ACCOUNT, name)
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy(bucket))
        start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
        ct.create_trail(Name=name, S3BucketName=bucket, EnableLogFileValidation=True)
        ct.start_logging(Name=name)
        time.sleep(0.5)  # StartLogging's own pass (nothing to deliver yet)
        cursor_at_start, _ = trail_row(server.data_dir, arn)

        print("== backlog: %d records (sts GetCallerIdentity through HTTP, SigV4 verified, wrk -t%d -c%d)"
              % (args.records, args.threads, args.connections), flush=True)
        body = "Action=GetCallerIdentity&Version=2011-06-15"
        headers = signed(server.endpoint, key, secret, "sts",
                         {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, body)
        answered, errors, load_s = wrk_until(server.endpoint, headers, body, server.data_dir, args.records, args.connections,
                                             args.threads)
        print("  %d calls answered (%d non-2xx) in %.1f s: %.0f calls/s" % (answered, errors, load_s, answered / load_s),
              flush=True)
        before = ct.get_trail_status(Name=name)
        if before.get("LatestDeliveryTime"):
            print("  note: a delivery happened during the load (%s)" % before["LatestDeliveryTime"])

        print("== StopLogging -> every file delivered and the final digest written", flush=True)
        cpu0 = cpu_seconds(server.proc.pid)
        t0 = time.time()
        ct.stop_logging(Name=name)
        deadline = t0 + args.timeout
        status = None
        while time.time() < deadline:
            status = ct.get_trail_status(Name=name)
            if status.get("LatestDigestDeliveryTime") and status.get("LatestDigestDeliveryTime") != before.get(
                    "LatestDigestDeliveryTime"):
                break
            if status.get("LatestDeliveryError") or status.get("LatestDigestDeliveryError"):
                raise RuntimeError("delivery error: %s / %s" % (status.get("LatestDeliveryError"),
                                                                status.get("LatestDigestDeliveryError")))
            time.sleep(0.1)
        else:
            raise RuntimeError("no final digest within %.0f s" % args.timeout)
        elapsed = time.time() - t0
        cpu = cpu_seconds(server.proc.pid) - cpu0
        _, trail_status = trail_row(server.data_dir, arn)
        expected = expected_records(server.data_dir, cursor_at_start, trail_status.get("stopSeq") or 0)

        objects = list_objects(s3, bucket)
        logs = [o for o in objects if "/CloudTrail/" in o["Key"]]
        digests = [o for o in objects if "/CloudTrail-Digest/" in o["Key"]]
        log_bytes = sum(o["Size"] for o in logs)

        def fetch(k):
            raw = gzip.decompress(s3.get_object(Bucket=bucket, Key=k)["Body"].read())
            return len(json.loads(raw)["Records"]), len(raw)

        with ThreadPoolExecutor(4) as pool:
            counted = list(pool.map(fetch, [o["Key"] for o in logs]))
        records = sum(c for c, _ in counted)
        raw_bytes = sum(b for _, b in counted)
        print("  %d records delivered in %.2f s: %.0f records/s (stop -> final digest)" % (records, elapsed, records / elapsed))
        print("  server CPU during delivery: %.2f s (%.1f us/record; %.0f%% of one core; other load on the machine"
              " stretches the wall time, not this)" % (cpu, cpu / max(records, 1) * 1e6, 100 * cpu / elapsed))
        print("  %d log files, %.1f MB gzipped (%.1f MB JSON, %.1fx), %d digest file(s)"
              % (len(logs), log_bytes / 1e6, raw_bytes / 1e6, raw_bytes / max(log_bytes, 1), len(digests)))
        print("  records expected (management events up to the stop): %d; delivered %d: %s"
              % (expected, records, "all" if records == expected else "MISMATCH"))
        if digests:
            listed = 0
            for d in digests:
                doc = json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=d["Key"])["Body"].read()))
                listed += len(doc["logFiles"])
            print("  log files listed in digests: %d of %d" % (listed, len(logs)))

        if not args.skip_validate:
            print("== aws cloudtrail validate-logs", flush=True)
            env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            env.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_ENDPOINT_URL=server.endpoint,
                       AWS_DEFAULT_REGION="us-east-1")
            t1 = time.time()
            cp = subprocess.run(["aws", "cloudtrail", "validate-logs", "--trail-arn", arn, "--start-time",
                                 start.strftime("%Y-%m-%dT%H:%M:%SZ"), "--region", "us-east-1"],
                                env=env, capture_output=True, text=True)
            out = cp.stdout + cp.stderr
            summary = {kind: re.search(r"(\d+)/(\d+) %s files valid" % kind, out) for kind in ("digest", "log")}
            print("  exit %d in %.1f s: %s" % (cp.returncode, time.time() - t1, "; ".join(
                "%s/%s %s files valid" % (m.group(1), m.group(2), k) for k, m in summary.items() if m)))
            if cp.returncode != 0 or "INVALID" in out:
                print(out[-2000:])
    finally:
        server.stop()
        if args.keep:
            print("data dir: %s" % server.data_dir)
        else:
            subprocess.run(["rm", "-rf", server.data_dir])


if __name__ == "__main__":
    main()
