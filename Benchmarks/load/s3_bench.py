#!/usr/bin/env python3
"""Object-store benchmark: S3 PUT and GET throughput, Cairn and moto_server side by side in one run.

    python3 Benchmarks/load/s3_bench.py [--binary .build-release/release/cairn] [--threads 8] [--seconds 6]

boto3 clients (one per thread, SigV4 signed, default checksums) PUT distinct keys for `--seconds` per object size
(1 KiB, 64 KiB, 1 MiB), then GET the keys just written (body read in full) for as long. Prints ops/s, MB/s and the
Cairn/moto ratio; asserts nothing about time. Note the client side (boto3 signing, hashing, parsing in Python
threads under the GIL) takes a good share of this 2-core machine, so the figures are end-to-end, not server-only.
"""
import argparse
import os
import statistics
import sys
import threading
import time

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(__file__))
from cairn_server import CairnServer  # noqa: E402
from eventbus_bench import Moto  # noqa: E402

SIZES = [("1 KiB", 1 << 10), ("64 KiB", 64 << 10), ("1 MiB", 1 << 20)]


def client(target, threads):
    key, secret = target.credentials()
    cfg = Config(retries={"max_attempts": 1}, max_pool_connections=threads + 2,
                 s3={"addressing_style": "path"})
    return boto3.client("s3", endpoint_url=target.endpoint, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=cfg)


def run_threads(threads, seconds, work):
    """Runs work(thread_index, i) in `threads` threads for `seconds`; returns (ops, elapsed, errors, per-op latencies)."""
    stop = time.time() + seconds
    counts = [0] * threads
    errors = [0] * threads
    lat = [[] for _ in range(threads)]

    def loop(t):
        i = 0
        while time.time() < stop:
            t0 = time.perf_counter()
            try:
                work(t, i)
                counts[t] += 1
                lat[t].append(time.perf_counter() - t0)
            except Exception:  # noqa: BLE001 - counted and reported
                errors[t] += 1
            i += 1

    t0 = time.time()
    ts = [threading.Thread(target=loop, args=(t,)) for t in range(threads)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    return sum(counts), time.time() - t0, sum(errors), [x for xs in lat for x in xs], counts


def bench(target, threads, seconds):
    clients = [client(target, threads) for _ in range(threads)]
    bucket = "s3-bench-%d" % int(time.time() * 1000)
    clients[0].create_bucket(Bucket=bucket)
    out = {}
    for label, size in SIZES:
        body = os.urandom(size)
        prefix = "%d/" % size
        put = run_threads(threads, seconds, lambda t, i: clients[t].put_object(
            Bucket=bucket, Key="%st%d/%d" % (prefix, t, i), Body=body))
        written = put[4]

        def get(t, i):
            n = written[t]
            r = clients[t].get_object(Bucket=bucket, Key="%st%d/%d" % (prefix, t, i % n))
            if len(r["Body"].read()) != size:
                raise RuntimeError("short body")

        got = run_threads(threads, seconds, get)
        res = {}
        for op, (ops, elapsed, errs, lat, _) in (("PUT", put), ("GET", got)):
            lat.sort()
            res[op] = dict(ops_s=ops / elapsed, mb_s=ops * size / elapsed / 1e6, errors=errs,
                           p50_ms=1000 * statistics.median(lat) if lat else 0,
                           p99_ms=1000 * lat[int(len(lat) * 0.99)] if lat else 0)
            print("  %-6s %-3s %8.0f ops/s %8.1f MB/s  p50 %6.1f ms  p99 %6.1f ms  (%d errors)"
                  % (label, op, res[op]["ops_s"], res[op]["mb_s"], res[op]["p50_ms"], res[op]["p99_ms"], errs), flush=True)
        out[label] = res
    return out


def main():
    ap = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--binary", default=os.environ.get("CAIRN_BIN", os.path.join(root, ".build-release/release/cairn")))
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=6, help="per size and operation")
    ap.add_argument("--only", choices=["cairn", "moto"], help="run one side only")
    args = ap.parse_args()
    results = {}
    for name, make in (("cairn", lambda: CairnServer(args.binary).start()), ("moto", Moto)):
        if args.only and args.only != name:
            continue
        target = make()
        try:
            print("== %s (boto3, %d threads, %.0f s per size and operation)" % (name, args.threads, args.seconds),
                  flush=True)
            results[name] = bench(target, args.threads, args.seconds)
        finally:
            target.stop()
    if "cairn" in results and "moto" in results:
        print("== ratios (cairn / moto, ops/s)")
        for label, _ in SIZES:
            c, m = results["cairn"][label], results["moto"][label]
            print("  %-6s PUT %.1fx  GET %.1fx" % (label, c["PUT"]["ops_s"] / max(m["PUT"]["ops_s"], 0.01),
                                                  c["GET"]["ops_s"] / max(m["GET"]["ops_s"], 0.01)))


if __name__ == "__main__":
    main()
