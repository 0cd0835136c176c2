#!/usr/bin/env python3
"""Event-bus benchmark (issue 4), Cairn and moto_server side by side in one run.

    python3 Benchmarks/load/eventbus_bench.py [--binary .build-release/release/cairn] [--seconds 10]
                                              [--engines sqlite,pg1,pg3] [--database-url postgres://...]

1. Accepted and delivered events/s: PutEvents (10 entries a call, replayed by wrk with one SigV4 signature) →
   one matching rule → SQS; "delivered" waits until every accepted event is receivable in the queue.
2. Accept-to-receivable latency at a steady 1,000 events/s (two producer threads, each pacing half): each event
   carries its send time; four long-polling consumers measure when they can receive it. p50 and p99.
3. SQS msgs/s: SendMessageBatch and ReceiveMessage(10) replayed by wrk, on an empty queue and at 100,000 deep.
Prints figures and the Cairn/moto ratio; asserts nothing about time.

Cairn runs once per engine of --engines (cairn_server.py): SQLite, one node on PostgreSQL (pg1), three nodes on one
PostgreSQL database (pg3: one wrk per node with the connections split and the results summed; the Python producer
and consumers of 2. round-robin the nodes), each on a fresh database; moto_server runs once. Each phase also prints
server CPU seconds per 1,000 operations, and the engines are printed side by side with their ratios to SQLite.
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(__file__))
from cairn_server import (ENGINE_TITLES, ROOT, Nodes, add_engine_args, allow_rule_to_send, machine_note,  # noqa: E402
                          parse_engines, ratio_table, split, start_postgres)
from spine_bench import signed, wrk_nodes  # noqa: E402

PATTERN = {"source": ["bench"], "detail-type": ["tick"]}


class Moto:
    def __init__(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.endpoints = [self.endpoint]
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)

    def credentials(self):
        return "testing", "testing"

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def clients(target, endpoint=None):
    key, secret = target.credentials()
    cfg = Config(retries={"max_attempts": 1}, max_pool_connections=32)
    kw = dict(endpoint_url=endpoint or target.endpoint, region_name="us-east-1", aws_access_key_id=key,
              aws_secret_access_key=secret, config=cfg)
    return boto3.client("events", **kw), boto3.client("sqs", **kw)


def setup(target, name):
    events, sqs = clients(target)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    allow_rule_to_send(sqs, url, arn, events.put_rule(Name=name, EventPattern=json.dumps(PATTERN))["RuleArn"])
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
    return events, sqs, url


class Cpu:
    """A Cairn target's CpuMeter over one phase (nothing for moto): after `.stop(ops)`, `.describe(unit)` is
    '; cairn CPU ...' (or '' for moto)."""

    def __init__(self, target):
        self.meter = target.cpu().start() if hasattr(target, "cpu") else None

    def stop(self, ops):
        if self.meter:
            self.meter.stop()
        self.ops = ops
        return self

    def per_1k(self):
        return self.meter.per_1k(self.ops) if self.meter else None

    def describe(self, unit):
        return "; " + self.meter.describe(self.ops, unit) if self.meter else ""


def depth(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                               "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


def throughput(target, seconds, connections):
    events, sqs, url = setup(target, "throughput")
    key, secret = target.credentials()
    body = json.dumps({"Entries": [{"Source": "bench", "DetailType": "tick", "Detail": json.dumps({"i": i})}
                                   for i in range(10)]})

    def sign(endpoint):
        return signed(endpoint, key, secret, "events", {"Content-Type": "application/x-amz-json-1.1",
                                                       "X-Amz-Target": "AWSEvents.PutEvents"}, body)
    cpu = Cpu(target)
    t0 = time.time()
    r = wrk_nodes(target.endpoints, sign, body, seconds, connections)
    accepted = (r["requests"] - r["errors"]) * 10
    deadline = time.time() + 120
    while time.time() < deadline and depth(sqs, url) < accepted:
        time.sleep(0.2)
    delivered_at = time.time() - t0
    got = depth(sqs, url)
    cpu.stop(got)
    return dict(accepted_per_s=accepted / seconds, accepted=accepted, delivered=got,
                delivered_per_s=got / max(delivered_at, seconds), cpu=cpu)


def latency(target, rate, seconds):
    events, sqs, url = setup(target, "latency")
    samples = []
    stop = threading.Event()

    def consume(endpoint):
        _, c = clients(target, endpoint)
        while not stop.is_set() or len(samples) < sent[0]:
            r = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            now = time.time()
            msgs = r.get("Messages", [])
            for m in msgs:
                detail = json.loads(m["Body"]).get("detail", {})
                if "t" in detail:  # a slow peer may still be delivering the throughput phase's events
                    samples.append(now - detail["t"])
            if msgs:
                c.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                               for i, m in enumerate(msgs)])
            if stop.is_set() and not msgs:
                break

    sent = [0]
    sent_lock = threading.Lock()
    # Several nodes: the consumers and the producers' calls go round the nodes.
    endpoints = target.endpoints
    consumers = [threading.Thread(target=consume, args=(endpoints[i % len(endpoints)],)) for i in range(4)]
    cpu = Cpu(target)
    for t in consumers:
        t.start()
    batch = 10
    # One boto3 thread, waiting on each call, offered at most ~830 events/s here: two producers, each pacing its own
    # half of the rate, offer it all.
    producer_count = 2
    # Each thread its own clients (made before the clock starts), one per node.
    producers = [[events if k == 0 and e == target.endpoint else clients(target, e)[0] for e in endpoints]
                 for k in range(producer_count)]
    start = time.time()

    def produce(k):
        interval = batch * producer_count / rate
        next_at = start + k * interval / producer_count
        calls = 0
        while time.time() - start < seconds:
            time.sleep(max(0, next_at - time.time()))
            producers[k][(calls + k) % len(endpoints)].put_events(
                Entries=[{"Source": "bench", "DetailType": "tick", "Detail": json.dumps({"t": time.time()})}
                         for _ in range(batch)])
            calls += 1
            with sent_lock:
                sent[0] += batch
            next_at += interval

    producer_threads = [threading.Thread(target=produce, args=(k,)) for k in range(producer_count)]
    for t in producer_threads:
        t.start()
    for t in producer_threads:
        t.join()
    achieved = sent[0] / (time.time() - start)
    time.sleep(2)
    stop.set()
    for t in consumers:
        t.join(timeout=30)
    cpu.stop(sent[0])
    samples.sort()
    if not samples:
        return dict(rate=achieved, received=0), cpu
    return dict(rate=achieved, received=len(samples), sent=sent[0], p50_ms=1000 * samples[len(samples) // 2],
                p99_ms=1000 * samples[min(len(samples) - 1, int(len(samples) * 0.99))]), cpu


def sqs_rates(target, seconds, prefill, connections):
    _, sqs = clients(target)
    url = sqs.create_queue(QueueName="rates-%d" % prefill)["QueueUrl"]
    key, secret = target.credentials()
    send_body = json.dumps({"QueueUrl": url, "Entries": [{"Id": str(i), "MessageBody": "m" * 100} for i in range(10)]})

    def hs(endpoint):
        return signed(endpoint, key, secret, "sqs", {"Content-Type": "application/x-amz-json-1.0",
                                                     "X-Amz-Target": "AmazonSQS.SendMessageBatch"}, send_body)
    if prefill:
        while depth(sqs, url) < prefill:
            wrk_nodes(target.endpoints, hs, send_body, 5, connections)
    d0 = depth(sqs, url)
    send_cpu = Cpu(target)
    s = wrk_nodes(target.endpoints, hs, send_body, seconds, connections)
    send_cpu.stop(s["requests"])
    recv_body = json.dumps({"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 600})

    def hr(endpoint):
        return signed(endpoint, key, secret, "sqs", {"Content-Type": "application/x-amz-json-1.0",
                                                     "X-Amz-Target": "AmazonSQS.ReceiveMessage"}, recv_body)
    recv_cpu = Cpu(target)
    r = wrk_nodes(target.endpoints, hr, recv_body, seconds, connections)
    recv_cpu.stop(r["requests"])
    return dict(depth=d0, send_msgs_per_s=(s["requests"] - s["errors"]) * 10 / seconds,
                receive_calls_per_s=(r["requests"] - r["errors"]) / seconds, receive_p99_ms=r["p99_ms"],
                send_cpu=send_cpu, recv_cpu=recv_cpu)


def run(name, target, args, connections):
    """One side's four phases, printed as they finish; `name` is 'cairn' or 'moto'."""
    t = throughput(target, args.seconds, connections)
    print("  PutEvents -> rule -> SQS: %.0f events/s accepted, %d of %d delivered (%.0f events/s delivered)%s"
          % (t["accepted_per_s"], t["delivered"], t["accepted"], t["delivered_per_s"],
             t["cpu"].describe("events delivered")), flush=True)
    lat, lat_cpu = latency(target, 1000 if name == "cairn" else 100, args.seconds)
    print("  latency at %.0f events/s offered: %s%s" % (lat["rate"], {k: round(v, 2) if isinstance(v, float) else v
                                                                      for k, v in lat.items()},
                                                      lat_cpu.describe("events")), flush=True)
    empty = sqs_rates(target, args.seconds, 0, connections)
    print("  SQS empty queue: %.0f msgs/s sent (batches of 10), %.0f receive calls/s (up to 10 msgs each), p99 %.1f ms%s%s"
          % (empty["send_msgs_per_s"], empty["receive_calls_per_s"], empty["receive_p99_ms"],
             empty["send_cpu"].describe("send calls"), empty["recv_cpu"].describe("receive calls")), flush=True)
    deep = sqs_rates(target, args.seconds, args.prefill if name == "cairn" else min(args.prefill, 5_000), connections)
    print("  SQS at depth %d: %.0f msgs/s sent, %.0f receive calls/s, p99 %.1f ms%s%s"
          % (deep["depth"], deep["send_msgs_per_s"], deep["receive_calls_per_s"], deep["receive_p99_ms"],
             deep["send_cpu"].describe("send calls"), deep["recv_cpu"].describe("receive calls")), flush=True)
    return dict(t=t, lat=lat, lat_cpu=lat_cpu, empty=empty, deep=deep)


# moto_server handles one request at a time; more connections only queue up behind it.
CAIRN_CONNECTIONS = 32
MOTO_CONNECTIONS = 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.environ.get("CAIRN_BIN", os.path.join(ROOT, ".build-release/release/cairn")))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--prefill", type=int, default=100_000)
    ap.add_argument("--only", choices=["cairn", "moto"], help="run one side only")
    add_engine_args(ap)
    args = ap.parse_args()
    engines = parse_engines(args.engines) if args.only != "moto" else []
    print(machine_note())
    if engines:
        print("engines: %s%s" % (", ".join("%s (%s)" % (e, ENGINE_TITLES[e]) for e in engines),
                                 "; pg3's wrk connections split %s over its nodes"
                                 % "+".join(map(str, split(CAIRN_CONNECTIONS, 3))) if "pg3" in engines else ""),
              flush=True)
    results = {}
    pg = start_postgres(args, engines)
    try:
        for engine in engines:
            print("\n#### %s: %s" % (engine, ENGINE_TITLES[engine]), flush=True)
            target = Nodes(engine, args.binary, pg, pool_size=args.database_pool_size, label="eventbus")
            try:
                print("== cairn", flush=True)
                results[engine] = run("cairn", target, args, CAIRN_CONNECTIONS)
            finally:
                target.stop()
    finally:
        if pg:
            pg.stop()
    moto = None
    if args.only != "cairn":
        target = Moto()
        try:
            print("\n== moto", flush=True)
            moto = run("moto", target, args, MOTO_CONNECTIONS)
        finally:
            target.stop()

    ran = [e for e in engines if e in results]
    if ran and moto:
        def ratios(f):
            figures = ["%.1fx" % (f(results[e]) / max(f(moto), 0.01)) for e in ran]
            if ran[0] == "sqlite":  # as before (sqlite is the Cairn of earlier runs), other engines after it
                return figures[0] + "".join("  | %s %s" % (e, x) for e, x in zip(ran[1:], figures[1:]))
            return "  | ".join("%s %s" % (e, x) for e, x in zip(ran, figures))
        print("== ratios (cairn / moto)")
        print("  delivered events/s: %s" % ratios(lambda x: x["t"]["delivered_per_s"]))
        print("  SQS send msgs/s (empty): %s" % ratios(lambda x: x["empty"]["send_msgs_per_s"]))
        print("  SQS receive calls/s (empty): %s" % ratios(lambda x: x["empty"]["receive_calls_per_s"]))
    if len(ran) > 1:
        def col(f):
            out = {}
            for e in ran:
                try:
                    out[e] = f(results[e])
                except (KeyError, TypeError):
                    out[e] = None
            return out

        def cairn_cpu(cpu):
            return sum(cpu.per_1k()["cairn"])

        def pg_cpu(cpu):
            return cpu.per_1k()["postgres"]

        rows = [("PutEvents accepted events/s", col(lambda x: x["t"]["accepted_per_s"]), "%.0f"),
                ("delivered events/s", col(lambda x: x["t"]["delivered_per_s"]), "%.0f"),
                ("  cairn CPU s/1k delivered", col(lambda x: cairn_cpu(x["t"]["cpu"])), "%.3f"),
                ("  postgres CPU s/1k delivered", col(lambda x: pg_cpu(x["t"]["cpu"])), "%.3f"),
                ("latency phase events/s offered", col(lambda x: x["lat"]["rate"]), "%.0f"),
                ("  accept-to-receivable p50 ms", col(lambda x: x["lat"]["p50_ms"]), "%.1f"),
                ("  accept-to-receivable p99 ms", col(lambda x: x["lat"]["p99_ms"]), "%.1f"),
                ("  cairn CPU s/1k events", col(lambda x: cairn_cpu(x["lat_cpu"])), "%.3f")]
        for phase, title in (("empty", "SQS empty"), ("deep", "SQS deep")):
            rows += [("%s: msgs/s sent" % title, col(lambda x: x[phase]["send_msgs_per_s"]), "%.0f"),
                     ("  cairn CPU s/1k send calls", col(lambda x: cairn_cpu(x[phase]["send_cpu"])), "%.3f"),
                     ("%s: receive calls/s" % title, col(lambda x: x[phase]["receive_calls_per_s"]), "%.0f"),
                     ("  receive p99 ms", col(lambda x: x[phase]["receive_p99_ms"]), "%.1f"),
                     ("  cairn CPU s/1k receive calls", col(lambda x: cairn_cpu(x[phase]["recv_cpu"])), "%.3f")]
        ratio_table("engines side by side (cairn)", rows, ran)


if __name__ == "__main__":
    main()
