#!/usr/bin/env python3
"""S3 Batch Operations benchmark (issue 6): tasks/s for a 100,000-object tagging job, with its state events delivered.

    python3 Benchmarks/load/batch_operations_bench.py [--binary .build-release/release/cairn] [--objects 100000] [--runs 3]
        [--data-template /tmp/bo-bench-data]

Against a release `cairn` on a fresh data directory:
1. PUT `--objects` 64-byte objects from `--procs` processes x `--threads` threads, each a kept-alive connection
   sending PutObject signed by hand with SigV4 (`--boto3-upload` uses boto3 instead: slower here, 221 against 305 PUT/s in
   one trial, the client side being Python on the same 2 cores; each PUT's fsync bounds both); the upload rate is reported, a floor for the server, not its ceiling;
   and write a CSV manifest (bucket, URL-encoded key). With `--data-template DIR` this data is kept in DIR and copied
   on later invocations, so two binaries can be compared without uploading again;
then `--runs` times, on the same server and objects:
2. an EventBridge rule with the seed's pattern → a fresh SQS queue;
3. CreateJob (S3PutObjectTagging, ConfirmationRequired=False, a report of all tasks) through boto3 s3control in proxy
   mode, then poll DescribeJob: Preparing time (manifest read), Active → Complete time by polling and by
   ProgressSummary.Timers.ElapsedTimeInActiveSeconds, tasks/s over the Active time, and the server's CPU seconds for
   the job (from /proc; steadier than wall time on a shared machine);
4. read the SQS queue: every status message from New to Complete must have arrived, in order;
5. check a random sample of objects carries this job's tags, and the report (results CSV, manifest.json) is written.

Prints figures (each run, best and median); asserts nothing about time. No peer: no other emulator runs S3 Batch
Operations jobs (moto implements no S3 Control job operations), so figures stand alone against the goal (>= 5,000
tasks/s on this machine).
"""
import argparse
import datetime
import hashlib
import hmac
import http.client
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from urllib.parse import quote

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(__file__))
from cairn_server import CairnServer, allow_rule_to_send  # noqa: E402

ACCOUNT = "000000000000"
REGION = "us-east-1"
SEED_PATTERN = {"source": ["aws.s3"], "detail-type": ["AWS Service Event via CloudTrail"],
                "detail": {"eventSource": ["s3.amazonaws.com"], "eventName": ["JobCreated", "JobStatusChanged"]}}
BUCKET, REPORTS = "bo-bench", "bo-bench-reports"
EXPECTED = ["New", "Preparing", "Ready", "Active", "Completing", "Complete"]
TAGS = [{"Key": "project", "Value": "cairn"}, {"Key": "bench", "Value": "batch-operations"}]


def client(endpoint, key, secret, service, pool=32, **extra):
    cfg = Config(retries={"max_attempts": 3}, max_pool_connections=pool, s3={"addressing_style": "path"}, **extra)
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id=key,
                        aws_secret_access_key=secret, config=cfg)


def key_name(i):
    # A few keys need URL-encoding in the manifest, as real ones do.
    return "data/%03d/object %07d.txt" % (i % 1000, i)


def _hmac(k, msg):
    return hmac.new(k, msg.encode(), hashlib.sha256).digest()


def put_lean(conn, host, key, secret, bucket, object_key, body):
    """One PutObject over a kept-alive connection, SigV4-signed by hand (the full boto3 stack costs more client CPU
    per request than the server spends; this keeps the upload from being a Python benchmark)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    path = "/%s/%s" % (bucket, quote(object_key, safe="/~"))
    payload = hashlib.sha256(body).hexdigest()
    signed = "host;x-amz-content-sha256;x-amz-date"
    canonical = "PUT\n%s\n\nhost:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\n\n%s\n%s" % (
        path, host, payload, amz_date, signed, payload)
    scope = "%s/%s/s3/aws4_request" % (day, REGION)
    to_sign = "AWS4-HMAC-SHA256\n%s\n%s\n%s" % (amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest())
    k = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), day), REGION), "s3"), "aws4_request")
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    conn.request("PUT", path, body=body, headers={
        "Host": host, "x-amz-date": amz_date, "x-amz-content-sha256": payload,
        "Authorization": "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (key, scope, signed, sig)})
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        raise RuntimeError("PUT %s: HTTP %d" % (object_key, r.status))


def upload_slice(args):
    """Runs in a worker process: PUT objects lo..hi-1 from `threads` threads, each with its own connection."""
    endpoint, key, secret, bucket, lo, hi, threads, lean = args
    if not lean:
        s3 = client(endpoint, key, secret, "s3", pool=threads + 2)
        with ThreadPoolExecutor(threads) as ex:
            list(ex.map(lambda i: s3.put_object(Bucket=bucket, Key=key_name(i), Body=b"x" * 64), range(lo, hi),
                        chunksize=64))
        return hi - lo
    host = endpoint.split("://", 1)[1]

    def part(t):
        conn = http.client.HTTPConnection(host)
        for i in range(lo + t, hi, threads):
            put_lean(conn, host, key, secret, bucket, key_name(i), b"x" * 64)
        conn.close()

    with ThreadPoolExecutor(threads) as ex:
        list(ex.map(part, range(threads)))
    return hi - lo


def upload(server, bucket, n, procs, threads, lean):
    key, secret = server.credentials()
    step = (n + procs * 4 - 1) // (procs * 4)
    slices = [(server.endpoint, key, secret, bucket, lo, min(lo + step, n), threads, lean) for lo in range(0, n, step)]
    t0 = time.time()
    with ProcessPoolExecutor(procs) as ex:
        done = sum(ex.map(upload_slice, slices))
    return done, time.time() - t0


def cpu_seconds(pid):
    """User + system CPU time the process has used so far (Linux /proc): a figure less swayed than wall time by
    other work on a shared machine."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drain(sqs, url, timeout=30):
    """All messages in the queue (deleting them), as parsed EventBridge events."""
    out = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        msgs = r.get("Messages", [])
        if not msgs:
            if out and out[-1]["detail"]["serviceEventDetails"]["status"] in ("Complete", "Failed", "Cancelled"):
                break
            continue
        out += [json.loads(m["Body"]) for m in msgs]
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                         for i, m in enumerate(msgs)])
    return out


def prepare_data(args):
    """A data directory holding the bucket, `--objects` objects and the manifest. With `--data-template DIR`, made
    once into DIR and copied for each later invocation (so a before/after comparison of two binaries skips the
    upload); returns (data dir, upload figures or None)."""
    template = args.data_template
    marker = template and os.path.join(template, ".bench-objects-%d" % args.objects)
    if marker and os.path.exists(marker):
        data = tempfile.mkdtemp(prefix="cairn-bench-")
        os.rmdir(data)
        shutil.copytree(template, data)
        print("  data: copied from %s (%d objects uploaded earlier)" % (template, args.objects), flush=True)
        return data, None
    if template:
        shutil.rmtree(template, ignore_errors=True)
    server = CairnServer(args.binary, data_dir=template).start()
    try:
        key, secret = server.credentials()
        s3 = client(server.endpoint, key, secret, "s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.create_bucket(Bucket=REPORTS)
        put, put_s = upload(server, BUCKET, args.objects, args.procs, args.threads, not args.boto3_upload)
        print("  upload: %d objects of 64 bytes in %.1f s = %.0f PUT/s (%s, %d procs x %d threads)"
              % (put, put_s, put / put_s, "boto3" if args.boto3_upload else "SigV4 by hand over http.client",
                 args.procs, args.threads), flush=True)
        manifest = "".join("%s,%s\n" % (BUCKET, quote(key_name(i), safe="/")) for i in range(args.objects))
        s3.put_object(Bucket=REPORTS, Key="manifest.csv", Body=manifest.encode())
    finally:
        server.stop()
    if template:
        open(marker, "w").close()
        return prepare_data(args)[0], put / put_s
    return server.data_dir, put / put_s


def run_job(server, args, run):
    key, secret = server.credentials()
    s3 = client(server.endpoint, key, secret, "s3")
    sqs = client(server.endpoint, key, secret, "sqs")
    events = client(server.endpoint, key, secret, "events")
    ctl = client(server.endpoint, key, secret, "s3control", proxies={"http": server.endpoint})
    etag = s3.head_object(Bucket=REPORTS, Key="manifest.csv")["ETag"]
    tags = TAGS + [{"Key": "run", "Value": str(run)}]  # each run's job really changes every object's tags

    url = sqs.create_queue(QueueName="bo-events-%d" % run)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    allow_rule_to_send(sqs, url, arn, events.put_rule(Name="bo-events-%d" % run,
                                                      EventPattern=json.dumps(SEED_PATTERN))["RuleArn"])
    events.put_targets(Rule="bo-events-%d" % run, Targets=[{"Id": "q", "Arn": arn}])
    if run > 0:  # the previous run's rule would also match this job
        events.remove_targets(Rule="bo-events-%d" % (run - 1), Ids=["q"])
        events.delete_rule(Name="bo-events-%d" % (run - 1))

    cpu0 = cpu_seconds(server.proc.pid)
    t_create = time.time()
    job_id = ctl.create_job(
        AccountId=ACCOUNT, ConfirmationRequired=False, Priority=10, ClientRequestToken=str(uuid.uuid4()),
        RoleArn="arn:aws:iam::%s:role/batch-operations" % ACCOUNT,
        Operation={"S3PutObjectTagging": {"TagSet": tags}},
        Manifest={"Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key"]},
                  "Location": {"ObjectArn": "arn:aws:s3:::%s/manifest.csv" % REPORTS, "ETag": etag}},
        Report={"Enabled": True, "Bucket": "arn:aws:s3:::%s" % REPORTS, "Format": "Report_CSV_20180820",
                "Prefix": "reports", "ReportScope": "AllTasks"})["JobId"]
    t_active = t_done = None
    job = None
    while time.time() - t_create < args.timeout:
        job = ctl.describe_job(AccountId=ACCOUNT, JobId=job_id)["Job"]
        now = time.time()
        if t_active is None and job["Status"] in ("Active", "Completing", "Complete"):
            t_active = now
        if job["Status"] in ("Complete", "Failed", "Cancelled"):
            t_done = now
            break
        time.sleep(args.poll)
    if t_done is None:
        raise RuntimeError("job did not finish in %d s: %s" % (args.timeout, job and job["Status"]))
    cpu = cpu_seconds(server.proc.pid) - cpu0
    p = job["ProgressSummary"]
    active_s = p.get("Timers", {}).get("ElapsedTimeInActiveSeconds", 0)
    total = p["TotalNumberOfTasks"]
    polled_active = t_done - t_active
    res = dict(status=job["Status"], total=total, succeeded=p["NumberOfTasksSucceeded"], failed=p["NumberOfTasksFailed"],
               prepare_s=t_active - t_create, active_s=active_s, polled_active_s=polled_active,
               create_to_complete_s=t_done - t_create,
               tasks_per_s=total / max(active_s, 1), polled_tasks_per_s=total / polled_active, cpu_s=cpu)
    print("  job %s: %s, %d tasks (%d succeeded, %d failed)" % (job_id, res["status"], total, res["succeeded"],
                                                                 res["failed"]), flush=True)
    print("  CreateJob -> Active (prepare: manifest of %d lines): %.2f s (DescribeJob polled every %.2f s)"
          % (args.objects, res["prepare_s"], args.poll))
    print("  Active -> Complete: polled %.2f s; ElapsedTimeInActiveSeconds %d" % (polled_active, active_s))
    print("  tasks/s: %.0f over the polled Active time (%.0f by ElapsedTimeInActiveSeconds, whole seconds)"
          % (res["polled_tasks_per_s"], res["tasks_per_s"]))
    print("  CreateJob -> Complete: %.2f s = %.0f tasks/s end to end; server CPU %.1f s (%.0f tasks per CPU-second, "
          "including DescribeJob polling)" % (res["create_to_complete_s"], total / res["create_to_complete_s"], cpu,
                                              total / cpu), flush=True)

    got = drain(sqs, url)
    mine = [e for e in got if e["detail"]["serviceEventDetails"].get("jobId") == job_id]
    statuses = [e["detail"]["serviceEventDetails"]["status"] for e in mine]
    res["events_ok"] = statuses == EXPECTED and mine[0]["detail"]["eventName"] == "JobCreated"
    print("  SQS: %d status messages %s: %s" % (len(statuses), " -> ".join(statuses),
                                               "all of New..Complete, in order" if res["events_ok"] else
                                               "MISSING OR OUT OF ORDER (expected %s)" % EXPECTED), flush=True)

    sample = random.Random(run).sample(range(args.objects), min(args.sample, args.objects))
    want = sorted((t["Key"], t["Value"]) for t in tags)
    tagged = sum(1 for i in sample
                 if sorted((t["Key"], t["Value"]) for t in s3.get_object_tagging(Bucket=BUCKET, Key=key_name(i))["TagSet"])
                 == want)
    report = s3.list_objects_v2(Bucket=REPORTS, Prefix="reports/job-%s/" % job_id).get("KeyCount", 0)
    res["tagged_ok"] = tagged == len(sample) and report >= 2
    print("  sample: %d of %d objects carry this job's tags; report objects written: %d" % (tagged, len(sample), report),
          flush=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--binary", default=os.environ.get("CAIRN_BIN", os.path.join(root, ".build-release/release/cairn")))
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--procs", type=int, default=3, help="upload processes")
    ap.add_argument("--threads", type=int, default=8, help="upload threads per process")
    ap.add_argument("--boto3-upload", action="store_true", help="upload with boto3 put_object instead of the lean client")
    ap.add_argument("--poll", type=float, default=0.1, help="DescribeJob polling interval, seconds")
    ap.add_argument("--sample", type=int, default=200, help="objects whose tags are checked")
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--data-template", help="keep the uploaded data here and reuse it on later invocations")
    args = ap.parse_args()
    print("load before: %s" % os.popen("uptime").read().strip(), flush=True)
    print("== data: %d objects" % args.objects, flush=True)
    data, put_rate = prepare_data(args)
    server = CairnServer(args.binary, data_dir=data).start()
    results = []
    try:
        for run in range(args.runs):
            print("== job %d of %d (%d objects), %s" % (run + 1, args.runs, args.objects, os.popen("uptime").read().strip()),
                  flush=True)
            results.append(run_job(server, args, run))
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)
    print("load after: %s" % os.popen("uptime").read().strip())
    if results:
        tps = [r["polled_tasks_per_s"] for r in results]
        act = [r["polled_active_s"] for r in results]
        print("== summary over %d runs" % len(results))
        print("  tasks/s (Active -> Complete, polled): best %.0f, median %.0f   [goal >= 5,000]"
              % (max(tps), statistics.median(tps)))
        print("  Active -> Complete seconds: best %.2f, median %.2f" % (min(act), statistics.median(act)))
        cpu = [r["cpu_s"] for r in results]
        print("  server CPU seconds per job: best %.1f, median %.1f" % (min(cpu), statistics.median(cpu)))
        print("  prepare seconds: best %.2f, median %.2f" % (min(r["prepare_s"] for r in results),
                                                           statistics.median(r["prepare_s"] for r in results)))
        if put_rate:
            print("  upload: %.0f PUT/s" % put_rate)
        print("  status events New..Complete delivered in every run: %s; sampled objects tagged in every run: %s"
              % (all(r["events_ok"] for r in results), all(r["tagged_ok"] for r in results)))


if __name__ == "__main__":
    main()
