#!/usr/bin/env python3
"""Console benchmark (issue 15): the event history page's server time with 1 million stored records, and the
download's rate for 100,000 events, on each engine.

    python3 Benchmarks/load/console_bench.py [--binary .build-release/release/cairn] [--records 1000000]
                                             [--engines sqlite,pg1] [--pages 40]

The records are bulk-loaded as spine_bench.py loads them (80 days of IAM calls by 200 users). The page's server
time is the `Server-Timing: app;dur=` the console sends (rendering included, the network not); the download is
timed by this script from request to last byte, for a window holding about 100,000 events, in JSON and in CSV.
Prints figures; asserts nothing about time. The load generator (this script) shares the machine's cores.
"""
import argparse
import http.client
import os
import re
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode, urlparse

sys.path.insert(0, os.path.dirname(__file__))
from cairn_server import (ENGINE_TITLES, ROOT, Nodes, Profile, add_engine_args, machine_note, parse_engines,  # noqa: E402
                          start_postgres)
from spine_bench import seed, stored_count  # noqa: E402


class Browser:
    """A signed-in console session over one keep-alive connection."""

    def __init__(self, endpoint, key, secret):
        u = urlparse(endpoint)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
        self.cookies = {}
        page = self.request("GET", "/console/")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page[2]).group(1)
        status, _, _ = self.request("POST", "/console/signin", urlencode(
            {"accessKeyId": key, "secretAccessKey": secret, "csrf": csrf}))
        if status != 303 or "cairn_console" not in self.cookies:
            raise RuntimeError("sign-in failed: %s" % status)

    def request(self, method, path, body=None, stream=False):
        headers = {"Cookie": "; ".join("%s=%s" % kv for kv in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        for h, v in r.getheaders():
            if h.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        if stream:
            return r
        return r.status, dict(r.getheaders()), r.read().decode()


def server_ms(headers):
    m = re.search(r"dur=([0-9.]+)", headers.get("Server-Timing", ""))
    return float(m.group(1)) if m else float("nan")


def pages(b, label, query, n):
    times, client = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        status, headers, text = b.request("GET", "/console/events?" + urlencode(query))
        client.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise RuntimeError("%s: HTTP %d" % (label, status))
        times.append(server_ms(headers))
    rows = text.count('<tr class="event')
    times.sort()
    print("  %-44s server p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms  (client p50 %.1f ms; %d rows)"
          % (label, statistics.median(times), times[int(len(times) * 0.99) - 1 if len(times) >= 100 else -1],
             times[-1], statistics.median(client), rows), flush=True)
    return dict(p50=statistics.median(times), max=times[-1])


def download(b, fmt, query):
    """Seconds from request to last byte, bytes, and seconds to the first byte."""
    t0 = time.perf_counter()
    r = b.request("GET", "/console/events/download?" + urlencode(dict(query, format=fmt)), stream=True)
    if r.status != 200:
        raise RuntimeError("download %s: HTTP %d %s" % (fmt, r.status, r.read()[:300]))
    size, first = 0, None
    while True:
        chunk = r.read(1 << 16)
        if not chunk:
            break
        if first is None:
            first = time.perf_counter() - t0
        size += len(chunk)
    return time.perf_counter() - t0, size, first


def count_events(b, fmt, query):
    r = b.request("GET", "/console/events/download?" + urlencode(dict(query, format=fmt)), stream=True)
    n = 0
    while True:
        chunk = r.read(1 << 16)
        if not chunk:
            break
        n += chunk.count(b'"eventVersion"') if fmt == "json" else chunk.count(b"\r\n")
    return n if fmt == "json" else n - 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.environ.get("CAIRN_BIN", os.path.join(ROOT, ".build-release/release/cairn")))
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--pages", type=int, default=40, help="page loads per query")
    ap.add_argument("--profile", metavar="DIR", help="perf-record the node during each download and print the hottest "
                                                    "symbols")
    add_engine_args(ap)
    ap.set_defaults(engines="sqlite,pg1")
    args = ap.parse_args()
    engines = parse_engines(args.engines)
    print(machine_note())
    pg = start_postgres(args, engines)
    try:
        for engine in engines:
            print("\n#### %s: %s" % (engine, ENGINE_TITLES[engine]), flush=True)
            nodes = Nodes(engine, args.binary, pg, label="console")
            try:
                key, secret = nodes.credentials()
                t0 = time.time()
                seed(nodes, args.records, key)
                print("  seeded %d records in %.1f s; store holds %d" % (args.records, time.time() - t0,
                                                                           stored_count(nodes)), flush=True)
                b = Browser(nodes.endpoint, key, secret)
                print("== event history page (50 rows), %d loads each" % args.pages, flush=True)
                pages(b, "no filter", {}, args.pages)
                pages(b, "EventName=CreateRole", {"EventName": "CreateRole"}, args.pages)
                pages(b, "Username=user7 + EventName=CreateUser", {"Username": "user7", "EventName": "CreateUser"},
                      args.pages)
                pages(b, "Username=user7 + ReadOnly=false + 1 day", {
                    "Username": "user7", "ReadOnly": "false",
                    "StartTime": (datetime.now(timezone.utc) - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "EndTime": (datetime.now(timezone.utc) - timedelta(days=39)).strftime("%Y-%m-%dT%H:%M:%SZ")},
                      args.pages)
                # About 100,000 of the 1M records: the 8 newest days of 80.
                days = 80 * 100_000 / args.records
                window = {"StartTime": (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")}
                n = count_events(b, "json", window)
                print("== download of the newest %.1f days: %d events" % (days, n), flush=True)
                for fmt in ("json", "csv"):
                    with Profile(nodes.servers[0].pid, os.path.join(args.profile or "/tmp", "download-%s-%s.perf" % (engine, fmt)),
                                 enabled=bool(args.profile)) as profile:
                        elapsed, size, first = download(b, fmt, window)
                    print("  %-4s %8.0f events/s  %6.1f MB/s  (%.2f s, %.1f MB, first byte after %.0f ms)"
                          % (fmt, n / elapsed, size / elapsed / 1e6, elapsed, size / 1e6, (first or 0) * 1000),
                          flush=True)
                    for row in profile.top():
                        print("      " + row[:140])
            finally:
                nodes.stop()
    finally:
        if pg:
            pg.stop()


if __name__ == "__main__":
    main()
