#!/usr/bin/env python3
"""Event-bus benchmark (issue 4), Cairn and moto_server side by side in one run.

    python3 Benchmarks/load/eventbus_bench.py [--binary .build-release/release/cairn] [--seconds 10]

1. Accepted and delivered events/s: PutEvents (10 entries a call, replayed by wrk with one SigV4 signature) →
   one matching rule → SQS; "delivered" waits until every accepted event is receivable in the queue.
2. Accept-to-receivable latency at a steady 1,000 events/s: each event carries its send time; a long-polling
   consumer measures when it can receive it. p50 and p99.
3. SQS msgs/s: SendMessageBatch and ReceiveMessage(10) replayed by wrk, on an empty queue and at 100,000 deep.
Prints figures and the Cairn/moto ratio; asserts nothing about time.
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
from cairn_server import CairnServer  # noqa: E402
from spine_bench import signed, wrk  # noqa: E402

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


def clients(target):
    key, secret = target.credentials()
    cfg = Config(retries={"max_attempts": 1}, max_pool_connections=32)
    kw = dict(endpoint_url=target.endpoint, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret,
              config=cfg)
    return boto3.client("events", **kw), boto3.client("sqs", **kw)


def setup(target, name):
    events, sqs = clients(target)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventPattern=json.dumps(PATTERN))
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
    return events, sqs, url


def depth(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                               "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


def throughput(target, seconds, connections):
    events, sqs, url = setup(target, "throughput")
    key, secret = target.credentials()
    body = json.dumps({"Entries": [{"Source": "bench", "DetailType": "tick", "Detail": json.dumps({"i": i})}
                                   for i in range(10)]})
    h = signed(target.endpoint, key, secret, "events", {"Content-Type": "application/x-amz-json-1.1",
                                                         "X-Amz-Target": "AWSEvents.PutEvents"}, body)
    t0 = time.time()
    r = wrk(target.endpoint, h, body, seconds, connections)
    accepted = (r["requests"] - r["errors"]) * 10
    deadline = time.time() + 120
    while time.time() < deadline and depth(sqs, url) < accepted:
        time.sleep(0.2)
    delivered_at = time.time() - t0
    got = depth(sqs, url)
    return dict(accepted_per_s=accepted / seconds, accepted=accepted, delivered=got,
                delivered_per_s=got / max(delivered_at, seconds))


def latency(target, rate, seconds):
    events, sqs, url = setup(target, "latency")
    samples = []
    stop = threading.Event()

    def consume():
        _, c = clients(target)
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
    consumers = [threading.Thread(target=consume) for _ in range(4)]
    for t in consumers:
        t.start()
    start = time.time()
    batch = 10
    interval = batch / rate
    next_at = start
    while time.time() - start < seconds:
        now = time.time()
        events.put_events(Entries=[{"Source": "bench", "DetailType": "tick", "Detail": json.dumps({"t": time.time()})}
                                   for _ in range(batch)])
        sent[0] += batch
        next_at += interval
        time.sleep(max(0, next_at - time.time()))
    achieved = sent[0] / (time.time() - start)
    time.sleep(2)
    stop.set()
    for t in consumers:
        t.join(timeout=30)
    samples.sort()
    if not samples:
        return dict(rate=achieved, received=0)
    return dict(rate=achieved, received=len(samples), sent=sent[0], p50_ms=1000 * samples[len(samples) // 2],
                p99_ms=1000 * samples[min(len(samples) - 1, int(len(samples) * 0.99))])


def sqs_rates(target, seconds, prefill, connections):
    _, sqs = clients(target)
    url = sqs.create_queue(QueueName="rates-%d" % prefill)["QueueUrl"]
    key, secret = target.credentials()
    send_body = json.dumps({"QueueUrl": url, "Entries": [{"Id": str(i), "MessageBody": "m" * 100} for i in range(10)]})
    hs = signed(target.endpoint, key, secret, "sqs", {"Content-Type": "application/x-amz-json-1.0",
                                                       "X-Amz-Target": "AmazonSQS.SendMessageBatch"}, send_body)
    if prefill:
        while depth(sqs, url) < prefill:
            wrk(target.endpoint, hs, send_body, 5, connections)
    d0 = depth(sqs, url)
    s = wrk(target.endpoint, hs, send_body, seconds, connections)
    recv_body = json.dumps({"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 600})
    hr = signed(target.endpoint, key, secret, "sqs", {"Content-Type": "application/x-amz-json-1.0",
                                                       "X-Amz-Target": "AmazonSQS.ReceiveMessage"}, recv_body)
    r = wrk(target.endpoint, hr, recv_body, seconds, connections)
    return dict(depth=d0, send_msgs_per_s=(s["requests"] - s["errors"]) * 10 / seconds,
                receive_calls_per_s=(r["requests"] - r["errors"]) / seconds, receive_p99_ms=r["p99_ms"])


def main():
    ap = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--binary", default=os.environ.get("CAIRN_BIN", os.path.join(root, ".build-release/release/cairn")))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--prefill", type=int, default=100_000)
    ap.add_argument("--only", choices=["cairn", "moto"], help="run one side only")
    args = ap.parse_args()
    results = {}
    # moto_server handles one request at a time; more connections only queue up behind it.
    sides = [("cairn", lambda: CairnServer(args.binary).start(), 32), ("moto", Moto, 2)]
    for name, make, connections in sides:
        if args.only and args.only != name:
            continue
        target = make()
        try:
            print("== %s" % name, flush=True)
            t = throughput(target, args.seconds, connections)
            print("  PutEvents -> rule -> SQS: %.0f events/s accepted, %d of %d delivered (%.0f events/s delivered)"
                  % (t["accepted_per_s"], t["delivered"], t["accepted"], t["delivered_per_s"]), flush=True)
            lat = latency(target, 1000 if name == "cairn" else 100, args.seconds)
            print("  latency at %.0f events/s offered: %s" % (lat["rate"], {k: round(v, 2) if isinstance(v, float) else v
                                                                            for k, v in lat.items()}), flush=True)
            empty = sqs_rates(target, args.seconds, 0, connections)
            print("  SQS empty queue: %.0f msgs/s sent (batches of 10), %.0f receive calls/s (up to 10 msgs each), p99 %.1f ms"
                  % (empty["send_msgs_per_s"], empty["receive_calls_per_s"], empty["receive_p99_ms"]), flush=True)
            deep = sqs_rates(target, args.seconds, args.prefill if name == "cairn" else min(args.prefill, 5_000), connections)
            print("  SQS at depth %d: %.0f msgs/s sent, %.0f receive calls/s, p99 %.1f ms"
                  % (deep["depth"], deep["send_msgs_per_s"], deep["receive_calls_per_s"], deep["receive_p99_ms"]), flush=True)
            results[name] = dict(t=t, lat=lat, empty=empty, deep=deep)
        finally:
            target.stop()
    if "cairn" in results and "moto" in results:
        c, m = results["cairn"], results["moto"]
        print("== ratios (cairn / moto)")
        print("  delivered events/s: %.1fx" % (c["t"]["delivered_per_s"] / max(m["t"]["delivered_per_s"], 0.01)))
        print("  SQS send msgs/s (empty): %.1fx" % (c["empty"]["send_msgs_per_s"] / max(m["empty"]["send_msgs_per_s"], 0.01)))
        print("  SQS receive calls/s (empty): %.1fx" % (c["empty"]["receive_calls_per_s"] / max(m["empty"]["receive_calls_per_s"], 0.01)))


if __name__ == "__main__":
    main()
