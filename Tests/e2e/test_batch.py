"""AWS Batch end to end (issue 7): compute environments, job queues and job definitions whose jobs really
run as local processes (`--batch-runner local`), every call in CloudTrail, "Batch Job State Change" events on
the default bus, cancel/terminate, bad input, the aws CLI, restarts and vCPU capacity.

Each test builds its own compute environment and queue (unique names), so capacity never leaks between tests.
"""

from __future__ import annotations

import json
import re
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import ServerFactory, allow_service_to_queue, cli_on_sqlite_only, unique, wait_for

ACCOUNT = "000000000000"
REGION = "us-east-1"
FINISHED = ("SUCCEEDED", "FAILED")
NOT_RUNNING_HINT = "--batch-runner local"
RESTARTED_HINT = "Cairn restarted"
TOO_LARGE = "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"

# The seed's CreateComputeEnvironment request (aws-batch-cloudtrail.txt), parameter for parameter.
SEED_CE_REQUEST = {
    "computeEnvironmentName": "Test",
    "type": "MANAGED",
    "state": "ENABLED",
    "serviceRole": "service-role/AWSBatchServiceRole",
    "computeResources": {
        "subnets": ["subnet-5eda8e04"],
        "tags": {"testBatchTags": "CLI testing CE"},
        "desiredvCpus": 0,
        "minvCpus": 0,
        "instanceTypes": ["optimal"],
        "securityGroupIds": ["sg-aba9e8db"],
        "instanceRole": "ecsInstanceRole",
        "maxvCpus": 128,
        "type": "EC2",
    },
}


# -- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def factory(tmp_path_factory):
    f = ServerFactory(tmp_path_factory.mktemp("batch"))
    yield f
    f.close()


@pytest.fixture(scope="module")
def srv(factory):
    """A server that runs jobs."""
    return factory.new("--batch-runner", "local")


@pytest.fixture(scope="module")
def idle(factory):
    """A server without the local runner: jobs wait in RUNNABLE."""
    return factory.new()


@pytest.fixture(scope="module")
def batch(srv):
    return srv.client("batch")


@pytest.fixture(scope="module", autouse=True)
def timed_out_job(srv, batch):
    """A job with AWS's minimum attempt timeout (60 s) whose command sleeps 120 s, submitted when the module starts
    and read by its last test (test_job_times_out), so the module's other tests pass the minute instead of a test
    waiting it out. Returns (job id, the sleep's marker)."""
    q, _ = make_queue(batch)
    nap = f"sleep 120.{uuid.uuid4().int % 10**6:06d}"
    job_id = submit(batch, q, make_definition(batch), sh(f"{nap}; echo unreachable"),
                    timeout={"attemptDurationSeconds": 60})
    return job_id, nap


def error_of(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response


def assert_client_exception(call, **kwargs) -> dict:
    err = error_of(call, **kwargs)
    assert err["Error"]["Code"] == "ClientException", err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400, err
    return err


def make_ce(batch, max_vcpus: int = 4, **kw) -> str:
    name = unique("ce")
    batch.create_compute_environment(
        computeEnvironmentName=name, type="MANAGED", state="ENABLED",
        computeResources={"type": "FARGATE", "maxvCpus": max_vcpus, "subnets": ["subnet-0abc"]}, **kw)
    return name


def make_queue(batch, max_vcpus: int = 4, priority: int = 10) -> tuple[str, str]:
    """A fresh CE and a queue on it: (queue name, CE name)."""
    ce = make_ce(batch, max_vcpus)
    q = unique("jq")
    batch.create_job_queue(jobQueueName=q, state="ENABLED", priority=priority,
                           computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}])
    return q, ce


def make_definition(batch, command: list[str] | None = None, vcpus: str = "1", **kw) -> str:
    name = unique("jd")
    batch.register_job_definition(
        jobDefinitionName=name, type="container",
        containerProperties={
            "image": "busybox",
            "command": command or ["sh", "-c", "echo hello"],
            "resourceRequirements": [{"type": "VCPU", "value": vcpus}, {"type": "MEMORY", "value": "512"}],
        }, **kw)
    return name


def sh(script: str) -> list[str]:
    return ["sh", "-c", script]


@pytest.fixture
def gates():
    """A directory for gate files (see held_until) that a job's command can see whoever it runs as: as root,
    Cairn runs local jobs as an unprivileged user, who cannot look into pytest's own temporary directories."""
    d = Path(tempfile.mkdtemp(prefix="cairn-e2e-gates-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def held_until(gate: Path) -> str:
    """A shell command that waits until the test creates the file `gate` (in `gates`): a job running it stays
    RUNNING for as long as the test needs, whatever the machine's speed. The path may use the job's variables
    (e.g. $AWS_BATCH_JOB_ATTEMPT)."""
    return f'while [ ! -e "{gate}" ]; do sleep 0.05; done'


def submit(batch, queue: str, definition: str, command: list[str] | None = None, **kw) -> str:
    if command is not None:
        kw.setdefault("containerOverrides", {})["command"] = command
    return batch.submit_job(jobName=unique("job"), jobQueue=queue, jobDefinition=definition, **kw)["jobId"]


def describe(batch, job_id: str) -> dict:
    jobs = batch.describe_jobs(jobs=[job_id])["jobs"]
    assert len(jobs) == 1, jobs
    return jobs[0]


def wait_status(batch, job_id: str, statuses=FINISHED, timeout: float = 30) -> dict:
    if isinstance(statuses, str):
        statuses = (statuses,)
    last: dict = {}

    def done():
        nonlocal last
        last = describe(batch, job_id)
        return last if last["status"] in statuses else None
    try:
        return wait_for(done, timeout, what=f"job {job_id} in {statuses}")
    except AssertionError:
        raise AssertionError(f"job {job_id} not in {statuses} within {timeout}s; last seen: "
                             f"{json.dumps(last, default=str)[:1500]}") from None


def logs(srv, job_id: str, *extra: str) -> str:
    cp = srv.cairn("batch", "logs", job_id, "--data-dir", str(srv.data_dir), *extra)
    assert cp.returncode == 0, cp.stderr
    return cp.stdout


def lookup_one(srv, event_name: str, request_id: str, timeout: float = 10) -> dict:
    """The CloudTrail record of one call, found by requestID in LookupEvents."""
    def find():
        hits = [e for e in srv.lookup("EventName", event_name) if e["Record"].get("requestID") == request_id]
        return hits or None
    hits = wait_for(find, timeout, interval=0.3, what=f"{event_name} {request_id} in LookupEvents")
    assert len(hits) == 1, hits
    return hits[0]


def processes_with(marker: str) -> list[int]:
    """PIDs of live (non-zombie) processes whose command line contains marker."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmd and state != "Z":
            pids.append(int(d.name))
    return pids


# -- 1. CloudTrail: the seed's record, SubmitJob / ListJobs / DescribeJobs -------------------

def test_seed_create_compute_environment_is_in_event_history(srv, batch):
    resp = batch.create_compute_environment(**json.loads(json.dumps(SEED_CE_REQUEST)))
    arn = f"arn:aws:batch:{REGION}:{ACCOUNT}:compute-environment/Test"
    assert resp["computeEnvironmentName"] == "Test"
    assert resp["computeEnvironmentArn"] == arn

    event = lookup_one(srv, "CreateComputeEnvironment", resp["ResponseMetadata"]["RequestId"])
    rec = event["Record"]
    assert event["EventName"] == "CreateComputeEnvironment"
    assert event["EventSource"] == "batch.amazonaws.com"
    assert rec["eventSource"] == "batch.amazonaws.com"
    assert rec["eventName"] == "CreateComputeEnvironment"
    assert rec["awsRegion"] == REGION
    assert rec["eventType"] == "AwsApiCall"
    assert rec["readOnly"] is False
    assert rec["recipientAccountId"] == ACCOUNT
    assert rec["requestParameters"] == SEED_CE_REQUEST
    assert rec["responseElements"] == {"computeEnvironmentName": "Test", "computeEnvironmentArn": arn}
    assert rec["userIdentity"]["accountId"] == ACCOUNT

    # The environment as described carries the seed's computeResources.
    [ce] = batch.describe_compute_environments(computeEnvironments=["Test"])["computeEnvironments"]
    assert ce["computeEnvironmentArn"] == arn
    assert ce["type"] == "MANAGED" and ce["state"] == "ENABLED" and ce["status"] == "VALID"
    for k, v in SEED_CE_REQUEST["computeResources"].items():
        assert ce["computeResources"][k] == v, k
    # A second one by the same name is refused.
    assert_client_exception(batch.create_compute_environment, **SEED_CE_REQUEST)


def test_submit_list_and_describe_jobs_are_in_event_history(srv, batch):
    q, _ = make_queue(batch)
    jd = make_definition(batch)
    sub = batch.submit_job(jobName=unique("ct"), jobQueue=q, jobDefinition=jd, parameters={"p": "v"})
    job_id = sub["jobId"]
    assert sub["jobArn"] == f"arn:aws:batch:{REGION}:{ACCOUNT}:job/{job_id}"
    listed = batch.list_jobs(jobQueue=q, jobStatus="SUBMITTED")
    described = batch.describe_jobs(jobs=[job_id])

    rec = lookup_one(srv, "SubmitJob", sub["ResponseMetadata"]["RequestId"])["Record"]
    assert rec["eventSource"] == "batch.amazonaws.com"
    assert rec["readOnly"] is False
    assert rec["requestParameters"] == {"jobName": sub["jobName"], "jobQueue": q, "jobDefinition": jd,
                                        "parameters": {"p": "v"}}
    assert rec["responseElements"]["jobId"] == job_id

    rec = lookup_one(srv, "ListJobs", listed["ResponseMetadata"]["RequestId"])["Record"]
    assert rec["eventSource"] == "batch.amazonaws.com"
    assert rec["requestParameters"] == {"jobQueue": q, "jobStatus": "SUBMITTED"}
    assert rec["readOnly"] is True

    rec = lookup_one(srv, "DescribeJobs", described["ResponseMetadata"]["RequestId"])["Record"]
    assert rec["eventSource"] == "batch.amazonaws.com"
    assert rec["requestParameters"] == {"jobs": [job_id]}
    assert rec["readOnly"] is True

    # A refused call is in the history too, with its error.
    err = assert_client_exception(batch.submit_job, jobName="x", jobQueue=unique("nope"), jobDefinition=jd)
    rec = lookup_one(srv, "SubmitJob", err["ResponseMetadata"]["RequestId"])["Record"]
    assert rec["errorCode"] == "ClientException"
    wait_status(batch, job_id)


# -- 2. Jobs that run --------------------------------------------------------------------------

def test_job_succeeds_with_batch_environment_and_ref_parameters(srv, batch):
    q, ce = make_queue(batch)
    jd = make_definition(
        batch, sh('echo "id=$AWS_BATCH_JOB_ID attempt=$AWS_BATCH_JOB_ATTEMPT ce=$AWS_BATCH_CE_NAME '
                  'jq=$AWS_BATCH_JQ_NAME color=$COLOR idx=${AWS_BATCH_JOB_ARRAY_INDEX-unset} greeting=$1"; '
                  'echo to-stderr >&2') + ["sh", "Ref::greeting"],
        parameters={"greeting": "default-greeting"})
    job_id = batch.submit_job(
        jobName=unique("ok"), jobQueue=q, jobDefinition=jd, parameters={"greeting": "hello-ref"},
        containerOverrides={"environment": [{"name": "COLOR", "value": "blue"}]},
        tags={"team": "core"})["jobId"]
    job = wait_status(batch, job_id)
    assert job["status"] == "SUCCEEDED", job
    assert job["container"]["exitCode"] == 0
    assert job["container"]["command"][-1] == "hello-ref"  # Ref:: substituted in DescribeJobs too
    assert {"name": "COLOR", "value": "blue"} in job["container"]["environment"]
    assert job["parameters"] == {"greeting": "hello-ref"}
    assert job["jobQueue"] == f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/{q}"
    assert job["jobDefinition"] == f"arn:aws:batch:{REGION}:{ACCOUNT}:job-definition/{jd}:1"
    assert job["createdAt"] <= job["startedAt"] <= job["stoppedAt"]
    assert job["tags"] == {"team": "core"}
    [attempt] = job["attempts"]
    assert attempt["container"]["exitCode"] == 0
    assert attempt["container"]["logStreamName"] == job["container"]["logStreamName"]
    assert attempt["container"]["logStreamName"].startswith(f"{jd}/default/")
    assert attempt["startedAt"] <= attempt["stoppedAt"]

    out = logs(srv, job_id)
    assert (f"id={job_id} attempt=1 ce={ce} jq={q} color=blue idx=unset greeting=hello-ref") in out, out
    cp = srv.cairn("batch", "logs", job_id, "--data-dir", str(srv.data_dir))
    assert "to-stderr" in cp.stderr

    # Without a parameter on SubmitJob, the definition's default is used.
    other = wait_status(batch, submit(batch, q, jd))
    assert other["status"] == "SUCCEEDED"
    assert "greeting=default-greeting" in logs(srv, other["jobId"])


def test_a_job_inherits_no_file_descriptor_of_cairns(srv, batch):
    # Only stdin, stdout and stderr reach the job: an inherited socket would let it talk over Cairn's client or
    # database connections (and keep a dead node's PostgreSQL session, with its singleton locks, alive), an
    # inherited file would give it Cairn's database. The job lists what the shell it runs in holds open.
    q, _ = make_queue(batch)
    jd = make_definition(batch)
    job = wait_status(batch, submit(batch, q, jd, ["ls", "-l", "/proc/self/fd"]))
    assert job["status"] == "SUCCEEDED", job
    # "lrwx------ 1 nobody nogroup 64 <date> 3 -> /proc/1234/fd": ls holds its own fd directory open as it reads it.
    open_fds = {int(left.split()[-1]): target for left, target in
                (line.split(" -> ", 1) for line in logs(srv, job["jobId"]).splitlines() if " -> " in line)}
    inherited = {fd: target for fd, target in open_fds.items() if not re.fullmatch(r"/proc/\d+/fd", target)}
    assert sorted(inherited) == [0, 1, 2], open_fds


def test_job_fails_with_its_exit_code(srv, batch):
    q, _ = make_queue(batch)
    jd = make_definition(batch)
    job = wait_status(batch, submit(batch, q, jd, sh("echo failing; exit 3")))
    assert job["status"] == "FAILED", job
    assert job["container"]["exitCode"] == 3
    assert job["statusReason"] == "Essential container in task exited"
    [attempt] = job["attempts"]
    assert attempt["container"]["exitCode"] == 3
    assert "failing" in logs(srv, job["jobId"])
    # Failed jobs are listed under FAILED, not SUCCEEDED.
    assert job["jobId"] in [j["jobId"] for j in batch.list_jobs(jobQueue=q, jobStatus="FAILED")["jobSummaryList"]]
    summary = batch.list_jobs(jobQueue=q, jobStatus="FAILED")["jobSummaryList"][0]
    assert summary["container"]["exitCode"] == 3


def test_job_retries_then_succeeds(srv, batch):
    q, _ = make_queue(batch)
    jd = make_definition(batch, retryStrategy={"attempts": 3})
    job = wait_status(batch, submit(batch, q, jd, sh(
        'echo "attempt $AWS_BATCH_JOB_ATTEMPT"; [ "$AWS_BATCH_JOB_ATTEMPT" -ge 2 ] || exit 7')))
    assert job["status"] == "SUCCEEDED", job
    assert [a["container"]["exitCode"] for a in job["attempts"]] == [7, 0]
    assert job["retryStrategy"]["attempts"] == 3
    assert "attempt 1" in logs(srv, job["jobId"], "--attempt", "1")
    assert "attempt 2" in logs(srv, job["jobId"])  # the latest attempt by default
    # Each attempt has its own log stream.
    assert job["attempts"][0]["container"]["logStreamName"] != job["attempts"][1]["container"]["logStreamName"]


def test_evaluate_on_exit_exit_stops_retries_and_no_match_retries(srv, batch):
    q, _ = make_queue(batch)
    jd = make_definition(batch)
    strategy = {"attempts": 3, "evaluateOnExit": [{"onExitCode": "4*", "action": "EXIT"},
                                                  {"onExitCode": "9", "action": "RETRY"}]}
    stopped = submit(batch, q, jd, sh("exit 42"), retryStrategy=strategy)
    retried = submit(batch, q, jd, sh("exit 9"), retryStrategy=strategy)
    unmatched = submit(batch, q, jd, sh("exit 1"), retryStrategy=strategy)
    job = wait_status(batch, stopped)
    assert job["status"] == "FAILED"
    assert [a["container"]["exitCode"] for a in job["attempts"]] == [42]
    job = wait_status(batch, retried)
    assert job["status"] == "FAILED"
    assert [a["container"]["exitCode"] for a in job["attempts"]] == [9, 9, 9]
    job = wait_status(batch, unmatched)
    assert job["status"] == "FAILED"
    assert [a["container"]["exitCode"] for a in job["attempts"]] == [1, 1, 1]


def test_dependencies_hold_a_job_pending_and_propagate_failure(srv, batch, gates):
    q, _ = make_queue(batch)
    jd = make_definition(batch)
    a = submit(batch, q, jd, sh(held_until(gates / "a-done")))
    b = submit(batch, q, jd, sh("echo b"), dependsOn=[{"jobId": a}])
    assert wait_status(batch, b, "PENDING", timeout=30)["dependsOn"] == [{"jobId": a}]
    wait_status(batch, a, "RUNNING", timeout=30)
    assert describe(batch, b)["status"] == "PENDING"  # a is held running: b waits
    (gates / "a-done").touch()
    ja = wait_status(batch, a)
    jb = wait_status(batch, b)
    assert ja["status"] == jb["status"] == "SUCCEEDED"
    assert jb["startedAt"] >= ja["stoppedAt"]

    failing = submit(batch, q, jd, sh(f'{held_until(gates / "failing-done")}; exit 1'))
    child = submit(batch, q, jd, sh("echo never"), dependsOn=[{"jobId": failing}])
    wait_status(batch, failing, "RUNNING", timeout=30)
    # The child may have been submitted after the pass that started `failing`: the next pass makes it PENDING, and
    # with `failing` held running it goes no further.
    assert wait_status(batch, child, ("PENDING",), timeout=30)["dependsOn"] == [{"jobId": failing}]
    (gates / "failing-done").touch()
    jc = wait_status(batch, child)
    assert wait_status(batch, failing)["status"] == "FAILED"
    assert jc["status"] == "FAILED"
    assert jc["statusReason"] == "Dependent Job failed"
    assert jc["attempts"] == []
    cp = srv.cairn("batch", "logs", child, "--data-dir", str(srv.data_dir))
    assert cp.returncode != 0  # it never ran


def test_array_job_fans_out(srv, batch):
    q, _ = make_queue(batch)
    jd = make_definition(batch, sh('echo "index=$AWS_BATCH_JOB_ARRAY_INDEX id=$AWS_BATCH_JOB_ID"'))
    parent = submit(batch, q, jd, arrayProperties={"size": 3})
    job = wait_status(batch, parent)
    assert job["status"] == "SUCCEEDED", job
    assert job["arrayProperties"]["size"] == 3
    summary = job["arrayProperties"]["statusSummary"]
    assert summary["SUCCEEDED"] == 3
    assert sum(summary.values()) == 3
    for i in range(3):
        child = describe(batch, f"{parent}:{i}")
        assert child["status"] == "SUCCEEDED"
        assert child["arrayProperties"]["index"] == i
        assert f"index={i} id={parent}:{i}" in logs(srv, f"{parent}:{i}")
    children = batch.list_jobs(arrayJobId=parent, jobStatus="SUCCEEDED")["jobSummaryList"]
    assert sorted(c["jobId"] for c in children) == [f"{parent}:{i}" for i in range(3)]

    # One failing child fails the parent.
    bad = submit(batch, q, jd, sh('[ "$AWS_BATCH_JOB_ARRAY_INDEX" != 1 ]'), arrayProperties={"size": 2})
    job = wait_status(batch, bad)
    assert job["status"] == "FAILED"
    assert job["arrayProperties"]["statusSummary"]["FAILED"] == 1
    assert job["arrayProperties"]["statusSummary"]["SUCCEEDED"] == 1


def test_n_to_n_dependency_orders_child_after_child(srv, batch, gates):
    q, _ = make_queue(batch, max_vcpus=8)
    jd = make_definition(batch)
    # Child i of A runs until the test creates the file a-i: the test lets A:2 finish first, A:0 last.
    a = submit(batch, q, jd, sh(held_until(gates / "a-$AWS_BATCH_JOB_ARRAY_INDEX")), arrayProperties={"size": 3})
    b = submit(batch, q, jd, sh("echo b"), arrayProperties={"size": 3}, dependsOn=[{"jobId": a, "type": "N_TO_N"}])
    for i in range(3):
        wait_status(batch, f"{a}:{i}", "RUNNING", timeout=30)
    for i in (2, 1, 0):
        (gates / f"a-{i}").touch()
        # B:i runs as soon as A:i is done, while the A children still held keep theirs waiting.
        assert wait_status(batch, f"{b}:{i}", timeout=30)["status"] == "SUCCEEDED"
        for j in range(i):
            assert describe(batch, f"{a}:{j}")["status"] == "RUNNING"
            assert describe(batch, f"{b}:{j}")["status"] == "PENDING"
    jb = wait_status(batch, b, timeout=30)
    ja = wait_status(batch, a)
    assert ja["status"] == jb["status"] == "SUCCEEDED"
    a_children = [describe(batch, f"{a}:{i}") for i in range(3)]
    b_children = [describe(batch, f"{b}:{i}") for i in range(3)]
    for i in range(3):
        assert b_children[i]["dependsOn"] == [{"jobId": f"{a}:{i}", "type": "N_TO_N"}]
        assert b_children[i]["startedAt"] >= a_children[i]["stoppedAt"], i
    # N_TO_N, not "after the whole array": B:2 ran before A:0 was done.
    assert b_children[2]["startedAt"] < a_children[0]["stoppedAt"]


# -- 3. Events -------------------------------------------------------------------------------

def test_state_changes_reach_sqs_in_order(srv, batch):
    events, sqs = srv.client("events"), srv.client("sqs")
    qname = unique("batchevents")
    url = sqs.create_queue(QueueName=qname)["QueueUrl"]
    allow_service_to_queue(sqs, url)  # EventBridge may send the state changes to it
    name = unique("evjob")
    rule = unique("rule")
    events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.batch"], "detail-type": ["Batch Job State Change"], "detail": {"jobName": [name]}}))
    out = events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{qname}"}])
    assert out["FailedEntryCount"] == 0, out

    q, _ = make_queue(batch)
    jd = make_definition(batch, sh("echo evented"))
    job_id = batch.submit_job(jobName=name, jobQueue=q, jobDefinition=jd)["jobId"]
    final = wait_status(batch, job_id)
    assert final["status"] == "SUCCEEDED"

    # A second job of the same name, run after the first finished, is the marker: once its last event is here,
    # every event of the first job is too, and nothing more of it can come.
    marker_id = batch.submit_job(jobName=name, jobQueue=q, jobDefinition=jd)["jobId"]
    assert wait_status(batch, marker_id)["status"] == "SUCCEEDED"
    got: list[dict] = []
    deadline = time.monotonic() + 30
    while not any(b["detail"]["jobId"] == marker_id and b["detail"]["status"] in FINISHED for b in got):
        assert time.monotonic() < deadline, f"the marker job's events did not arrive: {got}"
        got += [json.loads(m["Body"]) for m in
                sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])]
    bodies = [b for b in got if b["detail"]["jobId"] == job_id]
    assert [b["detail"]["status"] for b in bodies] == ["RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"]

    job_arn = f"arn:aws:batch:{REGION}:{ACCOUNT}:job/{job_id}"
    for b in bodies:
        assert list(b) == ["version", "id", "detail-type", "source", "account", "time", "region",
                           "resources", "detail"]
        assert b["version"] == "0"
        assert b["detail-type"] == "Batch Job State Change"
        assert b["source"] == "aws.batch"
        assert b["account"] == ACCOUNT and b["region"] == REGION
        assert b["resources"] == [job_arn]
        uuid.UUID(b["id"])
        d = b["detail"]
        assert d["jobArn"] == job_arn and d["jobId"] == job_id and d["jobName"] == name
        assert d["jobQueue"] == f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/{q}"
        assert d["jobDefinition"] == f"arn:aws:batch:{REGION}:{ACCOUNT}:job-definition/{jd}:1"
        assert d["createdAt"] == final["createdAt"]
        assert "_cairn" not in d
    assert len({b["id"] for b in bodies}) == 4
    last = bodies[-1]["detail"]
    assert last["container"]["exitCode"] == 0
    assert last["startedAt"] == final["startedAt"] and last["stoppedAt"] == final["stoppedAt"]
    assert last["attempts"] == final["attempts"]
    assert "startedAt" in bodies[2]["detail"] and "stoppedAt" not in bodies[2]["detail"]


# -- 4. Cancel and terminate -----------------------------------------------------------------

def test_cancel_a_runnable_job(idle):
    batch = idle.client("batch")
    q, _ = make_queue(batch)
    jd = make_definition(batch)
    job_id = submit(batch, q, jd)
    wait_status(batch, job_id, "RUNNABLE", timeout=10)
    batch.cancel_job(jobId=job_id, reason="no longer needed")
    job = wait_status(batch, job_id, timeout=5)
    assert job["status"] == "FAILED"
    assert job["statusReason"] == "no longer needed"
    assert job["isCancelled"] is True
    assert job["attempts"] == []
    # Cancelling a finished job still succeeds and changes nothing.
    batch.cancel_job(jobId=job_id, reason="again")
    assert describe(batch, job_id)["statusReason"] == "no longer needed"
    # An unknown job id is not an error in AWS Batch: 200, nothing changes.
    unknown = batch.cancel_job(jobId=str(uuid.uuid4()), reason="x")
    assert unknown["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_cancel_leaves_a_running_job_and_terminate_stops_it(srv, batch, gates):
    q, _ = make_queue(batch)
    jd = make_definition(batch)
    marker = f"term-{uuid.uuid4().hex}"
    # Held by a gate that is never opened: the job can only end by being stopped.
    job_id = submit(batch, q, jd, sh(f"{held_until(gates / 'never')}; : {marker}"))
    wait_status(batch, job_id, "RUNNING", timeout=30)
    wait_for(lambda: processes_with(marker), 30, what="the job's process")

    batch.cancel_job(jobId=job_id, reason="cancel does not stop running jobs")
    # A job submitted after the cancel runs to the end: the scheduler has been round since, and left this one be.
    assert wait_status(batch, submit(batch, q, jd))["status"] == "SUCCEEDED"
    assert describe(batch, job_id)["status"] == "RUNNING"
    assert processes_with(marker)

    batch.terminate_job(jobId=job_id, reason="stopped by the test")
    job = wait_status(batch, job_id, timeout=30)
    assert job["status"] == "FAILED"
    assert job["statusReason"] == "stopped by the test"
    assert job["isTerminated"] is True
    assert len(job["attempts"]) == 1
    wait_for(lambda: not processes_with(marker), 30, what="the job's process gone")


def test_terminate_a_runnable_job_fails_it(idle):
    batch = idle.client("batch")
    q, _ = make_queue(batch)
    job_id = submit(batch, q, make_definition(batch))
    wait_status(batch, job_id, "RUNNABLE", timeout=10)
    batch.terminate_job(jobId=job_id, reason="terminated early")
    job = wait_status(batch, job_id, timeout=5)
    assert job["status"] == "FAILED" and job["statusReason"] == "terminated early"


# -- 5. Bad input ----------------------------------------------------------------------------

def test_submit_job_bad_references(srv, batch):
    q, _ = make_queue(batch)
    jd = make_definition(batch)
    assert_client_exception(batch.submit_job, jobName="j", jobQueue=unique("noqueue"), jobDefinition=jd)
    assert_client_exception(batch.submit_job, jobName="j", jobQueue=q, jobDefinition=unique("nodef"))
    assert_client_exception(batch.submit_job, jobName="j", jobQueue=q, jobDefinition=f"{jd}:7")
    assert_client_exception(batch.submit_job, jobName="j", jobQueue=q, jobDefinition=jd,
                            dependsOn=[{"jobId": str(uuid.uuid4())}])
    # N_TO_N needs array jobs.
    other = submit(batch, q, jd)
    assert_client_exception(batch.submit_job, jobName="j", jobQueue=q, jobDefinition=jd,
                            dependsOn=[{"jobId": other, "type": "N_TO_N"}])
    for size in (1, 10001):
        assert_client_exception(batch.submit_job, jobName="j", jobQueue=q, jobDefinition=jd,
                                arrayProperties={"size": size})
    # Nothing was created by the refused calls.
    listed = batch.list_jobs(jobQueue=q, filters=[{"name": "JOB_NAME", "values": ["j"]}])["jobSummaryList"]
    assert listed == []


def test_invalid_resource_requirements_retry_and_timeout(srv, batch):
    q, _ = make_queue(batch)
    jd = make_definition(batch)
    for rr in ([{"type": "VCPU", "value": "0"}], [{"type": "MEMORY", "value": "2"}],
               [{"type": "VCPU", "value": "-1"}]):
        assert_client_exception(batch.register_job_definition, jobDefinitionName=unique("bad"), type="container",
                                containerProperties={"image": "busybox", "command": ["true"], "resourceRequirements": rr})
        assert_client_exception(batch.submit_job, jobName="j", jobQueue=q, jobDefinition=jd,
                                containerOverrides={"resourceRequirements": rr})
    for retry in ({"attempts": 0}, {"attempts": 11}):
        assert_client_exception(batch.submit_job, jobName="j", jobQueue=q, jobDefinition=jd, retryStrategy=retry)
    assert_client_exception(batch.submit_job, jobName="j", jobQueue=q, jobDefinition=jd,
                            timeout={"attemptDurationSeconds": 59})
    assert_client_exception(batch.register_job_definition, jobDefinitionName=unique("multi"), type="multinode",
                            nodeProperties={"numNodes": 1, "mainNode": 0, "nodeRangeProperties": []})


def test_invalid_compute_environments_and_queues(srv, batch):
    def ce(**resources):
        base = {"type": "EC2", "maxvCpus": 4, "subnets": ["subnet-1"]}
        base.update(resources)
        return dict(computeEnvironmentName=unique("badce"), type="MANAGED", computeResources=base)
    assert_client_exception(batch.create_compute_environment, **ce(minvCpus=8))            # max < min
    assert_client_exception(batch.create_compute_environment, **ce(desiredvCpus=8))        # desired > max
    assert_client_exception(batch.create_compute_environment, **ce(type="LAMBDA"))
    assert_client_exception(batch.create_compute_environment, **ce(subnets=[]))
    assert_client_exception(batch.create_compute_environment, computeEnvironmentName=unique("m"), type="MANAGED")
    assert_client_exception(batch.create_compute_environment, computeEnvironmentName=unique("t"), type="OTHER")

    good = make_ce(batch)
    for bad in ({"priority": 1001}, {"priority": -1}):
        assert_client_exception(batch.create_job_queue, jobQueueName=unique("q"), computeEnvironmentOrder=[
            {"order": 1, "computeEnvironment": good}], **bad)
    assert_client_exception(batch.create_job_queue, jobQueueName=unique("q"), priority=1, computeEnvironmentOrder=[
        {"order": 1, "computeEnvironment": unique("nosuchce")}])
    assert_client_exception(batch.create_job_queue, jobQueueName=unique("q"), priority=1, computeEnvironmentOrder=[
        {"order": i, "computeEnvironment": make_ce(batch)} for i in range(1, 5)])


def test_disabled_queue_refuses_jobs(srv, batch):
    q, _ = make_queue(batch)
    jd = make_definition(batch)
    batch.update_job_queue(jobQueue=q, state="DISABLED")
    [queue] = batch.describe_job_queues(jobQueues=[q])["jobQueues"]
    assert queue["state"] == "DISABLED"
    assert_client_exception(batch.submit_job, jobName="j", jobQueue=q, jobDefinition=jd)
    batch.update_job_queue(jobQueue=q, state="ENABLED")
    assert wait_status(batch, submit(batch, q, jd))["status"] == "SUCCEEDED"


def test_over_capacity_job_stays_runnable_with_misconfiguration(srv, batch):
    q, _ = make_queue(batch, max_vcpus=4)
    jd = make_definition(batch)
    big = submit(batch, q, jd, containerOverrides={"resourceRequirements": [{"type": "VCPU", "value": "512"}]})
    small = submit(batch, q, jd)
    assert wait_status(batch, small)["status"] == "SUCCEEDED"  # the big job blocks nobody
    job = wait_for(lambda: (j := describe(batch, big))["status"] == "RUNNABLE"
                   and (j.get("statusReason") or "").startswith(TOO_LARGE) and j, 30, what="misconfiguration reason")
    # Another job submitted after that runs to the end: the scheduler has been round since, and the big one waits.
    assert wait_status(batch, submit(batch, q, jd))["status"] == "SUCCEEDED"
    job = describe(batch, big)
    assert job["status"] == "RUNNABLE" and job["statusReason"].startswith(TOO_LARGE)
    batch.terminate_job(jobId=big, reason="cleanup")


def test_compute_environment_and_queue_deletion_rules(srv, batch):
    q, ce = make_queue(batch)
    assert_client_exception(batch.delete_compute_environment, computeEnvironment=ce)   # ENABLED
    batch.update_compute_environment(computeEnvironment=ce, state="DISABLED")
    assert_client_exception(batch.delete_compute_environment, computeEnvironment=ce)   # still used by q
    assert_client_exception(batch.delete_job_queue, jobQueue=q)                        # queue ENABLED
    batch.update_job_queue(jobQueue=q, state="DISABLED")
    batch.delete_job_queue(jobQueue=q)
    wait_for(lambda: not batch.describe_job_queues(jobQueues=[q])["jobQueues"], 10, what="queue deleted")
    batch.delete_compute_environment(computeEnvironment=ce)
    wait_for(lambda: not batch.describe_compute_environments(computeEnvironments=[ce])["computeEnvironments"],
             10, what="CE deleted")


def test_list_jobs_rules_filters_and_paging(srv, batch, gates):
    q, _ = make_queue(batch)
    jd = make_definition(batch)
    assert_client_exception(batch.list_jobs)
    assert_client_exception(batch.list_jobs, jobQueue=q, arrayJobId=str(uuid.uuid4()))
    assert_client_exception(batch.list_jobs, jobQueue=unique("noqueue"))

    prefix = unique("lj")
    done = [batch.submit_job(jobName=f"{prefix}-{i}", jobQueue=q, jobDefinition=jd)["jobId"] for i in range(3)]
    for j in done:
        wait_status(batch, j)
    running = batch.submit_job(jobName=f"{prefix}-run", jobQueue=q, jobDefinition=jd,
                               containerOverrides={"command": sh(held_until(gates / "never"))})["jobId"]
    wait_status(batch, running, "RUNNING", timeout=30)
    # Default: RUNNING only.
    assert [s["jobId"] for s in batch.list_jobs(jobQueue=q)["jobSummaryList"]] == [running]
    assert sorted(s["jobId"] for s in batch.list_jobs(jobQueue=q, jobStatus="SUCCEEDED")["jobSummaryList"]) == sorted(done)
    # A JOB_NAME filter with a trailing * sees every status; jobStatus is ignored.
    named = batch.list_jobs(jobQueue=q, jobStatus="FAILED",
                            filters=[{"name": "JOB_NAME", "values": [f"{prefix}-*"]}])["jobSummaryList"]
    assert sorted(s["jobId"] for s in named) == sorted(done + [running])
    exact = batch.list_jobs(jobQueue=q, filters=[{"name": "JOB_NAME", "values": [f"{prefix}-1"]}])["jobSummaryList"]
    assert [s["jobId"] for s in exact] == [done[1]]
    by_def = batch.list_jobs(jobQueue=q, filters=[{"name": "JOB_DEFINITION", "values": [jd]}])["jobSummaryList"]
    assert len(by_def) == 4
    # Paging: maxResults 2 walks all four without repeats.
    seen, token = [], None
    for _ in range(10):
        kw = {"nextToken": token} if token else {}
        page = batch.list_jobs(jobQueue=q, maxResults=2, filters=[{"name": "JOB_NAME", "values": [f"{prefix}*"]}], **kw)
        assert len(page["jobSummaryList"]) <= 2
        seen += [s["jobId"] for s in page["jobSummaryList"]]
        token = page.get("nextToken")
        if not token:
            break
    assert sorted(seen) == sorted(done + [running])
    batch.terminate_job(jobId=running, reason="cleanup")
    wait_status(batch, running, timeout=30)


def test_job_definition_revisions_and_tags(srv, batch):
    name = unique("rev")
    props = {"image": "busybox", "command": ["true"], "resourceRequirements": [
        {"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "64"}]}
    r1 = batch.register_job_definition(jobDefinitionName=name, type="container", containerProperties=props)
    r2 = batch.register_job_definition(jobDefinitionName=name, type="container", containerProperties=props)
    assert (r1["revision"], r2["revision"]) == (1, 2)
    assert r2["jobDefinitionArn"] == f"arn:aws:batch:{REGION}:{ACCOUNT}:job-definition/{name}:2"
    defs = batch.describe_job_definitions(jobDefinitionName=name)["jobDefinitions"]
    assert sorted(d["revision"] for d in defs) == [1, 2]
    batch.deregister_job_definition(jobDefinition=f"{name}:2")
    active = batch.describe_job_definitions(jobDefinitionName=name, status="ACTIVE")["jobDefinitions"]
    assert [d["revision"] for d in active] == [1]

    q, _ = make_queue(batch)
    job_id = batch.submit_job(jobName="tagged", jobQueue=q, jobDefinition=name, tags={"a": "1"})["jobId"]
    assert wait_status(batch, job_id)["jobDefinition"].endswith(f"{name}:1")
    arn = f"arn:aws:batch:{REGION}:{ACCOUNT}:job/{job_id}"
    batch.tag_resource(resourceArn=arn, tags={"b": "2"})
    assert batch.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1", "b": "2"}
    batch.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert batch.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    assert describe(batch, job_id)["tags"] == {"b": "2"}
    # Queues and compute environments take tags too.
    qarn = f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/{q}"
    batch.tag_resource(resourceArn=qarn, tags={"owner": "me"})
    assert batch.list_tags_for_resource(resourceArn=qarn)["tags"] == {"owner": "me"}
    assert_client_exception(batch.tag_resource, resourceArn=f"arn:aws:batch:{REGION}:{ACCOUNT}:job/{uuid.uuid4()}",
                            tags={"x": "y"})


# -- 6. Without the local runner -------------------------------------------------------------

def test_without_the_runner_jobs_stay_runnable_with_a_clear_reason(idle):
    batch = idle.client("batch")
    q, _ = make_queue(batch)
    jd = make_definition(batch)
    job_id = submit(batch, q, jd)
    job = wait_for(lambda: (j := describe(batch, job_id)).get("statusReason") and j, 30, what="a statusReason")
    assert job["status"] == "RUNNABLE"
    assert NOT_RUNNING_HINT in job["statusReason"], job["statusReason"]
    # A job submitted after that gets its reason too: the scheduler has been round since, and ran nothing.
    later = submit(batch, q, jd)
    wait_for(lambda: describe(batch, later).get("statusReason"), 30, what="the later job's statusReason")
    job = describe(batch, job_id)
    assert job["status"] == "RUNNABLE" and job["attempts"] == []
    assert "startedAt" not in job
    for j in (job_id, later):
        batch.cancel_job(jobId=j, reason="cleanup")


# -- 7. The aws CLI --------------------------------------------------------------------------

@cli_on_sqlite_only
def test_aws_cli_end_to_end(srv, aws_cli):
    ce = unique("clice")
    out = srv.aws("batch", "create-compute-environment", "--compute-environment-name", ce, "--type", "MANAGED",
                  "--state", "ENABLED", "--compute-resources",
                  json.dumps({"type": "FARGATE", "maxvCpus": 4, "subnets": ["subnet-cli"]}))
    assert out == {"computeEnvironmentName": ce,
                   "computeEnvironmentArn": f"arn:aws:batch:{REGION}:{ACCOUNT}:compute-environment/{ce}"}
    q = unique("cliq")
    out = srv.aws("batch", "create-job-queue", "--job-queue-name", q, "--priority", "5",
                  "--compute-environment-order", f"order=1,computeEnvironment={ce}")
    assert out["jobQueueName"] == q
    jd = unique("clijd")
    out = srv.aws("batch", "register-job-definition", "--job-definition-name", jd, "--type", "container",
                  "--container-properties", json.dumps({"image": "busybox", "command": ["sh", "-c", "echo from-cli"],
                                                         "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                                                                  {"type": "MEMORY", "value": "128"}]}))
    assert out["revision"] == 1
    out = srv.aws("batch", "submit-job", "--job-name", "cli-job", "--job-queue", q, "--job-definition", jd)
    job_id = out["jobId"]
    assert out["jobName"] == "cli-job"

    def finished():
        jobs = srv.aws("batch", "describe-jobs", "--jobs", job_id)["jobs"]
        return jobs[0] if jobs and jobs[0]["status"] in FINISHED else None
    job = wait_for(finished, 30, interval=0.5, what="CLI job finished")
    assert job["status"] == "SUCCEEDED"
    assert "from-cli" in logs(srv, job_id)
    listed = srv.aws("batch", "list-jobs", "--job-queue", q, "--job-status", "SUCCEEDED")
    assert [j["jobId"] for j in listed["jobSummaryList"]] == [job_id]
    bad = srv.aws("batch", "submit-job", "--job-name", "x", "--job-queue", unique("nope"), "--job-definition", jd,
                  check=False)
    assert bad.returncode != 0 and "ClientException" in bad.stderr


# -- 8. Restart ------------------------------------------------------------------------------

def test_restart_fails_or_retries_jobs_that_were_running(cairn_factory, gates):
    srv = cairn_factory.new("--batch-runner", "local")
    batch = srv.client("batch")
    q, _ = make_queue(batch)
    jd = make_definition(batch)
    m1, m2 = f"once-{uuid.uuid4().hex}", f"twice-{uuid.uuid4().hex}"
    never = gates / "never"  # held until the restart stops them
    once = submit(batch, q, jd, sh(f"{held_until(never)}; : {m1}"))
    twice = submit(batch, q, jd, sh(f'[ "$AWS_BATCH_JOB_ATTEMPT" -ge 2 ] || {{ {held_until(never)}; }}; : {m2}'),
                   retryStrategy={"attempts": 2})
    wait_status(batch, once, "RUNNING", timeout=30)
    wait_status(batch, twice, "RUNNING", timeout=30)
    wait_for(lambda: processes_with(m1) and processes_with(m2), 30, what="both processes")

    srv.kill9()
    srv.start()
    batch = srv.client("batch")
    job = wait_status(batch, once, timeout=30)
    assert job["status"] == "FAILED"
    assert RESTARTED_HINT in job["statusReason"], job["statusReason"]
    assert len(job["attempts"]) == 1 and RESTARTED_HINT in job["attempts"][0]["statusReason"]
    job = wait_status(batch, twice, timeout=30)
    assert job["status"] == "SUCCEEDED", job
    assert len(job["attempts"]) == 2
    assert RESTARTED_HINT in job["attempts"][0]["statusReason"]
    assert job["attempts"][1]["container"]["exitCode"] == 0
    assert batch.list_jobs(jobQueue=q)["jobSummaryList"] == []  # nothing RUNNING
    # The orphaned processes were stopped, not left to run on.
    wait_for(lambda: not processes_with(m1), 30, what="orphaned process stopped")


# -- 9. Capacity -----------------------------------------------------------------------------

def test_capacity_limits_concurrent_jobs(srv, batch, gates):
    q, _ = make_queue(batch, max_vcpus=2)
    jd = make_definition(batch, sh(held_until(gates / "go")), vcpus="1")
    ids = [submit(batch, q, jd) for _ in range(3)]

    def statuses():
        return [j["status"] for j in batch.describe_jobs(jobs=ids)["jobs"]]
    # Two run, held by the gate, and fill the two vCPUs...
    wait_for(lambda: statuses().count("RUNNING") == 2, 30, what="two jobs running")
    # ...and after a job on another queue has run to the end (the scheduler has been round since), the third
    # still waits for capacity.
    other, _ = make_queue(batch)
    assert wait_status(batch, submit(batch, other, make_definition(batch)))["status"] == "SUCCEEDED"
    assert sorted(statuses()) == ["RUNNABLE", "RUNNING", "RUNNING"]
    (gates / "go").touch()
    for i in ids:
        wait_status(batch, i)
    jobs = batch.describe_jobs(jobs=ids)["jobs"]
    assert [j["status"] for j in jobs] == ["SUCCEEDED"] * 3
    # From the recorded times: never three at once, and the last started after the first stopped.
    spans = sorted((j["startedAt"], j["stoppedAt"]) for j in jobs)
    for t in {s for s, _ in spans}:
        assert sum(s <= t < e for s, e in spans) <= 2
    assert spans[2][0] >= min(e for _, e in spans[:2])


# -- More scheduling and API behaviour -------------------------------------------------------

def test_sequential_array_runs_children_one_after_another(srv, batch):
    """AWS: a SEQUENTIAL dependency without a jobId makes an array's children run in index order."""
    q, _ = make_queue(batch, max_vcpus=8)
    jd = make_definition(batch, sh("sleep 1"))
    parent = submit(batch, q, jd, arrayProperties={"size": 3}, dependsOn=[{"type": "SEQUENTIAL"}])
    assert wait_status(batch, parent, timeout=30)["status"] == "SUCCEEDED"
    children = [describe(batch, f"{parent}:{i}") for i in range(3)]
    for prev, nxt in zip(children, children[1:]):
        assert nxt["startedAt"] >= prev["stoppedAt"]


def test_queue_priority_decides_who_runs_first(srv, batch, gates):
    ce = make_ce(batch, max_vcpus=1)
    low, high = unique("low"), unique("high")
    for name, priority in ((low, 1), (high, 100)):
        batch.create_job_queue(jobQueueName=name, priority=priority,
                               computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}])
    jd = make_definition(batch)
    blocker = submit(batch, low, jd, sh(held_until(gates / "go")))
    wait_status(batch, blocker, "RUNNING", timeout=30)
    first_in = submit(batch, low, jd, sh("echo low"))
    second_in = submit(batch, high, jd, sh("echo high"))
    # Both wait for the one vCPU the blocker holds; then it is freed.
    wait_status(batch, first_in, "RUNNABLE", timeout=30)
    wait_status(batch, second_in, "RUNNABLE", timeout=30)
    (gates / "go").touch()
    a, b = wait_status(batch, first_in), wait_status(batch, second_in)
    assert a["status"] == b["status"] == "SUCCEEDED"
    assert b["startedAt"] <= a["startedAt"], "the high-priority queue's job starts first"
    assert a["startedAt"] >= b["stoppedAt"], "one vCPU: the low-priority job runs after the other"


def test_compute_environment_order_spills_over(srv, batch, gates):
    ce1, ce2 = make_ce(batch, max_vcpus=1), make_ce(batch, max_vcpus=1)
    q = unique("spill")
    batch.create_job_queue(jobQueueName=q, priority=1, computeEnvironmentOrder=[
        {"order": 1, "computeEnvironment": ce1}, {"order": 2, "computeEnvironment": ce2}])
    jd = make_definition(batch, sh(f'echo "ce=$AWS_BATCH_CE_NAME"; {held_until(gates / "go")}'))
    ids = [submit(batch, q, jd) for _ in range(2)]
    # Side by side, not one after the other: both run at once, with one vCPU in each environment.
    wait_for(lambda: all(describe(batch, i)["status"] == "RUNNING" for i in ids), 30, what="both jobs running")
    (gates / "go").touch()
    jobs = [wait_status(batch, i) for i in ids]
    assert all(j["status"] == "SUCCEEDED" for j in jobs)
    ces = sorted(logs(srv, i).strip() for i in ids)
    assert ces == sorted([f"ce={ce1}", f"ce={ce2}"])


def test_unmanaged_environment_capacity(srv, batch):
    ce = unique("unmanaged")
    batch.create_compute_environment(computeEnvironmentName=ce, type="UNMANAGED", unmanagedvCpus=1)
    q = unique("uq")
    batch.create_job_queue(jobQueueName=q, priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}])
    jd = make_definition(batch, sh("sleep 1"))
    ids = [submit(batch, q, jd) for _ in range(2)]
    a, b = sorted((wait_status(batch, i) for i in ids), key=lambda j: j["startedAt"])
    assert a["status"] == b["status"] == "SUCCEEDED"
    assert b["startedAt"] >= a["stoppedAt"]


def test_timeout_and_terminate_kill_the_whole_process_group(srv, batch):
    q, _ = make_queue(batch)
    jd = make_definition(batch)
    nap = f"sleep 60.{uuid.uuid4().int % 10**6:06d}"
    job_id = submit(batch, q, jd, sh(f"{nap} & wait"))
    wait_status(batch, job_id, "RUNNING", timeout=10)
    wait_for(lambda: processes_with(nap), 5, what="the grandchild")
    batch.terminate_job(jobId=job_id, reason="group")
    assert wait_status(batch, job_id, timeout=10)["status"] == "FAILED"
    wait_for(lambda: not processes_with(nap), 5, what="the grandchild killed")


def test_events_for_dependencies_retries_and_cancel(srv, batch):
    events, sqs = srv.client("events"), srv.client("sqs")
    qname = unique("evdeps")
    url = sqs.create_queue(QueueName=qname)["QueueUrl"]
    allow_service_to_queue(sqs, url)  # EventBridge may send the state changes to it
    prefix = unique("evd")
    rule = unique("rule")
    events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.batch"], "detail-type": ["Batch Job State Change"],
        "detail": {"jobName": [{"prefix": prefix}]}}))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{qname}"}])
    q, _ = make_queue(batch)
    jd = make_definition(batch)
    a = batch.submit_job(jobName=f"{prefix}-a", jobQueue=q, jobDefinition=jd, retryStrategy={"attempts": 2},
                         containerOverrides={"command": sh('sleep 1; [ "$AWS_BATCH_JOB_ATTEMPT" -ge 2 ]')})["jobId"]
    b = batch.submit_job(jobName=f"{prefix}-b", jobQueue=q, jobDefinition=jd, dependsOn=[{"jobId": a}])["jobId"]
    assert wait_status(batch, b)["status"] == "SUCCEEDED"
    got: list[dict] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(got) < 12:
        got += [json.loads(m["Body"]) for m in
                sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])]
    by_job = {a: [], b: []}
    for e in got:
        by_job[e["detail"]["jobId"]].append(e["detail"]["status"])
    assert by_job[a] == ["RUNNABLE", "STARTING", "RUNNING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"]
    assert by_job[b] == ["PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"]


def test_delete_queue_with_unfinished_jobs_is_refused(idle):
    batch = idle.client("batch")
    q, ce = make_queue(batch)
    job_id = submit(batch, q, make_definition(batch))
    wait_status(batch, job_id, "RUNNABLE", timeout=10)
    batch.update_job_queue(jobQueue=q, state="DISABLED")
    assert_client_exception(batch.delete_job_queue, jobQueue=q)
    batch.cancel_job(jobId=job_id, reason="done")
    wait_status(batch, job_id, timeout=5)
    batch.delete_job_queue(jobQueue=q)


def test_cancel_an_array_job_cancels_its_children(idle):
    batch = idle.client("batch")
    q, _ = make_queue(batch)
    parent = submit(batch, q, make_definition(batch), arrayProperties={"size": 3})
    wait_status(batch, f"{parent}:2", "RUNNABLE", timeout=10)
    batch.cancel_job(jobId=parent, reason="whole array")
    job = wait_status(batch, parent, timeout=10)
    assert job["status"] == "FAILED"
    for i in range(3):
        child = describe(batch, f"{parent}:{i}")
        assert child["status"] == "FAILED" and child["statusReason"] == "whole array"
    assert job["arrayProperties"]["statusSummary"]["FAILED"] == 3


def test_describe_jobs_by_arn_and_unknown_ids(srv, batch):
    q, _ = make_queue(batch)
    job_id = submit(batch, q, make_definition(batch))
    arn = f"arn:aws:batch:{REGION}:{ACCOUNT}:job/{job_id}"
    jobs = batch.describe_jobs(jobs=[arn, str(uuid.uuid4())])["jobs"]
    assert [j["jobId"] for j in jobs] == [job_id]
    wait_status(batch, job_id)


def test_environment_overrides_merge_with_the_definition(srv, batch):
    q, _ = make_queue(batch)
    name = unique("envdef")
    batch.register_job_definition(jobDefinitionName=name, type="container", containerProperties={
        "image": "busybox", "command": sh('echo "A=$A B=$B"'),
        "environment": [{"name": "A", "value": "def"}, {"name": "B", "value": "def"}],
        "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "64"}]})
    job_id = batch.submit_job(jobName="env", jobQueue=q, jobDefinition=name,
                              containerOverrides={"environment": [{"name": "B", "value": "over"}]})["jobId"]
    assert wait_status(batch, job_id)["status"] == "SUCCEEDED"
    assert "A=def B=over" in logs(srv, job_id)


def test_list_jobs_created_at_filters(srv, batch):
    q, _ = make_queue(batch)
    jd = make_definition(batch)
    first = submit(batch, q, jd)
    t_first = describe(batch, first)["createdAt"]
    time.sleep(0.05)
    second = submit(batch, q, jd)
    after = batch.list_jobs(jobQueue=q, filters=[{"name": "AFTER_CREATED_AT", "values": [str(t_first)]}])
    assert [s["jobId"] for s in after["jobSummaryList"]] == [second]
    before = batch.list_jobs(jobQueue=q, filters=[{"name": "BEFORE_CREATED_AT", "values": [str(t_first + 1)]}])
    assert [s["jobId"] for s in before["jobSummaryList"]] == [first]
    wait_status(batch, first), wait_status(batch, second)


def test_tagging_a_job_while_it_changes_state(srv, batch, gates):
    q, _ = make_queue(batch)
    # Attempt k fails once the test creates attempt-k: the test tags the job all through each retry.
    jd = make_definition(batch, sh(f'{held_until(gates / "attempt-$AWS_BATCH_JOB_ATTEMPT")}; exit 1'))
    job_id = submit(batch, q, jd, retryStrategy={"attempts": 10})
    arn = f"arn:aws:batch:{REGION}:{ACCOUNT}:job/{job_id}"
    errors = []
    n = 0

    def tag_until(done) -> dict:
        """Tags the job (at least once) until `done(job)`; returns the job."""
        nonlocal n
        deadline = time.monotonic() + 60
        while True:
            n += 1
            try:
                batch.tag_resource(resourceArn=arn, tags={f"k{n % 40}": str(n)})
            except ClientError as e:
                errors.append(e.response["Error"]["Message"])
            job = describe(batch, job_id)
            if done(job):
                return job
            assert time.monotonic() < deadline, f"job stuck: {job}"

    for attempt in range(1, 11):
        # Tagged while it goes RUNNABLE, STARTING and RUNNING for this attempt, where the gate holds it.
        tag_until(lambda j: j["status"] == "RUNNING" and len(j["attempts"]) == attempt - 1)
        (gates / f"attempt-{attempt}").touch()
    tag_until(lambda j: j["status"] in FINISHED)
    assert not errors, f"{len(errors)} of {n} TagResource calls refused: {errors[:2]}"
    job = wait_status(batch, job_id)
    assert job["status"] == "FAILED" and len(job["attempts"]) == 10
    assert job["tags"] == {f"k{i % 40}": str(i) for i in range(1, n + 1)}, "no tag lost to a state change"


def test_graceful_stop_is_prompt(cairn_factory):
    srv = cairn_factory.new("--batch-runner", "local")
    batch = srv.client("batch")
    q, _ = make_queue(batch)
    job_id = submit(batch, q, make_definition(batch))
    wait_status(batch, job_id)
    # SIGTERM; the harness sends SIGKILL if the process has not exited within the bound (exit code -9).
    code = srv.stop(timeout=30)
    assert code == 0, f"not a clean exit on SIGTERM: {code}"


def test_raising_max_vcpus_lets_an_over_capacity_job_run(srv, batch):
    q, ce = make_queue(batch, max_vcpus=2)
    jd = make_definition(batch)
    big = submit(batch, q, jd, containerOverrides={"resourceRequirements": [{"type": "VCPU", "value": "8"}]})
    wait_for(lambda: (describe(batch, big).get("statusReason") or "").startswith(TOO_LARGE), 10,
             what="misconfiguration reason")
    batch.update_compute_environment(computeEnvironment=ce, computeResources={"maxvCpus": 8})
    [env] = batch.describe_compute_environments(computeEnvironments=[ce])["computeEnvironments"]
    assert env["computeResources"]["maxvCpus"] == 8
    job = wait_status(batch, big, timeout=15)
    assert job["status"] == "SUCCEEDED"
    assert not (job.get("statusReason") or "").startswith(TOO_LARGE)


def test_runner_enabled_by_environment_variable(cairn_factory):
    srv = cairn_factory.new(env={"CAIRN_BATCH_RUNNER": "local"})
    batch = srv.client("batch")
    q, _ = make_queue(batch)
    job = wait_status(batch, submit(batch, q, make_definition(batch, sh("echo via-env"))))
    assert job["status"] == "SUCCEEDED"
    assert "via-env" in logs(srv, job["jobId"])


def test_batch_logs_for_a_job_that_never_ran(idle):
    batch = idle.client("batch")
    q, _ = make_queue(batch)
    job_id = submit(batch, q, make_definition(batch))
    cp = idle.cairn("batch", "logs", job_id, "--data-dir", str(idle.data_dir))
    assert cp.returncode == 64, cp  # a usage error (EX_USAGE)
    assert job_id in cp.stderr and "has not started" in cp.stderr
    # Not a job id: refused before any path is built from it.
    cp = idle.cairn("batch", "logs", "../etc", "--data-dir", str(idle.data_dir))
    assert cp.returncode == 64, cp
    assert "'../etc' is not a job id" in cp.stderr, cp.stderr
    batch.cancel_job(jobId=job_id, reason="cleanup")


# Last in the module: its job was submitted when the module started (timed_out_job).
def test_job_times_out(srv, batch, timed_out_job):
    job_id, nap = timed_out_job
    job = wait_status(batch, job_id, timeout=180)
    assert job["status"] == "FAILED", job
    assert job["statusReason"] == "Job attempt duration exceeded timeout"
    assert job["timeout"] == {"attemptDurationSeconds": 60}
    [attempt] = job["attempts"]
    assert attempt["statusReason"] == "Job attempt duration exceeded timeout"
    # By the server's own clock: stopped no sooner than the 60 s timeout, and before the 120 s sleep could end.
    assert 60_000 <= attempt["stoppedAt"] - attempt["startedAt"] < 120_000, attempt
    assert (job["startedAt"], job["stoppedAt"]) == (attempt["startedAt"], attempt["stoppedAt"])
    assert "unreachable" not in logs(srv, job_id)
    wait_for(lambda: not processes_with(nap), 30, what="the timed-out process group killed")
