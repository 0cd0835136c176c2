"""EventBridge with boto3 as a user calls it: buses, rules, targets, TestEventPattern, tags,
PutEvents and its per-entry errors, and what reaches LookupEvents."""

from __future__ import annotations

import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import (EVENTS_PRINCIPAL, NO_RETRY, allow_service_to_queue, new_queue, pages_of, unique,
                      wait_for)

ACCOUNT = "000000000000"
REGION = "us-east-1"
DEFAULT_BUS_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
PATTERN = json.dumps({"source": ["my.app"]})


@pytest.fixture(scope="module")
def events(server):
    return server.client("events")


@pytest.fixture(scope="module", autouse=True)
def minute_rule(server, events):
    """A rule with ScheduleExpression cron(* * * * ? *) targeting a new queue, made when the module starts so that its
    other tests pass the wait for the next minute; the module's last test reads the queue. Yields (rule name, rule
    ARN, queue URL); the rule is removed after the module (a rule goes after its targets)."""
    sqs = server.client("sqs")
    name = unique("tick")
    rule_arn = events.put_rule(Name=name, ScheduleExpression="cron(* * * * ? *)", Description="every minute")["RuleArn"]
    url, arn = new_queue(sqs, "tick", allow=EVENTS_PRINCIPAL, source_arn=rule_arn)
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
    yield name, rule_arn, url
    events.remove_targets(Rule=name, Ids=["q"])
    events.delete_rule(Name=name)


def error_of(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as ei:
        call(**kwargs)
    err = dict(ei.value.response["Error"])
    err["Status"] = ei.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return err


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def sample_event(**over) -> str:
    e = {"id": "1", "account": ACCOUNT, "source": "my.app", "time": "2024-01-01T00:00:00Z",
         "region": REGION, "resources": [], "detail-type": "thing", "detail": {"n": 5}}
    e.update(over)
    return json.dumps(e)


# -- buses ---------------------------------------------------------------------------------

def test_the_default_bus_always_exists(events):
    bus = events.describe_event_bus()
    assert bus["Name"] == "default" and bus["Arn"] == DEFAULT_BUS_ARN
    assert events.describe_event_bus(Name="default")["Arn"] == DEFAULT_BUS_ARN
    assert events.describe_event_bus(Name=DEFAULT_BUS_ARN)["Name"] == "default"
    names = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    assert "default" in names
    err = error_of(events.delete_event_bus, Name="default")
    assert err["Code"] == "ValidationException"
    assert events.describe_event_bus()["Name"] == "default"
    err = error_of(events.create_event_bus, Name="default")
    assert err["Code"] == "ResourceAlreadyExistsException"


def test_custom_bus_lifecycle(events):
    name = unique("bus")
    out = events.create_event_bus(Name=name, Description="orders",
                                  Tags=[{"Key": "team", "Value": "a"}])
    arn = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"
    assert out["EventBusArn"] == arn
    bus = events.describe_event_bus(Name=name)
    assert bus["Name"] == name and bus["Arn"] == arn and bus["Description"] == "orders"
    assert bus["CreationTime"] and bus["LastModifiedTime"]
    assert events.describe_event_bus(Name=arn)["Name"] == name
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    err = error_of(events.create_event_bus, Name=name)
    assert err["Code"] == "ResourceAlreadyExistsException"
    events.delete_event_bus(Name=name)
    err = error_of(events.describe_event_bus, Name=name)
    assert err["Code"] == "ResourceNotFoundException"
    assert name not in [b["Name"] for b in events.list_event_buses()["EventBuses"]]


@pytest.mark.parametrize("name", ["bad/name", "has space", "x" * 257, "star*"])
def test_invalid_bus_names(events, name):
    err = error_of(events.create_event_bus, Name=name)
    assert err["Code"] == "ValidationException", err


def test_list_event_buses_prefix_and_paging(events):
    prefix = unique("lb")
    names = sorted(f"{prefix}-{i}" for i in range(5))
    for n in names:
        events.create_event_bus(Name=n)
    assert [b["Name"] for b in events.list_event_buses(NamePrefix=prefix)["EventBuses"]] == names
    seen, pages = pages_of(events.list_event_buses, "EventBuses", 2, NamePrefix=prefix, Limit=2)
    assert [b["Name"] for b in seen] == names and pages == 3


# -- rules ---------------------------------------------------------------------------------

def test_put_and_describe_rule(events):
    name = unique("rule")
    arn = events.put_rule(Name=name, EventPattern=PATTERN, Description="first",
                          State="DISABLED")["RuleArn"]
    assert arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"
    r = events.describe_rule(Name=name)
    assert r["Name"] == name and r["Arn"] == arn
    assert json.loads(r["EventPattern"]) == json.loads(PATTERN)
    assert r["State"] == "DISABLED" and r["Description"] == "first"
    assert r["EventBusName"] == "default"
    # PutRule on an existing name updates it.
    other = json.dumps({"source": ["other.app"], "detail-type": ["x"]})
    assert events.put_rule(Name=name, EventPattern=other, State="ENABLED")["RuleArn"] == arn
    r = events.describe_rule(Name=name)
    assert json.loads(r["EventPattern"]) == json.loads(other) and r["State"] == "ENABLED"
    # The opt-in CloudTrail state.
    events.put_rule(Name=name, EventPattern=other,
                    State="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
    assert events.describe_rule(Name=name)["State"] == \
        "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


def test_rule_on_a_custom_bus(events):
    bus = unique("rbus")
    events.create_event_bus(Name=bus)
    name = unique("rule")
    arn = events.put_rule(Name=name, EventBusName=bus, EventPattern=PATTERN)["RuleArn"]
    assert arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{bus}/{name}"
    assert events.describe_rule(Name=name, EventBusName=bus)["EventBusName"] == bus
    bus_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{bus}"
    assert events.describe_rule(Name=name, EventBusName=bus_arn)["Arn"] == arn
    # Not on the default bus.
    assert error_of(events.describe_rule, Name=name)["Code"] == "ResourceNotFoundException"
    assert [r["Name"] for r in events.list_rules(EventBusName=bus)["Rules"]] == [name]
    err = error_of(events.put_rule, Name=name, EventBusName=unique("nobus"), EventPattern=PATTERN)
    assert err["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize("pattern", [
    "not json",
    '{"source": "my.app"}',
    '{"detail": {"n": [{"numeric": [">", "x"]}]}}',
    "[]",
    '{"source": []}',
    '{"a": [{"prefix": 1}]}',
    '{"a": [{"no-such-operator": 1}]}',
    '"a string"',
])
def test_invalid_event_patterns(events, pattern):
    name = unique("bad")
    err = error_of(events.put_rule, Name=name, EventPattern=pattern)
    assert err["Code"] == "InvalidEventPatternException", err
    assert err["Message"]
    assert error_of(events.describe_rule, Name=name)["Code"] == "ResourceNotFoundException"
    err = error_of(events.test_event_pattern, EventPattern=pattern, Event=sample_event())
    assert err["Code"] == "InvalidEventPatternException", err


def test_put_rule_validation(events):
    bus = unique("sched-bus")
    events.create_event_bus(Name=bus)
    err = error_of(events.put_rule, Name=unique("sched"), ScheduleExpression="rate(5 minutes)", EventBusName=bus)
    assert err["Code"] == "ValidationException"
    assert err["Message"] == "ScheduleExpression is supported only on the default event bus.", err
    for bad in ("rate(0 minutes)", "rate(5 minute)", "rate(1 minutes)", "cron(* * * * *)", "cron(0 12 * * * *)",
                "cron(0 25 * * ? *)", "at(2030-01-01T00:00:00)", "every 5 minutes", "rate(5 fortnights)"):
        err = error_of(events.put_rule, Name=unique("sched"), ScheduleExpression=bad)
        assert err["Code"] == "ValidationException", (bad, err)
        assert err["Message"] == "Parameter ScheduleExpression is not valid.", (bad, err)
    err = error_of(events.put_rule, Name=unique("none"))
    assert err["Code"] == "ValidationException"
    err = error_of(events.put_rule, Name=unique("state"), EventPattern=PATTERN, State="ON")
    assert err["Code"] == "ValidationException"
    for bad in ("bad name!", "slash/name", "x" * 65):
        err = error_of(events.put_rule, Name=bad, EventPattern=PATTERN)
        assert err["Code"] == "ValidationException", (bad, err)


def test_list_rules_prefix_and_paging(events):
    prefix = unique("lr")
    names = sorted(f"{prefix}-{i}" for i in range(5))
    for n in names:
        events.put_rule(Name=n, EventPattern=PATTERN)
    listed = events.list_rules(NamePrefix=prefix)
    assert [r["Name"] for r in listed["Rules"]] == names
    assert "NextToken" not in listed
    r0 = listed["Rules"][0]
    assert r0["Arn"].endswith(f":rule/{names[0]}") and r0["State"] == "ENABLED"
    assert r0["EventBusName"] == "default"
    seen, pages = pages_of(events.list_rules, "Rules", 2, NamePrefix=prefix, Limit=2)
    assert [r["Name"] for r in seen] == names and pages == 3
    assert events.list_rules(NamePrefix=unique("none"))["Rules"] == []


def test_enable_and_disable_rule(events):
    name = unique("toggle")
    events.put_rule(Name=name, EventPattern=PATTERN)
    events.disable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "DISABLED"
    events.enable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "ENABLED"
    for call in (events.enable_rule, events.disable_rule):
        assert error_of(call, Name=unique("nosuch"))["Code"] == "ResourceNotFoundException"


def test_delete_rule(events):
    name = unique("del")
    events.put_rule(Name=name, EventPattern=PATTERN)
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue_arn("some-queue")}])
    err = error_of(events.delete_rule, Name=name)
    assert err["Code"] == "ValidationException", err
    assert events.describe_rule(Name=name)["Name"] == name
    out = events.remove_targets(Rule=name, Ids=["q"])
    assert out["FailedEntryCount"] == 0
    events.delete_rule(Name=name)
    assert error_of(events.describe_rule, Name=name)["Code"] == "ResourceNotFoundException"
    # Deleting a rule that does not exist succeeds.
    events.delete_rule(Name=name)
    events.delete_rule(Name=unique("never"))


# -- targets -------------------------------------------------------------------------------

def test_put_list_and_remove_targets(events):
    name = unique("tg")
    events.put_rule(Name=name, EventPattern=PATTERN)
    bus = unique("tbus")
    events.create_event_bus(Name=bus)
    q = queue_arn(unique("tq"))
    fifo = queue_arn(unique("tf") + ".fifo")
    targets = [
        {"Id": "plain", "Arn": q},
        {"Id": "const", "Arn": q, "Input": '{"fixed": true}'},
        {"Id": "path", "Arn": q, "InputPath": "$.detail",
         "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 120},
         "DeadLetterConfig": {"Arn": queue_arn("dlq")}},
        {"Id": "fifo", "Arn": fifo, "SqsParameters": {"MessageGroupId": "g1"},
         "InputTransformer": {"InputPathsMap": {"src": "$.source"},
                              "InputTemplate": '{"from": <src>}'}},
        {"Id": "bus", "Arn": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{bus}"},
    ]
    out = events.put_targets(Rule=name, Targets=targets)
    assert out["FailedEntryCount"] == 0 and out["FailedEntries"] == []
    listed = events.list_targets_by_rule(Rule=name)["Targets"]
    assert sorted(listed, key=lambda t: t["Id"]) == sorted(targets, key=lambda t: t["Id"])
    # Paging.
    page = events.list_targets_by_rule(Rule=name, Limit=2)
    assert len(page["Targets"]) == 2 and page["NextToken"]
    ids = [t["Id"] for t in page["Targets"]]
    while page.get("NextToken"):
        page = events.list_targets_by_rule(Rule=name, Limit=2, NextToken=page["NextToken"])
        ids += [t["Id"] for t in page["Targets"]]
    assert sorted(ids) == sorted(t["Id"] for t in targets)
    # Which rules send to a queue.
    assert events.list_rule_names_by_target(TargetArn=q)["RuleNames"] == [name]
    assert events.list_rule_names_by_target(TargetArn=queue_arn(unique("x")))["RuleNames"] == []
    # Putting a target id again replaces it.
    events.put_targets(Rule=name, Targets=[{"Id": "plain", "Arn": q, "Input": '"x"'}])
    plain = [t for t in events.list_targets_by_rule(Rule=name)["Targets"] if t["Id"] == "plain"]
    assert plain == [{"Id": "plain", "Arn": q, "Input": '"x"'}]

    out = events.remove_targets(Rule=name, Ids=["plain", "const", "nosuch"])
    assert out["FailedEntryCount"] == 1
    assert out["FailedEntries"][0]["TargetId"] == "nosuch"
    assert sorted(t["Id"] for t in events.list_targets_by_rule(Rule=name)["Targets"]) == \
        ["bus", "fifo", "path"]
    err = error_of(events.put_targets, Rule=unique("norule"), Targets=[{"Id": "a", "Arn": q}])
    assert err["Code"] == "ResourceNotFoundException"
    assert error_of(events.list_targets_by_rule, Rule=unique("norule"))["Code"] == \
        "ResourceNotFoundException"


def test_unsupported_and_invalid_targets_fail_per_entry(events, server):
    # boto3 itself refuses MaximumEventAgeInSeconds < 60; a client without validation sends it.
    events = server.session().client("events", endpoint_url=server.endpoint,
                                     config=NO_RETRY.merge(Config(parameter_validation=False)))
    name = unique("tgbad")
    events.put_rule(Name=name, EventPattern=PATTERN)
    q = queue_arn(unique("ok"))
    out = events.put_targets(Rule=name, Targets=[
        {"Id": "lambda", "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"},
        {"Id": "good", "Arn": q},
        {"Id": "both", "Arn": q, "Input": "{}", "InputPath": "$.detail"},
        {"Id": "badjson", "Arn": q, "Input": "{not json"},
        {"Id": "retries", "Arn": q, "RetryPolicy": {"MaximumRetryAttempts": 186}},
        {"Id": "age", "Arn": q, "RetryPolicy": {"MaximumEventAgeInSeconds": 59}},
    ])
    failed = {f["TargetId"]: f for f in out["FailedEntries"]}
    assert out["FailedEntryCount"] == len(failed) == 5
    assert set(failed) == {"lambda", "both", "badjson", "retries", "age"}
    assert all(f["ErrorCode"] and f["ErrorMessage"] for f in failed.values())
    assert [t["Id"] for t in events.list_targets_by_rule(Rule=name)["Targets"]] == ["good"]
    # A malformed ARN fails the whole call, as in AWS: the good entry beside it is not stored either.
    err = error_of(events.put_targets, Rule=name, Targets=[{"Id": "good2", "Arn": q}, {"Id": "notarn", "Arn": "not-an-arn"}])
    assert err["Code"] == "ValidationException" and "not-an-arn" in err["Message"], err
    assert [t["Id"] for t in events.list_targets_by_rule(Rule=name)["Targets"]] == ["good"]


def test_at_most_five_targets_per_rule(events):
    name = unique("five")
    events.put_rule(Name=name, EventPattern=PATTERN)
    q = queue_arn(unique("q"))
    events.put_targets(Rule=name, Targets=[{"Id": f"t{i}", "Arn": q} for i in range(5)])
    try:
        out = events.put_targets(Rule=name, Targets=[{"Id": "t5", "Arn": q}])
        assert out["FailedEntryCount"] == 1, out
        assert out["FailedEntries"][0]["ErrorCode"] == "LimitExceededException"
    except ClientError as e:
        assert e.response["Error"]["Code"] == "LimitExceededException"
    assert len(events.list_targets_by_rule(Rule=name)["Targets"]) == 5
    # Replacing one of the five is fine.
    out = events.put_targets(Rule=name, Targets=[{"Id": "t0", "Arn": q, "Input": "1"}])
    assert out["FailedEntryCount"] == 0


# -- TestEventPattern ----------------------------------------------------------------------

def test_test_event_pattern(events):
    p = json.dumps({"source": ["my.app"], "detail": {"n": [{"numeric": [">", 3]}]}})
    assert events.test_event_pattern(EventPattern=p, Event=sample_event())["Result"] is True
    assert events.test_event_pattern(EventPattern=p,
                                     Event=sample_event(detail={"n": 2}))["Result"] is False
    assert events.test_event_pattern(EventPattern=p,
                                     Event=sample_event(source="other"))["Result"] is False
    p2 = json.dumps({"detail-type": [{"prefix": "th"}], "resources": [{"exists": False}]})
    assert events.test_event_pattern(EventPattern=p2, Event=sample_event())["Result"] is True
    err = error_of(events.test_event_pattern, EventPattern=p, Event=json.dumps({"source": "x"}))
    assert err["Code"] == "ValidationException"
    err = error_of(events.test_event_pattern, EventPattern=p, Event="not json")
    assert err["Code"] == "ValidationException"


# -- tags ----------------------------------------------------------------------------------

def test_tags_on_rules_and_buses(events):
    rule = unique("tr")
    rule_arn = events.put_rule(Name=rule, EventPattern=PATTERN,
                               Tags=[{"Key": "a", "Value": "1"}])["RuleArn"]
    bus = unique("tb")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    crule = unique("tcr")
    crule_arn = events.put_rule(Name=crule, EventBusName=bus, EventPattern=PATTERN)["RuleArn"]

    def tags(arn):
        listed = events.list_tags_for_resource(ResourceARN=arn)["Tags"]
        return {t["Key"]: t["Value"] for t in listed}

    assert tags(rule_arn) == {"a": "1"}
    for arn in (rule_arn, bus_arn, crule_arn):
        events.tag_resource(ResourceARN=arn, Tags=[{"Key": "b", "Value": "2"},
                                                   {"Key": "c", "Value": "3"}])
        events.tag_resource(ResourceARN=arn, Tags=[{"Key": "b", "Value": "20"}])
        events.untag_resource(ResourceARN=arn, TagKeys=["c"])
    assert tags(rule_arn) == {"a": "1", "b": "20"}
    assert tags(bus_arn) == {"b": "20"}
    assert tags(crule_arn) == {"b": "20"}
    missing = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{unique('nosuch')}"
    for call, kw in [(events.list_tags_for_resource, {}),
                     (events.tag_resource, {"Tags": [{"Key": "k", "Value": "v"}]}),
                     (events.untag_resource, {"TagKeys": ["k"]})]:
        assert error_of(call, ResourceARN=missing, **kw)["Code"] == "ResourceNotFoundException"


# -- PutEvents -----------------------------------------------------------------------------

def entry(**over):
    # A source no rule here matches: these tests are about the call, not delivery.
    e = {"Source": "put.events.test", "DetailType": "thing", "Detail": json.dumps({"n": 1})}
    e.update(over)
    return {k: v for k, v in e.items() if v is not None}


def test_put_events_accepts_entries(events):
    out = events.put_events(Entries=[entry(), entry(Resources=["arn:aws:s3:::b"])])
    assert out["FailedEntryCount"] == 0
    ids = [e["EventId"] for e in out["Entries"]]
    assert len(ids) == 2 and len(set(ids)) == 2 and all(ids)
    bus = unique("pbus")
    events.create_event_bus(Name=bus)
    out = events.put_events(Entries=[entry(EventBusName=bus),
                                     entry(EventBusName=f"arn:aws:events:{REGION}:{ACCOUNT}"
                                                        f":event-bus/{bus}")])
    assert out["FailedEntryCount"] == 0


def test_put_events_entry_count(events, server):
    loose = server.session().client("events", endpoint_url=server.endpoint,
                                    config=NO_RETRY.merge(Config(parameter_validation=False)))
    err = error_of(loose.put_events, Entries=[])
    assert err["Code"] == "ValidationException"
    err = error_of(events.put_events, Entries=[entry() for _ in range(11)])
    assert err["Code"] == "ValidationException"
    assert events.put_events(Entries=[entry() for _ in range(10)])["FailedEntryCount"] == 0


def test_put_events_per_entry_errors(events):
    out = events.put_events(Entries=[
        entry(),                                        # 0 ok
        entry(Source=None),                             # 1 no Source
        entry(DetailType=None),                         # 2 no DetailType
        entry(Detail=None),                             # 3 no Detail
        entry(Detail="[1, 2]"),                         # 4 not an object
        entry(Detail="{not json"),                      # 5 not JSON
        entry(Source="aws.s3"),                         # 6 reserved source
        entry(EventBusName=unique("nobus")),            # 7 unknown bus (AWS accepts silently)
        entry(Detail=json.dumps({"ok": True})),         # 8 ok
    ])
    results = out["Entries"]
    assert len(results) == 9, "one result per entry, in order"
    codes = [r.get("ErrorCode") for r in results]
    assert codes == [None, "InvalidArgument", "InvalidArgument", "InvalidArgument",
                     "MalformedDetail", "MalformedDetail", "NotAuthorizedForSourceException",
                     "InvalidArgument", None], results
    assert out["FailedEntryCount"] == 7
    for i in (0, 8):
        assert results[i]["EventId"] and "ErrorMessage" not in results[i]
    for r in results[1:8]:
        assert r["ErrorMessage"] and "EventId" not in r


def test_put_events_request_size_limit(events):
    big = json.dumps({"pad": "x" * (256 * 1024)})
    err = error_of(events.put_events, Entries=[entry(Detail=big)])
    assert err["Code"] == "ValidationException", err
    # Just under the limit is accepted.
    fits = json.dumps({"pad": "x" * (200 * 1024)})
    assert events.put_events(Entries=[entry(Detail=fits)])["FailedEntryCount"] == 0


# -- what reaches LookupEvents -------------------------------------------------------------

def test_management_calls_are_recorded_put_events_is_not(events, server):
    name = unique("audit")
    put = events.put_rule(Name=name, EventPattern=PATTERN)
    ev = server.record_for(put, "PutRule")
    assert ev["EventSource"] == "events.amazonaws.com"
    rec = ev["Record"]
    assert rec["requestParameters"]["name"] == name
    assert rec["responseElements"]["ruleArn"] == put["RuleArn"]
    assert rec["readOnly"] is False
    described = events.describe_rule(Name=name)
    assert server.record_for(described, "DescribeRule")["Record"]["readOnly"] is True
    targets = events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue_arn("x")}])
    server.record_for(targets, "PutTargets")

    ok = events.put_events(Entries=[entry()])
    recorded = server.all_request_ids()
    assert ok["ResponseMetadata"]["RequestId"] not in recorded


def test_failed_put_events_is_not_a_management_event(events, server):
    """PutEvents is a data event whatever its outcome."""
    with pytest.raises(ClientError) as ei:
        events.put_events(Entries=[entry() for _ in range(11)])
    failed_id = ei.value.response["ResponseMetadata"]["RequestId"]
    later = events.describe_event_bus()
    server.record_for(later, "DescribeEventBus")
    recorded = {e["Record"]["requestID"]: e["Record"] for e in server.lookup()}
    assert failed_id not in recorded, recorded.get(failed_id)


# -- archives ---------------------------------------------------------------------------------------------------------

def test_an_archive_keeps_the_matching_events_of_its_bus(events):
    """CreateArchive on a custom bus with a pattern: the events PutEvents puts on that bus and the pattern matches are
    archived (EventCount, SizeBytes), others are not; Describe, List (each filter), Update and Delete; AWS's errors."""
    bus = unique("arch-bus")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    name = unique("arch")
    created = events.create_archive(ArchiveName=name, EventSourceArn=bus_arn, Description="orders",
                                    EventPattern=json.dumps({"source": ["orders"]}), RetentionDays=7)
    assert created["ArchiveArn"] == f"arn:aws:events:us-east-1:000000000000:archive/{name}"
    assert created["State"] == "ENABLED"
    entries = [{"EventBusName": bus, "Source": source, "DetailType": "t", "Detail": json.dumps({"n": i})}
               for i, source in enumerate(["orders", "orders", "other", "orders"])]
    assert events.put_events(Entries=entries)["FailedEntryCount"] == 0
    events.put_events(Entries=[{"Source": "orders", "DetailType": "t", "Detail": "{}"}])  # the default bus: not this archive

    def archived():
        d = events.describe_archive(ArchiveName=name)
        return d if d["EventCount"] == 3 else None
    d = wait_for(archived, timeout=30, what="three archived events")
    assert d["ArchiveName"] == name and d["EventSourceArn"] == bus_arn and d["Description"] == "orders"
    assert json.loads(d["EventPattern"]) == {"source": ["orders"]} and d["RetentionDays"] == 7
    assert d["State"] == "ENABLED" and d["SizeBytes"] > 3 * 100, d

    listed = {a["ArchiveName"]: a for a in events.list_archives(NamePrefix=name)["Archives"]}
    assert listed[name]["EventCount"] == 3 and listed[name]["EventSourceArn"] == bus_arn
    assert [a["ArchiveName"] for a in events.list_archives(EventSourceArn=bus_arn)["Archives"]] == [name]
    assert name in [a["ArchiveName"] for a in events.list_archives(State="ENABLED")["Archives"]]

    # Without a pattern after the update, every event of the bus is archived.
    events.update_archive(ArchiveName=name, EventPattern="", RetentionDays=0)
    events.put_events(Entries=[{"EventBusName": bus, "Source": "other", "DetailType": "t", "Detail": "{}"}])
    wait_for(lambda: events.describe_archive(ArchiveName=name)["EventCount"] == 4, timeout=30, what="a fourth archived event")
    assert events.describe_archive(ArchiveName=name)["RetentionDays"] == 0

    assert error_of(events.create_archive, ArchiveName=name, EventSourceArn=bus_arn)["Code"] == "ResourceAlreadyExistsException"
    missing = bus_arn.replace(bus, unique("no-bus"))
    assert error_of(events.create_archive, ArchiveName=unique("a"), EventSourceArn=missing)["Code"] == "ResourceNotFoundException"
    assert error_of(events.create_archive, ArchiveName=unique("a"), EventSourceArn=bus_arn,
                    EventPattern='{"source": "x"}')["Code"] == "InvalidEventPatternException"
    assert error_of(events.create_archive, ArchiveName="bad name", EventSourceArn=bus_arn)["Code"] == "ValidationException"
    for days in (2**31, 2**62):  # (botocore itself refuses a negative count)
        assert error_of(events.create_archive, ArchiveName=unique("a"), EventSourceArn=bus_arn,
                        RetentionDays=days)["Code"] == "ValidationException", days
    assert error_of(events.list_archives, NamePrefix="a", State="ENABLED")["Code"] == "ValidationException"
    assert error_of(events.describe_archive, ArchiveName=unique("none"))["Code"] == "ResourceNotFoundException"

    events.delete_archive(ArchiveName=name)
    assert error_of(events.describe_archive, ArchiveName=name)["Code"] == "ResourceNotFoundException"
    assert events.list_archives(NamePrefix=name)["Archives"] == []


def test_a_replay_puts_an_archived_window_back_on_its_bus_in_order_to_the_chosen_rules(events, server):
    """StartReplay over an archive: the window's events go back on the bus with replay-name, in their original order,
    only to the FilterArns rule (here one matching replayed events alone, into a FIFO queue), and are not archived
    again; the replay goes to COMPLETED with its times; AWS's errors for a bad window, a cross-bus destination, a
    missing archive, a taken name and cancelling a finished replay."""
    import time
    sqs = server.client("sqs")
    bus = unique("replay-bus")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    archive = unique("replay-arch")
    archive_arn = events.create_archive(ArchiveName=archive, EventSourceArn=bus_arn)["ArchiveArn"]
    replayed_rule, live_rule = unique("replayed"), unique("live")
    replayed_arn = events.put_rule(Name=replayed_rule, EventBusName=bus,
                                   EventPattern=json.dumps({"source": ["orders"], "replay-name": [{"exists": True}]}))["RuleArn"]
    live_arn = events.put_rule(Name=live_rule, EventBusName=bus, EventPattern=json.dumps({"source": ["orders"]}))["RuleArn"]
    fifo_url = sqs.create_queue(QueueName=unique("replayed") + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    fifo_arn = allow_service_to_queue(sqs, fifo_url)
    live_url, live_queue = new_queue(sqs, "live", allow=EVENTS_PRINCIPAL)
    events.put_targets(Rule=replayed_rule, EventBusName=bus,
                       Targets=[{"Id": "q", "Arn": fifo_arn, "SqsParameters": {"MessageGroupId": "g"}}])
    events.put_targets(Rule=live_rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": live_queue}])

    start = time.time() - 5
    for i in range(5):
        events.put_events(Entries=[{"EventBusName": bus, "Source": "orders", "DetailType": "t", "Detail": json.dumps({"n": i})}])
    wait_for(lambda: events.describe_archive(ArchiveName=archive)["EventCount"] == 5, timeout=30, what="five archived events")
    originals: list[dict] = []
    wait_for(lambda: originals.extend(sqs.receive_message(QueueUrl=live_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
                                      .get("Messages", [])) or len(originals) >= 5, timeout=30, what="the live rule's events")
    # botocore sends whole seconds: the window ends after the events' second, and no later than now.
    end = time.time() + 1.5
    time.sleep(1.6)

    name = unique("replay")
    started = events.start_replay(ReplayName=name, EventSourceArn=archive_arn, EventStartTime=start, EventEndTime=end,
                                  Destination={"Arn": bus_arn, "FilterArns": [replayed_arn]}, Description="again")
    assert started["ReplayArn"].endswith(f":replay/{name}") and started["State"] == "STARTING"

    def completed():
        d = events.describe_replay(ReplayName=name)
        return d if d["State"] == "COMPLETED" else None
    done = wait_for(completed, timeout=30, what="the replay to complete")
    assert done["EventSourceArn"] == archive_arn and done["Description"] == "again"
    assert done["Destination"] == {"Arn": bus_arn, "FilterArns": [replayed_arn]}
    assert done["EventLastReplayedTime"] and done["ReplayEndTime"] >= done["ReplayStartTime"]

    got: list[dict] = []
    wait_for(lambda: got.extend(sqs.receive_message(QueueUrl=fifo_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
                                .get("Messages", [])) or len(got) >= 5, timeout=30, what="five replayed events")
    bodies = [json.loads(m["Body"]) for m in got]
    assert [b["detail"]["n"] for b in bodies] == [0, 1, 2, 3, 4]
    assert all(b["replay-name"] == name for b in bodies)
    assert {b["id"] for b in bodies} == {json.loads(m["Body"])["id"] for m in originals}
    # The live rule was not among FilterArns: it got nothing more; the archive did not keep the replayed events.
    assert sqs.receive_message(QueueUrl=live_url, WaitTimeSeconds=1).get("Messages", []) == []
    assert events.describe_archive(ArchiveName=archive)["EventCount"] == 5
    assert [r["ReplayName"] for r in events.list_replays(NamePrefix=name)["Replays"]] == [name]

    def code(**kwargs):
        return error_of(events.start_replay, **{"ReplayName": unique("r"), "EventSourceArn": archive_arn,
                                                "EventStartTime": start, "EventEndTime": end,
                                                "Destination": {"Arn": bus_arn}, **kwargs})["Code"]
    assert code(EventStartTime=end, EventEndTime=start) == "ValidationException"
    assert code(Destination={"Arn": bus_arn.replace(bus, "default")}) == "ValidationException"
    assert code(EventSourceArn=archive_arn + "-none") == "ResourceNotFoundException"
    assert code(ReplayName=name) == "ResourceAlreadyExistsException"
    assert code(Destination={"Arn": bus_arn, "FilterArns": [live_arn.replace(live_rule, "no-such-rule")]}) == "ValidationException"
    assert error_of(events.cancel_replay, ReplayName=name)["Code"] == "IllegalStatusException"
    assert error_of(events.describe_replay, ReplayName=unique("none"))["Code"] == "ResourceNotFoundException"


def archived_events(events, sqs, prefix: str, count: int) -> tuple[str, str, str, float, float]:
    """A bus whose archive holds `count` events (`detail.n` = 0..count-1) and a rule sending replayed events to a new
    queue: (bus ARN, archive ARN, queue URL, a window start before the events and its end after them)."""
    import time
    bus = unique(f"{prefix}-bus")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    archive = unique(f"{prefix}-arch")
    archive_arn = events.create_archive(ArchiveName=archive, EventSourceArn=bus_arn)["ArchiveArn"]
    rule = unique(f"{prefix}-rule")
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"replay-name": [{"exists": True}]}))
    url, arn = new_queue(sqs, prefix, allow=EVENTS_PRINCIPAL)
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    start = time.time() - 5
    for batch in range(count // 10):
        events.put_events(Entries=[{"EventBusName": bus, "Source": "load", "DetailType": "t",
                                    "Detail": json.dumps({"n": batch * 10 + i})} for i in range(10)])
    wait_for(lambda: events.describe_archive(ArchiveName=archive)["EventCount"] == count, timeout=120,
             what=f"{count} archived events")
    end = time.time() + 1.5
    time.sleep(1.6)
    return bus_arn, archive_arn, url, start, end


def test_cancelling_a_running_replay_stops_it(events, server):
    """CancelReplay while a replay of 2,000 archived events runs: CANCELLING, then CANCELLED with its end time; the
    replay's rule got no more events than the archive holds."""
    sqs = server.client("sqs")
    bus_arn, archive_arn, url, start, end = archived_events(events, sqs, "cancel", 2000)
    name = unique("cancel")
    events.start_replay(ReplayName=name, EventSourceArn=archive_arn, EventStartTime=start, EventEndTime=end,
                        Destination={"Arn": bus_arn})
    cancelled = events.cancel_replay(ReplayName=name)
    assert cancelled["State"] == "CANCELLING" and cancelled["ReplayArn"].endswith(f":replay/{name}")

    def ended():
        d = events.describe_replay(ReplayName=name)
        return d if d["State"] not in ("STARTING", "RUNNING", "CANCELLING") else None
    done = wait_for(ended, timeout=60, what="the cancelled replay to end")
    assert done["State"] == "CANCELLED" and done["ReplayEndTime"] >= done["ReplayStartTime"], done
    assert error_of(events.cancel_replay, ReplayName=name)["Code"] == "IllegalStatusException"
    assert [r["State"] for r in events.list_replays(NamePrefix=name)["Replays"]] == ["CANCELLED"]


# Last in the module: its rule was made when the module started (minute_rule).
def test_a_scheduled_rule_fires_a_scheduled_event_at_each_due_time(server, events, minute_rule):
    """A rule with ScheduleExpression cron(* * * * ? *) puts, at the start of each minute, one event from aws.events
    with detail-type "Scheduled Event", the rule as its resource and an empty detail, to its targets."""
    name, rule_arn, url = minute_rule
    sqs = server.client("sqs")
    described = events.describe_rule(Name=name)
    assert described["ScheduleExpression"] == "cron(* * * * ? *)" and "EventPattern" not in described
    assert [r["ScheduleExpression"] for r in events.list_rules(NamePrefix=name)["Rules"]] == ["cron(* * * * ? *)"]

    got: list[dict] = []

    def fired():
        got.extend(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5, MaxNumberOfMessages=10).get("Messages", []))
        return got
    wait_for(fired, timeout=90, what="the scheduled rule's first event")
    times = [json.loads(m["Body"])["time"] for m in got]
    assert len(set(times)) == len(times), times  # each due time once
    event = json.loads(got[0]["Body"])
    assert event["source"] == "aws.events" and event["detail-type"] == "Scheduled Event", event
    assert event["resources"] == [rule_arn] and event["detail"] == {}, event
    assert event["time"].endswith(":00Z"), event  # the due time: the start of a minute
