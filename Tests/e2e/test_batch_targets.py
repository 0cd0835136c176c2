"""EventBridge → AWS Batch: a rule whose target is a job queue submits a job per matched event."""

import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import unique, wait_for


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    from conftest import ServerFactory
    factory = ServerFactory(tmp_path_factory.mktemp("batch-targets"))
    yield factory.new("--batch-runner", "local")
    factory.close()


def test_a_rule_targeting_a_job_queue_submits_a_job_with_the_event_as_parameters(runner):
    batch, events = runner.client("batch"), runner.client("events")
    ce = unique("ce")
    batch.create_compute_environment(computeEnvironmentName=ce, type="UNMANAGED", unmanagedvCpus=2)
    queue = batch.create_job_queue(jobQueueName=unique("q"), priority=1,
                                   computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}])["jobQueueArn"]
    definition = unique("greet")
    batch.register_job_definition(jobDefinitionName=definition, type="container",
                                  containerProperties={"image": "busybox", "command": ["echo", "hello", "Ref::who"]})
    rule = unique("to-batch")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["my.orders"]}))
    job_name = unique("from-event")
    resp = events.put_targets(Rule=rule, Targets=[{
        "Id": "batch", "Arn": queue,
        "BatchParameters": {"JobDefinition": definition, "JobName": job_name, "RetryStrategy": {"Attempts": 2}},
        "InputTransformer": {"InputPathsMap": {"who": "$.detail.customer"},
                             "InputTemplate": '{"Parameters": {"who": <who>}}'}}])
    assert resp["FailedEntryCount"] == 0

    events.put_events(Entries=[{"Source": "my.orders", "DetailType": "OrderPlaced",
                                "Detail": json.dumps({"customer": "alice"})}])
    jobs = wait_for(lambda: [j for j in batch.list_jobs(jobQueue=queue, jobStatus="SUCCEEDED")["jobSummaryList"]
                             if j["jobName"] == job_name])
    detail = batch.describe_jobs(jobs=[jobs[0]["jobId"]])["jobs"][0]
    assert detail["parameters"] == {"who": "alice"}
    assert detail["container"]["command"] == ["echo", "hello", "alice"]
    assert detail["retryStrategy"]["attempts"] == 2
    logs = runner.cairn("batch", "logs", detail["jobId"], "--data-dir", str(runner.data_dir))
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout.strip() == "hello alice"

    # The submission is a CloudTrail record made by EventBridge.
    submits = [e for e in runner.lookup("EventName", "SubmitJob")
               if e["Record"]["requestParameters"].get("jobName") == job_name]
    assert len(submits) == 1
    assert submits[0]["Record"]["userIdentity"]["type"] == "AWSService"
    assert submits[0]["Record"]["userIdentity"]["invokedBy"] == "events.amazonaws.com"


def test_a_job_queue_target_needs_batch_parameters(runner):
    batch, events = runner.client("batch"), runner.client("events")
    ce = unique("ce")
    batch.create_compute_environment(computeEnvironmentName=ce, type="UNMANAGED", unmanagedvCpus=1)
    queue = batch.create_job_queue(jobQueueName=unique("q"), priority=1,
                                   computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}])["jobQueueArn"]
    rule = unique("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["x"]}))
    resp = events.put_targets(Rule=rule, Targets=[{"Id": "b", "Arn": queue}])
    assert resp["FailedEntryCount"] == 1
    assert "BatchParameters" in resp["FailedEntries"][0]["ErrorMessage"]
