#!/usr/bin/env python3
"""Spine benchmark (issue 2): start-up time and idle memory, recorded calls/s through HTTP with SigV4 verification
on, and LookupEvents latency with 1 million stored records.

    python3 Benchmarks/load/spine_bench.py [--binary .build-release/release/cairn] [--records 1000000]
                                           [--engines sqlite,pg1,pg3] [--database-url postgres://...]

Load comes from wrk (Debian package `wrk`) on loopback, replaying requests signed once by botocore
(a SigV4 signature stays valid for 15 minutes; the server verifies every replay in full). Prints figures;
asserts nothing about time.

One run measures each engine of --engines (cairn_server.py): SQLite, one node on PostgreSQL (pg1) and three nodes
on one PostgreSQL database (pg3: one wrk per node with the connections split, results summed, latency percentiles
of the merged histograms), each on a fresh database, then prints them side by side with their ratios to SQLite,
and each phase's server CPU seconds per 1,000 operations. The 1M records are bulk-loaded into the engine's tables
(SQLite file, or COPY into PostgreSQL) while the node(s) run.

Start-up is timed from spawning the process to `/_cairn/health` answering 200: the first start (a new data directory
or database, every migration applied) and a restart of the first node on what the first start made; idle memory is
each node's resident set (`/proc/PID/status`: VmRSS, of it anonymous and file-backed) after 5 s without requests.
"""
import argparse
import csv
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.path.insert(0, os.path.dirname(__file__))
from cairn_server import (ENGINE_TITLES, ROOT, Nodes, Profile, add_engine_args, machine_note, parse_engines,  # noqa: E402
                          ratio_table, split, start_postgres)

ACCOUNT = "000000000000"


def signed(endpoint, key, secret, service, headers, body):
    req = AWSRequest(method="POST", url=endpoint + "/", data=body, headers=headers)
    SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(req)
    return dict(req.headers.items())


def _wrk_script(headers, body, histogram=False):
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
""")
    if histogram:  # every distinct latency (us) with its count, for merging several wrk runs' percentiles
        lua.write("""  for i = 1, #latency do
    local v, c = latency(i)
    io.write(string.format("H %d %d\\n", v, c))
  end
""")
    lua.write("end\n")
    lua.close()
    return lua.name


def _wrk_result(out, seconds):
    m = re.search(r"RESULT requests=(\d+) errors_status=(\d+) p50=(\d+) p90=(\d+) p99=(\d+)", out)
    if not m:
        raise RuntimeError("wrk failed:\n" + out)
    reqs, errs, p50, p90, p99 = map(int, m.groups())
    r = dict(requests=reqs, errors=errs, rps=reqs / seconds, p50_ms=p50 / 1000, p90_ms=p90 / 1000, p99_ms=p99 / 1000)
    hist = {}
    for v, c in re.findall(r"^H (\d+) (\d+)$", out, re.M):
        hist[int(v)] = hist.get(int(v), 0) + int(c)
    if hist:
        r["hist"] = hist
    return r


def wrk(endpoint, headers, body, seconds, connections, threads=1):
    lua = _wrk_script(headers, body)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", "%ds" % seconds, "-s", lua,
                          endpoint + "/"], capture_output=True, text=True).stdout
    os.unlink(lua)
    return _wrk_result(out, seconds)


def _percentile(hist, p):
    """wrk's own rule (stats_percentile), over a merged histogram {latency_us: count}."""
    rank = round((p / 100.0) * sum(hist.values()) + 0.5)
    total = 0
    for v in sorted(hist):
        total += hist[v]
        if total >= rank:
            return v
    return 0


def wrk_nodes(endpoints, sign, body, seconds, connections):
    """wrk against every endpoint at once, `connections` split between them (one wrk each, replaying headers
    `sign(endpoint)` gives: a SigV4 signature covers the Host); requests and errors summed, percentiles of the
    merged latencies. One endpoint: exactly `wrk(...)`."""
    if len(endpoints) == 1:
        r = wrk(endpoints[0], sign(endpoints[0]), body, seconds, connections)
        r["per_node"] = [r["requests"]]
        return r
    runs = []
    for endpoint, c in zip(endpoints, split(connections, len(endpoints))):
        lua = _wrk_script(sign(endpoint), body, histogram=True)
        out = tempfile.TemporaryFile("w+")
        proc = subprocess.Popen(["wrk", "-t", "1", "-c", str(c), "-d", "%ds" % seconds, "-s", lua, endpoint + "/"],
                                stdout=out, stderr=subprocess.DEVNULL, text=True)
        runs.append((proc, lua, out))
    results = []
    for proc, lua, out in runs:
        proc.wait()
        os.unlink(lua)
        out.seek(0)
        results.append(_wrk_result(out.read(), seconds))
        out.close()
    hist = {}
    for r in results:
        for v, c in r.get("hist", {}).items():
            hist[v] = hist.get(v, 0) + c
    reqs = sum(r["requests"] for r in results)
    return dict(requests=reqs, errors=sum(r["errors"] for r in results), rps=reqs / seconds,
                p50_ms=_percentile(hist, 50) / 1000, p90_ms=_percentile(hist, 90) / 1000,
                p99_ms=_percentile(hist, 99) / 1000, per_node=[r["requests"] for r in results])


def stored_count(nodes):
    if nodes.database_url:
        return int(nodes.postgres.psql(nodes.database_url, "SELECT COUNT(*) FROM audit_event").strip())
    db = sqlite3.connect(os.path.join(nodes.data_dir, "cairn.sqlite"))
    return db.execute("SELECT COUNT(*) FROM audit_event").fetchone()[0]


EVENT_COLUMNS = ("event_id, account_id, region, event_time, event_name, event_source, read_only, username, "
                 "access_key_id, management, record")
RESOURCE_COLUMNS = "event_id, account_id, region, event_time, resource_type, resource_name"


def records(n, key):
    """n realistic management records spread over 80 days: (audit_event row, audit_resource row) each."""
    names = ["CreateUser", "GetUser", "ListUsers", "CreateRole", "AssumeRole", "GetCallerIdentity", "DeleteUser"]
    users = ["user%d" % i for i in range(200)]
    now_ms = int(time.time() * 1000) - 60_000
    span = 80 * 86400 * 1000
    for i in range(n):
        t = now_ms - span + (span * i) // n
        name = random.choice(names)
        user = random.choice(users)
        eid = str(uuid.uuid4())
        record = json.dumps({"eventVersion": "1.09", "userIdentity": {"type": "IAMUser", "userName": user,
                             "accountId": ACCOUNT, "accessKeyId": key}, "eventName": name,
                             "eventSource": "iam.amazonaws.com", "awsRegion": "us-east-1", "eventID": eid,
                             "requestParameters": {"userName": user}, "eventType": "AwsApiCall"})
        yield ((eid, ACCOUNT, "us-east-1", t, name, "iam.amazonaws.com", int(name.startswith(("Get", "List"))),
                user, key, 1, record),
               (eid, ACCOUNT, "us-east-1", t, "AWS::IAM::User", user))


def seed(nodes, n, key):
    """Bulk-loads n records straight into the store's tables (SQLite file, or PostgreSQL with COPY)."""
    if nodes.database_url:
        return seed_postgres(nodes.postgres, nodes.database_url, n, key)
    db = sqlite3.connect(os.path.join(nodes.data_dir, "cairn.sqlite"))
    db.execute("PRAGMA synchronous=OFF")
    batch, resources = [], []
    for event, resource in records(n, key):
        batch.append(event)
        resources.append(resource)
        if len(batch) == 20000:
            db.executemany("INSERT INTO audit_event (%s) VALUES (?,?,?,?,?,?,?,?,?,?,?)" % EVENT_COLUMNS, batch)
            db.executemany("INSERT INTO audit_resource VALUES (?,?,?,?,?,?)", resources)
            db.commit()
            batch, resources = [], []
    if batch:
        db.executemany("INSERT INTO audit_event (%s) VALUES (?,?,?,?,?,?,?,?,?,?,?)" % EVENT_COLUMNS, batch)
        db.executemany("INSERT INTO audit_resource VALUES (?,?,?,?,?,?)", resources)
        db.commit()
    # A bulk load leaves a large write-ahead log; fold it into the database as SQLite's auto-checkpoint would.
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    # Loaded without syncing, the rows sit in the page cache as dirty data, and the server's first commits (whose
    # fsync makes the file system write that data out first) would wait for it. The server would have synced them
    # as it recorded them: sync here, before anything is measured.
    os.sync()


def seed_postgres(pg, url, n, key):
    """The same rows through two concurrent `COPY ... FROM STDIN` (seq comes from the identity column)."""
    events = pg.copy_process(url, "COPY audit_event (%s) FROM STDIN WITH (FORMAT csv)" % EVENT_COLUMNS)
    resources = pg.copy_process(url, "COPY audit_resource (%s) FROM STDIN WITH (FORMAT csv)" % RESOURCE_COLUMNS)
    ew, rw = csv.writer(events.stdin, lineterminator="\n"), csv.writer(resources.stdin, lineterminator="\n")
    for event, resource in records(n, key):
        ew.writerow(event)
        rw.writerow(resource)
    for p in (events, resources):
        p.stdin.close()
        if p.wait() != 0:
            raise RuntimeError("COPY into PostgreSQL failed (psql exited %d)" % p.returncode)
    # Statistics and the visibility map for the new rows, as autovacuum would make them shortly after a bulk load, and
    # the checkpoint the load's WAL would trigger anyway: otherwise it runs, spread out, during the lookups that
    # follow and every commit waits on its writes (p99s of 200-500 ms on this machine, none of them the lookup's).
    pg.psql(url, "VACUUM ANALYZE audit_event", "VACUUM ANALYZE audit_resource", "CHECKPOINT")


def spread(nodes, connections):
    if len(nodes.endpoints) == 1:
        return ""
    return ", split %s over %d nodes" % ("+".join(map(str, split(connections, len(nodes.endpoints)))),
                                         len(nodes.endpoints))


def wait_healthy(endpoint, deadline):
    """Polls `/_cairn/health` until it answers 200 (True) or the deadline passes (False)."""
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(endpoint + "/_cairn/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.005)
    return False


def resident_mb(pid):
    """VmRSS and its anonymous and file-backed parts, in MB (MiB)."""
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile"):
                fields[name] = int(value.split()[0]) / 1024
    return fields


def start_up(engine, args, pg):
    """Starts the engine's node(s), timed to healthy; then restarts the first node, timed the same way, and reads
    every node's resident memory after 5 idle seconds. Returns (nodes, figures)."""
    t0 = time.time()
    nodes = Nodes(engine, args.binary, pg, pool_size=args.database_pool_size, label="spine")
    try:
        if not all(wait_healthy(e, t0 + 120) for e in nodes.endpoints):
            raise RuntimeError("a node never answered /_cairn/health")
        first = time.time() - t0
        node = nodes.servers[0]
        node.stop()
        t0 = time.time()
        node.start()
        if not wait_healthy(node.endpoint, t0 + 120):
            raise RuntimeError("the restarted node never answered /_cairn/health")
        restart = time.time() - t0
        time.sleep(5)
        memory = [resident_mb(s.pid) for s in nodes.servers]
    except BaseException:
        nodes.stop()
        raise
    print("== start-up to healthy and idle memory")
    print("  first start (new %s, migrations): %.3f s%s; restart of the first node: %.3f s"
          % ("database" if nodes.database_url else "data directory", first,
             "" if len(nodes.servers) == 1 else " for all %d nodes" % len(nodes.servers), restart))
    for i, m in enumerate(memory):
        print("  idle RSS%s after 5 s: %.1f MB (anonymous %.1f MB, file-backed %.1f MB)"
              % ("" if len(memory) == 1 else " of node %d" % (i + 1), m["VmRSS"], m["RssAnon"], m["RssFile"]))
    print("  (goals: start-up under 1 s, idle RSS under 50 MB)", flush=True)
    return nodes, dict(first_start_s=first, restart_s=restart, rss_mb=max(m["VmRSS"] for m in memory))


def run_engine(engine, args, pg):
    out = dict(lookups={})
    nodes, out["startup"] = start_up(engine, args, pg)
    try:
        print("== recorded calls/s through HTTP, SigV4 verified (sts GetCallerIdentity, wrk -c%d%s)"
              % (args.connections, spread(nodes, args.connections)), flush=True)
        key, secret = nodes.credentials()
        body = "Action=GetCallerIdentity&Version=2011-06-15"

        def sign_sts(endpoint):
            return signed(endpoint, key, secret, "sts",
                          {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, body)

        before = stored_count(nodes)
        cpu = nodes.cpu().start()
        with Profile(nodes.servers[0].pid, os.path.join(args.profile or "/tmp", "calls-%s.perf" % engine),
                     enabled=bool(args.profile)) as calls_profile:
            r = wrk_nodes(nodes.endpoints, sign_sts, body, args.seconds, args.connections)
        cpu.stop()
        recorded = stored_count(nodes) - before
        print("  %.0f calls/s answered, %d calls, %d non-2xx, %d records committed, latency p50 %.2f ms p99 %.2f ms"
              "; %s%s" % (r["rps"], r["requests"], r["errors"], recorded, r["p50_ms"], r["p99_ms"],
                          cpu.describe(r["requests"], "calls"),
                          "" if len(r["per_node"]) == 1 else "; calls per node " + "/".join(map(str, r["per_node"]))),
              flush=True)
        out["calls"] = dict(r, recorded=recorded, cpu=cpu.per_1k(r["requests"]))
        print_profile(calls_profile, "calls")

        print("== LookupEvents latency with %d stored records" % args.records, flush=True)
        t0 = time.time()
        seed(nodes, args.records, key)
        print("  seeded in %.1f s; store holds %d records" % (time.time() - t0, stored_count(nodes)), flush=True)
        queries = {
            "no filter (newest 50)": {},
            "EventName=CreateRole": {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "CreateRole"}]},
            "Username=user7": {"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "user7"}]},
            "ResourceName=user42": {"LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": "user42"}]},
            "EventName + 1-day window": {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "DeleteUser"}],
                                         "StartTime": int(time.time()) - 40 * 86400,
                                         "EndTime": int(time.time()) - 39 * 86400},
        }
        for (query, q), connections in [(item, c) for item in queries.items() for c in args.lookup_connections]:
            label = "%s c%d" % (query, connections)
            b = json.dumps(q)

            def sign_lookup(endpoint):
                return signed(endpoint, key, secret, "cloudtrail", {
                    "Content-Type": "application/x-amz-json-1.1",
                    "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"}, b)

            cpu = nodes.cpu().start()
            first = query == next(iter(queries)) and connections == args.lookup_connections[-1]
            with Profile(nodes.servers[0].pid, os.path.join(args.profile or "/tmp", "lookups-%s.perf" % engine),
                         enabled=bool(args.profile) and first) as lookup_profile:
                r = wrk_nodes(nodes.endpoints, sign_lookup, b, 5, connections)
            cpu.stop()
            print("  %-30s p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  (%.0f lookups/s, %d non-2xx)  %s"
                  % (label, r["p50_ms"], r["p90_ms"], r["p99_ms"], r["rps"], r["errors"],
                     cpu.describe(r["requests"], "lookups")), flush=True)
            out["lookups"][label] = dict(r, cpu=cpu.per_1k(r["requests"]))
            print_profile(lookup_profile, label)
    finally:
        nodes.stop()
    return out


def print_profile(profile, what):
    rows = profile.top()
    if rows:
        print("  where %s's time goes (perf, first node, self time by symbol):" % what)
        for row in rows:
            print("    " + row[:150])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.environ.get("CAIRN_BIN", os.path.join(ROOT, ".build-release/release/cairn")))
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--profile", metavar="DIR", help="perf-record the first node during the calls and the first lookup "
                                                    "phase, keep the data in DIR and print the hottest symbols")
    ap.add_argument("--lookup-connections", default="1,4", type=lambda t: [int(c) for c in t.split(",")],
                    help="wrk connections for each lookup query, one run per number: 1 measures a lookup's own "
                         "latency, more add queueing on this machine's two cores (default 1,4)")
    add_engine_args(ap)
    args = ap.parse_args()
    engines = parse_engines(args.engines)

    print(machine_note())
    print("engines: %s; LookupEvents uses wrk %s for 5 s per query (on pg3 split over the nodes, at least one each)"
          % (", ".join("%s (%s)" % (e, ENGINE_TITLES[e]) for e in engines),
             " and ".join("-c%d" % c for c in args.lookup_connections)), flush=True)
    results = {}
    pg = start_postgres(args, engines)
    try:
        for engine in engines:
            print("\n#### %s: %s" % (engine, ENGINE_TITLES[engine]), flush=True)
            results[engine] = run_engine(engine, args, pg)
    finally:
        if pg:
            pg.stop()

    if len(results) > 1:
        print()
        ran = [e for e in engines if e in results]

        def col(f):
            return {e: f(results[e]) for e in ran}

        rows = [
            ("first start to healthy s", col(lambda x: x["startup"]["first_start_s"]), "%.3f"),
            ("restart to healthy s", col(lambda x: x["startup"]["restart_s"]), "%.3f"),
            ("idle RSS MB (largest node)", col(lambda x: x["startup"]["rss_mb"]), "%.1f"),
            ("calls/s answered (SigV4)", col(lambda x: x["calls"]["rps"]), "%.0f"),
            ("records committed/s", col(lambda x: x["calls"]["recorded"] / args.seconds), "%.0f"),
            ("calls p50 ms", col(lambda x: x["calls"]["p50_ms"]), "%.2f"),
            ("calls p99 ms", col(lambda x: x["calls"]["p99_ms"]), "%.2f"),
            ("cairn CPU s/1k calls", col(lambda x: sum(x["calls"]["cpu"]["cairn"])), "%.3f"),
            ("postgres CPU s/1k calls", col(lambda x: x["calls"]["cpu"]["postgres"]), "%.3f"),
        ]
        for label in results[ran[0]]["lookups"]:
            rows += [
                ("%s p50 ms" % label, col(lambda x: x["lookups"][label]["p50_ms"]), "%.2f"),
                ("%s p99 ms" % label, col(lambda x: x["lookups"][label]["p99_ms"]), "%.2f"),
                ("%s lookups/s" % label, col(lambda x: x["lookups"][label]["rps"]), "%.0f"),
                ("%s cairn CPU s/1k" % label, col(lambda x: sum(x["lookups"][label]["cpu"]["cairn"])), "%.3f"),
            ]
        ratio_table("engines side by side, %d stored records for the lookups" % args.records, rows, ran)


if __name__ == "__main__":
    main()
