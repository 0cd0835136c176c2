#!/usr/bin/env python3
"""EventBridge Scheduler benchmark: 10,000 one-time schedules firing in the same second, and archive replay throughput.

    python3 Benchmarks/load/scheduler_bench.py [--binary .build-release/release/cairn] [--schedules 10000]
                                               [--events 100000] [--engines sqlite,pg1] [--database-url postgres://...]

1. Firing. A role EventBridge Scheduler may assume (sqs:SendMessage on one queue), a schedule group, and `--schedules`
   `at()` schedules all due in the same second, each targeting that queue with its number as Input and
   ActionAfterCompletion DELETE, created with boto3 from `--threads` threads (one client each). The due second is
   far enough ahead to create them all: a probe first creates `--probe` schedules (due in 2099, in a group deleted
   after) to measure the creation rate, and the lead is 1.5x the time that rate needs plus 10 s (or `--lead`).
   Reported: the creation rate; from the due second, when the first and the last message became receivable (drained
   by `--receivers` threads, 10 per ReceiveMessage, each deleted); the firing-to-receivable latency percentiles from
   each message's SentTimestamp minus the due second (the server's own clock), and receive time minus the due
   second; duplicates and missing numbers; when every schedule had deleted itself; server CPU per 1,000 firings.
2. Replay. A bus with an archive (no pattern) and one rule; `--events` events put with PutEvents in batches of 10
   from `--put-threads` threads; once DescribeArchive counts them all, StartReplay of the whole window to that rule
   (FilterArns), polled with DescribeReplay until COMPLETED: replayed events/s, from the StartReplay call and from
   the replay's own ReplayStartTime/ReplayEndTime. The rule has no targets, so the figure is the replay's own
   speed; with `--replay-to-queue` it targets an SQS queue instead, and the time until every replayed event is
   receivable there is reported too.

Cairn runs once per engine of --engines (cairn_server.py; default sqlite and pg1: SQLite, and one node on a fresh
PostgreSQL database, of --database-url or of a throwaway cluster), each on a fresh data directory, and the engines
are printed side by side. Prints figures; asserts nothing about time. No moto comparison: moto's EventBridge
Scheduler stores schedules but never invokes their targets (it has no firing scheduler), so there is no peer.
"""
import argparse
import datetime as dt
import json
import math
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(__file__))
from cairn_server import (ENGINE_TITLES, ROOT, Nodes, add_engine_args, machine_note, parse_engines,  # noqa: E402
                          ratio_table, start_postgres)
from eventbus_bench import depth  # noqa: E402

REGION = "us-east-1"
SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"
FAR_FUTURE = "at(2099-01-01T00:00:00)"


class Clients:
    """boto3 clients of one engine run: one per thread and service, the threads going round the nodes."""

    def __init__(self, nodes, pool=16):
        self.key, self.secret = nodes.credentials()
        self.endpoints = nodes.endpoints
        self.pool = pool
        self.local = threading.local()
        self.lock = threading.Lock()
        self.handed = 0

    def make(self, service, endpoint=None):
        cfg = Config(retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=self.pool,
                     connect_timeout=10, read_timeout=120)
        return boto3.client(service, endpoint_url=endpoint or self.endpoints[0], region_name=REGION,
                            aws_access_key_id=self.key, aws_secret_access_key=self.secret, config=cfg)

    def mine(self, service):
        """This thread's client of `service` (its node chosen round-robin on first use)."""
        clients = getattr(self.local, "clients", None)
        if clients is None:
            with self.lock:
                endpoint = self.endpoints[self.handed % len(self.endpoints)]
                self.handed += 1
            clients = self.local.clients = {"endpoint": endpoint}
        if service not in clients:
            clients[service] = self.make(service, clients["endpoint"])
        return clients[service]


def percentile(values, p):
    """Nearest-rank percentile of a sorted list."""
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, int(math.ceil(p / 100.0 * len(values))) - 1))]


def at_expression(epoch_second):
    return "at(%s)" % dt.datetime.fromtimestamp(epoch_second, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def scheduler_role(iam, name, actions, resource):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": SCHEDULER_PRINCIPAL},
                                                     "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="target", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}))
    return arn


def create_schedules(clients, threads, group, count, expression, target_for, **extra):
    """CreateSchedule `count` times from `threads` threads; returns (seconds taken, failures)."""
    failures = []

    def one(i):
        try:
            clients.mine("scheduler").create_schedule(
                Name="s%06d" % i, GroupName=group, ScheduleExpression=expression, FlexibleTimeWindow={"Mode": "OFF"},
                Target=target_for(i), **extra)
        except ClientError as e:
            failures.append((i, e.response["Error"]["Code"], e.response["Error"].get("Message", "")))
    t0 = time.time()
    with ThreadPoolExecutor(threads) as ex:
        list(ex.map(one, range(count)))
    return time.time() - t0, failures


def count_schedules(scheduler, group):
    n, token = 0, None
    while True:
        kw = {"GroupName": group, "MaxResults": 100}
        if token:
            kw["NextToken"] = token
        page = scheduler.list_schedules(**kw)
        n += len(page["Schedules"])
        token = page.get("NextToken")
        if not token:
            return n


def firing(nodes, args):
    clients = Clients(nodes, pool=4)
    iam, sqs, scheduler = clients.make("iam"), clients.make("sqs"), clients.make("scheduler")
    url = sqs.create_queue(QueueName="fired", Attributes={"VisibilityTimeout": "600"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    role = scheduler_role(iam, "bench-scheduler", "sqs:SendMessage", queue_arn)

    def target_for(i):
        return {"Arn": queue_arn, "RoleArn": role, "Input": json.dumps({"i": i})}

    # The probe: the creation rate, to know how far ahead the due second must be.
    lead = args.lead
    if lead is None:
        scheduler.create_schedule_group(Name="probe")
        took, failed = create_schedules(clients, args.threads, "probe", args.probe, FAR_FUTURE, target_for)
        scheduler.delete_schedule_group(Name="probe")
        rate = (args.probe - len(failed)) / took if took else float("inf")
        lead = max(15, int(math.ceil(1.5 * args.schedules / max(rate, 1.0))) + 10)
        print("  probe: %d schedules in %.2f s (%.0f/s, %d failed) -> due second %d s ahead"
              % (args.probe, took, rate, len(failed), lead), flush=True)

    scheduler.create_schedule_group(Name="bench")
    due = int(time.time()) + lead
    due_ms = due * 1000
    meter = nodes.cpu().start()
    took, failed = create_schedules(clients, args.threads, "bench", args.schedules, at_expression(due), target_for,
                                    ActionAfterCompletion="DELETE")
    created_at = time.time()
    meter.stop()
    created = args.schedules - len(failed)
    print("  created %d at() schedules due at %s in %.2f s: %.0f schedules/s; %s"
          % (created, at_expression(due), took, created / took, meter.describe(created, "creates")), flush=True)
    for i, code, message in failed[:5]:
        print("    create %d failed: %s %s" % (i, code, message[:160]))
    late = created_at - due
    if late > 0:
        print("  WARNING: creation finished %.1f s after the due second: the late ones fire late; use --lead" % late)

    # The drain: receivers long-poll from before the due second until every number arrived.
    seen = {}
    duplicates = [0]
    lock = threading.Lock()
    stop = threading.Event()
    deadline = due + args.timeout

    def receive():
        c = clients.mine("sqs")
        while not stop.is_set() and time.time() < deadline:
            msgs = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                     AttributeNames=["SentTimestamp"]).get("Messages", [])
            now = time.time()
            if not msgs:
                continue
            c.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]}
                                                          for k, m in enumerate(msgs)])
            with lock:
                for m in msgs:
                    i = json.loads(m["Body"])["i"]
                    if i in seen:
                        duplicates[0] += 1
                    else:
                        seen[i] = (int(m["Attributes"]["SentTimestamp"]), now)
                if len(seen) >= created:
                    stop.set()

    fire_cpu = nodes.cpu().start()
    receivers = [threading.Thread(target=receive) for _ in range(args.receivers)]
    for t in receivers:
        t.start()
    for t in receivers:
        t.join()
    fire_cpu.stop()
    got = len(seen)
    sent = sorted(s - due_ms for s, _ in seen.values())
    received = sorted(1000 * r - due_ms for _, r in seen.values())
    result = dict(created=created, create_s=took, create_per_s=created / took, create_cpu=meter, received=got,
                  duplicates=duplicates[0], lead=lead, late_create_s=max(0.0, late), fire_cpu=fire_cpu)
    if not got:
        print("  NOTHING received within %d s of the due second" % args.timeout, flush=True)
        return result
    result.update(first_s=received[0] / 1000, all_s=received[-1] / 1000, fired_per_s=got / max(received[-1] / 1000, 1e-3),
                  sent_p50=percentile(sent, 50), sent_p90=percentile(sent, 90), sent_p99=percentile(sent, 99),
                  sent_max=sent[-1], sent_min=sent[0], recv_p50=percentile(received, 50),
                  recv_p99=percentile(received, 99))
    print("  received %d of %d (%d duplicates, %d missing): first %.3f s after the due second, all %.3f s after "
          "(%.0f firings/s); %s"
          % (got, created, duplicates[0], created - got, result["first_s"], result["all_s"], result["fired_per_s"],
             fire_cpu.describe(got, "firings")), flush=True)
    print("  firing -> sent (SentTimestamp - due), ms: min %.0f  p50 %.0f  p90 %.0f  p99 %.0f  max %.0f"
          % (result["sent_min"], result["sent_p50"], result["sent_p90"], result["sent_p99"], result["sent_max"]))
    print("  due -> received by this script, ms: p50 %.0f  p99 %.0f" % (result["recv_p50"], result["recv_p99"]),
          flush=True)
    if sent[0] < 0:
        print("  WARNING: %d messages were sent before their due second" % sum(1 for s in sent if s < 0))

    # ActionAfterCompletion DELETE: every schedule removes itself once its firing is committed.
    t0 = time.time()
    left = count_schedules(scheduler, "bench")
    while left and time.time() < t0 + 120:
        time.sleep(1)
        left = count_schedules(scheduler, "bench")
    result["left"] = left
    print("  schedules left in the group: %d (%s)" % (left, "all deleted themselves" if not left
                                                      else "after waiting %.0f s more" % (time.time() - t0)),
          flush=True)
    return result


def replay(nodes, args):
    clients = Clients(nodes, pool=4)
    events, sqs = clients.make("events"), clients.make("sqs")
    bus_arn = events.create_event_bus(Name="replay-bench")["EventBusArn"]
    archive_arn = events.create_archive(ArchiveName="replay-bench", EventSourceArn=bus_arn)["ArchiveArn"]
    rule_arn = events.put_rule(Name="replayed", EventBusName="replay-bench",
                               EventPattern=json.dumps({"source": ["bench"]}))["RuleArn"]
    url = None
    if args.replay_to_queue:
        url = sqs.create_queue(QueueName="replayed")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                                    "Action": "sqs:SendMessage", "Resource": arn}]})})
        events.put_targets(Rule="replayed", EventBusName="replay-bench", Targets=[{"Id": "q", "Arn": arn}])

    window_start = time.time() - 5
    calls = args.events // 10
    failed = [0]
    lock = threading.Lock()

    def put(c):
        out = clients.mine("events").put_events(Entries=[
            {"EventBusName": "replay-bench", "Source": "bench", "DetailType": "tick",
             "Detail": json.dumps({"i": c * 10 + k})} for k in range(10)])
        if out["FailedEntryCount"]:
            with lock:
                failed[0] += out["FailedEntryCount"]
    t0 = time.time()
    with ThreadPoolExecutor(args.put_threads) as ex:
        list(ex.map(put, range(calls)))
    put_s = time.time() - t0
    accepted = calls * 10 - failed[0]
    print("  put %d events (%d failed) in %.2f s: %.0f events/s" % (accepted, failed[0], put_s, accepted / put_s),
          flush=True)
    archived = 0
    t0 = time.time()
    while time.time() < t0 + args.timeout:
        archived = events.describe_archive(ArchiveName="replay-bench")["EventCount"]
        if archived >= accepted:
            break
        time.sleep(0.5)
    print("  archive holds %d events (%.1f s after the last put)" % (archived, time.time() - t0), flush=True)
    if url:  # the live events went to the queue too: once they all arrived, they go, so only replayed ones count
        t1 = time.time()
        while depth(sqs, url) < accepted and time.time() < t1 + args.timeout:
            time.sleep(0.5)
        sqs.purge_queue(QueueUrl=url)
        while depth(sqs, url):
            time.sleep(0.5)
    # botocore sends whole seconds: the window ends after the events' last second, and no later than now.
    window_end = time.time() + 1.5
    time.sleep(1.6)

    cpu = nodes.cpu().start()
    t0 = time.time()
    events.start_replay(ReplayName="bench", EventSourceArn=archive_arn, EventStartTime=window_start,
                        EventEndTime=window_end, Destination={"Arn": bus_arn, "FilterArns": [rule_arn]})
    state, d = "STARTING", {}
    while time.time() < t0 + args.timeout:
        d = events.describe_replay(ReplayName="bench")
        state = d["State"]
        if state not in ("STARTING", "RUNNING"):
            break
        time.sleep(0.1)
    took = time.time() - t0
    cpu.stop()
    result = dict(put_per_s=accepted / put_s, archived=archived, state=state, replay_s=took,
                  replay_per_s=archived / took, cpu=cpu)
    server_s = None
    if d.get("ReplayStartTime") and d.get("ReplayEndTime"):
        server_s = (d["ReplayEndTime"] - d["ReplayStartTime"]).total_seconds()
    result["server_s"] = server_s
    print("  replay %s: %d events in %.2f s from StartReplay to %s seen: %.0f events/s%s; %s"
          % ("bench", archived, took, state, archived / took,
             " (ReplayStartTime -> ReplayEndTime %.2f s: %.0f events/s)" % (server_s, archived / server_s)
             if server_s else "", cpu.describe(archived, "events replayed")), flush=True)
    if state != "COMPLETED":
        print("  WARNING: the replay ended %s: %s" % (state, d.get("StateReason", "")))
    if url:
        t1 = time.time()
        n = depth(sqs, url)
        while n < archived and time.time() < t1 + args.timeout:
            time.sleep(0.2)
            n = depth(sqs, url)
        result["delivered_s"] = time.time() - t0
        print("  %d replayed events receivable in the rule's queue %.2f s after StartReplay (%.0f events/s)"
              % (n, result["delivered_s"], n / result["delivered_s"]), flush=True)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.environ.get("CAIRN_BIN", os.path.join(ROOT, ".build-release/release/cairn")))
    ap.add_argument("--schedules", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=16, help="threads creating schedules, one boto3 client each")
    ap.add_argument("--probe", type=int, default=300, help="schedules created first to measure the creation rate")
    ap.add_argument("--lead", type=int, help="seconds from the start of creation to the due second (default: from "
                                             "the probe)")
    ap.add_argument("--receivers", type=int, default=8, help="threads draining the queue")
    ap.add_argument("--events", type=int, default=100_000, help="events archived, then replayed")
    ap.add_argument("--put-threads", type=int, default=16)
    ap.add_argument("--replay-to-queue", action="store_true", help="the replay's rule targets an SQS queue, drained")
    ap.add_argument("--only", choices=["firing", "replay"], help="run one part only")
    ap.add_argument("--timeout", type=int, default=600, help="seconds any one wait may take")
    add_engine_args(ap)
    ap.set_defaults(engines="sqlite,pg1")
    args = ap.parse_args()
    engines = parse_engines(args.engines)
    print(machine_note())
    print("no moto comparison: moto's EventBridge Scheduler stores schedules but never invokes a target (no firing "
          "scheduler), so it has nothing to measure here")
    print("load before: %s" % os.popen("uptime").read().strip(), flush=True)
    results = {}
    pg = start_postgres(args, engines)
    try:
        for engine in engines:
            print("\n#### %s: %s" % (engine, ENGINE_TITLES[engine]), flush=True)
            nodes = Nodes(engine, args.binary, pg, pool_size=args.database_pool_size, label="scheduler")
            try:
                r = results[engine] = {}
                if args.only != "replay":
                    print("== firing: %d at() schedules due in the same second -> one SQS queue" % args.schedules,
                          flush=True)
                    r["fire"] = firing(nodes, args)
                if args.only != "firing":
                    print("== replay: %d archived events -> StartReplay -> one rule%s"
                          % (args.events, " -> SQS" if args.replay_to_queue else " without targets"), flush=True)
                    r["replay"] = replay(nodes, args)
            finally:
                nodes.stop()
    finally:
        if pg:
            pg.stop()
    print("\nload after: %s" % os.popen("uptime").read().strip())

    ran = [e for e in engines if e in results]
    if len(ran) > 1:
        def col(part, key):
            out = {}
            for e in ran:
                v = results[e].get(part, {}).get(key)
                out[e] = v if isinstance(v, (int, float)) else None
            return out

        def cpu_col(part, key, ops_key):
            out = {}
            for e in ran:
                p = results[e].get(part, {})
                meter = p.get(key)
                out[e] = sum(meter.per_1k(p[ops_key])["cairn"]) if meter and meter.used and p.get(ops_key) else None
            return out
        rows = []
        if args.only != "replay":
            rows += [("schedules created/s", col("fire", "create_per_s"), "%.0f"),
                     ("  cairn CPU s/1k creates", cpu_col("fire", "create_cpu", "created"), "%.3f"),
                     ("due -> first received s", col("fire", "first_s"), "%.3f"),
                     ("due -> all received s", col("fire", "all_s"), "%.3f"),
                     ("firings/s", col("fire", "fired_per_s"), "%.0f"),
                     ("  SentTimestamp - due p50 ms", col("fire", "sent_p50"), "%.0f"),
                     ("  SentTimestamp - due p99 ms", col("fire", "sent_p99"), "%.0f"),
                     ("  SentTimestamp - due max ms", col("fire", "sent_max"), "%.0f"),
                     ("  cairn CPU s/1k firings", cpu_col("fire", "fire_cpu", "received"), "%.3f")]
        if args.only != "firing":
            rows += [("PutEvents events/s", col("replay", "put_per_s"), "%.0f"),
                     ("replayed events/s", col("replay", "replay_per_s"), "%.0f"),
                     ("  cairn CPU s/1k replayed", cpu_col("replay", "cpu", "archived"), "%.3f")]
        ratio_table("engines side by side", rows, ran)
    for e in ran:
        f = results[e].get("fire")
        if f and f.get("received"):
            print("%s: %d/%d fired once each (%d duplicates), %s of a second after the due second at p99 (%.0f ms)"
                  % (e, f["received"], f["created"], f["duplicates"],
                     "within" if f.get("sent_p99", 1e9) < 1000 else "NOT within", f.get("sent_p99", float("nan"))))


if __name__ == "__main__":
    main()
