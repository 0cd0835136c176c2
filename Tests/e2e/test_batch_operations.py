"""S3 Batch Operations (S3 Control jobs): the seed scenario (job status events through CloudTrail and
EventBridge into SQS), confirmation, cancelling, the task-failure threshold, tagging/untagging/copy jobs,
the manifest generator, bad input, ListJobs, priorities, job tags, the aws CLI, and a restart mid-job.

boto3 and the CLI send S3 Control calls to http://<account>.<endpoint host>:<port>/..., which does not
resolve; they reach Cairn in proxy mode (HTTP_PROXY = the server itself, aws-wire.md §2.6 B)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, unquote

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import NO_RETRY, allow_service_to_queue, cli_on_sqlite_only, pages_of, sqlite_only, unique

ACCOUNT = "000000000000"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/batch-operations"
TERMINAL = {"Complete", "Failed", "Cancelled"}
SERVICE_EVENT = "AWS Service Event via CloudTrail"
# The seed's "S3 Batch Operations custom event pattern policy", verbatim.
SEED_PATTERN = {
    "source": ["aws.s3"],
    "detail-type": ["AWS Service Event via CloudTrail"],
    "detail": {
        "eventSource": ["s3.amazonaws.com"],
        "eventName": ["JobCreated", "JobStatusChanged"],
    },
}
# The detail fields of the seed's "JobStatusChanged ... complete" example, in its order.
SEED_DETAIL_KEYS = ["eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
                    "sourceIPAddress", "userAgent", "requestParameters", "responseElements", "eventID",
                    "readOnly", "eventType", "recipientAccountId", "serviceEventDetails"]
HAPPY_PATH = ["New", "Preparing", "Ready", "Active", "Completing", "Complete"]
CONFIRMED_PATH = ["New", "Preparing", "Suspended", "Ready", "Active", "Completing", "Complete"]
JOB_ARN = re.compile(rf"^arn:aws:s3:{REGION}:{ACCOUNT}:job/(?P<id>[A-Za-z0-9_-]{{5,36}})$")


# -- helpers -------------------------------------------------------------------------------------------

def s3control(srv, **config):
    """An unmodified s3control client reaching the server through proxy mode."""
    cfg = NO_RETRY.merge(Config(proxies={"http": srv.endpoint}, **config))
    return srv.session().client("s3control", endpoint_url=srv.endpoint, config=cfg)


@pytest.fixture(scope="module")
def s3(server):
    return server.client("s3")


@pytest.fixture(scope="module")
def ctl(server):
    return s3control(server)


def new_bucket(s3, prefix: str = "bo") -> str:
    name = unique(prefix).lower()
    s3.create_bucket(Bucket=name)
    return name


def put_objects(s3, bucket: str, keys, body=lambda k: f"body of {k}".encode(), threads: int = 16):
    keys = list(keys)
    if len(keys) <= 20:
        for k in keys:
            s3.put_object(Bucket=bucket, Key=k, Body=body(k))
        return
    with ThreadPoolExecutor(threads) as ex:
        list(ex.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=body(k)), keys))


def upload_manifest(s3, bucket: str, rows: list[tuple[str, str]], key: str | None = None,
                    raw: str | None = None) -> dict:
    """A CSV manifest (bucket,URL-encoded key per line); returns CreateJob's Manifest member."""
    key = key or f"manifests/{uuid.uuid4().hex}.csv"
    text = raw if raw is not None else "".join(f"{b},{quote(k, safe='/')}\n" for b, k in rows)
    etag = s3.put_object(Bucket=bucket, Key=key, Body=text.encode())["ETag"]
    return manifest_spec(bucket, key, etag)


def manifest_spec(bucket: str, key: str, etag: str) -> dict:
    return {"Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key"]},
            "Location": {"ObjectArn": f"arn:aws:s3:::{bucket}/{key}", "ETag": etag}}


def report(bucket: str | None, prefix: str = "reports", scope: str = "AllTasks") -> dict:
    if bucket is None:
        return {"Enabled": False}
    return {"Enabled": True, "Bucket": f"arn:aws:s3:::{bucket}", "Format": "Report_CSV_20180820",
            "Prefix": prefix, "ReportScope": scope}


TAG_OP = {"S3PutObjectTagging": {"TagSet": [{"Key": "project", "Value": "cairn"},
                                            {"Key": "stage", "Value": "batch"}]}}


def create(ctl, manifest: dict | None = None, operation: dict | None = None, rep: dict | None = None,
           priority: int = 10, **kw) -> str:
    args = dict(AccountId=ACCOUNT, Operation=operation or TAG_OP, Report=rep or {"Enabled": False},
                Priority=priority, RoleArn=ROLE, **kw)
    if manifest is not None:
        args["Manifest"] = manifest
    return ctl.create_job(**args)["JobId"]


def describe(ctl, job_id: str) -> dict:
    return ctl.describe_job(AccountId=ACCOUNT, JobId=job_id)["Job"]


def wait_status(ctl, job_id: str, statuses=TERMINAL, timeout: float = 60) -> dict:
    statuses = {statuses} if isinstance(statuses, str) else set(statuses)
    deadline = time.monotonic() + timeout
    while True:
        job = describe(ctl, job_id)
        if job["Status"] in statuses:
            return job
        if job["Status"] in TERMINAL or time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} is {job['Status']}, expected one of {statuses}: {job}")
        time.sleep(0.05)


def job_records(srv, job_id: str) -> list[dict]:
    """The job's service events from LookupEvents, oldest first."""
    created = [e["Record"] for e in srv.lookup("EventName", "JobCreated")
               if e["Record"]["serviceEventDetails"]["jobId"] == job_id]
    changed = [e["Record"] for e in srv.lookup("EventName", "JobStatusChanged")
               if e["Record"]["serviceEventDetails"]["jobId"] == job_id]
    return created + list(reversed(changed))


def job_statuses(srv, job_id: str) -> list[str]:
    return [r["serviceEventDetails"]["status"] for r in job_records(srv, job_id)]


def tags_of(s3, bucket: str, key: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}


def read_report(s3, bucket: str, prefix: str, job_id: str) -> tuple[dict, dict[str, list[list[str]]]]:
    """The report's manifest.json and its CSV rows per TaskExecutionStatus."""
    base = f"{prefix}/job-{job_id}/"
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=base + "manifest.json")["Body"].read())
    rows: dict[str, list[list[str]]] = {}
    for result in manifest["Results"]:
        assert result["Bucket"] == bucket
        assert re.fullmatch(re.escape(base) + r"results/[0-9a-f-]{36}\.csv", result["Key"]), result
        obj = s3.get_object(Bucket=bucket, Key=result["Key"])
        assert obj["ETag"].strip('"') == result["MD5Checksum"].strip('"')
        text = obj["Body"].read().decode()
        rows[result["TaskExecutionStatus"]] = list(csv.reader(io.StringIO(text)))
    return manifest, rows


def client_error(call, *args, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value


def new_queue_rule(srv) -> str:
    """An SQS queue (whose policy lets EventBridge send to it) and a rule on the default bus with the seed's pattern
    targeting it; the queue URL."""
    sqs, events = srv.client("sqs"), srv.client("events")
    name = unique("batch-events")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = allow_service_to_queue(sqs, url)  # as in AWS, EventBridge sends to a queue only its policy allows
    rule = unique("s3-batch-jobs")
    events.put_rule(Name=rule, EventPattern=json.dumps(SEED_PATTERN), State="ENABLED")
    out = events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": arn}])
    assert out["FailedEntryCount"] == 0, out
    return url


def marker_job(ctl) -> str:
    """A job whose manifest does not exist: the runner fails it (ManifestNotFound) on its next pass. Created after
    something happened, its failure shows the runner has been round since."""
    return create(ctl, manifest_spec(unique("no-such-bucket").lower(), "marker.csv", '"' + "0" * 32 + '"'),
                  ConfirmationRequired=False)


def runner_went_round(ctl) -> None:
    """Waits until the runner has made a pass that started after this call (see marker_job)."""
    assert wait_status(ctl, marker_job(ctl))["Status"] == "Failed"


class Hold:
    """The server's `--batch-operations-hold-file`: while it exists, jobs stop where the test says, so a job is in
    the state a test needs for as long as the test needs it, on any machine. `hold()` keeps new jobs in
    Preparing and Active jobs from starting a batch; `hold(n)` lets jobs prepare and stops each Active job once
    it has attempted n tasks. Cancels and pauses are served while held."""

    def __init__(self, path):
        self.path = path

    def args(self) -> tuple[str, str]:
        return ("--batch-operations-hold-file", str(self.path))

    def hold(self, after_tasks: int = 0) -> None:
        self.path.write_text(str(after_tasks) if after_tasks else "")

    def release(self) -> None:
        self.path.unlink(missing_ok=True)


def job_messages(srv, url: str, job_id: str, until: str, timeout: float = 60) -> list[dict]:
    """Receive (and delete) messages in arrival order until the job's `until` status event arrived; returns the
    parsed bodies of this job's events.

    Anything of the job after `until` would be a bug. To show nothing came without sleeping, a marker job is
    created once `until` is here and the messages are read on until the marker's Failed event (a runner pass
    after it) has arrived, with whatever is queued by then."""
    sqs = srv.client("sqs")
    got: list[dict] = []
    marker = None
    deadline = time.monotonic() + timeout
    while True:
        assert time.monotonic() < deadline, (
            f"no {until} event for job {job_id}" + (f" and marker {marker}" if marker else "") +
            f" within {timeout}s; got {[b['detail']['serviceEventDetails']['status'] for b in got]}")
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        bodies = [json.loads(m["Body"]) for m in batch]
        got += [b for b in bodies if b["detail"]["serviceEventDetails"]["jobId"] == job_id]
        if batch:
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
        if marker is None and any(b["detail"]["serviceEventDetails"]["status"] == until for b in got):
            marker = marker_job(s3control(srv))
        if marker and any(b["detail"]["serviceEventDetails"]["jobId"] == marker
                          and b["detail"]["serviceEventDetails"]["status"] == "Failed" for b in bodies):
            rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            got += [b for b in (json.loads(m["Body"]) for m in rest)
                    if b["detail"]["serviceEventDetails"]["jobId"] == job_id]
            return got


# -- 1. the seed scenario -----------------------------------------------------------------------------

def test_seed_scenario_tagging_job_events_reach_sqs_in_order_and_objects_are_tagged(server, s3, ctl):
    url = new_queue_rule(server)
    bucket = new_bucket(s3, "seed")
    keys = ["photos/a.jpg", "photos/with space.jpg", "c++/plus+sign.txt", "plain"]
    put_objects(s3, bucket, keys)
    manifest = upload_manifest(s3, bucket, [(bucket, k) for k in keys])
    # URL-encoded keys in the CSV, as the format requires.
    csv_text = s3.get_object(Bucket=bucket, Key=manifest["Location"]["ObjectArn"].split("/", 1)[1])["Body"].read()
    assert b"with%20space.jpg" in csv_text and b"plus%2Bsign.txt" in csv_text

    rep = report(bucket, "batch-reports")
    job_id = create(ctl, manifest, TAG_OP, rep, priority=42, ConfirmationRequired=False,
                    Description="seed scenario")
    messages = job_messages(server, url, job_id, "Complete")

    statuses = [m["detail"]["serviceEventDetails"]["status"] for m in messages]
    assert statuses == HAPPY_PATH
    arn = f"arn:aws:s3:{REGION}:{ACCOUNT}:job/{job_id}"
    for i, m in enumerate(messages):
        assert list(m) == ["version", "id", "detail-type", "source", "account", "time", "region",
                           "resources", "detail"]
        assert m["source"] == "aws.s3"
        assert m["detail-type"] == SERVICE_EVENT
        assert m["account"] == ACCOUNT and m["region"] == REGION and m["resources"] == []
        d = m["detail"]
        assert d["eventSource"] == "s3.amazonaws.com"
        assert d["eventName"] == ("JobCreated" if i == 0 else "JobStatusChanged")
        assert d["eventType"] == "AwsServiceEvent"
        assert d["readOnly"] is False
        assert d["userIdentity"] == {"accountId": ACCOUNT, "invokedBy": "s3.amazonaws.com"}
        assert d["sourceIPAddress"] == "s3.amazonaws.com" and d["userAgent"] == "s3.amazonaws.com"
        assert m["time"] == d["eventTime"]
        # Every field of the seed's examples, in the seed's order.
        present = [k for k in d if k in SEED_DETAIL_KEYS]
        assert present == SEED_DETAIL_KEYS, list(d)
        assert d["requestParameters"] is None and d["responseElements"] is None
        assert d["recipientAccountId"] == ACCOUNT and d["awsRegion"] == REGION
        sed = d["serviceEventDetails"]
        assert list(sed) == ["jobId", "jobArn", "status", "jobEventId", "failureCodes", "statusChangeReason"]
        assert sed["jobId"] == job_id and sed["jobArn"] == arn
        assert re.fullmatch(r"[0-9a-f]{32}", sed["jobEventId"]), sed
        assert sed["failureCodes"] == [] and sed["statusChangeReason"] == []
    assert len({m["detail"]["serviceEventDetails"]["jobEventId"] for m in messages}) == len(messages)
    assert len({m["id"] for m in messages}) == len(messages)

    # The objects are tagged.
    for k in keys:
        assert tags_of(s3, bucket, k) == {"project": "cairn", "stage": "batch"}, k

    # The completion report, in AWS's layout.
    rep_manifest, rows = read_report(s3, bucket, "batch-reports", job_id)
    assert rep_manifest["Format"] == "Report_CSV_20180820"
    assert [r["TaskExecutionStatus"] for r in rep_manifest["Results"]] == ["succeeded"]
    assert sorted(rows["succeeded"]) == sorted(
        [[bucket, quote(k, safe="/"), "", "succeeded", "200", "", "Successful"] for k in keys])
    assert sorted(unquote(r[1]) for r in rows["succeeded"]) == sorted(keys)

    # LookupEvents finds the same service events.
    records = job_records(server, job_id)
    assert [r["serviceEventDetails"]["status"] for r in records] == HAPPY_PATH
    assert [r["eventName"] for r in records] == ["JobCreated"] + ["JobStatusChanged"] * 5
    assert [r["eventID"] for r in records] == [m["detail"]["eventID"] for m in messages]
    for r in records:
        assert r["eventType"] == "AwsServiceEvent" and r["eventSource"] == "s3.amazonaws.com"
        assert r["recipientAccountId"] == ACCOUNT
    [created] = [e for e in server.lookup("EventName", "JobCreated")
                 if e["Record"]["serviceEventDetails"]["jobId"] == job_id]
    assert created["EventSource"] == "s3.amazonaws.com"
    by_source = [e["Record"]["eventID"] for e in server.lookup("EventSource", "s3.amazonaws.com")
                 if e["Record"].get("serviceEventDetails", {}).get("jobId") == job_id]
    assert sorted(by_source) == sorted(r["eventID"] for r in records)

    # DescribeJob.
    job = describe(ctl, job_id)
    m = JOB_ARN.match(job["JobArn"])
    assert m and m["id"] == job_id
    assert job["Status"] == "Complete"
    assert job["ConfirmationRequired"] is False
    assert job["Description"] == "seed scenario"
    assert job["Priority"] == 42
    assert job["RoleArn"] == ROLE
    assert job["Operation"] == TAG_OP
    assert job["Manifest"] == manifest
    assert job["Report"] == rep
    p = job["ProgressSummary"]
    assert (p["TotalNumberOfTasks"], p["NumberOfTasksSucceeded"], p["NumberOfTasksFailed"]) == (4, 4, 0)
    # The time between the job's Active and Completing events, in whole seconds (give or take one: the events'
    # times are to the second).
    when = {m["detail"]["serviceEventDetails"]["status"]: dt.datetime.strptime(m["time"], "%Y-%m-%dT%H:%M:%SZ")
            for m in messages}
    active_span = (when["Completing"] - when["Active"]).total_seconds()
    assert active_span - 1 <= p["Timers"]["ElapsedTimeInActiveSeconds"] <= active_span + 1, (p["Timers"], when)
    assert job["CreationTime"] <= job["TerminationDate"]
    assert "FailureReasons" not in job or job["FailureReasons"] == []
    assert "SuspendedDate" not in job


# -- 2. confirmation ----------------------------------------------------------------------------------

@pytest.mark.parametrize("confirmation", ["omitted", "true"])
def test_job_needing_confirmation_waits_suspended_until_update_job_status_ready(server, s3, ctl, confirmation):
    url = new_queue_rule(server)
    bucket = new_bucket(s3, "confirm")
    keys = [f"k{i}" for i in range(3)]
    put_objects(s3, bucket, keys)
    kw = {} if confirmation == "omitted" else {"ConfirmationRequired": True}
    job_id = create(ctl, upload_manifest(s3, bucket, [(bucket, k) for k in keys]), **kw)

    job = wait_status(ctl, job_id, "Suspended")
    assert job["ConfirmationRequired"] is True
    assert job["SuspendedCause"]
    assert job["SuspendedDate"] >= job["CreationTime"]
    assert job["ProgressSummary"]["TotalNumberOfTasks"] == 3
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 0
    runner_went_round(ctl)  # it stays there
    assert describe(ctl, job_id)["Status"] == "Suspended"
    for k in keys:
        assert tags_of(s3, bucket, k) == {}

    out = ctl.update_job_status(AccountId=ACCOUNT, JobId=job_id, RequestedJobStatus="Ready",
                                StatusUpdateReason="looks right")
    assert out["JobId"] == job_id and out["Status"] == "Ready"
    assert out["StatusUpdateReason"] == "looks right"
    job = wait_status(ctl, job_id)
    assert job["Status"] == "Complete"
    assert job["StatusUpdateReason"] == "looks right"
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 3
    for k in keys:
        assert tags_of(s3, bucket, k) == {"project": "cairn", "stage": "batch"}

    messages = job_messages(server, url, job_id, "Complete")
    assert [m["detail"]["serviceEventDetails"]["status"] for m in messages] == CONFIRMED_PATH
    ready = messages[CONFIRMED_PATH.index("Ready")]["detail"]["serviceEventDetails"]
    assert ready["statusChangeReason"] == ["looks right"]
    assert job_statuses(server, job_id) == CONFIRMED_PATH

    # A job that is not Suspended cannot be confirmed.
    err = client_error(ctl.update_job_status, AccountId=ACCOUNT, JobId=job_id, RequestedJobStatus="Ready")
    assert err.response["Error"]["Code"] == "JobStatusException"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_confirming_a_job_that_runs_without_confirmation_is_job_status_exception(server, s3, ctl):
    bucket = new_bucket(s3, "noconfirm")
    put_objects(s3, bucket, ["x"])
    job_id = create(ctl, upload_manifest(s3, bucket, [(bucket, "x")]), ConfirmationRequired=False)
    wait_status(ctl, job_id, "Complete")
    err = client_error(ctl.update_job_status, AccountId=ACCOUNT, JobId=job_id, RequestedJobStatus="Ready",
                       StatusUpdateReason="too late")
    assert err.response["Error"]["Code"] == "JobStatusException"
    assert describe(ctl, job_id)["Status"] == "Complete"


def test_server_flag_confirm_by_default_false_runs_jobs_without_confirmation(cairn_factory):
    srv = cairn_factory.new("--batch-jobs-confirm-by-default", "false")
    s3, ctl = srv.client("s3"), s3control(srv)
    bucket = new_bucket(s3, "flag")
    put_objects(s3, bucket, ["x"])
    job_id = create(ctl, upload_manifest(s3, bucket, [(bucket, "x")]))
    job = wait_status(ctl, job_id)
    assert job["Status"] == "Complete" and job["ConfirmationRequired"] is False
    assert job_statuses(srv, job_id) == HAPPY_PATH


# -- 3. cancel ----------------------------------------------------------------------------------------

def test_cancel_a_suspended_job_goes_cancelling_then_cancelled_and_touches_nothing(server, s3, ctl):
    bucket = new_bucket(s3, "cancel")
    keys = ["a", "b"]
    put_objects(s3, bucket, keys)
    job_id = create(ctl, upload_manifest(s3, bucket, [(bucket, k) for k in keys]), rep=report(bucket),
                    ConfirmationRequired=True)
    wait_status(ctl, job_id, "Suspended")
    out = ctl.update_job_status(AccountId=ACCOUNT, JobId=job_id, RequestedJobStatus="Cancelled",
                                StatusUpdateReason="changed my mind")
    assert out["Status"] == "Cancelling" and out["StatusUpdateReason"] == "changed my mind"
    job = wait_status(ctl, job_id)
    assert job["Status"] == "Cancelled"
    assert job["StatusUpdateReason"] == "changed my mind"
    assert job["TerminationDate"] >= job["CreationTime"]
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 0
    for k in keys:
        assert tags_of(s3, bucket, k) == {}
    assert job_statuses(server, job_id) == ["New", "Preparing", "Suspended", "Cancelling", "Cancelled"]
    cancelling = job_records(server, job_id)[3]["serviceEventDetails"]
    assert cancelling["statusChangeReason"] == ["changed my mind"]

    # Terminal: neither cancel nor confirm again.
    for status in ("Cancelled", "Ready"):
        err = client_error(ctl.update_job_status, AccountId=ACCOUNT, JobId=job_id, RequestedJobStatus=status)
        assert err.response["Error"]["Code"] == "JobStatusException", status


def test_cancel_a_complete_job_is_job_status_exception(server, s3, ctl):
    bucket = new_bucket(s3, "cancel-done")
    put_objects(s3, bucket, ["a"])
    job_id = create(ctl, upload_manifest(s3, bucket, [(bucket, "a")]), ConfirmationRequired=False)
    wait_status(ctl, job_id, "Complete")
    err = client_error(ctl.update_job_status, AccountId=ACCOUNT, JobId=job_id, RequestedJobStatus="Cancelled")
    assert err.response["Error"]["Code"] == "JobStatusException"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert describe(ctl, job_id)["Status"] == "Complete"
    assert job_statuses(server, job_id) == HAPPY_PATH


# -- 4. task failures ---------------------------------------------------------------------------------

def test_job_failing_more_than_half_of_1200_tasks_fails_with_task_failure_threshold_exceeded(server, s3, ctl):
    url = new_queue_rule(server)
    bucket = new_bucket(s3, "threshold")
    manifest = upload_manifest(s3, bucket, [(bucket, f"missing/{i:05d}") for i in range(1200)])
    job_id = create(ctl, manifest, rep=report(bucket), ConfirmationRequired=False)
    job = wait_status(ctl, job_id)
    assert job["Status"] == "Failed"
    codes = [f["FailureCode"] for f in job["FailureReasons"]]
    assert codes == ["TaskFailureThresholdExceeded"]
    assert job["FailureReasons"][0]["FailureReason"]
    p = job["ProgressSummary"]
    assert p["TotalNumberOfTasks"] == 1200
    assert p["NumberOfTasksSucceeded"] == 0
    assert 1000 <= p["NumberOfTasksFailed"] <= 1200
    assert "TerminationDate" in job

    messages = job_messages(server, url, job_id, "Failed")
    statuses = [m["detail"]["serviceEventDetails"]["status"] for m in messages]
    assert statuses == ["New", "Preparing", "Ready", "Active", "Failing", "Failed"]
    failed = messages[-1]["detail"]["serviceEventDetails"]
    assert failed["failureCodes"] == ["TaskFailureThresholdExceeded"]
    assert all(m["detail"]["serviceEventDetails"]["failureCodes"] == [] for m in messages[:4])


def test_a_few_failed_tasks_complete_the_job_with_a_failed_tasks_only_report(server, s3, ctl):
    bucket = new_bucket(s3, "fewfail")
    present = ["ok/1", "ok/2", "ok/3"]
    missing = [f"gone/{i}" for i in range(5)]
    put_objects(s3, bucket, present)
    manifest = upload_manifest(s3, bucket, [(bucket, k) for k in present + missing])
    job_id = create(ctl, manifest, rep=report(bucket, "failed-only", "FailedTasksOnly"), ConfirmationRequired=False)
    job = wait_status(ctl, job_id)
    assert job["Status"] == "Complete"
    p = job["ProgressSummary"]
    assert (p["TotalNumberOfTasks"], p["NumberOfTasksSucceeded"], p["NumberOfTasksFailed"]) == (8, 3, 5)
    for k in present:
        assert tags_of(s3, bucket, k) == {"project": "cairn", "stage": "batch"}
    rep_manifest, rows = read_report(s3, bucket, "failed-only", job_id)
    assert [r["TaskExecutionStatus"] for r in rep_manifest["Results"]] == ["failed"]
    assert sorted(r[1] for r in rows["failed"]) == sorted(missing)
    for row in rows["failed"]:
        assert row[0] == bucket
        assert row[2:6] == ["", "failed", "404", "NoSuchKey"], row
        assert row[6]


# -- 5. copy ------------------------------------------------------------------------------------------

def test_copy_job_replaces_metadata_and_tags_under_a_target_prefix_in_another_bucket(server, s3, ctl):
    src, dst = new_bucket(s3, "copysrc"), new_bucket(s3, "copydst")
    keys = ["docs/one.txt", "docs/two words.txt", "three"]
    for k in keys:
        s3.put_object(Bucket=src, Key=k, Body=f"content {k}".encode(), ContentType="text/plain",
                      Metadata={"old": "yes"})
        s3.put_object_tagging(Bucket=src, Key=k, Tagging={"TagSet": [{"Key": "old", "Value": "tag"}]})
    op = {"S3PutObjectCopy": {
        "TargetResource": f"arn:aws:s3:::{dst}",
        "TargetKeyPrefix": "copied",
        "MetadataDirective": "REPLACE",
        "NewObjectMetadata": {"ContentType": "application/x-cairn", "CacheControl": "max-age=60",
                              "UserMetadata": {"owner": "batch", "Color": "blue"}},
        "NewObjectTagging": [{"Key": "copied", "Value": "true"}],
    }}
    job_id = create(ctl, upload_manifest(s3, src, [(src, k) for k in keys]), op, report(dst, "copy-report"),
                    ConfirmationRequired=False)
    job = wait_status(ctl, job_id)
    assert job["Status"] == "Complete", job
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 3
    assert job["Operation"] == op
    for k in keys:
        obj = s3.get_object(Bucket=dst, Key=f"copied/{k}")
        assert obj["Body"].read() == f"content {k}".encode()
        assert obj["ContentType"] == "application/x-cairn"
        assert obj["CacheControl"] == "max-age=60"
        assert obj["Metadata"] == {"owner": "batch", "color": "blue"}
        assert tags_of(s3, dst, f"copied/{k}") == {"copied": "true"}
        # The sources are unchanged.
        head = s3.head_object(Bucket=src, Key=k)
        assert head["ContentType"] == "text/plain" and head["Metadata"] == {"old": "yes"}
        assert tags_of(s3, src, k) == {"old": "tag"}
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=dst, Prefix="copied/")["Contents"]]
    assert sorted(listed) == sorted(f"copied/{k}" for k in keys)


def test_copy_job_with_copy_directive_keeps_source_metadata(server, s3, ctl):
    src, dst = new_bucket(s3, "copysrc"), new_bucket(s3, "copydst")
    s3.put_object(Bucket=src, Key="k", Body=b"payload", ContentType="image/png", Metadata={"keep": "me"})
    op = {"S3PutObjectCopy": {"TargetResource": f"arn:aws:s3:::{dst}", "MetadataDirective": "COPY"}}
    job_id = create(ctl, upload_manifest(s3, src, [(src, "k")]), op, ConfirmationRequired=False)
    assert wait_status(ctl, job_id)["Status"] == "Complete"
    obj = s3.get_object(Bucket=dst, Key="k")
    assert obj["Body"].read() == b"payload"
    assert obj["ContentType"] == "image/png" and obj["Metadata"] == {"keep": "me"}


# -- 6. delete tagging --------------------------------------------------------------------------------

def test_delete_object_tagging_job_removes_all_tags(server, s3, ctl):
    bucket = new_bucket(s3, "untag")
    keys = ["t/1", "t/2", "t/3"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x",
                      Tagging="a=1&b=2")
        assert tags_of(s3, bucket, k) == {"a": "1", "b": "2"}
    untouched = "t/not-in-manifest"
    s3.put_object(Bucket=bucket, Key=untouched, Body=b"x", Tagging="a=1")
    job_id = create(ctl, upload_manifest(s3, bucket, [(bucket, k) for k in keys]),
                    {"S3DeleteObjectTagging": {}}, ConfirmationRequired=False)
    job = wait_status(ctl, job_id)
    assert job["Status"] == "Complete"
    assert job["Operation"] == {"S3DeleteObjectTagging": {}}
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 3
    for k in keys:
        assert tags_of(s3, bucket, k) == {}
    assert tags_of(s3, bucket, untouched) == {"a": "1"}


# -- 7. manifest generator ----------------------------------------------------------------------------

def test_manifest_generator_with_prefix_filter_processes_only_matching_objects(server, s3, ctl):
    src, out = new_bucket(s3, "gensrc"), new_bucket(s3, "genout")
    inside = ["logs/2024/a", "logs/2024/b c", "logs/x+y"]
    outside = ["other/a", "log", "data/logs/a"]
    put_objects(s3, src, inside + outside)
    gen = {"S3JobManifestGenerator": {
        "ExpectedBucketOwner": ACCOUNT,
        "SourceBucket": f"arn:aws:s3:::{src}",
        "EnableManifestOutput": True,
        "ManifestOutputLocation": {"Bucket": f"arn:aws:s3:::{out}", "ManifestPrefix": "generated",
                                   "ManifestFormat": "S3InventoryReport_CSV_20211130"},
        "Filter": {"KeyNameConstraint": {"MatchAnyPrefix": ["logs/"]}},
    }}
    job_id = create(ctl, None, ManifestGenerator=gen, ConfirmationRequired=False)
    job = wait_status(ctl, job_id)
    assert job["Status"] == "Complete", job
    assert job["ProgressSummary"]["TotalNumberOfTasks"] == 3
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 3
    assert job["ManifestGenerator"]["S3JobManifestGenerator"]["SourceBucket"] == f"arn:aws:s3:::{src}"
    for k in inside:
        assert tags_of(s3, src, k) == {"project": "cairn", "stage": "batch"}, k
    for k in outside:
        assert tags_of(s3, src, k) == {}, k

    desc = job["GeneratedManifestDescriptor"]
    assert desc["Format"] == "S3InventoryReport_CSV_20211130"
    arn = desc["Location"]["ObjectArn"]
    assert arn.startswith(f"arn:aws:s3:::{out}/generated/")
    key = arn[len(f"arn:aws:s3:::{out}/"):]
    obj = s3.get_object(Bucket=out, Key=key)
    assert obj["ETag"].strip('"') == desc["Location"]["ETag"].strip('"')
    listed = json.loads(obj["Body"].read())
    data_keys = [f["key"] for f in listed["files"]]
    assert data_keys
    rows = []
    for dk in data_keys:
        rows += list(csv.reader(io.StringIO(s3.get_object(Bucket=out, Key=dk)["Body"].read().decode())))
    assert sorted((b, unquote(k)) for b, k, *_ in rows) == sorted((src, k) for k in inside)


def test_manifest_generator_with_missing_source_bucket_fails_source_bucket_not_found(server, ctl):
    gen = {"S3JobManifestGenerator": {"SourceBucket": f"arn:aws:s3:::{unique('nosuch').lower()}",
                                      "EnableManifestOutput": False}}
    job_id = create(ctl, None, ManifestGenerator=gen, ConfirmationRequired=False)
    job = wait_status(ctl, job_id)
    assert job["Status"] == "Failed"
    assert [f["FailureCode"] for f in job["FailureReasons"]] == ["SourceBucketNotFound"]


# -- 8. bad input -------------------------------------------------------------------------------------

def failed_job(server, ctl, job_id: str, code: str) -> dict:
    job = wait_status(ctl, job_id)
    assert job["Status"] == "Failed", job
    assert [f["FailureCode"] for f in job["FailureReasons"]] == [code]
    assert job["FailureReasons"][0]["FailureReason"]
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 0
    records = job_records(server, job_id)
    assert [r["serviceEventDetails"]["status"] for r in records] == ["New", "Preparing", "Failing", "Failed"]
    assert records[-1]["serviceEventDetails"]["failureCodes"] == [code]
    return job


@pytest.mark.parametrize("lines", [["{b},a", "{b},a,extra,columns"], ["{b}"], ["{b},bad%zzencoding"], ["{b},"]],
                         ids=["extra-columns", "one-column", "bad-percent-encoding", "empty-key"])
def test_malformed_manifest_fails_the_job_manifest_malformed(server, s3, ctl, lines):
    bucket = new_bucket(s3, "malformed")
    put_objects(s3, bucket, ["a"])
    manifest = upload_manifest(s3, bucket, [], raw="".join(line.format(b=bucket) + "\n" for line in lines))
    job_id = create(ctl, manifest, ConfirmationRequired=False)
    failed_job(server, ctl, job_id, "ManifestMalformed")
    assert tags_of(s3, bucket, "a") == {}


def test_wrong_manifest_etag_fails_the_job_manifest_etag_mismatch(server, s3, ctl):
    bucket = new_bucket(s3, "etag")
    put_objects(s3, bucket, ["a"])
    manifest = upload_manifest(s3, bucket, [(bucket, "a")])
    manifest["Location"]["ETag"] = '"0123456789abcdef0123456789abcdef"'
    job_id = create(ctl, manifest, ConfirmationRequired=False)
    failed_job(server, ctl, job_id, "ManifestETagMismatch")
    assert tags_of(s3, bucket, "a") == {}


def test_manifest_etag_without_quotes_is_accepted(server, s3, ctl):
    bucket = new_bucket(s3, "etagq")
    put_objects(s3, bucket, ["a"])
    manifest = upload_manifest(s3, bucket, [(bucket, "a")])
    manifest["Location"]["ETag"] = manifest["Location"]["ETag"].strip('"')
    job_id = create(ctl, manifest, ConfirmationRequired=False)
    assert wait_status(ctl, job_id)["Status"] == "Complete"


def test_missing_manifest_object_fails_the_job_manifest_not_found(server, s3, ctl):
    bucket = new_bucket(s3, "nomanifest")
    job_id = create(ctl, manifest_spec(bucket, "does/not/exist.csv", '"0123456789abcdef0123456789abcdef"'),
                    ConfirmationRequired=False)
    failed_job(server, ctl, job_id, "ManifestNotFound")


def test_missing_report_bucket_fails_the_job_report_bucket_not_found(server, s3, ctl):
    bucket = new_bucket(s3, "noreport")
    put_objects(s3, bucket, ["a"])
    job_id = create(ctl, upload_manifest(s3, bucket, [(bucket, "a")]), rep=report(unique("gone").lower()),
                    ConfirmationRequired=False)
    failed_job(server, ctl, job_id, "ReportBucketNotFound")
    assert tags_of(s3, bucket, "a") == {}


def bad_request(call, **kwargs) -> ClientError:
    err = client_error(call, **kwargs)
    assert err.response["Error"]["Code"] == "BadRequestException", err.response
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return err


@pytest.mark.parametrize("operation", [
    {"LambdaInvoke": {"FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"}},
    {"S3PutObjectAcl": {"AccessControlPolicy": {"CannedAccessControlList": "private"}}},
    {"S3InitiateRestoreObject": {"ExpirationInDays": 1, "GlacierJobTier": "STANDARD"}},
    {"S3ReplicateObject": {}},
], ids=lambda op: next(iter(op)))
def test_operations_cairn_cannot_run_are_bad_request_at_create_job(server, s3, ctl, operation):
    bucket = new_bucket(s3, "unsupported")
    manifest = upload_manifest(s3, bucket, [(bucket, "a")])
    before = {j["JobId"] for j in ctl.list_jobs(AccountId=ACCOUNT)["Jobs"]}
    bad_request(ctl.create_job, AccountId=ACCOUNT, Operation=operation, Manifest=manifest,
                Report={"Enabled": False}, Priority=1, RoleArn=ROLE, ConfirmationRequired=False)
    assert {j["JobId"] for j in ctl.list_jobs(AccountId=ACCOUNT)["Jobs"]} == before


def test_both_manifest_and_generator_or_neither_is_bad_request(server, s3, ctl):
    bucket = new_bucket(s3, "both")
    manifest = upload_manifest(s3, bucket, [(bucket, "a")])
    gen = {"S3JobManifestGenerator": {"SourceBucket": f"arn:aws:s3:::{bucket}", "EnableManifestOutput": False}}
    common = dict(AccountId=ACCOUNT, Operation=TAG_OP, Report={"Enabled": False}, Priority=1, RoleArn=ROLE)
    bad_request(ctl.create_job, Manifest=manifest, ManifestGenerator=gen, **common)
    bad_request(ctl.create_job, **common)


def test_bad_role_arn_and_out_of_range_priority_are_bad_request(server, s3, ctl):
    bucket = new_bucket(s3, "badargs")
    manifest = upload_manifest(s3, bucket, [(bucket, "a")])
    common = dict(AccountId=ACCOUNT, Operation=TAG_OP, Report={"Enabled": False}, Manifest=manifest)
    for role in ["not-an-arn", f"arn:aws:iam::{ACCOUNT}:user/alice", "arn:aws:iam::123:role/short-account"]:
        bad_request(ctl.create_job, Priority=1, RoleArn=role, **common)
    # botocore enforces no maximum: 2^31 goes on the wire.
    bad_request(ctl.create_job, Priority=2 ** 31, RoleArn=ROLE, **common)
    # botocore refuses a negative priority itself; without its validation it reaches the server.
    unvalidated = s3control(server, parameter_validation=False)
    bad_request(unvalidated.create_job, Priority=-1, RoleArn=ROLE, **common)
    # More than 10 object tags, or duplicate keys, in the operation.
    many = {"S3PutObjectTagging": {"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]}}
    bad_request(ctl.create_job, AccountId=ACCOUNT, Operation=many, Manifest=manifest, Report={"Enabled": False},
                Priority=1, RoleArn=ROLE)
    dup = {"S3PutObjectTagging": {"TagSet": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]}}
    bad_request(ctl.create_job, AccountId=ACCOUNT, Operation=dup, Manifest=manifest, Report={"Enabled": False},
                Priority=1, RoleArn=ROLE)
    # Report enabled without a bucket, and a Description too long.
    bad_request(ctl.create_job, AccountId=ACCOUNT, Operation=TAG_OP, Manifest=manifest, Priority=1, RoleArn=ROLE,
                Report={"Enabled": True, "Format": "Report_CSV_20180820"})
    bad_request(ctl.create_job, Priority=1, RoleArn=ROLE, Description="d" * 257, **common)


def test_client_request_token_is_idempotent_and_conflicting_reuse_is_idempotency_exception(server, s3, ctl):
    bucket = new_bucket(s3, "token")
    put_objects(s3, bucket, ["a"])
    manifest = upload_manifest(s3, bucket, [(bucket, "a")])
    token = uuid.uuid4().hex
    first = create(ctl, manifest, ClientRequestToken=token, ConfirmationRequired=True, Description="one")
    again = create(ctl, manifest, ClientRequestToken=token, ConfirmationRequired=True, Description="one")
    assert again == first
    for change in [dict(Description="two"), dict(priority=11), dict(ConfirmationRequired=False)]:
        kw = dict(ClientRequestToken=token, ConfirmationRequired=True, Description="one")
        kw.update(change)
        err = client_error(create, ctl, manifest, **kw)
        assert err.response["Error"]["Code"] == "IdempotencyException", change
    # Only one job was created, and still one JobCreated event.
    assert len([r for r in job_records(server, first) if r["eventName"] == "JobCreated"]) == 1
    assert describe(ctl, first)["Description"] == "one"
    # Another token makes another job.
    assert create(ctl, manifest, ClientRequestToken=uuid.uuid4().hex, Description="one") != first


def test_describe_unknown_job_is_not_found(server, ctl):
    err = client_error(ctl.describe_job, AccountId=ACCOUNT, JobId=str(uuid.uuid4()))
    assert err.response["Error"]["Code"] == "NotFoundException"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    for call, kw in [(ctl.update_job_priority, {"Priority": 3}),
                     (ctl.update_job_status, {"RequestedJobStatus": "Cancelled"}),
                     (ctl.get_job_tagging, {})]:
        err = client_error(call, AccountId=ACCOUNT, JobId=str(uuid.uuid4()), **kw)
        assert err.response["Error"]["Code"] == "NotFoundException", call


def test_another_accounts_id_in_x_amz_account_id_is_access_denied(server, s3, ctl):
    bucket = new_bucket(s3, "acct")
    manifest = upload_manifest(s3, bucket, [(bucket, "a")])
    job_id = create(ctl, manifest)
    other = "111122223333"
    for call, kw in [(ctl.list_jobs, {}), (ctl.describe_job, {"JobId": job_id}),
                     (ctl.create_job, dict(Operation=TAG_OP, Manifest=manifest, Report={"Enabled": False},
                                           Priority=1, RoleArn=ROLE))]:
        err = client_error(call, AccountId=other, **kw)
        assert err.response["Error"]["Code"] == "AccessDenied", call
        assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 403


# -- 9. ListJobs --------------------------------------------------------------------------------------

def test_list_jobs_filters_by_status_and_pages_with_max_results(cairn_factory):
    srv = cairn_factory.new()
    s3, ctl = srv.client("s3"), s3control(srv)
    bucket = new_bucket(s3, "list")
    put_objects(s3, bucket, ["a"])
    manifest = upload_manifest(s3, bucket, [(bucket, "a")])
    done = [create(ctl, manifest, Description=f"done {i}", ConfirmationRequired=False) for i in range(3)]
    for j in done:
        wait_status(ctl, j, "Complete")
    waiting = create(ctl, manifest, {"S3DeleteObjectTagging": {}}, Description="waiting", priority=7)
    wait_status(ctl, waiting, "Suspended")

    complete = ctl.list_jobs(AccountId=ACCOUNT, JobStatuses=["Complete"])["Jobs"]
    assert sorted(j["JobId"] for j in complete) == sorted(done)
    for j in complete:
        assert j["Status"] == "Complete"
        assert j["Operation"] == "S3PutObjectTagging"
        assert j["Priority"] == 10
        assert j["Description"].startswith("done ")
        assert j["ProgressSummary"]["TotalNumberOfTasks"] == 1
        assert j["ProgressSummary"]["NumberOfTasksSucceeded"] == 1
        assert j["TerminationDate"] >= j["CreationTime"]

    [s] = ctl.list_jobs(AccountId=ACCOUNT, JobStatuses=["Suspended"])["Jobs"]
    assert s["JobId"] == waiting and s["Operation"] == "S3DeleteObjectTagging" and s["Priority"] == 7
    assert "TerminationDate" not in s
    both = ctl.list_jobs(AccountId=ACCOUNT, JobStatuses=["Suspended", "Complete"])["Jobs"]
    assert sorted(j["JobId"] for j in both) == sorted(done + [waiting])
    assert ctl.list_jobs(AccountId=ACCOUNT, JobStatuses=["Failed"])["Jobs"] == []

    # Paging one job at a time over the three complete jobs.
    jobs, pages = pages_of(ctl.list_jobs, "Jobs", 1, AccountId=ACCOUNT, JobStatuses=["Complete"], MaxResults=1)
    seen = [j["JobId"] for j in jobs]
    assert sorted(seen) == sorted(done) and len(seen) == 3
    assert pages in (3, 4)
    # Two per page: two pages.
    first = ctl.list_jobs(AccountId=ACCOUNT, JobStatuses=["Complete"], MaxResults=2)
    second = ctl.list_jobs(AccountId=ACCOUNT, JobStatuses=["Complete"], MaxResults=2, NextToken=first["NextToken"])
    assert len(first["Jobs"]) == 2 and len(second["Jobs"]) == 1 and "NextToken" not in second
    assert sorted(j["JobId"] for j in first["Jobs"] + second["Jobs"]) == sorted(done)

    err = client_error(ctl.list_jobs, AccountId=ACCOUNT, NextToken="not-a-token")
    assert err.response["Error"]["Code"] == "InvalidNextTokenException"


# -- 10. priority -------------------------------------------------------------------------------------

def test_update_job_priority_returns_and_shows_the_new_priority(server, s3, ctl):
    bucket = new_bucket(s3, "prio")
    manifest = upload_manifest(s3, bucket, [(bucket, "a")])
    job_id = create(ctl, manifest, priority=5)
    wait_status(ctl, job_id, "Suspended")
    out = ctl.update_job_priority(AccountId=ACCOUNT, JobId=job_id, Priority=99)
    assert out["JobId"] == job_id and out["Priority"] == 99
    assert describe(ctl, job_id)["Priority"] == 99
    [listed] = [j for j in ctl.list_jobs(AccountId=ACCOUNT, JobStatuses=["Suspended"])["Jobs"]
                if j["JobId"] == job_id]
    assert listed["Priority"] == 99
    bad_request(ctl.update_job_priority, AccountId=ACCOUNT, JobId=job_id, Priority=2 ** 31)
    assert describe(ctl, job_id)["Priority"] == 99


def test_higher_priority_ready_job_runs_first_when_capacity_frees_up(cairn_factory, tmp_path):
    gate = Hold(tmp_path / "hold")
    srv = cairn_factory.new(*gate.args())
    s3, ctl = srv.client("s3"), s3control(srv)
    src, dst = new_bucket(s3, "blocker"), new_bucket(s3, "blocked")
    s3.put_object(Bucket=src, Key="same", Body=b"x")
    blocker = create(ctl, upload_manifest(s3, src, [(src, "same")] * 3),
                     {"S3PutObjectCopy": {"TargetResource": f"arn:aws:s3:::{dst}"}}, priority=1000)
    small = upload_manifest(s3, src, [(src, "same")])
    low = create(ctl, small, priority=10)
    high = create(ctl, small, priority=50)
    for j in (blocker, low, high):
        wait_status(ctl, j, "Suspended")
    # Held, the blocker stays Active before its first batch for as long as the calls below take.
    gate.hold()
    ctl.update_job_status(AccountId=ACCOUNT, JobId=blocker, RequestedJobStatus="Ready")
    wait_status(ctl, blocker, "Active")
    # Confirm the low one first; both wait for the blocker.
    ctl.update_job_status(AccountId=ACCOUNT, JobId=low, RequestedJobStatus="Ready")
    ctl.update_job_status(AccountId=ACCOUNT, JobId=high, RequestedJobStatus="Ready")
    statuses = {j: describe(ctl, j)["Status"] for j in (blocker, low, high)}
    assert statuses == {blocker: "Active", low: "Ready", high: "Ready"}, statuses
    ctl.update_job_status(AccountId=ACCOUNT, JobId=blocker, RequestedJobStatus="Cancelled")
    assert wait_status(ctl, blocker)["Status"] == "Cancelled"
    assert describe(ctl, blocker)["ProgressSummary"]["NumberOfTasksSucceeded"] == 0
    gate.release()
    for j in (low, high):
        assert wait_status(ctl, j)["Status"] == "Complete"

    changed = list(reversed(srv.lookup("EventName", "JobStatusChanged")))
    order = [(e["Record"]["serviceEventDetails"]["jobId"], e["Record"]["serviceEventDetails"]["status"])
             for e in changed]
    active = [j for j, s in order if s == "Active"]
    assert active == [blocker, high, low]
    # Both were Ready while the blocker ran, which was never paused for them; once it was gone the high job ran,
    # and completed before the low one started.
    assert max(order.index((low, "Ready")), order.index((high, "Ready"))) < order.index((blocker, "Cancelling"))
    assert (blocker, "Pausing") not in order
    assert order.index((blocker, "Cancelled")) < order.index((high, "Active"))
    assert order.index((high, "Complete")) < order.index((low, "Active"))


@sqlite_only(reason="the job runner's logic is the same on both engines; its store on PostgreSQL is covered by the kill -9 restart and the other job tests, and this slow case would only repeat it")
def test_a_higher_priority_job_pauses_a_running_lower_one(cairn_factory, tmp_path):
    gate = Hold(tmp_path / "hold")
    srv = cairn_factory.new(*gate.args())
    s3, ctl = srv.client("s3"), s3control(srv)
    src, dst = new_bucket(s3, "pausesrc"), new_bucket(s3, "pausedst")
    s3.put_object(Bucket=src, Key="same", Body=b"x")
    # Prepared first and held in Suspended, the urgent job needs a single call to become Ready.
    urgent = create(ctl, upload_manifest(s3, src, [(src, "same")]), priority=500, ConfirmationRequired=True)
    wait_status(ctl, urgent, "Suspended")
    # The big job copies one object 2,000 times, in two batches of 1,000; the hold stops it after its first, so
    # it is Active, mid-run, when the urgent job is confirmed.
    gate.hold(after_tasks=1)
    big = create(ctl, upload_manifest(s3, src, [(src, "same")] * 2000),
                 {"S3PutObjectCopy": {"TargetResource": f"arn:aws:s3:::{dst}"}}, priority=1,
                 ConfirmationRequired=False)
    wait_status(ctl, big, "Active")
    ctl.update_job_status(AccountId=ACCOUNT, JobId=urgent, RequestedJobStatus="Ready")
    # The urgent job's one task is its first batch; it completes while the big one is held again, Active.
    assert wait_status(ctl, urgent)["Status"] == "Complete"
    assert wait_status(ctl, big, "Active")["ProgressSummary"]["NumberOfTasksSucceeded"] == 1000
    gate.release()
    big_job = wait_status(ctl, big)
    assert big_job["Status"] == "Complete"
    p = big_job["ProgressSummary"]
    assert (p["TotalNumberOfTasks"], p["NumberOfTasksSucceeded"], p["NumberOfTasksFailed"]) == (2000, 2000, 0)
    assert job_statuses(srv, big) == ["New", "Preparing", "Ready", "Active", "Pausing", "Paused", "Active",
                                      "Completing", "Complete"]
    order = [(e["Record"]["serviceEventDetails"]["jobId"], e["Record"]["serviceEventDetails"]["status"])
             for e in reversed(srv.lookup("EventName", "JobStatusChanged"))]
    assert order.index((big, "Paused")) < order.index((urgent, "Active"))
    last_big_active = max(i for i, x in enumerate(order) if x == (big, "Active"))
    assert order.index((urgent, "Active")) < order.index((urgent, "Complete")) < last_big_active


# -- 11. job tags -------------------------------------------------------------------------------------

def test_job_tagging_get_put_delete_round_trip(server, s3, ctl):
    bucket = new_bucket(s3, "jobtags")
    manifest = upload_manifest(s3, bucket, [(bucket, "a")])
    job_id = create(ctl, manifest, Tags=[{"Key": "team", "Value": "storage"}, {"Key": "env", "Value": "test"}])
    wait_status(ctl, job_id, "Suspended")
    got = ctl.get_job_tagging(AccountId=ACCOUNT, JobId=job_id)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in got) == [("env", "test"), ("team", "storage")]
    ctl.put_job_tagging(AccountId=ACCOUNT, JobId=job_id, Tags=[{"Key": "owner", "Value": "me"}])
    assert ctl.get_job_tagging(AccountId=ACCOUNT, JobId=job_id)["Tags"] == [{"Key": "owner", "Value": "me"}]
    ctl.delete_job_tagging(AccountId=ACCOUNT, JobId=job_id)
    assert ctl.get_job_tagging(AccountId=ACCOUNT, JobId=job_id).get("Tags", []) == []
    # Tagging a job does not change its status or emit status events.
    assert describe(ctl, job_id)["Status"] == "Suspended"
    assert job_statuses(server, job_id) == ["New", "Preparing", "Suspended"]


def test_priority_and_tags_changed_while_preparing_are_kept(cairn_factory, tmp_path):
    gate = Hold(tmp_path / "hold")
    srv = cairn_factory.new(*gate.args())
    s3, ctl = srv.client("s3"), s3control(srv)
    bucket = new_bucket(s3, "preparing")
    s3.put_object(Bucket=bucket, Key="same", Body=b"x")
    manifest = upload_manifest(s3, bucket, [(bucket, "same")] * 10)
    # Held, the job stays in Preparing while the calls below change it.
    gate.hold()
    job_id = create(ctl, manifest, priority=5, Tags=[{"Key": "t", "Value": "before"}])
    assert wait_status(ctl, job_id, "Preparing")["Status"] == "Preparing"
    assert ctl.update_job_priority(AccountId=ACCOUNT, JobId=job_id, Priority=77)["Priority"] == 77
    ctl.put_job_tagging(AccountId=ACCOUNT, JobId=job_id, Tags=[{"Key": "t", "Value": "after"}])
    assert describe(ctl, job_id)["Status"] == "Preparing"
    gate.release()
    job = wait_status(ctl, job_id, "Suspended")
    assert (job["Priority"], ctl.get_job_tagging(AccountId=ACCOUNT, JobId=job_id)["Tags"]) == \
        (77, [{"Key": "t", "Value": "after"}])
    assert job["ProgressSummary"]["TotalNumberOfTasks"] == 10


# -- 12. the aws CLI ----------------------------------------------------------------------------------

@cli_on_sqlite_only
def test_aws_cli_create_describe_and_list_jobs_through_the_proxy(server, s3, aws_cli):
    bucket = new_bucket(s3, "cli")
    keys = ["cli/one", "cli/two three"]
    put_objects(s3, bucket, keys)
    manifest = upload_manifest(s3, bucket, [(bucket, k) for k in keys])
    env = {"HTTP_PROXY": server.endpoint, "http_proxy": server.endpoint, "NO_PROXY": "", "no_proxy": ""}
    created = server.aws(
        "s3control", "create-job", "--account-id", ACCOUNT, "--no-confirmation-required",
        "--operation", json.dumps({"S3PutObjectTagging": {"TagSet": [{"Key": "via", "Value": "cli"}]}}),
        "--manifest", json.dumps(manifest), "--report", json.dumps(report(bucket, "cli-reports")),
        "--priority", "20", "--role-arn", ROLE, "--description", "from the CLI", env=env)
    job_id = created["JobId"]
    deadline = time.monotonic() + 30
    while True:
        job = server.aws("s3control", "describe-job", "--account-id", ACCOUNT, "--job-id", job_id, env=env)["Job"]
        if job["Status"] in TERMINAL or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert job["Status"] == "Complete"
    assert job["JobArn"] == f"arn:aws:s3:{REGION}:{ACCOUNT}:job/{job_id}"
    assert job["Description"] == "from the CLI" and job["Priority"] == 20
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 2
    for k in keys:
        assert tags_of(s3, bucket, k) == {"via": "cli"}
    listed = server.aws("s3control", "list-jobs", "--account-id", ACCOUNT, "--job-statuses", "Complete", env=env)
    [mine] = [j for j in listed["Jobs"] if j["JobId"] == job_id]
    assert mine["Operation"] == "S3PutObjectTagging" and mine["Status"] == "Complete"
    assert job_statuses(server, job_id) == HAPPY_PATH

    # Without the proxy the account-prefixed host does not resolve: the recipe is what makes it work.
    cp = server.aws("s3control", "list-jobs", "--account-id", ACCOUNT, check=False,
                    env={"NO_PROXY": "", "no_proxy": ""})
    assert cp.returncode == 255, cp
    host = f"{ACCOUNT}.{server.endpoint.removeprefix('http://')}"
    assert f'Could not connect to the endpoint URL: "http://{host}/v20180820/jobs' in cp.stderr, cp.stderr


# -- 13. restart mid-job ------------------------------------------------------------------------------

N_RESTART = 1500
# The restart and cancel jobs go over every object this many times: N_RESTART * ROUNDS = 4,500 tasks in batches of
# 1,000, so a job held after two batches is mid-run; the hold file stops them there. Listing each object three times
# keeps the uploads (the fixture's cost) small, and the report still shows any task lost or done twice: each key must
# appear exactly ROUNDS times.
ROUNDS = 3


@pytest.fixture(scope="module")
def big_bucket(tmp_path_factory):
    """A server of its own with N_RESTART objects in one bucket (uploaded once for both restart tests)."""
    from conftest import ServerFactory
    root = tmp_path_factory.mktemp("batch-restart")
    factory = ServerFactory(root)
    gate = Hold(root / "hold")
    srv = factory.new(*gate.args())
    bucket = new_bucket(srv.client("s3"), "restart")
    keys = [f"obj/{i:05d}" for i in range(N_RESTART)]
    put_objects(fast_s3(srv), bucket, keys, body=lambda k: b"x", threads=32)
    yield srv, bucket, keys, gate
    gate.release()
    factory.close()


def fast_s3(srv):
    return srv.session().client("s3", endpoint_url=srv.endpoint,
                                config=NO_RETRY.merge(Config(max_pool_connections=32)))


@pytest.mark.parametrize("how", [
    pytest.param("sigterm", marks=sqlite_only(reason="a graceful restart mid-job; on PostgreSQL the kill -9 case covers "
                                                     "resuming from the store")),
    "kill9"])
def test_restart_mid_job_resumes_without_losing_or_redoing_tasks(big_bucket, how):
    srv, bucket, keys, gate = big_bucket
    s3, ctl = srv.client("s3"), s3control(srv)
    tag_set = [{"Key": "round", "Value": how}]
    manifest = upload_manifest(s3, bucket, [(bucket, k) for k in keys] * ROUNDS)
    total = N_RESTART * ROUNDS
    job_id = create(ctl, manifest, {"S3PutObjectTagging": {"TagSet": tag_set}}, report(bucket, f"report-{how}"))
    wait_status(ctl, job_id, "Suspended")
    # Held after two batches: Active, mid-run, until released just before the restart (which then lands between
    # batches or inside one, wherever the runner is: both must lose and redo nothing).
    gate.hold(after_tasks=2000)
    ctl.update_job_status(AccountId=ACCOUNT, JobId=job_id, RequestedJobStatus="Ready")
    caught = wait_status(ctl, job_id, "Active")
    deadline = time.monotonic() + 60
    while caught["ProgressSummary"]["NumberOfTasksSucceeded"] < 2000 and time.monotonic() < deadline:
        time.sleep(0.05)
        caught = describe(ctl, job_id)
    assert caught["Status"] == "Active" and caught["ProgressSummary"]["NumberOfTasksSucceeded"] == 2000, caught
    gate.release()
    if how == "sigterm":
        srv.restart()
    else:
        srv.kill9()
        srv.start()
    s3, ctl = srv.client("s3"), s3control(srv)
    after_restart = describe(ctl, job_id)
    assert after_restart["ProgressSummary"]["NumberOfTasksSucceeded"] >= \
        caught["ProgressSummary"]["NumberOfTasksSucceeded"]

    job = wait_status(ctl, job_id, timeout=240)
    assert job["Status"] == "Complete", job
    p = job["ProgressSummary"]
    assert (p["TotalNumberOfTasks"], p["NumberOfTasksSucceeded"], p["NumberOfTasksFailed"]) == (total, total, 0)
    # Every object tagged exactly.
    fast = fast_s3(srv)
    with ThreadPoolExecutor(32) as ex:
        tags = list(ex.map(lambda k: tags_of(fast, bucket, k), keys))
    wrong = [(k, t) for k, t in zip(keys, tags) if t != {"round": how}]
    assert wrong == []
    # One report row per task, none twice.
    _, rows = read_report(s3, bucket, f"report-{how}", job_id)
    assert sorted(r[1] for r in rows["succeeded"]) == sorted(keys * ROUNDS)
    assert "failed" not in rows
    # The status events continue forward after the restart: none repeated, none skipped backwards.
    assert job_statuses(srv, job_id) == CONFIRMED_PATH


@sqlite_only(reason="the job runner's logic is the same on both engines; its store on PostgreSQL is covered by the kill -9 restart and the other job tests, and this slow case would only repeat it")
def test_cancel_an_active_job_stops_it_and_counts_only_the_tasks_done(big_bucket):
    srv, bucket, keys, gate = big_bucket
    s3, ctl = srv.client("s3"), s3control(srv)
    manifest = upload_manifest(s3, bucket, [(bucket, k) for k in keys] * ROUNDS)
    total = N_RESTART * ROUNDS
    # Held after one batch: Active, mid-run, when the cancel arrives.
    gate.hold(after_tasks=1000)
    job_id = create(ctl, manifest, {"S3PutObjectTagging": {"TagSet": [{"Key": "round", "Value": "cancel"}]}},
                    ConfirmationRequired=False)
    deadline = time.monotonic() + 60
    while True:
        job = describe(ctl, job_id)
        if job["Status"] == "Active" and job["ProgressSummary"]["NumberOfTasksSucceeded"] == 1000:
            break
        assert job["Status"] not in TERMINAL and time.monotonic() < deadline, f"the job was never held mid-run: {job}"
        time.sleep(0.05)
    out = ctl.update_job_status(AccountId=ACCOUNT, JobId=job_id, RequestedJobStatus="Cancelled",
                                StatusUpdateReason="stop")
    assert out["Status"] == "Cancelling"
    job = wait_status(ctl, job_id)
    assert job["Status"] == "Cancelled"
    done = job["ProgressSummary"]["NumberOfTasksSucceeded"]
    assert done == 1000 < total
    gate.release()
    runner_went_round(ctl)  # nothing runs after Cancelled, held or not
    assert describe(ctl, job_id)["ProgressSummary"]["NumberOfTasksSucceeded"] == done
    fast = fast_s3(srv)
    with ThreadPoolExecutor(32) as ex:
        tags = list(ex.map(lambda k: tags_of(fast, bucket, k), keys))
    # Tasks run in manifest order: the first `done` of them, over the first min(done, N_RESTART) objects.
    assert [k for k, t in zip(keys, tags) if t == {"round": "cancel"}] == keys[:min(done, N_RESTART)]
    statuses = job_statuses(srv, job_id)
    assert statuses == ["New", "Preparing", "Ready", "Active", "Cancelling", "Cancelled"]
