"""EventBridge Scheduler (`scheduler`, rest-json) with boto3 and the aws CLI: schedule groups (the account's `default`
group, tags, deleting a group deletes its schedules), schedules (every member GetSchedule returns, AWS's defaults,
UpdateSchedule replacing the whole definition, listing and paging), AWS's validation errors; and firing: `at()` once
within a second of its time (in a time zone too), `rate()` counted from StartDate or creation, templated targets (SQS,
FIFO SQS, SNS, an event bus) and universal targets (`aws-sdk:sqs:sendMessage`, `aws-sdk:batch:submitJob`), context
attributes in Input, the target call made as the schedule's role (AssumedRole, invokedBy scheduler.amazonaws.com, in
LookupEvents with the service's AssumeRole), a role the service may not assume (nothing called), CreateSchedule
needing iam:PassRole, client errors dead-lettered (as the execution role, as in AWS) without retries, disabled
schedules, a firing due while the server was down made once after kill -9, one missed by more than
MaximumEventAgeInSeconds skipped; and bad input answered with ValidationException, never a crash.

Timing: the firing tests use `at()` a few seconds ahead (due times are whole seconds, from `utcnow()` rounded up). The
one timing assertion is the issue's "within 1 s": the SQS message's own SentTimestamp (the server's clock) is at or
after the due time and less than a second after it. "Nothing else arrived" is shown with a marker schedule due after
the unwanted firing would have been made, never by sleeping. One test reads two `rate(1 minute)` firings a minute
apart: its schedule is made when the module starts and read by the module's last test, so the other tests pass the
time.

SQS SendMessage, SNS Publish and PutEvents are data events (never in event history), so the target call's identity is
checked on the universal Batch target: SubmitJob is a management event.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from botocore.exceptions import ClientError

from conftest import (EVENTS_PRINCIPAL, SNS_PRINCIPAL, Creds, ServerFactory, ShiftedClock, cli_on_sqlite_only, grant,
                      new_queue, pages_of, trust_policy, unique, utcnow, wait_for)
from test_authorization import implicit
from test_batch import make_definition, make_queue
from test_delivery import dlq_attributes, nothing_queued, rule_to, wait_messages
from test_no_crash import assert_client_error, assert_survived, outcome, raw, unvalidated

ACCOUNT = "000000000000"
REGION = "us-east-1"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"
OFF = {"Mode": "OFF"}
# What GetSchedule fills in for a target without a RetryPolicy (and for the members one leaves out).
DEFAULT_RETRY = {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}


# -- fixtures and helpers ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """One server for the module; retries back off from 50 ms, so a failure wrongly retried shows up as retries in
    the dead letter at once rather than as a timeout."""
    factory = ServerFactory(tmp_path_factory.mktemp("scheduler"))
    yield factory.new("--delivery-retry-base-ms", "50")
    factory.close()


@pytest.fixture(scope="module")
def scheduler(srv):
    return srv.client("scheduler")


@pytest.fixture(scope="module")
def sqs(srv):
    return srv.client("sqs")


@pytest.fixture(scope="module")
def iam(srv):
    return srv.client("iam")


@pytest.fixture(scope="module")
def role(iam):
    """A role the scheduler may assume, allowed sqs:SendMessage anywhere: for the tests that never fire."""
    return scheduler_role(iam, "sqs:SendMessage")


@pytest.fixture(scope="module", autouse=True)
def minute_rate(scheduler, sqs, iam):
    """rate(1 minute) with a StartDate 57 s before the module starts: due 3 s after it starts, then a minute later.
    Made first so that the module's other tests pass the minute; its last test reads both firings. Yields (queue URL,
    first due time); the schedule is deleted after the module."""
    url, q, role = queue_and_role(sqs, iam, "minute")
    first = due_in(3)
    start = (first - dt.timedelta(minutes=1)).replace(tzinfo=dt.timezone.utc)
    name = unique("minute")
    scheduler.create_schedule(Name=name, ScheduleExpression="rate(1 minute)", StartDate=start, FlexibleTimeWindow=OFF,
                              Target={"Arn": q, "RoleArn": role, "Input": "<aws.scheduler.scheduled-time>"})
    yield url, first
    scheduler.delete_schedule(Name=name)


def scheduler_trust_policy(service: str = SCHEDULER_PRINCIPAL) -> str:
    """A trust policy letting the AWS service `service` assume the role (conftest's trust_policy names AWS
    principals only)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def scheduler_role(iam, actions=None, resource="*", trust: str | None = None) -> str:
    """A new role that EventBridge Scheduler may assume (or whatever `trust` says), allowed exactly `actions` on
    `resource` (nothing without `actions`). Returns its ARN."""
    name = unique("sched-role")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust or scheduler_trust_policy())["Role"]["Arn"]
    if actions:
        grant(iam, role=name, actions=actions, resource=resource)
    return arn


def queue_and_role(sqs, iam, prefix: str = "sched", **attributes) -> tuple[str, str, str]:
    """A new queue and a role the scheduler may assume that may sqs:SendMessage to it: (url, queue ARN, role ARN)."""
    url, arn = new_queue(sqs, prefix, **attributes)
    return url, arn, scheduler_role(iam, "sqs:SendMessage", arn)


def schedule_arn(name: str, group: str = "default") -> str:
    return f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{group}/{name}"


def group_arn(name: str) -> str:
    return f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{name}"


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def due_in(seconds: int) -> dt.datetime:
    """A whole second (naive UTC) at least `seconds` from now: now rounded up to a whole second, plus `seconds`."""
    return utcnow().replace(microsecond=0) + dt.timedelta(seconds=seconds + 1)


def at(due: dt.datetime, zone: str | None = None) -> str:
    """`at(...)` for the UTC instant `due`, written in `zone`'s wall-clock time (UTC without one)."""
    if zone:
        due = due.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return f"at({due:%Y-%m-%dT%H:%M:%S})"


def epoch_ms(t: dt.datetime) -> int:
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return int(t.timestamp() * 1000)


def iso(t: dt.datetime) -> str:
    return f"{t:%Y-%m-%dT%H:%M:%SZ}"


def sent_ms(message: dict) -> int:
    return int(message["Attributes"]["SentTimestamp"])


def assert_within_a_second(message: dict, due: dt.datetime) -> None:
    """The issue's requirement, on the server's own clock: sent at or after the due time, less than 1 s after it."""
    lag = sent_ms(message) - epoch_ms(due)
    assert 0 <= lag < 1000, f"sent {lag} ms after the due time {iso(due)}"


def error_of(call, **kwargs) -> dict:
    """The error of a call that must fail: Code, Message and the HTTP Status."""
    with pytest.raises(ClientError) as ei:
        call(**kwargs)
    err = dict(ei.value.response["Error"])
    err["Status"] = ei.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return err


def fire_at(scheduler, due: dt.datetime, target: dict, name: str | None = None, **kwargs) -> tuple[str, str]:
    """An at() schedule due at `due` (UTC) with `target`: (name, ARN)."""
    name = name or unique("fire")
    arn = scheduler.create_schedule(Name=name, ScheduleExpression=at(due), FlexibleTimeWindow=OFF, Target=target,
                                    **kwargs)["ScheduleArn"]
    return name, arn


def collect_until(sqs, url: str, body: str, timeout: float = 30) -> list[str]:
    """Receives (and deletes) every message of the queue until one whose body is `body` arrived; returns all bodies
    received, in order."""
    bodies: list[str] = []

    def arrived():
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if batch:
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
        bodies.extend(m["Body"] for m in batch)
        return body in bodies
    wait_for(arrived, timeout=timeout, interval=0, what=f"the message {body!r}")
    return bodies


def gone(scheduler, name: str, group: str = "default") -> bool:
    try:
        scheduler.get_schedule(Name=name, GroupName=group)
        return False
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceNotFoundException", e.response["Error"]
        return True


# -- schedule groups --------------------------------------------------------------------------------------------------

def test_the_default_group_always_exists(scheduler):
    g = scheduler.get_schedule_group(Name="default")
    assert g["Name"] == "default" and g["Arn"] == group_arn("default") and g["State"] == "ACTIVE", g
    assert g["CreationDate"] and g["LastModificationDate"]
    listed = {x["Name"]: x for x in scheduler.list_schedule_groups(NamePrefix="default")["ScheduleGroups"]}
    assert listed["default"]["Arn"] == group_arn("default") and listed["default"]["State"] == "ACTIVE"
    err = error_of(scheduler.delete_schedule_group, Name="default")
    assert (err["Code"], err["Status"]) == ("ValidationException", 400), err
    assert scheduler.get_schedule_group(Name="default")["State"] == "ACTIVE"
    assert error_of(scheduler.create_schedule_group, Name="default")["Code"] == "ConflictException"


def test_schedule_group_lifecycle_and_tags(scheduler):
    name = unique("grp")
    arn = scheduler.create_schedule_group(Name=name, Tags=[{"Key": "team", "Value": "a"}])["ScheduleGroupArn"]
    assert arn == group_arn(name)
    g = scheduler.get_schedule_group(Name=name)
    assert (g["Name"], g["Arn"], g["State"]) == (name, arn, "ACTIVE"), g
    assert g["CreationDate"] and g["LastModificationDate"] >= g["CreationDate"]
    assert scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    scheduler.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "b"}])
    tags = sorted(scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"], key=lambda t: t["Key"])
    assert tags == [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "b"}]
    scheduler.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert error_of(scheduler.create_schedule_group, Name=name)["Code"] == "ConflictException"

    missing = group_arn(unique("nogrp"))
    assert error_of(scheduler.list_tags_for_resource, ResourceArn=missing)["Code"] == "ResourceNotFoundException"
    assert error_of(scheduler.tag_resource, ResourceArn=missing,
                    Tags=[{"Key": "k", "Value": "v"}])["Code"] == "ResourceNotFoundException"
    assert error_of(scheduler.untag_resource, ResourceArn=missing, TagKeys=["k"])["Code"] == "ResourceNotFoundException"

    scheduler.delete_schedule_group(Name=name)
    assert error_of(scheduler.get_schedule_group, Name=name)["Code"] == "ResourceNotFoundException"
    assert error_of(scheduler.delete_schedule_group, Name=name)["Code"] == "ResourceNotFoundException"
    assert error_of(scheduler.list_tags_for_resource, ResourceArn=arn)["Code"] == "ResourceNotFoundException"
    assert name not in [x["Name"] for x in scheduler.list_schedule_groups(NamePrefix=name)["ScheduleGroups"]]


def test_list_schedule_groups_prefix_and_paging(scheduler):
    prefix = unique("lg")
    names = sorted(f"{prefix}-{i}" for i in range(5))
    for n in names:
        scheduler.create_schedule_group(Name=n)
    listed = scheduler.list_schedule_groups(NamePrefix=prefix)
    assert [g["Name"] for g in listed["ScheduleGroups"]] == names
    assert "NextToken" not in listed
    g0 = listed["ScheduleGroups"][0]
    assert g0["Arn"] == group_arn(names[0]) and g0["State"] == "ACTIVE" and g0["CreationDate"]
    seen, pages = pages_of(scheduler.list_schedule_groups, "ScheduleGroups", 2, NamePrefix=prefix, MaxResults=2)
    assert [g["Name"] for g in seen] == names and pages == 3
    assert scheduler.list_schedule_groups(NamePrefix=unique("none"))["ScheduleGroups"] == []


# -- schedules: create, get, update, list, delete --------------------------------------------------------------------

def test_a_schedule_without_a_group_goes_to_default_with_aws_defaults(srv, scheduler, role):
    """The required members only: the `default` group, State ENABLED, ActionAfterCompletion NONE, the target's
    RetryPolicy filled in, no time zone or dates; CreateSchedule and GetSchedule are recorded."""
    name = unique("min")
    target = {"Arn": queue_arn(unique("q")), "RoleArn": role}
    created = scheduler.create_schedule(Name=name, ScheduleExpression="rate(5 minutes)", FlexibleTimeWindow=OFF,
                                        Target=target)
    assert created["ScheduleArn"] == schedule_arn(name)
    got = scheduler.get_schedule(Name=name)
    assert (got["Name"], got["GroupName"], got["Arn"]) == (name, "default", schedule_arn(name)), got
    assert got["ScheduleExpression"] == "rate(5 minutes)"
    assert got["State"] == "ENABLED" and got["ActionAfterCompletion"] == "NONE", got
    assert got["FlexibleTimeWindow"] == OFF
    assert got["Target"] == {**target, "RetryPolicy": DEFAULT_RETRY}, got["Target"]
    for absent in ("ScheduleExpressionTimezone", "StartDate", "EndDate"):
        assert absent not in got, (absent, got)
    assert got["CreationDate"] and got["LastModificationDate"] >= got["CreationDate"]
    assert scheduler.get_schedule(Name=name, GroupName="default")["Arn"] == schedule_arn(name)

    ev = srv.record_for(created, "CreateSchedule")
    assert ev["EventSource"] == "scheduler.amazonaws.com" and ev["Record"]["readOnly"] is False
    assert srv.record_for(got, "GetSchedule")["Record"]["readOnly"] is True

    scheduler.delete_schedule(Name=name)
    assert gone(scheduler, name)
    assert error_of(scheduler.delete_schedule, Name=name)["Code"] == "ResourceNotFoundException"


def test_every_member_given_is_returned(scheduler, sqs, role):
    group = unique("full-grp")
    scheduler.create_schedule_group(Name=group)
    _, q = new_queue(sqs, "full")
    _, dlq = new_queue(sqs, "fulldlq")
    start = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).replace(microsecond=0)
    end = start + dt.timedelta(days=30)
    target = {"Arn": q, "RoleArn": role, "Input": json.dumps({"hello": "world"}),
              "RetryPolicy": {"MaximumEventAgeInSeconds": 600, "MaximumRetryAttempts": 3},
              "DeadLetterConfig": {"Arn": dlq}}
    name = unique("full")
    created = scheduler.create_schedule(
        Name=name, GroupName=group, ScheduleExpression="cron(0 9 * * ? *)",
        ScheduleExpressionTimezone="America/New_York", StartDate=start, EndDate=end, State="DISABLED",
        Description="every morning in New York", FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
        ActionAfterCompletion="DELETE", Target=target)
    assert created["ScheduleArn"] == schedule_arn(name, group)
    got = scheduler.get_schedule(Name=name, GroupName=group)
    assert (got["Name"], got["GroupName"], got["Arn"]) == (name, group, schedule_arn(name, group)), got
    assert got["ScheduleExpression"] == "cron(0 9 * * ? *)"
    assert got["ScheduleExpressionTimezone"] == "America/New_York"
    assert (got["StartDate"], got["EndDate"]) == (start, end), got
    assert got["State"] == "DISABLED" and got["Description"] == "every morning in New York"
    assert got["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert got["ActionAfterCompletion"] == "DELETE"
    assert got["Target"] == target, got["Target"]

    # Not in the default group; the same name there is another schedule; taken in its own group.
    assert error_of(scheduler.get_schedule, Name=name)["Code"] == "ResourceNotFoundException"
    err = error_of(scheduler.create_schedule, Name=name, GroupName=group, ScheduleExpression="rate(1 hour)",
                   FlexibleTimeWindow=OFF, Target={"Arn": q, "RoleArn": role})
    assert err["Code"] == "ConflictException", err
    assert scheduler.get_schedule(Name=name, GroupName=group)["ScheduleExpression"] == "cron(0 9 * * ? *)"
    other = scheduler.create_schedule(Name=name, ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF,
                                      Target={"Arn": q, "RoleArn": role})
    assert other["ScheduleArn"] == schedule_arn(name)
    # A group that does not exist.
    nowhere = unique("nogrp")
    err = error_of(scheduler.create_schedule, Name=unique("s"), GroupName=nowhere, ScheduleExpression="rate(1 hour)",
                   FlexibleTimeWindow=OFF, Target={"Arn": q, "RoleArn": role})
    assert err["Code"] == "ResourceNotFoundException", err
    assert error_of(scheduler.get_schedule, Name=name, GroupName=nowhere)["Code"] == "ResourceNotFoundException"
    scheduler.delete_schedule(Name=name)
    scheduler.delete_schedule(Name=name, GroupName=group)
    assert gone(scheduler, name, group) and gone(scheduler, name)


def test_update_replaces_the_whole_definition(scheduler, sqs, role):
    """UpdateSchedule is a replacement: what it leaves out returns to its default; only LastModificationDate moves."""
    _, q = new_queue(sqs, "upd")
    name = unique("upd")
    arn = scheduler.create_schedule(
        Name=name, ScheduleExpression="cron(30 6 * * ? *)", ScheduleExpressionTimezone="Europe/Paris",
        StartDate=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1),
        EndDate=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2), State="DISABLED", Description="before",
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5}, ActionAfterCompletion="DELETE",
        Target={"Arn": q, "RoleArn": role, "Input": "{}",
                "RetryPolicy": {"MaximumEventAgeInSeconds": 120, "MaximumRetryAttempts": 1}})["ScheduleArn"]
    before = scheduler.get_schedule(Name=name)
    time.sleep(1.1)  # so that LastModificationDate differs at any precision the server answers with

    updated = scheduler.update_schedule(Name=name, ScheduleExpression="rate(2 hours)", FlexibleTimeWindow=OFF,
                                        Target={"Arn": q, "RoleArn": role})
    assert updated["ScheduleArn"] == arn
    after = scheduler.get_schedule(Name=name)
    assert after["ScheduleExpression"] == "rate(2 hours)"
    assert after["State"] == "ENABLED" and after["ActionAfterCompletion"] == "NONE", after
    assert after["FlexibleTimeWindow"] == OFF
    assert after["Target"] == {"Arn": q, "RoleArn": role, "RetryPolicy": DEFAULT_RETRY}, after["Target"]
    for absent in ("ScheduleExpressionTimezone", "StartDate", "EndDate"):
        assert absent not in after, (absent, after)
    assert not after.get("Description"), after
    assert after["CreationDate"] == before["CreationDate"]
    assert after["LastModificationDate"] > before["LastModificationDate"]

    # A refused update changes nothing.
    err = error_of(scheduler.update_schedule, Name=name, ScheduleExpression="rate(1 minutes)", FlexibleTimeWindow=OFF,
                   Target={"Arn": q, "RoleArn": role})
    assert (err["Code"], err["Status"]) == ("ValidationException", 400), err
    assert scheduler.get_schedule(Name=name)["ScheduleExpression"] == "rate(2 hours)"
    err = error_of(scheduler.update_schedule, Name=unique("nosuch"), ScheduleExpression="rate(1 hour)",
                   FlexibleTimeWindow=OFF, Target={"Arn": q, "RoleArn": role})
    assert err["Code"] == "ResourceNotFoundException", err
    scheduler.delete_schedule(Name=name)


def test_list_schedules_filters_and_paging(scheduler, role):
    prefix = unique("ls")
    group = unique("ls-grp")
    scheduler.create_schedule_group(Name=group)
    q = queue_arn(unique("q"))
    in_group = sorted(f"{prefix}-{i}" for i in range(5))
    disabled = {in_group[1], in_group[3]}
    for n in in_group:
        scheduler.create_schedule(Name=n, GroupName=group, ScheduleExpression="rate(1 day)", FlexibleTimeWindow=OFF,
                                  State="DISABLED" if n in disabled else "ENABLED", Target={"Arn": q, "RoleArn": role})
    in_default = f"{prefix}-d"
    scheduler.create_schedule(Name=in_default, ScheduleExpression="rate(1 day)", FlexibleTimeWindow=OFF,
                              Target={"Arn": q, "RoleArn": role})

    everywhere = scheduler.list_schedules(NamePrefix=prefix)["Schedules"]
    assert sorted((s["GroupName"], s["Name"]) for s in everywhere) == \
        sorted([(group, n) for n in in_group] + [("default", in_default)])
    listed = scheduler.list_schedules(GroupName=group)["Schedules"]
    assert [s["Name"] for s in listed] == in_group  # by ARN: by name within a group
    s0 = listed[0]
    assert s0["Arn"] == schedule_arn(in_group[0], group) and s0["GroupName"] == group
    assert s0["State"] == "ENABLED" and s0["Target"] == {"Arn": q}, s0
    assert s0["CreationDate"] and s0["LastModificationDate"]
    assert {s["Name"] for s in scheduler.list_schedules(NamePrefix=prefix, State="DISABLED")["Schedules"]} == disabled
    assert {s["Name"] for s in scheduler.list_schedules(GroupName=group, State="ENABLED")["Schedules"]} == \
        set(in_group) - disabled

    seen, pages = pages_of(scheduler.list_schedules, "Schedules", 2, GroupName=group, MaxResults=2)
    assert [s["Name"] for s in seen] == in_group and pages == 3
    assert scheduler.list_schedules(NamePrefix=unique("none"))["Schedules"] == []
    assert error_of(scheduler.list_schedules, GroupName=unique("nogrp"))["Code"] == "ResourceNotFoundException"
    scheduler.delete_schedule_group(Name=group)
    scheduler.delete_schedule(Name=in_default)


# -- validation -------------------------------------------------------------------------------------------------------

def definition(role: str, **over) -> dict:
    """A valid CreateSchedule request, with `over` replacing members (Target members via `Target`)."""
    req = {"Name": unique("bad"), "ScheduleExpression": "rate(5 minutes)", "FlexibleTimeWindow": OFF,
           "Target": {"Arn": queue_arn("some-queue"), "RoleArn": role}}
    if "Target" in over:
        req["Target"] = {**req["Target"], **over.pop("Target")}
    req.update(over)
    return req


def _days(n: int) -> dt.datetime:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=n)).replace(microsecond=0)


LAMBDA = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"

INVALID = [
    pytest.param({"ScheduleExpression": "rate(1 minutes)"}, id="rate-unit-plural"),
    pytest.param({"ScheduleExpression": "rate(0 minutes)"}, id="rate-zero"),
    pytest.param({"ScheduleExpression": "cron(0 0 * * * *)"}, id="cron-both-day-fields"),
    pytest.param({"ScheduleExpression": "cron(0 25 * * ? *)"}, id="cron-hour-25"),
    pytest.param({"ScheduleExpression": "at(2025-13-01T00:00:00)"}, id="at-month-13"),
    pytest.param({"ScheduleExpression": "every 5 minutes"}, id="not-an-expression"),
    pytest.param({"ScheduleExpressionTimezone": "Mars/Olympus"}, id="unknown-zone"),
    pytest.param({"FlexibleTimeWindow": {"Mode": "FLEXIBLE"}}, id="flexible-without-window"),
    pytest.param({"StartDate": _days(2), "EndDate": _days(1)}, id="end-before-start"),
    pytest.param({"Target": {"RoleArn": "not-a-role-arn"}}, id="role-not-an-arn"),
    pytest.param({"Target": {"RoleArn": f"arn:aws:iam::{ACCOUNT}:user/someone"}}, id="role-arn-of-a-user"),
    pytest.param({"Target": {"Arn": LAMBDA}}, id="unserved-target"),
    pytest.param({"Target": {"Arn": "arn:aws:scheduler:::aws-sdk:lambda:invoke", "Input": "{}"}},
                 id="universal-lambda"),
    pytest.param({"Target": {"Arn": "arn:aws:scheduler:::aws-sdk:ec2:runInstances", "Input": "{}"}},
                 id="universal-ec2"),
]


@pytest.mark.parametrize("over", INVALID)
def test_invalid_schedules_are_validation_exceptions_and_store_nothing(scheduler, role, over):
    req = definition(role, **over)
    err = error_of(scheduler.create_schedule, **req)
    assert (err["Code"], err["Status"]) == ("ValidationException", 400), err
    assert err["Message"], err
    if req["Target"]["Arn"] == LAMBDA:
        assert LAMBDA in err["Message"], err  # the target Cairn does not serve is named
    assert gone(scheduler, req["Name"])


@pytest.mark.parametrize("action", ["sqs:sendMessage", "sns:publish", "events:putEvents", "batch:submitJob",
                                    "cloudtrail:lookupEvents"])
def test_universal_targets_of_served_services_are_accepted(scheduler, role, action):
    arn = f"arn:aws:scheduler:::aws-sdk:{action}"
    req = definition(role, Target={"Arn": arn, "Input": "{}"})
    scheduler.create_schedule(**req)
    assert scheduler.get_schedule(Name=req["Name"])["Target"]["Arn"] == arn
    scheduler.delete_schedule(Name=req["Name"])


# -- firing: at(), rate(), templated and universal targets -------------------------------------------------------------

def test_an_at_schedule_fires_once_within_a_second_with_its_context_and_deletes_itself(scheduler, sqs, iam):
    """at() in UTC into a queue: one message, SentTimestamp within a second of the due time, Input's context
    attributes replaced; ActionAfterCompletion DELETE removes the schedule once its firing is committed."""
    url, q, role = queue_and_role(sqs, iam, "at")
    due = due_in(3)
    template = json.dumps({"arn": "<aws.scheduler.schedule-arn>", "time": "<aws.scheduler.scheduled-time>",
                           "execution": "<aws.scheduler.execution-id>", "attempt": "<aws.scheduler.attempt-number>"})
    name, arn = fire_at(scheduler, due, {"Arn": q, "RoleArn": role, "Input": template}, ActionAfterCompletion="DELETE")
    got = wait_messages(sqs, url, 1, timeout=30, AttributeNames=["All"])
    assert len(got) == 1, [m["Body"] for m in got]
    assert_within_a_second(got[0], due)
    body = json.loads(got[0]["Body"])
    assert body["arn"] == arn and body["time"] == iso(due) and body["attempt"] == "1", body
    assert body["execution"] and "<aws." not in body["execution"], body
    wait_for(lambda: gone(scheduler, name), timeout=10, what="the completed schedule deleted")
    assert name not in [s["Name"] for s in scheduler.list_schedules(NamePrefix=name)["Schedules"]]


def test_an_at_schedule_in_a_time_zone_fires_at_that_wall_clock_time(scheduler, sqs, iam):
    """at() is read in ScheduleExpressionTimezone: the New York wall-clock time of the due instant fires at that
    instant. ActionAfterCompletion NONE keeps the schedule after its one firing."""
    url, q, role = queue_and_role(sqs, iam, "tz")
    due = due_in(3)
    name = unique("tz")
    scheduler.create_schedule(Name=name, ScheduleExpression=at(due, "America/New_York"),
                              ScheduleExpressionTimezone="America/New_York", FlexibleTimeWindow=OFF,
                              Target={"Arn": q, "RoleArn": role, "Input": "<aws.scheduler.scheduled-time>"})
    [m] = wait_messages(sqs, url, 1, timeout=30, AttributeNames=["All"])
    assert_within_a_second(m, due)
    assert m["Body"] == iso(due)  # the scheduled time in UTC
    got = scheduler.get_schedule(Name=name)
    assert got["ScheduleExpressionTimezone"] == "America/New_York" and got["ActionAfterCompletion"] == "NONE"
    scheduler.delete_schedule(Name=name)


def test_a_disabled_schedule_does_not_fire(scheduler, sqs, iam):
    url, q, role = queue_and_role(sqs, iam, "disabled")
    due = due_in(3)
    off, _ = fire_at(scheduler, due, {"Arn": q, "RoleArn": role, "Input": "disabled"}, State="DISABLED")
    # The marker, due a second later: once it arrived, the disabled schedule's due time is long past.
    fire_at(scheduler, due + dt.timedelta(seconds=1), {"Arn": q, "RoleArn": role, "Input": "marker"})
    assert collect_until(sqs, url, "marker") == ["marker"]
    assert scheduler.get_schedule(Name=off)["State"] == "DISABLED"
    scheduler.delete_schedule(Name=off)


def test_deleting_a_group_deletes_its_schedules_at_once(scheduler, sqs, iam):
    """DeleteScheduleGroup: the group and its schedules are gone in the same call, and a schedule of it due seconds
    later never fires."""
    url, q, role = queue_and_role(sqs, iam, "grpdel")
    group = unique("doomed")
    scheduler.create_schedule_group(Name=group)
    due = due_in(4)
    names = [unique("doomed-s") for _ in range(3)]
    fire_at(scheduler, due, {"Arn": q, "RoleArn": role, "Input": "deleted"}, name=names[0], GroupName=group)
    for n in names[1:]:
        scheduler.create_schedule(Name=n, GroupName=group, ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF,
                                  Target={"Arn": q, "RoleArn": role})
    scheduler.delete_schedule_group(Name=group)
    assert error_of(scheduler.get_schedule_group, Name=group)["Code"] == "ResourceNotFoundException"
    for n in names:
        assert gone(scheduler, n, group)
        assert scheduler.list_schedules(NamePrefix=n)["Schedules"] == []
    assert error_of(scheduler.list_schedules, GroupName=group)["Code"] == "ResourceNotFoundException"
    err = error_of(scheduler.create_schedule, Name=unique("late"), GroupName=group, ScheduleExpression="rate(1 hour)",
                   FlexibleTimeWindow=OFF, Target={"Arn": q, "RoleArn": role})
    assert err["Code"] == "ResourceNotFoundException", err
    fire_at(scheduler, due + dt.timedelta(seconds=1), {"Arn": q, "RoleArn": role, "Input": "marker"})
    assert collect_until(sqs, url, "marker") == ["marker"]
    # The name is free again, for an empty group.
    scheduler.create_schedule_group(Name=group)
    assert scheduler.list_schedules(GroupName=group)["Schedules"] == []
    scheduler.delete_schedule_group(Name=group)


def test_a_fifo_queue_target_gets_the_message_group(scheduler, sqs, iam):
    name = unique("sched") + ".fifo"
    url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true",
                                                       "ContentBasedDeduplication": "true"})["QueueUrl"]
    q = queue_arn(name)
    role = scheduler_role(iam, "sqs:SendMessage", q)
    due = due_in(3)
    fire_at(scheduler, due, {"Arn": q, "RoleArn": role, "Input": "fifo <aws.scheduler.execution-id>",
                             "SqsParameters": {"MessageGroupId": "g1"}})
    [m] = wait_messages(sqs, url, 1, timeout=30, AttributeNames=["All"])
    assert m["Attributes"]["MessageGroupId"] == "g1", m["Attributes"]
    assert m["Body"].startswith("fifo ") and len(m["Body"]) > len("fifo ") and "<aws." not in m["Body"], m["Body"]
    assert_within_a_second(m, due)


def test_a_topic_target_publishes_the_input(scheduler, sqs, iam, srv):
    sns = srv.client("sns")
    topic = sns.create_topic(Name=unique("sched-topic"))["TopicArn"]
    url, q = new_queue(sqs, "subscriber", allow=SNS_PRINCIPAL, source_arn=topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q)
    role = scheduler_role(iam, "sns:Publish", topic)
    _, arn = fire_at(scheduler, due_in(3), {"Arn": topic, "RoleArn": role,
                                            "Input": "hello from <aws.scheduler.schedule-arn>"})
    [m] = wait_messages(sqs, url, 1, timeout=30)
    note = json.loads(m["Body"])
    assert note["Type"] == "Notification" and note["TopicArn"] == topic, note
    assert note["Message"] == f"hello from {arn}", note


def test_an_event_bus_target_puts_one_event_with_the_schedule_as_resource(scheduler, sqs, iam, srv):
    events = srv.client("events")
    bus = unique("sched-bus")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    source = unique("com.example.scheduled")
    url, q = new_queue(sqs, "bus", allow=EVENTS_PRINCIPAL)
    rule_to(events, {"source": [source]}, [{"Id": "q", "Arn": q}], bus=bus)
    role = scheduler_role(iam, "events:PutEvents", bus_arn)
    detail = {"order": 7, "nested": {"ok": True, "list": [1, "two"]}}
    _, arn = fire_at(scheduler, due_in(3), {"Arn": bus_arn, "RoleArn": role, "Input": json.dumps(detail),
                                            "EventBridgeParameters": {"Source": source, "DetailType": "Order Due"}})
    got = wait_messages(sqs, url, 1, timeout=30)
    assert len(got) == 1, [m["Body"] for m in got]
    event = json.loads(got[0]["Body"])
    assert event["source"] == source and event["detail-type"] == "Order Due", event
    assert event["detail"] == detail and event["resources"] == [arn], event
    assert event["account"] == ACCOUNT and event["region"] == REGION, event


def test_a_universal_sqs_target_sends_the_request_in_input(scheduler, sqs, iam):
    url, q, role = queue_and_role(sqs, iam, "universal")
    request = {"QueueUrl": url, "MessageBody": "universal <aws.scheduler.attempt-number>",
               "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "scheduled"}}}
    due = due_in(3)
    fire_at(scheduler, due, {"Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage", "RoleArn": role,
                             "Input": json.dumps(request)})
    [m] = wait_messages(sqs, url, 1, timeout=30, AttributeNames=["All"], MessageAttributeNames=["All"])
    assert m["Body"] == "universal 1"
    assert m["MessageAttributes"]["kind"]["StringValue"] == "scheduled", m.get("MessageAttributes")
    assert_within_a_second(m, due)


def test_a_universal_batch_target_submits_the_job_as_the_role_and_both_calls_are_recorded(srv, scheduler, iam):
    """aws-sdk:batch:submitJob: the job exists; SubmitJob is recorded as the role's session (AssumedRole, the role as
    sessionIssuer, invokedBy scheduler.amazonaws.com), and the service's AssumeRole of that role is recorded too."""
    batch = srv.client("batch")
    queue, _ = make_queue(batch)
    definition_name = make_definition(batch)
    role_arn = scheduler_role(iam, "batch:SubmitJob")
    job_name = unique("scheduled-job")
    request = {"JobName": job_name, "JobQueue": queue, "JobDefinition": definition_name}
    fire_at(scheduler, due_in(3), {"Arn": "arn:aws:scheduler:::aws-sdk:batch:submitJob", "RoleArn": role_arn,
                                   "Input": json.dumps(request)})
    jobs = wait_for(lambda: batch.list_jobs(jobQueue=queue, filters=[{"name": "JOB_NAME", "values": [job_name]}])
                    ["jobSummaryList"], timeout=30, what="the scheduled job")
    assert len(jobs) == 1, jobs

    submits = wait_for(lambda: [e for e in srv.lookup("EventName", "SubmitJob")
                                if (e["Record"].get("requestParameters") or {}).get("jobName") == job_name],
                       timeout=15, what="the SubmitJob record")
    assert len(submits) == 1, submits
    rec = submits[0]["Record"]
    assert "errorCode" not in rec, rec
    ui = rec["userIdentity"]
    role_name = role_arn.rsplit("/", 1)[1]
    assert ui["type"] == "AssumedRole", ui
    assert ui["sessionContext"]["sessionIssuer"]["arn"] == role_arn, ui
    assert ui["invokedBy"] == SCHEDULER_PRINCIPAL, ui
    assert ui["arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/"), ui
    session = ui["arn"].rsplit("/", 1)[1]

    assumes = [e for e in srv.lookup("EventName", "AssumeRole")
               if (e["Record"].get("requestParameters") or {}).get("roleArn") == role_arn]
    assert assumes, "no AssumeRole record for the schedule's role"
    for e in assumes:
        assert e["EventSource"] == "sts.amazonaws.com"
        assert e["Record"]["userIdentity"]["type"] == "AWSService", e["Record"]["userIdentity"]
        assert e["Record"]["userIdentity"]["invokedBy"] == SCHEDULER_PRINCIPAL, e["Record"]["userIdentity"]
    assert session in {e["Record"]["requestParameters"].get("roleSessionName") for e in assumes}
    batch.cancel_job(jobId=jobs[0]["jobId"], reason="cleanup")


# -- failures: dead letters -------------------------------------------------------------------------------------------

def _no_permission(sqs, iam):
    url, q = new_queue(sqs, "noperm")
    return url, q, scheduler_role(iam), "x", lambda code: "AccessDenied" in code


def _missing_queue(sqs, iam):
    return None, queue_arn(unique("missing")), scheduler_role(iam, "sqs:SendMessage"), "x", \
        lambda code: code in ("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue")


def _message_too_large(sqs, iam):
    url, q, role = queue_and_role(sqs, iam, "small", MaximumMessageSize=1024)
    return url, q, role, "p" * 1500, lambda code: code == "InvalidParameterValue"


@pytest.mark.parametrize("setup", [_no_permission, _missing_queue, _message_too_large],
                         ids=["role-lacks-permission", "queue-missing", "message-too-large"])
def test_a_client_error_goes_to_the_dead_letter_queue_without_retries(scheduler, sqs, iam, setup):
    """The target call fails with a client error: no retry whatever the RetryPolicy; the Input goes to the
    dead-letter queue with AWS's attributes. The dead letter is sent as the execution role, as in AWS, so the role
    may sqs:SendMessage to the dead-letter queue (and the queue has no policy)."""
    url, q, role, body, code_ok = setup(sqs, iam)
    dlq_url, dlq = new_queue(sqs, "sched-dlq")
    grant(iam, role=role.rsplit("/", 1)[1], actions="sqs:SendMessage", resource=dlq)
    _, arn = fire_at(scheduler, due_in(3), {
        "Arn": q, "RoleArn": role, "Input": body, "DeadLetterConfig": {"Arn": dlq},
        "RetryPolicy": {"MaximumRetryAttempts": 5, "MaximumEventAgeInSeconds": 3600}})
    got = wait_messages(sqs, dlq_url, 1, timeout=30, MessageAttributeNames=["All"])
    assert len(got) == 1, [m["Body"] for m in got]
    m = got[0]
    assert m["Body"] == body
    types = {k: v["DataType"] for k, v in m["MessageAttributes"].items()}
    assert types == {"ERROR_CODE": "String", "ERROR_MESSAGE": "String", "RETRY_ATTEMPTS": "Number",
                     "SCHEDULE_ARN": "String", "TARGET_ARN": "String"}, types
    a = dlq_attributes(m)
    assert code_ok(a["ERROR_CODE"]), a
    assert a["ERROR_MESSAGE"], a
    assert a["RETRY_ATTEMPTS"] == "0", a
    assert "EXHAUSTED_RETRY_CONDITION" not in a, a
    assert a["SCHEDULE_ARN"] == arn and a["TARGET_ARN"] == q, a
    if url:
        assert nothing_queued(sqs, url)


def test_a_role_the_scheduler_may_not_assume_makes_no_call(srv, scheduler, sqs, iam):
    """A role whose trust policy does not let scheduler.amazonaws.com assume it: the AssumeRole is refused (and
    recorded as the service's, with AccessDenied), so nothing reaches the target; nothing can be dead-lettered
    either, since the dead letter is sent as that role too. A marker schedule due a second later, with a role the
    scheduler may assume, shows the firing is over."""
    url, q = new_queue(sqs, "untrusted")
    untrusted = scheduler_role(iam, "sqs:SendMessage", "*", trust=trust_policy(ROOT))
    trusted = scheduler_role(iam, "sqs:SendMessage", q)
    _, dlq = new_queue(sqs, "untrusted-dlq")
    due = due_in(3)
    fire_at(scheduler, due, {"Arn": q, "RoleArn": untrusted, "Input": "untrusted", "DeadLetterConfig": {"Arn": dlq}})
    fire_at(scheduler, due + dt.timedelta(seconds=1), {"Arn": q, "RoleArn": trusted, "Input": "marker"})
    assert collect_until(sqs, url, "marker") == ["marker"]
    refused = wait_for(lambda: [e for e in srv.lookup("EventName", "AssumeRole")
                                if (e["Record"].get("requestParameters") or {}).get("roleArn") == untrusted],
                       timeout=15, what="the refused AssumeRole record")
    for e in refused:
        assert e["Record"].get("errorCode") == "AccessDenied", e["Record"]
        assert e["Record"]["userIdentity"]["invokedBy"] == SCHEDULER_PRINCIPAL, e["Record"]["userIdentity"]


def test_creating_a_schedule_passes_its_role_and_needs_iam_pass_role(srv, iam):
    """CreateSchedule hands the execution role to scheduler.amazonaws.com: a user allowed scheduler:* but not
    iam:PassRole on the role is refused with AWS's message, and nothing is stored; with iam:PassRole it works."""
    name = unique("passer")
    user_arn = iam.create_user(UserName=name)["User"]["Arn"]
    creds = Creds.from_access_key(iam.create_access_key(UserName=name))
    grant(iam, user=name, actions="scheduler:*")
    role = scheduler_role(iam, "sqs:SendMessage")
    scheduler = srv.client("scheduler", creds)
    req = definition(role)
    err = error_of(scheduler.create_schedule, **req)
    assert (err["Code"], err["Status"]) == ("AccessDeniedException", 403), err
    assert err["Message"] == implicit(user_arn, "iam:PassRole", role), err
    assert gone(scheduler, req["Name"])
    grant(iam, user=name, actions="iam:PassRole", resource=role)
    assert scheduler.create_schedule(**req)["ScheduleArn"] == schedule_arn(req["Name"])
    scheduler.delete_schedule(Name=req["Name"])


# -- durability -------------------------------------------------------------------------------------------------------

def test_a_firing_due_while_the_server_is_down_is_made_once_after_restart(cairn_factory):
    """kill -9 before the due time, restart two seconds after it: the firing is made once, for its scheduled time,
    and the DELETE schedule is gone."""
    srv = cairn_factory.new()
    sqs, iam, scheduler = srv.client("sqs"), srv.client("iam"), srv.client("scheduler")
    url, q, role = queue_and_role(sqs, iam, "down")
    due = due_in(4)
    name, _ = fire_at(scheduler, due, {"Arn": q, "RoleArn": role, "Input": "<aws.scheduler.scheduled-time>"},
                      ActionAfterCompletion="DELETE")
    srv.kill9()
    time.sleep(max(0.0, (due - utcnow()).total_seconds() + 2))
    srv.start()
    sqs, scheduler = srv.client("sqs"), srv.client("scheduler")
    got = wait_messages(sqs, url, 1, timeout=60, AttributeNames=["All"])
    assert [m["Body"] for m in got] == [iso(due)]
    assert sent_ms(got[0]) >= epoch_ms(due) + 2000  # made by the restarted server
    wait_for(lambda: gone(scheduler, name), timeout=10, what="the completed schedule deleted")
    # A marker due after the restart's firing: once it arrived, no second copy came.
    fire_at(scheduler, due_in(2), {"Arn": q, "RoleArn": role, "Input": "marker"})
    assert collect_until(sqs, url, "marker") == ["marker"]


def test_a_firing_missed_by_more_than_its_maximum_event_age_is_skipped(cairn_factory, clock_shim, tmp_path):
    """The server is down past a schedule's due time by longer than its MaximumEventAgeInSeconds (60): after the
    restart that firing is skipped. The server's clock is moved two minutes on while it is down (support/
    clockshift.c), so no test waits the minute; a marker schedule due after the restart still fires."""
    clock = ShiftedClock(clock_shim, tmp_path / "clock")
    srv = cairn_factory.new(env=clock.env())
    sqs, iam, scheduler = srv.client("sqs"), srv.client("iam"), srv.client("scheduler")
    url, q, role = queue_and_role(sqs, iam, "missed")
    due = due_in(4)
    late, _ = fire_at(scheduler, due, {"Arn": q, "RoleArn": role, "Input": "late",
                                       "RetryPolicy": {"MaximumEventAgeInSeconds": 60, "MaximumRetryAttempts": 185}})
    # Due, on the moved clock, a few seconds after the restart.
    fire_at(scheduler, due + dt.timedelta(seconds=125), {"Arn": q, "RoleArn": role, "Input": "marker"})
    srv.kill9()
    clock.set(120)  # within the 15-minute signing skew
    srv.start()
    sqs, scheduler = srv.client("sqs"), srv.client("scheduler")
    assert collect_until(sqs, url, "marker", timeout=60) == ["marker"]
    assert scheduler.get_schedule(Name=late)["Name"] == late  # ActionAfterCompletion NONE: kept, though skipped


# -- the aws CLI ------------------------------------------------------------------------------------------------------

@cli_on_sqlite_only
def test_aws_cli_create_get_list_delete(srv, role, aws_cli):
    name = unique("cli")
    q = queue_arn(unique("cliq"))
    out = srv.aws("scheduler", "create-schedule", "--name", name, "--schedule-expression", "rate(5 minutes)",
                  "--flexible-time-window", json.dumps(OFF),
                  "--target", json.dumps({"Arn": q, "RoleArn": role, "Input": '{"from": "cli"}'}))
    assert out == {"ScheduleArn": schedule_arn(name)}
    got = srv.aws("scheduler", "get-schedule", "--name", name)
    assert got["Name"] == name and got["GroupName"] == "default" and got["State"] == "ENABLED", got
    assert got["Target"] == {"Arn": q, "RoleArn": role, "Input": '{"from": "cli"}', "RetryPolicy": DEFAULT_RETRY}
    listed = srv.aws("scheduler", "list-schedules", "--name-prefix", name)
    assert [(s["Name"], s["Arn"]) for s in listed["Schedules"]] == [(name, schedule_arn(name))]
    assert srv.aws("scheduler", "delete-schedule", "--name", name) in (None, {})
    cp = srv.aws("scheduler", "get-schedule", "--name", name, check=False)
    assert cp.returncode != 0 and "ResourceNotFoundException" in cp.stderr, cp.stderr
    cp = srv.aws("scheduler", "create-schedule", "--name", unique("cli"), "--schedule-expression", "rate(1 minutes)",
                 "--flexible-time-window", json.dumps(OFF), "--target", json.dumps({"Arn": q, "RoleArn": role}),
                 check=False)
    assert cp.returncode != 0 and "ValidationException" in cp.stderr, cp.stderr


# -- bad input never crashes (test_no_crash.py's rules: a server per test, survival checked first) ------------------

@pytest.fixture
def fresh(cairn_factory):
    return cairn_factory.new()


def _retry(**policy) -> dict:
    return {"Target": {"RetryPolicy": policy}}


BAD_CALLS = [
    pytest.param("list_schedules", {"MaxResults": 0}, id="list-schedules-max-0"),
    pytest.param("list_schedules", {"MaxResults": 101}, id="list-schedules-max-101"),
    pytest.param("list_schedules", {"MaxResults": -1}, id="list-schedules-max-negative"),
    pytest.param("list_schedules", {"MaxResults": 2 ** 64}, id="list-schedules-max-2^64"),
    pytest.param("list_schedules", {"State": "PAUSED"}, id="list-schedules-bad-state"),
    pytest.param("list_schedule_groups", {"MaxResults": 101}, id="list-groups-max-101"),
    pytest.param("list_schedule_groups", {"MaxResults": 2 ** 63}, id="list-groups-max-2^63"),
    pytest.param("create_schedule_group", {"Name": "g" * 65}, id="group-name-65"),
    pytest.param("create_schedule_group", {"Name": "bad name!"}, id="group-name-characters"),
    pytest.param("get_schedule", {"Name": "n" * 65}, id="get-name-65"),
    pytest.param("create_schedule", {"Name": "n" * 65}, id="name-65"),
    pytest.param("create_schedule", {"Name": "n" * 5000}, id="name-5000"),
    pytest.param("create_schedule", {"Description": "d" * 513}, id="description-513"),
    pytest.param("create_schedule", {"State": "PAUSED"}, id="state-unknown"),
    pytest.param("create_schedule", {"ActionAfterCompletion": "ARCHIVE"}, id="action-unknown"),
    pytest.param("create_schedule", {"ScheduleExpressionTimezone": "z" * 51}, id="zone-51"),
    pytest.param("create_schedule", {"ScheduleExpression": "rate(99999999999999999999 minutes)"}, id="rate-huge"),
    pytest.param("create_schedule", {"ScheduleExpression": "rate(9223372036854775807 days)"}, id="rate-int64-max"),
    pytest.param("create_schedule", {"ScheduleExpression": "at(99999-01-01T00:00:00)"}, id="at-year-99999"),
    pytest.param("create_schedule", {"ScheduleExpression": "cron(0 0 ? * 3#6 *)"}, id="cron-sixth-weekday"),
    pytest.param("create_schedule", {"FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 0}},
                 id="window-0"),
    pytest.param("create_schedule", {"FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1441}},
                 id="window-1441"),
    pytest.param("create_schedule", _retry(MaximumRetryAttempts=186), id="retries-186"),
    pytest.param("create_schedule", _retry(MaximumRetryAttempts=-1), id="retries-negative"),
    pytest.param("create_schedule", _retry(MaximumRetryAttempts=2 ** 63), id="retries-2^63"),
    pytest.param("create_schedule", _retry(MaximumEventAgeInSeconds=59), id="age-59"),
    pytest.param("create_schedule", _retry(MaximumEventAgeInSeconds=86401), id="age-86401"),
    pytest.param("create_schedule", {"Target": {"Input": ""}}, id="input-empty"),
    pytest.param("create_schedule", {"Target": {"DeadLetterConfig": {"Arn": "arn:aws:sns:us-east-1:000000000000:t"}}},
                 id="dlq-not-a-queue"),
    pytest.param("tag_resource", {"ResourceArn": "not-an-arn", "Tags": [{"Key": "k", "Value": "v"}]},
                 id="tag-not-an-arn"),
]


@pytest.mark.parametrize("operation, params", BAD_CALLS)
def test_out_of_range_parameters_are_validation_exceptions(fresh, operation, params):
    """Sent as given (no botocore checks): each is a 400 ValidationException, the server lives, nothing is stored."""
    role = scheduler_role(fresh.client("iam"), "sqs:SendMessage")
    if operation == "create_schedule":
        params = definition(role, **json.loads(json.dumps(params)))
    result = outcome(getattr(unvalidated(fresh, "scheduler"), operation), **params)
    assert_survived(fresh)
    assert_client_error(result, "ValidationException")
    scheduler = fresh.client("scheduler")
    assert [s["Name"] for s in scheduler.list_schedules()["Schedules"]] == []
    assert [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"] if g["Name"] != "default"] == []


def rest_error_code(resp) -> str:
    """A rest-json error's code, from `x-amzn-ErrorType` or the body's `__type`, as botocore reads it."""
    header = resp.headers.get("x-amzn-ErrorType") or ""
    if header:
        return header.split(":")[0]
    return str(resp.json().get("__type", "")).split("#")[-1]


def _body(role: str, **over) -> bytes:
    req = definition(role)
    req.pop("Name")
    req.update(over)
    return json.dumps(req).encode()


RAW_BODIES = [
    pytest.param("schedule", lambda role: b"{not json", id="schedule-not-json"),
    pytest.param("schedule", lambda role: b"[1, 2]", id="schedule-array"),
    pytest.param("schedule", lambda role: b"\xff\xfe\x00", id="schedule-not-utf8"),
    pytest.param("schedule", lambda role: _body(role, ScheduleExpression=5), id="expression-number"),
    pytest.param("schedule", lambda role: _body(role, FlexibleTimeWindow="OFF"), id="window-string"),
    pytest.param("schedule", lambda role: _body(role, Target=[]), id="target-list"),
    pytest.param("schedule", lambda role: _body(role, StartDate="yesterday"), id="start-date-text"),
    pytest.param("schedule", lambda role: _body(role, StartDate=1e300), id="start-date-1e300"),
    pytest.param("schedule", lambda role: _body(role, EndDate=-1e300), id="end-date-minus-1e300"),
    pytest.param("schedule", lambda role: _body(role, Target={"Arn": queue_arn("q"), "RoleArn": role,
                                                              "RetryPolicy": {"MaximumRetryAttempts": "many"}}),
                 id="retries-text"),
    pytest.param("schedule", lambda role: _body(role, Target={"Arn": queue_arn("q"), "RoleArn": role,
                                                              "RetryPolicy": {"MaximumEventAgeInSeconds": 1e300}}),
                 id="age-1e300"),
    pytest.param("group", lambda role: b"{not json", id="group-not-json"),
    pytest.param("group", lambda role: json.dumps({"Tags": {"team": "a"}}).encode(), id="group-tags-map"),
    pytest.param("tags", lambda role: b"{not json", id="tags-not-json"),
    pytest.param("tags", lambda role: json.dumps({"Tags": "team=a"}).encode(), id="tags-string"),
]


@pytest.mark.parametrize("kind, body", RAW_BODIES)
def test_malformed_bodies_are_validation_exceptions(fresh, kind, body):
    """Bodies botocore would never send, signed and sent raw to CreateSchedule, CreateScheduleGroup and TagResource
    (on a group that exists): 400 ValidationException, the server lives, nothing is stored or tagged."""
    scheduler = fresh.client("scheduler")
    role = scheduler_role(fresh.client("iam"), "sqs:SendMessage")
    existing = unique("grp")
    scheduler.create_schedule_group(Name=existing)
    name = unique("raw")
    path = {"schedule": f"/schedules/{name}", "group": f"/schedule-groups/{name}",
            "tags": "/tags/" + quote(group_arn(existing), safe="-_.~")}[kind]  # a URI label, encoded as botocore does
    resp = raw(fresh.signed_request, "scheduler", body(role), {"Content-Type": "application/json"}, path=path)
    assert_survived(fresh)
    assert not isinstance(resp, Exception), f"connection dropped: {resp!r}"
    assert resp.status_code == 400, (resp.status_code, resp.text[:1000])
    assert rest_error_code(resp) == "ValidationException", (resp.headers, resp.text[:1000])
    assert gone(scheduler, name)
    assert error_of(scheduler.get_schedule_group, Name=name)["Code"] == "ResourceNotFoundException"
    assert scheduler.list_tags_for_resource(ResourceArn=group_arn(existing))["Tags"] == []


# Last in the module: its schedule was made when the module started (minute_rate).
def test_a_rate_counts_from_its_start_date_and_fires_every_minute(sqs, minute_rate):
    """rate(1 minute) fires first at StartDate + 1 minute, then a minute later, each within a second. (That a rate
    without StartDate first fires a minute after creation is SchedulePlannerTests'.)"""
    url, first = minute_rate
    got = wait_messages(sqs, url, 2, timeout=120, AttributeNames=["All"])
    got.sort(key=sent_ms)
    # However long the module took: one firing per minute from the first, none twice, none missed.
    dues = [first + dt.timedelta(minutes=k) for k in range(len(got))]
    assert len(got) >= 2 and [m["Body"] for m in got] == [iso(d) for d in dues], [m["Body"] for m in got]
    for m, due in zip(got, dues):
        assert_within_a_second(m, due)
