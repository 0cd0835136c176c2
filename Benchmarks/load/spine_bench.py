#!/usr/bin/env python3
"""Spine benchmark (issue 2): recorded calls/s through HTTP with SigV4 verification on, and LookupEvents
latency with 1 million stored records.

    python3 Benchmarks/load/spine_bench.py [--binary .build-release/release/cairn] [--records 1000000]

Load comes from wrk (Debian package `wrk`) on loopback, replaying requests signed once by botocore
(a SigV4 signature stays valid for 15 minutes; the server verifies every replay in full). Prints figures;
asserts nothing about time.
"""
import argparse
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.path.insert(0, os.path.dirname(__file__))
from cairn_server import CairnServer  # noqa: E402

ACCOUNT = "000000000000"


def signed(endpoint, key, secret, service, headers, body):
    req = AWSRequest(method="POST", url=endpoint + "/", data=body, headers=headers)
    SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(req)
    return dict(req.headers.items())


def wrk(endpoint, headers, body, seconds, connections, threads=1):
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua.write('wrk.method = "POST"\n')
    lua.write("wrk.body = %s\n" % json.dumps(body))
    for k, v in headers.items():
        if k.lower() in ("host", "content-length"):
            continue
        lua.write("wrk.headers[%s] = %s\n" % (json.dumps(k), json.dumps(v)))
    lua.write("""
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors_status=%d p50=%d p90=%d p99=%d\\n",
    summary.requests, summary.errors.status, latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
""")
    lua.close()
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", "%ds" % seconds, "-s", lua.name,
                          endpoint + "/"], capture_output=True, text=True).stdout
    os.unlink(lua.name)
    m = re.search(r"RESULT requests=(\d+) errors_status=(\d+) p50=(\d+) p90=(\d+) p99=(\d+)", out)
    if not m:
        raise RuntimeError("wrk failed:\n" + out)
    reqs, errs, p50, p90, p99 = map(int, m.groups())
    return dict(requests=reqs, errors=errs, rps=reqs / seconds, p50_ms=p50 / 1000, p90_ms=p90 / 1000, p99_ms=p99 / 1000)


def stored_count(data_dir):
    db = sqlite3.connect(os.path.join(data_dir, "cairn.sqlite"))
    return db.execute("SELECT COUNT(*) FROM audit_event").fetchone()[0]


def seed(data_dir, n, key):
    """Bulk-loads n realistic management records (spread over 80 days) straight into the store's tables."""
    db = sqlite3.connect(os.path.join(data_dir, "cairn.sqlite"))
    db.execute("PRAGMA synchronous=OFF")
    names = ["CreateUser", "GetUser", "ListUsers", "CreateRole", "AssumeRole", "GetCallerIdentity", "DeleteUser"]
    users = ["user%d" % i for i in range(200)]
    now_ms = int(time.time() * 1000) - 60_000
    span = 80 * 86400 * 1000
    batch, resources = [], []
    for i in range(n):
        t = now_ms - span + (span * i) // n
        name = random.choice(names)
        user = random.choice(users)
        eid = str(uuid.uuid4())
        record = json.dumps({"eventVersion": "1.09", "userIdentity": {"type": "IAMUser", "userName": user,
                             "accountId": ACCOUNT, "accessKeyId": key}, "eventName": name,
                             "eventSource": "iam.amazonaws.com", "awsRegion": "us-east-1", "eventID": eid,
                             "requestParameters": {"userName": user}, "eventType": "AwsApiCall"})
        batch.append((eid, ACCOUNT, "us-east-1", t, name, "iam.amazonaws.com", int(name.startswith(("Get", "List"))),
                      user, key, 1, record))
        resources.append((eid, ACCOUNT, "us-east-1", t, "AWS::IAM::User", user))
        if len(batch) == 20000:
            db.executemany("INSERT INTO audit_event (event_id, account_id, region, event_time, event_name, event_source,"
                           " read_only, username, access_key_id, management, record) VALUES (?,?,?,?,?,?,?,?,?,?,?)", batch)
            db.executemany("INSERT INTO audit_resource VALUES (?,?,?,?,?,?)", resources)
            db.commit()
            batch, resources = [], []
    if batch:
        db.executemany("INSERT INTO audit_event (event_id, account_id, region, event_time, event_name, event_source,"
                       " read_only, username, access_key_id, management, record) VALUES (?,?,?,?,?,?,?,?,?,?,?)", batch)
        db.executemany("INSERT INTO audit_resource VALUES (?,?,?,?,?,?)", resources)
        db.commit()
    # A bulk load leaves a large write-ahead log; fold it into the database as SQLite's auto-checkpoint would.
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def main():
    ap = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--binary", default=os.environ.get("CAIRN_BIN", os.path.join(root, ".build-release/release/cairn")))
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    args = ap.parse_args()

    print("== recorded calls/s through HTTP, SigV4 verified (sts GetCallerIdentity, wrk -c%d)" % args.connections)
    server = CairnServer(args.binary).start()
    try:
        key, secret = server.credentials()
        body = "Action=GetCallerIdentity&Version=2011-06-15"
        headers = signed(server.endpoint, key, secret, "sts",
                         {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, body)
        before = stored_count(server.data_dir)
        r = wrk(server.endpoint, headers, body, args.seconds, args.connections)
        recorded = stored_count(server.data_dir) - before
        print("  %.0f calls/s answered, %d calls, %d non-2xx, %d records committed, latency p50 %.2f ms p99 %.2f ms"
              % (r["rps"], r["requests"], r["errors"], recorded, r["p50_ms"], r["p99_ms"]))

        print("== LookupEvents latency with %d stored records" % args.records)
        t0 = time.time()
        seed(server.data_dir, args.records, key)
        print("  seeded in %.1f s; store holds %d records" % (time.time() - t0, stored_count(server.data_dir)))
        queries = {
            "no filter (newest 50)": {},
            "EventName=CreateRole": {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "CreateRole"}]},
            "Username=user7": {"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "user7"}]},
            "ResourceName=user42": {"LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": "user42"}]},
            "EventName + 1-day window": {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "DeleteUser"}],
                                         "StartTime": int(time.time()) - 40 * 86400,
                                         "EndTime": int(time.time()) - 39 * 86400},
        }
        for label, q in queries.items():
            b = json.dumps(q)
            h = signed(server.endpoint, key, secret, "cloudtrail", {
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"}, b)
            r = wrk(server.endpoint, h, b, 5, 4)
            print("  %-26s p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  (%.0f lookups/s, %d non-2xx)"
                  % (label, r["p50_ms"], r["p90_ms"], r["p99_ms"], r["rps"], r["errors"]))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
