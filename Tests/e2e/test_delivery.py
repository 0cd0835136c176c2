"""Events delivered: PutEvents → rules → SQS queues and other buses, input shaping (Input,
InputPath, InputTransformer, byte-exact), FIFO targets, retries, dead-letter queues with AWS's
error attributes, at-least-once delivery across kill -9, the CloudTrail bridge (which calls
reach which rule states), and one flow with the aws CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest

from conftest import (EVENTS_PRINCIPAL, Creds, allow_service_to_queue, cli_on_sqlite_only, grant, http, service_policy,
                      unique, wait_for)

ACCOUNT = "000000000000"
REGION = "us-east-1"
ENVELOPE_KEYS = ["version", "id", "detail-type", "source", "account", "time", "region",
                 "resources", "detail"]
API_CALL = "AWS API Call via CloudTrail"


# -- helpers -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def events(server):
    return server.client("events")


@pytest.fixture(scope="module")
def sqs(server):
    return server.client("sqs")


def new_queue(sqs, prefix="q", allow: str | None = EVENTS_PRINCIPAL, **attributes) -> tuple[str, str]:
    """A new queue: (url, arn). Every queue here is a rule's target or dead-letter queue, so by default its policy
    lets EventBridge send to it (`allow=None`: no policy)."""
    name = unique(prefix)
    attrs = {k: str(v) for k, v in attributes.items()}
    if name.endswith(".fifo") or attrs.get("FifoQueue") == "true":
        attrs["FifoQueue"] = "true"
        name = name if name.endswith(".fifo") else name + ".fifo"
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    if allow:
        allow_service_to_queue(sqs, url, allow)
    return url, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def rule_to(events, pattern: dict, targets: list[dict], bus: str = "default",
            state: str = "ENABLED") -> str:
    """A rule with `pattern` and `targets`; returns the rule ARN."""
    name = unique("rule")
    arn = events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern),
                          State=state)["RuleArn"]
    if targets:
        out = events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
        assert out["FailedEntryCount"] == 0, out
    return arn


def put(events, source: str, detail: dict | str, detail_type: str = "test", **kw) -> str:
    """One PutEvents entry that must be accepted; returns its EventId."""
    text = detail if isinstance(detail, str) else json.dumps(detail, separators=(",", ":"))
    out = events.put_events(Entries=[{"Source": source, "DetailType": detail_type,
                                      "Detail": text, **kw}])
    assert out["FailedEntryCount"] == 0, out
    return out["Entries"][0]["EventId"]


def wait_messages(sqs, url: str, n: int, timeout: float = 15.0, **kw) -> list[dict]:
    """Receive (and delete) until n messages arrived; fails if they do not in time."""
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                    **kw).get("Messages", [])
        got.extend(batch)
        if batch:
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
    assert len(got) >= n, f"expected {n} messages within {timeout}s, got {len(got)}: " \
        f"{[m['Body'][:200] for m in got]}"
    return got


def received_until(sqs, url: str, is_marker, timeout: float = 15.0) -> list[str]:
    """Receives (and deletes) messages until the one `is_marker(body parsed as JSON)` picks has arrived, then
    whatever else is queued by then; returns the bodies as received.

    This is how a test shows that something did NOT arrive, without sleeping: the marker is put after the
    events that must not arrive, and the outbox delivers to a queue in the order events were put, so once
    the marker is here anything put before it would be here too."""
    got: list[str] = []
    deadline = time.monotonic() + timeout
    wait = 1
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                    WaitTimeSeconds=wait).get("Messages", [])
        got += [m["Body"] for m in batch]
        if batch:
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
        if wait == 0 and not batch:
            return got
        if wait and any(is_marker(json.loads(b)) for b in got):
            wait = 0  # the marker is here: take what is queued with it, without waiting
            continue
        assert time.monotonic() < deadline, \
            f"the marker did not arrive within {timeout}s; got {[b[:200] for b in got]}"


def events_until(sqs, url: str, is_marker, timeout: float = 15.0) -> list[dict]:
    """received_until, the bodies parsed."""
    return [json.loads(b) for b in received_until(sqs, url, is_marker, timeout)]


def ids_until(sqs, url: str, marker: str, timeout: float = 15.0) -> list[str]:
    """The event ids of every message received until the event `marker` arrived (see received_until)."""
    return [b["id"] for b in events_until(sqs, url, lambda b: b["id"] == marker, timeout)]


def deliveries_counter(server, result: str) -> int:
    """cairn_event_deliveries_total{result=...} from /_cairn/metrics."""
    r = http("GET", server.endpoint + "/_cairn/metrics")
    assert r.status_code == 200, r.text
    m = re.search(r'^cairn_event_deliveries_total\{result="' + result + r'"\} (\d+)', r.text, re.M)
    return int(m.group(1)) if m else 0


def nothing_queued(sqs, url: str) -> bool:
    return not sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages")


# -- PutEvents → SQS -----------------------------------------------------------------------

def test_event_reaches_the_queue_with_the_full_envelope(events, sqs):
    src = unique("app")
    url, arn = new_queue(sqs, "env")
    rule_to(events, {"source": [src]}, [{"Id": "q", "Arn": arn}])
    at = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    detail = {"a": 1, "nested": {"b": [1, 2.5, "x"], "t": True, "n": None}, "s": "é\"\\"}
    event_id = put(events, src, detail, detail_type="Order Placed", Time=at,
                   Resources=["arn:aws:s3:::bucket/key", "r2"])
    [m] = wait_messages(sqs, url, 1, AttributeNames=["All"])
    body = json.loads(m["Body"])
    assert list(body) == ENVELOPE_KEYS, "envelope fields in AWS's order"
    assert body == {
        "version": "0", "id": event_id, "detail-type": "Order Placed", "source": src,
        "account": ACCOUNT, "time": "2024-01-02T03:04:05Z", "region": REGION,
        "resources": ["arn:aws:s3:::bucket/key", "r2"], "detail": detail,
    }
    # Without Time, the time is when the event was put.
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    put(events, src, {"a": 2})
    [m] = wait_messages(sqs, url, 1)
    body = json.loads(m["Body"])
    t = dt.datetime.strptime(body["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    assert before - dt.timedelta(seconds=5) <= t <= before + dt.timedelta(seconds=5)
    assert body["resources"] == [] and body["detail"] == {"a": 2}


def test_only_matching_events_are_delivered(events, sqs):
    src = unique("match")
    url, arn = new_queue(sqs, "match")
    rule_to(events, {"source": [src], "detail-type": ["order"],
                     "detail": {"total": [{"numeric": [">", 100]}],
                                "country": [{"anything-but": ["XX"]}]}},
            [{"Id": "q", "Arn": arn}])

    def e(detail_type, total, country, source=src):
        return {"Source": source, "DetailType": detail_type,
                "Detail": json.dumps({"total": total, "country": country})}

    out = events.put_events(Entries=[
        e("order", 50, "FR"), e("order", 150, "XX"), e("refund", 150, "FR"),
        e("order", 150, "FR", source=src + "x"), e("order", 101, "FR")])
    assert out["FailedEntryCount"] == 0
    want = out["Entries"][4]["EventId"]
    # A matching event put after them: once it is here, none of the others can still come.
    marker = put(events, src, {"total": 200, "country": "FR"}, detail_type="order")
    assert sorted(ids_until(sqs, url, marker)) == sorted([want, marker])


def test_fields_after_large_skipped_parts_of_the_detail_are_matched(events, sqs):
    """The bus skips what no rule names by its structure: strings holding brackets, quotes and
    backslashes, nested arrays and long text before the named field must not throw it off."""
    src = unique("skip")
    url, arn = new_queue(sqs, "skip")
    rule_to(events, {"source": [src], "detail": {"after": {"name": [{"prefix": "want"}]}}},
            [{"Id": "q", "Arn": arn}])
    tricky = {
        "text": 'a "quoted" } ] { [ string with \\ backslashes \\" and more' * 3,
        "nested": [[{"k": "]}"}, {"k": "\\\\"}], [1, 2.5, -3e2, True, None]] * 4,
        "unicode": "é ✓ \u2028 \t tab",
    }
    ids = []
    for name in ["wanted", "unwanted", "want"]:
        ids.append(put(events, src, {"skipped": tricky, "before": ["]", "}", "\""],
                                     "after": {"name": name, "pad": tricky["nested"]}}))
    marker = put(events, src, {"after": {"name": "want-marker"}})
    got = events_until(sqs, url, lambda b: b["id"] == marker)
    assert sorted(b["id"] for b in got) == sorted([ids[0], ids[2], marker])
    [wanted] = [b for b in got if b["id"] == ids[0]]
    assert wanted["detail"]["skipped"] == tricky


def test_disabled_rule_never_fires_and_enabling_it_resumes(events, sqs):
    src = unique("dis")
    off_url, off_arn = new_queue(sqs, "off")
    on_url, on_arn = new_queue(sqs, "on")
    off_rule = rule_to(events, {"source": [src]}, [{"Id": "q", "Arn": off_arn}], state="DISABLED")
    rule_to(events, {"source": [src]}, [{"Id": "q", "Arn": on_arn}])
    put(events, src, {"n": 1})
    wait_messages(sqs, on_url, 1)  # the enabled rule saw it
    name = off_rule.rsplit("/", 1)[1]
    events.enable_rule(Name=name)
    eid = put(events, src, {"n": 2})
    # Only the event put after enabling: the one put while the rule was disabled never came.
    assert ids_until(sqs, off_url, eid) == [eid]
    wait_messages(sqs, on_url, 1)
    events.disable_rule(Name=name)
    put(events, src, {"n": 3})
    wait_messages(sqs, on_url, 1)
    # A rule of its own brings a marker put after n=3 to the queue: n=3 did not come before it.
    rule_to(events, {"source": [src], "detail": {"marker": [True]}}, [{"Id": "m", "Arn": off_arn}])
    marker = put(events, src, {"marker": True})
    assert ids_until(sqs, off_url, marker) == [marker]


def test_fan_out_to_rules_and_targets(events, sqs):
    src = unique("fan")
    (u1, a1), (u2, a2), (u3, a3) = (new_queue(sqs, "fan") for _ in range(3))
    rule_to(events, {"source": [src]}, [{"Id": "one", "Arn": a1}, {"Id": "two", "Arn": a2}])
    rule_to(events, {"detail": {"kind": ["x"]}, "source": [src]}, [{"Id": "three", "Arn": a3}])
    eid = put(events, src, {"kind": "x"})
    for u in (u1, u2, u3):
        [m] = wait_messages(sqs, u, 1)
        assert json.loads(m["Body"])["id"] == eid
    put(events, src, {"kind": "y"})
    wait_messages(sqs, u1, 1)
    wait_messages(sqs, u2, 1)
    marker = put(events, src, {"kind": "x"})
    assert ids_until(sqs, u3, marker) == [marker]  # "y" never came


def test_put_rule_again_changes_what_it_matches(events, sqs):
    src = unique("upd")
    url, arn = new_queue(sqs, "upd")
    rule = rule_to(events, {"source": [src], "detail-type": ["old"]}, [{"Id": "q", "Arn": arn}])
    name = rule.rsplit("/", 1)[1]
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [src], "detail-type": ["new"]}),
                    State="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
    put(events, src, {"v": 1}, detail_type="old")
    eid = put(events, src, {"v": 2}, detail_type="new")  # the opt-in state takes custom events too
    assert ids_until(sqs, url, eid) == [eid]  # the "old" one, put first, never came


def test_removed_target_and_deleted_rule_stop_delivery(events, sqs):
    src = unique("stop")
    url, arn = new_queue(sqs, "stop")
    keep_url, keep_arn = new_queue(sqs, "keep")
    rule = rule_to(events, {"source": [src]},
                   [{"Id": "q", "Arn": arn}, {"Id": "k", "Arn": keep_arn}])
    name = rule.rsplit("/", 1)[1]
    events.remove_targets(Rule=name, Ids=["q"])
    first = put(events, src, {})
    assert ids_until(sqs, keep_url, first) == [first]
    # A rule of its own brings a marker put afterwards to the removed target's queue: the first event did not come.
    rule_to(events, {"source": [src], "detail": {"to": ["url"]}}, [{"Id": "m", "Arn": arn}])
    marker = put(events, src, {"to": "url"})
    assert ids_until(sqs, url, marker) == [marker]
    assert ids_until(sqs, keep_url, marker) == [marker]  # still a target of the first rule
    events.remove_targets(Rule=name, Ids=["k"])
    events.delete_rule(Name=name)
    put(events, src, {})
    rule_to(events, {"source": [src], "detail": {"to": ["keep"]}}, [{"Id": "m", "Arn": keep_arn}])
    marker = put(events, src, {"to": "keep"})
    assert ids_until(sqs, keep_url, marker) == [marker]  # the deleted rule delivered nothing more


# -- input shaping (byte-exact) ------------------------------------------------------------

DETAIL = {"name": "alice", "count": 42, "flag": True, "tags": ["a", "b"],
          "obj": {"k": "v", "n": 1.5}, "quote": 'say "hi"'}


def deliver_one(events, sqs, target_extra: dict, detail=DETAIL) -> tuple[str, str, str]:
    """Put one event through a rule whose target has `target_extra`; returns (body, id, rule)."""
    src = unique("shape")
    url, arn = new_queue(sqs, "shape")
    rule_arn = rule_to(events, {"source": [src]}, [{"Id": "t", "Arn": arn, **target_extra}])
    eid = put(events, src, detail, detail_type="Shape Test")
    [m] = wait_messages(sqs, url, 1)
    return m["Body"], eid, rule_arn


def test_input_constant(events, sqs):
    text = '{"fixed" : [1, 2,3], "s": "x y"}'
    body, _, _ = deliver_one(events, sqs, {"Input": text})
    assert body == text


def test_input_path(events, sqs):
    body, _, _ = deliver_one(events, sqs, {"InputPath": "$.detail"})
    assert json.loads(body) == DETAIL
    body, _, _ = deliver_one(events, sqs, {"InputPath": "$.detail.name"})
    assert body == '"alice"'
    body, _, _ = deliver_one(events, sqs, {"InputPath": "$.detail.count"})
    assert body == "42"
    body, _, _ = deliver_one(events, sqs, {"InputPath": "$.detail.tags"})
    assert body == '["a","b"]'
    body, eid, _ = deliver_one(events, sqs, {"InputPath": "$.id"})
    assert body == json.dumps(eid)


def test_input_transformer_json_template(events, sqs):
    template = ('{"who": <name>, "n": <count>, "f": <flag>, "msg": "hello <name>, n=<count>",'
                ' "tags": <tags>, "missing": <nope>, "rule": "<aws.events.rule-name>"}')
    body, _, rule_arn = deliver_one(events, sqs, {"InputTransformer": {
        "InputPathsMap": {"name": "$.detail.name", "count": "$.detail.count",
                          "flag": "$.detail.flag", "tags": "$.detail.tags",
                          "nope": "$.detail.absent"},
        "InputTemplate": template}})
    rule_name = rule_arn.rsplit("/", 1)[1]
    assert body == ('{"who": "alice", "n": 42, "f": true, "msg": "hello alice, n=42",'
                    ' "tags": ["a","b"], "missing": null, "rule": "' + rule_name + '"}')


def test_input_transformer_string_template(events, sqs):
    body, _, _ = deliver_one(events, sqs, {"InputTransformer": {
        "InputPathsMap": {"name": "$.detail.name", "type": "$.detail-type"},
        "InputTemplate": '"<name> sent a <type> event"'}})
    assert body == '"alice sent a Shape Test event"'


def test_input_transformer_whole_values(events, sqs):
    body, eid, _ = deliver_one(events, sqs, {"InputTransformer": {
        "InputPathsMap": {"d": "$.detail.obj", "id": "$.id", "src": "$.source"},
        "InputTemplate": '{"obj": <d>, "id": <id>}'}})
    assert body == '{"obj": {"k":"v","n":1.5}, "id": "' + eid + '"}'
    assert json.loads(body) == {"obj": DETAIL["obj"], "id": eid}


# -- FIFO and bus targets ------------------------------------------------------------------

def test_fifo_queue_target_with_message_group(events, sqs):
    src = unique("fifo")
    url, arn = new_queue(sqs, "fifot", FifoQueue="true")
    rule_to(events, {"source": [src]}, [{"Id": "f", "Arn": arn,
                                         "SqsParameters": {"MessageGroupId": "orders"}}])
    out = events.put_events(Entries=[{"Source": src, "DetailType": "t",
                                      "Detail": json.dumps({"i": i})} for i in range(3)])
    assert out["FailedEntryCount"] == 0
    ids = {e["EventId"] for e in out["Entries"]}
    got = wait_messages(sqs, url, 3, AttributeNames=["All"])
    assert {json.loads(m["Body"])["id"] for m in got} == ids
    assert {m["Attributes"]["MessageGroupId"] for m in got} == {"orders"}
    assert all(m["Attributes"]["SequenceNumber"].isdigit() for m in got)


def test_event_bus_target_routes_through_the_other_bus(events, sqs):
    src = unique("hop")
    bus = unique("hopbus")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    url, arn = new_queue(sqs, "hop")
    direct_url, direct_arn = new_queue(sqs, "direct")
    rule_to(events, {"source": [src]}, [{"Id": "b", "Arn": bus_arn}])             # default → bus
    rule_to(events, {"source": [src], "detail": {"x": [1]}}, [{"Id": "q", "Arn": arn}], bus=bus)
    rule_to(events, {"source": [src]}, [{"Id": "d", "Arn": direct_arn}])
    eid = put(events, src, {"x": 1}, detail_type="hop")
    [m] = wait_messages(sqs, url, 1)
    body = json.loads(m["Body"])
    assert body["source"] == src and body["detail-type"] == "hop"
    assert body["detail"] == {"x": 1} and body["account"] == ACCOUNT
    [m] = wait_messages(sqs, direct_url, 1)
    assert json.loads(m["Body"])["id"] == eid
    # The other bus's rules still filter: x=2 goes through it and matches nothing there, as the next x=1 shows.
    put(events, src, {"x": 2})
    wait_messages(sqs, direct_url, 1)
    first_marker = put(events, src, {"x": 1, "marker": 1})
    got = events_until(sqs, url, lambda b: b["detail"].get("marker") == 1)
    assert [b["detail"] for b in got] == [{"x": 1, "marker": 1}]
    assert ids_until(sqs, direct_url, first_marker) == [first_marker]
    # An event put on the custom bus does not reach the default bus's rules.
    put(events, src, {"x": 1, "marker": 2}, EventBusName=bus)
    got = events_until(sqs, url, lambda b: b["detail"].get("marker") == 2)
    assert [b["detail"] for b in got] == [{"x": 1, "marker": 2}]
    marker = put(events, src, {"x": 3})  # on the default bus, after it
    assert ids_until(sqs, direct_url, marker) == [marker]


# -- failures: retries and dead-letter queues ----------------------------------------------


def dlq_attributes(m: dict) -> dict:
    return {k: v["StringValue"] for k, v in m.get("MessageAttributes", {}).items()}


def test_missing_target_queue_with_no_retries_goes_to_the_dlq(events, sqs):
    src = unique("dlq")
    dlq_url, dlq_arn = new_queue(sqs, "dlq")
    missing = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{unique('missing')}"
    rule_arn = rule_to(events, {"source": [src]}, [{
        "Id": "gone", "Arn": missing, "RetryPolicy": {"MaximumRetryAttempts": 0},
        "DeadLetterConfig": {"Arn": dlq_arn}}])
    eid = put(events, src, {"n": 1})
    [m] = wait_messages(sqs, dlq_url, 1, timeout=10, MessageAttributeNames=["All"])
    a = dlq_attributes(m)
    assert a["ERROR_CODE"] == "NO_RESOURCE"
    assert a["ERROR_MESSAGE"]
    assert a["RULE_ARN"] == rule_arn
    assert a["TARGET_ARN"] == missing
    body = json.loads(m["Body"])
    assert body["id"] == eid and body["detail"] == {"n": 1}


def test_missing_target_queue_is_not_retried(events, sqs):
    """A target that does not exist is not a transient failure: AWS sends the event to the DLQ
    without retrying, whatever the RetryPolicy (EventBridge user guide, "Using dead-letter
    queues": "if a target resource no longer exists, no retry attempts will happen")."""
    src = unique("noretry")
    dlq_url, dlq_arn = new_queue(sqs, "dlqnr")
    missing = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{unique('missing')}"
    rule_to(events, {"source": [src]}, [{"Id": "gone", "Arn": missing,
                                         "DeadLetterConfig": {"Arn": dlq_arn}}])
    eid = put(events, src, {"n": 1})
    [m] = wait_messages(sqs, dlq_url, 1, timeout=10, MessageAttributeNames=["All"])
    assert dlq_attributes(m)["ERROR_CODE"] == "NO_RESOURCE"
    assert json.loads(m["Body"])["id"] == eid


def test_failed_deliveries_are_retried_until_they_succeed(server, events, sqs):
    """The target queue refuses the event (too large) until its limit is raised; the retries
    with backoff then deliver it."""
    src = unique("retry")
    url, arn = new_queue(sqs, "retry", MaximumMessageSize=1024)
    dlq_url, dlq_arn = new_queue(sqs, "retrydlq")
    rule_to(events, {"source": [src]}, [{
        "Id": "t", "Arn": arn, "RetryPolicy": {"MaximumRetryAttempts": 20},
        "DeadLetterConfig": {"Arn": dlq_arn}}])
    retried = deliveries_counter(server, "retried")
    eid = put(events, src, {"pad": "p" * 1500})
    # The first try failed and a retry was scheduled (the counter moved); the queue has nothing.
    wait_for(lambda: deliveries_counter(server, "retried") > retried, what="a retry scheduled")
    assert nothing_queued(sqs, url)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": "262144"})
    [m] = wait_messages(sqs, url, 1, timeout=20)
    assert json.loads(m["Body"])["id"] == eid
    # Delivered, the delivery is finished: a dead letter could only have been sent before this.
    assert nothing_queued(sqs, dlq_url)


def test_exhausted_retries_go_to_the_dlq(events, sqs):
    src = unique("exhaust")
    url, arn = new_queue(sqs, "small", MaximumMessageSize=1024)
    dlq_url, dlq_arn = new_queue(sqs, "exdlq")
    rule_arn = rule_to(events, {"source": [src]}, [{
        "Id": "t", "Arn": arn, "RetryPolicy": {"MaximumRetryAttempts": 2},
        "DeadLetterConfig": {"Arn": dlq_arn}}])
    eid = put(events, src, {"pad": "p" * 1500})
    # Two retries with backoff from 1 s: well within 15 s.
    [m] = wait_messages(sqs, dlq_url, 1, timeout=15, MessageAttributeNames=["All"])
    a = dlq_attributes(m)
    # The queue refused the message: AWS's ERROR_FROM_TARGET, the SQS error code first in the message.
    assert a["ERROR_CODE"] == "ERROR_FROM_TARGET", a
    assert a["ERROR_MESSAGE"].startswith("InvalidParameterValue"), a
    assert a["RULE_ARN"] == rule_arn and a["TARGET_ARN"] == arn
    assert json.loads(m["Body"])["id"] == eid
    # Dead-lettered, the delivery is finished: nothing can reach the target after this.
    assert nothing_queued(sqs, url)


# -- durability ----------------------------------------------------------------------------

def test_kill_9_right_after_put_events_every_accepted_event_is_delivered(cairn_factory):
    srv = cairn_factory.new()
    events, sqs = srv.client("events"), srv.client("sqs")
    src = unique("crash")
    url, arn = new_queue(sqs, "crash")
    rule_to(events, {"source": [src]}, [{"Id": "q", "Arn": arn}])
    accepted: list[str] = []
    for batch in range(8):
        out = events.put_events(Entries=[{"Source": src, "DetailType": "t",
                                          "Detail": json.dumps({"b": batch, "i": i})}
                                         for i in range(10)])
        assert out["FailedEntryCount"] == 0
        accepted += [e["EventId"] for e in out["Entries"]]
    srv.kill9()  # at once: some deliveries are surely still in the outbox

    srv.start()
    sqs = srv.client("sqs")
    got: set[str] = set()
    # Generous: deliveries claimed by the killed process may wait out their claim's lease.
    deadline = time.monotonic() + 90
    while not set(accepted) <= got and time.monotonic() < deadline:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                    WaitTimeSeconds=1).get("Messages", [])
        got |= {json.loads(m["Body"])["id"] for m in batch}
        if batch:
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
    missing = set(accepted) - got
    assert not missing, f"{len(missing)} of {len(accepted)} accepted events never delivered"
    assert got <= set(accepted)


# -- the CloudTrail bridge -----------------------------------------------------------------

@pytest.fixture
def caller(server):
    """An IAM user of its own, so a rule can pick exactly this test's calls; an administrator, so every call it
    makes succeeds."""
    iam = server.client("iam")
    name = unique("bridge")
    iam.create_user(UserName=name)
    creds = Creds.from_access_key(iam.create_access_key(UserName=name))
    grant(iam, user=name)
    return name, creds


def by_caller(creds: Creds, **more) -> dict:
    return {"detail-type": [API_CALL],
            "detail": {"userIdentity": {"accessKeyId": [creds.access_key]}, **more}}


def test_write_call_reaches_enabled_rule_as_cloudtrail_event(server, events, sqs, caller):
    _, creds = caller
    url, arn = new_queue(sqs, "ctw")
    rule_to(events, {"source": ["aws.sqs"], **by_caller(creds)}, [{"Id": "q", "Arn": arn}])
    mine = server.client("sqs", creds)
    qname = unique("made")
    created = mine.create_queue(QueueName=qname)
    [m] = wait_messages(sqs, url, 1)
    body = json.loads(m["Body"])
    assert list(body) == ENVELOPE_KEYS
    assert body["source"] == "aws.sqs"
    assert body["detail-type"] == API_CALL
    assert body["account"] == ACCOUNT and body["region"] == REGION
    assert body["version"] == "0" and body["id"]
    # The detail is the CloudTrail record, the same one LookupEvents returns.
    record = server.record_for(created, "CreateQueue")["Record"]
    assert body["detail"] == record
    assert body["detail"]["eventName"] == "CreateQueue"
    assert body["detail"]["eventSource"] == "sqs.amazonaws.com"
    assert body["detail"]["requestParameters"]["queueName"] == qname
    assert body["time"] == record["eventTime"]


def test_read_only_calls_reach_only_opted_in_rules_and_disabled_rules_never(
        server, events, sqs, caller):
    _, creds = caller
    enabled_url, enabled_arn = new_queue(sqs, "cten")
    all_url, all_arn = new_queue(sqs, "ctall")
    off_url, off_arn = new_queue(sqs, "ctoff")
    pattern = {"source": ["aws.sqs"], **by_caller(creds)}
    rule_to(events, pattern, [{"Id": "q", "Arn": enabled_arn}])
    rule_to(events, pattern, [{"Id": "q", "Arn": all_arn}],
            state="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
    rule_to(events, pattern, [{"Id": "q", "Arn": off_arn}], state="DISABLED")
    mine = server.client("sqs", creds)
    # Read-only first, then a write: the write's arrival shows the reads had their chance.
    mine.list_queues(QueueNamePrefix="x")
    own = mine.create_queue(QueueName=unique("ro"))["QueueUrl"]
    mine.get_queue_attributes(QueueUrl=own, AttributeNames=["All"])
    mine.get_queue_url(QueueName=own.rsplit("/", 1)[1])
    mine.delete_queue(QueueUrl=own)

    def last_call(b):
        return b["detail"]["eventName"] == "DeleteQueue"

    details = [b["detail"] for b in events_until(sqs, enabled_url, last_call)]
    assert sorted(d["eventName"] for d in details) == ["CreateQueue", "DeleteQueue"]
    assert all(d["readOnly"] is False for d in details)

    details = [b["detail"] for b in events_until(sqs, all_url, last_call)]
    assert sorted(d["eventName"] for d in details) == sorted(
        ["ListQueues", "CreateQueue", "GetQueueAttributes", "GetQueueUrl", "DeleteQueue"])
    assert {d["eventName"] for d in details if d["readOnly"]} == \
        {"ListQueues", "GetQueueAttributes", "GetQueueUrl"}

    # An enabled rule of its own brings a marker event, put after the calls, to the disabled rule's queue.
    marker_src = unique("marker")
    rule_to(events, {"source": [marker_src]}, [{"Id": "m", "Arn": off_arn}])
    marker = put(events, marker_src, {})
    assert ids_until(sqs, off_url, marker) == [marker]


def test_every_service_bridges_and_data_events_do_not(server, events, sqs, caller):
    name, creds = caller
    url, arn = new_queue(sqs, "ctsrc")
    rule_to(events, by_caller(creds), [{"Id": "q", "Arn": arn}],
            state="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
    # Data events first: none of these may arrive.
    target_url, _ = new_queue(sqs, "ctdata")
    my_sqs = server.client("sqs", creds)
    my_events = server.client("events", creds)
    my_sqs.send_message(QueueUrl=target_url, MessageBody="data")
    [msg] = my_sqs.receive_message(QueueUrl=target_url)["Messages"]
    my_sqs.delete_message(QueueUrl=target_url, ReceiptHandle=msg["ReceiptHandle"])
    my_events.put_events(Entries=[{"Source": unique("data"), "DetailType": "d", "Detail": "{}"}])
    # Then one management call of each service.
    server.client("sts", creds).get_caller_identity()
    server.client("iam", creds).get_user()
    my_events.put_rule(Name=unique("byuser"), EventPattern=json.dumps({"source": ["never"]}))
    server.client("cloudtrail", creds).lookup_events(MaxResults=1)
    my_sqs.create_queue(QueueName=unique("byuser"))

    # The last call is the marker: the data events, made before it, would be here by then.
    got = events_until(sqs, url, lambda b: b["detail"]["eventName"] == "CreateQueue")
    seen = [(b["source"], b["detail"]["eventName"]) for b in got]
    assert sorted(seen) == sorted([("aws.sts", "GetCallerIdentity"), ("aws.iam", "GetUser"),
                                   ("aws.events", "PutRule"), ("aws.cloudtrail", "LookupEvents"),
                                   ("aws.sqs", "CreateQueue")]), seen
    for body in got:
        assert body["detail-type"] == API_CALL
        assert body["detail"]["userIdentity"]["userName"] == name
        assert body["detail"]["eventSource"] == body["source"][4:] + ".amazonaws.com"


def test_calls_reach_the_default_bus_of_their_own_region(server, events, sqs, caller):
    _, creds = caller
    west_sqs = server.client("sqs", region="us-west-2")
    west_events = server.client("events", region="us-west-2")
    east_url, east_arn = new_queue(sqs, "east")
    west_name = unique("west")
    west_url = west_sqs.create_queue(QueueName=west_name)["QueueUrl"]
    west_arn = allow_service_to_queue(west_sqs, west_url)
    assert west_arn == f"arn:aws:sqs:us-west-2:{ACCOUNT}:{west_name}"
    pattern = {"source": ["aws.sqs"], **by_caller(creds)}
    rule_to(events, pattern, [{"Id": "q", "Arn": east_arn}])
    rule_arn = rule_to(west_events, pattern, [{"Id": "q", "Arn": west_arn}])
    assert rule_arn.startswith("arn:aws:events:us-west-2:")
    server.client("sqs", creds, region="us-west-2").create_queue(QueueName=unique("inwest"))
    [m] = wait_messages(west_sqs, west_url, 1)
    body = json.loads(m["Body"])
    assert body["region"] == "us-west-2" and body["detail"]["awsRegion"] == "us-west-2"
    # A call in us-east-1 after it reaches the east queue, alone: the west call never did.
    east_name = unique("ineast")
    server.client("sqs", creds).create_queue(QueueName=east_name)
    got = events_until(sqs, east_url, lambda b: b["detail"]["requestParameters"]["queueName"] == east_name)
    assert [(b["region"], b["detail"]["requestParameters"]["queueName"]) for b in got] == [(REGION, east_name)]


def test_seed_style_custom_pattern_on_cloudtrail_event(server, events, sqs, caller):
    """A pattern on the record's content (prefix and exists matching), as users write them."""
    name, creds = caller
    url, arn = new_queue(sqs, "ctpat")
    prefix = unique("pfx")
    rule_to(events, {"source": ["aws.iam"], "detail-type": [API_CALL],
                     "detail": {"eventSource": ["iam.amazonaws.com"],
                                "eventName": ["CreateUser"],
                                "requestParameters": {"userName": [{"prefix": prefix}]},
                                "errorCode": [{"exists": False}]}},
            [{"Id": "q", "Arn": arn, "InputTransformer": {
                "InputPathsMap": {"user": "$.detail.requestParameters.userName",
                                  "who": "$.detail.userIdentity.arn"},
                "InputTemplate": '{"created": <user>, "by": "<who>"}'}}])
    iam = server.client("iam")
    iam.create_user(UserName=unique("other"))
    iam.create_user(UserName=f"{prefix}-yes")
    with pytest.raises(Exception):
        iam.create_user(UserName=f"{prefix}-yes")  # fails: has errorCode, must not match
    iam.create_user(UserName=f"{prefix}-marker")  # after the failed call: once it is here, that one is not
    got = received_until(sqs, url, lambda b: b["created"] == f"{prefix}-marker")
    assert sorted(got) == [f'{{"created": "{prefix}-{who}", "by": "arn:aws:iam::{ACCOUNT}:user/admin"}}'
                           for who in ("marker", "yes")]


# -- the aws CLI ---------------------------------------------------------------------------

@cli_on_sqlite_only
def test_rule_targets_and_receive_with_the_cli(server, aws_cli):
    src = unique("cli")
    # aws-cli v1 pins `aws sqs` to queue.amazonaws.com unless --endpoint-url is given.
    ep = ("--endpoint-url", server.endpoint)
    url = server.aws("sqs", "create-queue", "--queue-name", unique("cliq"), *ep)["QueueUrl"]
    qarn = server.aws("sqs", "get-queue-attributes", "--queue-url", url,
                      "--attribute-names", "QueueArn", *ep)["Attributes"]["QueueArn"]
    # As in AWS, EventBridge sends only to a queue whose policy allows it (the README's recipe).
    server.aws("sqs", "set-queue-attributes", "--queue-url", url, "--attributes",
               json.dumps({"Policy": service_policy(EVENTS_PRINCIPAL, "sqs:SendMessage", qarn)}), *ep)
    name = unique("clirule")
    rule_arn = server.aws("events", "put-rule", "--name", name, "--event-pattern",
                          json.dumps({"source": [src]}))["RuleArn"]
    assert rule_arn.endswith(f":rule/{name}")
    out = server.aws("events", "put-targets", "--rule", name, "--targets", json.dumps([{
        "Id": "q", "Arn": qarn, "InputTransformer": {
            "InputPathsMap": {"n": "$.detail.n"}, "InputTemplate": '{"n": <n>}'}}]))
    assert out["FailedEntryCount"] == 0
    listed = server.aws("events", "list-targets-by-rule", "--rule", name)["Targets"]
    assert [t["Arn"] for t in listed] == [qarn]
    out = server.aws("events", "put-events", "--entries", json.dumps([
        {"Source": src, "DetailType": "cli", "Detail": json.dumps({"n": 7})}]))
    assert out["FailedEntryCount"] == 0
    got = None
    deadline = time.monotonic() + 15
    while not got and time.monotonic() < deadline:
        got = (server.aws("sqs", "receive-message", "--queue-url", url,
                          "--wait-time-seconds", "2", *ep) or {}).get("Messages")
    assert got, "the event never reached the queue"
    assert got[0]["Body"] == '{"n": 7}'
    assert server.aws("events", "describe-rule", "--name", name)["State"] == "ENABLED"
    server.aws("events", "remove-targets", "--rule", name, "--ids", "q")
    server.aws("events", "delete-rule", "--name", name)
