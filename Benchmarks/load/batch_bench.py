#!/usr/bin/env python3
"""AWS Batch benchmark (issue 7): submit 10,000 short jobs; submit rate, time to drain, events delivered.

    python3 Benchmarks/load/batch_bench.py [--binary .build-release/release/cairn] [--jobs 10000] [--runs 2]
                                           [--engines sqlite,pg1,pg3] [--database-url postgres://...]

Per engine (cairn_server.py: SQLite, one node on PostgreSQL, three nodes on one PostgreSQL database) and run, against
fresh release `cairn --batch-runner local` nodes (their server CPU is summed; PostgreSQL's is given apart):
1. an UNMANAGED compute environment with `--vcpus` (64) vCPUs, so capacity is not the limit, a job queue, and a job
   definition whose command is ["true"] with VCPU 1; two EventBridge rules → SQS: the issue's pattern
   {"source":["aws.batch"],"detail-type":["Batch Job State Change"]} (every state change) and the same narrowed to
   status SUCCEEDED (so one queue's depth counts finished jobs without reading 40,000 messages);
2. SubmitJob `--jobs` times with boto3 from `--procs` processes x `--threads` threads: the submit rate;
3. poll the SUCCEEDED queue's depth until every job's SUCCEEDED event is receivable: time to drain (from the first
   submit, and from the last), jobs/s run, the server's CPU seconds over that time (from /proc; steadier than wall
   time on a shared machine); then ListJobs(jobStatus=SUCCEEDED), paged, must list every job, and the
   SUCCEEDED messages are read to check they name distinct jobs;
4. the same with a client that costs little: one SubmitJob signed once and sent `--jobs` times (SigV4 allows a
   signed request to be sent again while it is fresh) by http.client from the same processes and threads: submit
   rate, and jobs/s from the first submit until every SUCCEEDED event is receivable, with server CPU per job;
5. the scheduler alone: the compute environment is disabled, `--jobs` more are submitted and wait RUNNABLE (their
   RUNNABLE events counted on the all-events queue), then it is enabled: jobs/s from enabling to every SUCCEEDED
   event receivable, and server CPU per job, with no client submitting meanwhile;
6. this machine's raw process-start rate, for comparison: `true` spawned 2,000 times from Python (posix_spawn,
   sequentially and from 2 threads), and the shape Cairn runs (the command itself, output to files; Cairn also
   changes into the attempt's directory, which Python's posix_spawn cannot), so the figures say whether the job
   rate is limited by process start or by the scheduler.

Prints figures (each run, best and median); asserts nothing about time. No peer runs here: moto_server's Batch
runs jobs in Docker containers (no Docker daemon on this machine) and its Docker-free `batch_simple` marks jobs
SUCCEEDED without running anything, so it is not a like-for-like comparison; the process-start rate is the yardstick.
"""
import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(__file__))
from cairn_server import (ENGINE_TITLES, Nodes, Profile, add_engine_args, allow_rule_to_send, parse_engines,  # noqa: E402
                          start_postgres)

REGION = "us-east-1"
ALL = {"source": ["aws.batch"], "detail-type": ["Batch Job State Change"]}
SUCCEEDED = {"source": ["aws.batch"], "detail-type": ["Batch Job State Change"], "detail": {"status": ["SUCCEEDED"]}}


def client(endpoint, key, secret, service, pool=32):
    cfg = Config(retries={"max_attempts": 3}, max_pool_connections=pool)
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id=key,
                        aws_secret_access_key=secret, config=cfg)


def submit_slice(args):
    """Runs in a worker process: SubmitJob lo..hi-1 from `threads` threads; returns (job ids, first-submit time)."""
    endpoint, key, secret, queue, definition, lo, hi, threads = args
    batch = client(endpoint, key, secret, "batch", pool=threads + 2)
    t0 = time.time()
    with ThreadPoolExecutor(threads) as ex:
        ids = list(ex.map(lambda i: batch.submit_job(jobName="bench-%d" % i, jobQueue=queue,
                                                      jobDefinition=definition)["jobId"], range(lo, hi)))
    return ids, t0


def signed_submit(endpoint, key, secret, queue, definition):
    """One SubmitJob, signed once: (body, headers). SigV4 lets the same signed request be sent again while its
    timestamp is fresh, so a client can submit without paying for boto3 (serializing, signing) on every call."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    body = json.dumps({"jobName": "bench-replay", "jobQueue": queue, "jobDefinition": definition})
    req = AWSRequest(method="POST", url=endpoint + "/v1/submitjob", data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(key, secret), "batch", REGION).add_auth(req)
    return body, {k: v for k, v in req.headers.items() if k.lower() != "content-length"}


def replay_slice(args):
    """Runs in a worker process: sends the signed SubmitJob `count` times from `threads` threads (http.client, one
    connection each); every answer must be 200. Returns the time of the first send."""
    endpoint, body, headers, count, threads = args
    host, port = urllib.parse.urlsplit(endpoint).netloc.rsplit(":", 1)

    def send(k):
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        for _ in range(k):
            conn.request("POST", "/v1/submitjob", body, headers)
            r = conn.getresponse()
            answer = r.read()
            if r.status != 200:
                raise RuntimeError("SubmitJob answered %d: %s" % (r.status, answer[:200]))
        conn.close()

    t0 = time.time()
    with ThreadPoolExecutor(threads) as ex:
        list(ex.map(send, [count // threads + (1 if i < count % threads else 0) for i in range(threads)]))
    return t0


def server_cpu(used):
    """(Cairn's CPU seconds, all nodes; PostgreSQL's or None) from a CpuMeter's figures (from /proc: less swayed than
    wall time by other work on a shared machine)."""
    return sum(v for k, v in used.items() if k.startswith("node")), used.get("postgres")


def pg_note(pg_cpu, n):
    return "" if pg_cpu is None else "; PostgreSQL's CPU %.2f ms per job" % (1000 * pg_cpu / n)


def depth(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                               "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


def wait_depth(sqs, url, target, args):
    """Polls the queue until it holds `target` messages (visible or in flight)."""
    deadline = time.time() + args.timeout
    while time.time() < deadline:
        d = depth(sqs, url)
        if d >= target:
            return
        time.sleep(args.poll)
    raise RuntimeError("the queue holds %d of %d messages after %d s" % (d, target, args.timeout))


def rule(events, sqs, name, pattern):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    allow_rule_to_send(sqs, url, arn, events.put_rule(Name=name, EventPattern=json.dumps(pattern))["RuleArn"])
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
    return url


def run_once(args, run, engine, pg):
    # As root, Cairn runs job commands only as an unprivileged user it is given.
    run_as = ["--batch-run-as", "nobody"] if os.geteuid() == 0 else []
    server = Nodes(engine, args.binary, pg, extra_args=["--batch-runner", "local"] + run_as, label="batch")
    # The jobs run on the node holding the scheduler; node 1 is profiled.
    pid = server.servers[0].proc.pid
    profile = None
    try:
        key, secret = server.credentials()
        batch = client(server.endpoint, key, secret, "batch")
        sqs = client(server.endpoint, key, secret, "sqs")
        events = client(server.endpoint, key, secret, "events")
        batch.create_compute_environment(computeEnvironmentName="bench", type="UNMANAGED", state="ENABLED",
                                         unmanagedvCpus=args.vcpus)
        for _ in range(100):
            ce = batch.describe_compute_environments(computeEnvironments=["bench"])["computeEnvironments"][0]
            if ce["status"] == "VALID":
                break
            time.sleep(0.1)
        batch.create_job_queue(jobQueueName="bench", state="ENABLED", priority=1,
                               computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "bench"}])
        batch.register_job_definition(jobDefinitionName="true", type="container", containerProperties={
            "image": "busybox", "command": ["true"],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "128"}]})
        all_url = rule(events, sqs, "batch-all", ALL)
        done_url = rule(events, sqs, "batch-succeeded", SUCCEEDED)

        n = args.jobs
        step = (n + args.procs * 4 - 1) // (args.procs * 4)
        slices = [(server.endpoint, key, secret, "bench", "true", lo, min(lo + step, n), args.threads)
                  for lo in range(0, n, step)]
        profile = Profile(pid, os.path.join(args.profile or "/tmp", "batch-%s-run%d.perf" % (engine, run)),
                          enabled=bool(args.profile)).start()
        meter = server.cpu().start()
        t0 = time.time()
        ids = []
        with ProcessPoolExecutor(args.procs) as ex:
            firsts = []
            for got, first in ex.map(submit_slice, slices):
                ids += got
                firsts.append(first)
        t_submitted = time.time()
        t_first = min(firsts)
        submit_s = t_submitted - t_first
        print("  submit: %d jobs in %.2f s = %.0f jobs/s (boto3, %d procs x %d threads)"
              % (len(ids), submit_s, len(ids) / submit_s, args.procs, args.threads), flush=True)

        done_at = None
        last = -1
        while time.time() - t0 < args.timeout:
            d = depth(sqs, done_url)
            if d >= n:
                done_at = time.time()
                break
            if d != last:
                last = d
            time.sleep(args.poll)
        if done_at is None:
            raise RuntimeError("only %d of %d jobs SUCCEEDED within %d s" % (last, n, args.timeout))
        cpu, pg_cpu = server_cpu(meter.stop())
        profile.stop()
        for row in profile.top():
            print("    " + row[:150])
        drain_s = done_at - t_first
        after_submit_s = done_at - t_submitted
        print("  all %d SUCCEEDED events receivable %.2f s after the first submit (%.2f s after the last): "
              "%.0f jobs/s scheduled and run" % (n, drain_s, after_submit_s, n / drain_s), flush=True)
        print("  server CPU from the first submit to the last SUCCEEDED event: %.1f s (%.2f ms per job, submit included; "
              "the jobs' processes not counted)%s" % (cpu, 1000 * cpu / n, pg_note(pg_cpu, n)), flush=True)

        listed = 0
        token = None
        while True:
            kw = dict(jobQueue="bench", jobStatus="SUCCEEDED", maxResults=1000)
            if token:
                kw["nextToken"] = token
            r = batch.list_jobs(**kw)
            listed += len(r["jobSummaryList"])
            token = r.get("nextToken")
            if not token:
                break
        total_events = depth(sqs, all_url)
        seen = set()
        lock = threading.Lock()

        def read():
            c = client(server.endpoint, key, secret, "sqs")
            while True:
                msgs = c.receive_message(QueueUrl=done_url, MaxNumberOfMessages=10, VisibilityTimeout=600,
                                         WaitTimeSeconds=0).get("Messages", [])
                if not msgs:
                    return
                with lock:
                    seen.update(json.loads(m["Body"])["detail"]["jobId"] for m in msgs)

        readers = [threading.Thread(target=read) for _ in range(4)]
        for t in readers:
            t.start()
        for t in readers:
            t.join()
        print("  ListJobs(SUCCEEDED) lists %d of %d; SUCCEEDED events name %d distinct submitted jobs; "
              "all state-change events: %d (%.1f per job: RUNNABLE, STARTING, RUNNING, SUCCEEDED)"
              % (listed, n, len(seen & set(ids)), total_events, total_events / n), flush=True)

        # Submit -> SUCCEEDED again with a client that costs little (the signed request replayed), so the figure is
        # the server's rather than boto3's on these shared cores.
        body, headers = signed_submit(server.endpoint, key, secret, "bench", "true")
        per_proc = [n // args.procs + (1 if i < n % args.procs else 0) for i in range(args.procs)]
        meter = server.cpu().start()
        with ProcessPoolExecutor(args.procs) as ex:
            t_first = min(ex.map(replay_slice, [(server.endpoint, body, headers, k, args.threads) for k in per_proc]))
        t_submitted = time.time()
        wait_depth(sqs, done_url, 2 * n, args)
        t_done = time.time()
        replay_s = t_done - t_first
        replay_cpu, replay_pg = server_cpu(meter.stop())
        print("  with the signed SubmitJob replayed (http.client, %d procs x %d threads): %d jobs submitted in %.2f s "
              "= %.0f jobs/s; all SUCCEEDED events receivable %.2f s after the first submit (%.2f s after the last): "
              "%.0f jobs/s scheduled and run; server CPU %.2f ms per job%s"
              % (args.procs, args.threads, n, t_submitted - t_first, n / (t_submitted - t_first), replay_s,
                 t_done - t_submitted, n / replay_s, 1000 * replay_cpu / n, pg_note(replay_pg, n)), flush=True)
        wait_depth(sqs, all_url, 2 * total_events, args)  # every replayed job's four events
        total_events = depth(sqs, all_url)

        # The scheduler alone: jobs queued while the environment is disabled, then released at once.
        batch.update_compute_environment(computeEnvironment="bench", state="DISABLED")
        with ProcessPoolExecutor(args.procs) as ex:
            held = sum((got for got, _ in ex.map(submit_slice, slices)), [])
        wait_depth(sqs, all_url, total_events + n, args)  # every held job's RUNNABLE event
        profile = Profile(pid, os.path.join(args.profile or "/tmp", "batch-%s-held%d.perf" % (engine, run)),
                          enabled=bool(args.profile)).start()
        meter = server.cpu().start()
        t_enabled = time.time()
        batch.update_compute_environment(computeEnvironment="bench", state="ENABLED")
        wait_depth(sqs, done_url, 3 * n, args)
        held_s = time.time() - t_enabled
        held_cpu, held_pg = server_cpu(meter.stop())
        profile.stop()
        for row in profile.top():
            print("    " + row[:150])
        print("  scheduler alone: %d RUNNABLE jobs SUCCEEDED (events receivable) %.2f s after enabling their environment: "
              "%.0f jobs/s; server CPU %.2f ms per job%s" % (len(held), held_s, n / held_s, 1000 * held_cpu / n,
                                                            pg_note(held_pg, n)), flush=True)
        return dict(submit_per_s=len(ids) / submit_s, drain_s=drain_s, run_per_s=n / drain_s, after_submit_s=after_submit_s,
                    listed_ok=listed == n, cpu_s=cpu, events_ok=len(seen & set(ids)) == n, total_events=total_events,
                    held_per_s=n / held_s, held_cpu_ms=1000 * held_cpu / n, replay_per_s=n / replay_s)
    finally:
        if profile:
            profile.stop()
        server.stop()


def spawn_rate(count, threads, files):
    """Processes started and reaped per second from Python with posix_spawn (the call Cairn makes)."""
    d = tempfile.mkdtemp(prefix="spawn-bench-")
    true = "/bin/true" if os.path.exists("/bin/true") else "/usr/bin/true"
    argv = [true]
    if files:
        actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, d + "/stdout", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                   (os.POSIX_SPAWN_OPEN, 2, d + "/stderr", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)]
    else:
        actions = []
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}

    def work(k):
        for _ in range(k):
            pid = os.posix_spawn(argv[0], argv, env, file_actions=actions, setpgroup=0)
            os.waitpid(pid, 0)

    t0 = time.time()
    ts = [threading.Thread(target=work, args=(count // threads,)) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return (count // threads * threads) / (time.time() - t0)


def main():
    ap = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--binary", default=os.environ.get("CAIRN_BIN", os.path.join(root, ".build-release/release/cairn")))
    ap.add_argument("--jobs", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--vcpus", type=int, default=64, help="the UNMANAGED compute environment's vCPUs")
    ap.add_argument("--procs", type=int, default=3, help="submitting processes")
    ap.add_argument("--threads", type=int, default=8, help="submitting threads per process")
    ap.add_argument("--poll", type=float, default=0.1)
    ap.add_argument("--spawns", type=int, default=2000)
    ap.add_argument("--timeout", type=int, default=1200)
    add_engine_args(ap)
    ap.add_argument("--profile", metavar="DIR", help="perf-record the server from the first submit to the last "
                                                    "SUCCEEDED event, and through the scheduler-alone phase; keep the "
                                                    "data in DIR (batch-ENGINE-runN.perf, batch-ENGINE-heldN.perf), print the hottest "
                                                    "symbols of each")
    args = ap.parse_args()
    print("load before: %s" % os.popen("uptime").read().strip(), flush=True)
    print("== this machine's process-start rate (%d spawns each, from Python, posix_spawn + waitpid)" % args.spawns)
    spawn = {}
    for label, threads, files in (("true, 1 thread", 1, False), ("true, 2 threads", 2, False),
                                  ("true >files, 1 thread", 1, True), ("true >files, 2 threads", 2, True)):
        spawn[label] = spawn_rate(args.spawns, threads, files)
        print("  %-48s %6.0f processes/s" % (label, spawn[label]), flush=True)
    engines = parse_engines(args.engines)
    by_engine = {}
    pg = start_postgres(args, engines)
    try:
        for engine in engines:
            print("\n#### %s: %s" % (engine, ENGINE_TITLES[engine]), flush=True)
            by_engine[engine] = []
            for run in range(args.runs):
                print("== run %d of %d: %d jobs, command [\"true\"], VCPU 1, UNMANAGED %d vCPUs"
                      % (run + 1, args.runs, args.jobs, args.vcpus), flush=True)
                by_engine[engine].append(run_once(args, run, engine, pg))
    finally:
        if pg:
            pg.stop()
    print("load after: %s" % os.popen("uptime").read().strip())
    for engine, results in by_engine.items():
        if not results:
            continue
        sub = [r["submit_per_s"] for r in results]
        ran = [r["run_per_s"] for r in results]
        dr = [r["drain_s"] for r in results]
        print("== %s: summary over %d runs" % (engine, len(results)))
        print("  submit jobs/s: best %.0f, median %.0f" % (max(sub), statistics.median(sub)))
        print("  scheduled and run jobs/s (first submit -> all SUCCEEDED events): best %.0f, median %.0f   [goal >= 500]"
              % (max(ran), statistics.median(ran)))
        replayed = [r["replay_per_s"] for r in results]
        print("  the same with the signed SubmitJob replayed (a client that costs little): best %.0f, median %.0f   "
              "[goal >= 500]" % (max(replayed), statistics.median(replayed)))
        held = [r["held_per_s"] for r in results]
        print("  scheduler alone (RUNNABLE jobs released at once -> all SUCCEEDED events): best %.0f, median %.0f jobs/s; "
              "server CPU %.2f ms per job (median)" % (max(held), statistics.median(held),
                                                     statistics.median([r["held_cpu_ms"] for r in results])))
        cpu = [r["cpu_s"] for r in results]
        print("  server CPU seconds for the run: best %.1f, median %.1f" % (min(cpu), statistics.median(cpu)))
        print("  time to drain, s: best %.2f, median %.2f" % (min(dr), statistics.median(dr)))
        shape = spawn["true >files, 2 threads"]
        print("  process-start ceiling here (Cairn's shape, 2 threads; as root Cairn also runs setpriv first): "
              "%.0f/s -> Cairn reaches %.0f%% of it"
              % (shape, 100 * max(ran) / shape))
        print("  every job listed SUCCEEDED and its SUCCEEDED event delivered in every run: %s"
              % all(r["listed_ok"] and r["events_ok"] for r in results))


if __name__ == "__main__":
    main()
