"""Cairn's own deliveries obey resource policies, as AWS's do (issue 13): EventBridge sends to a queue only when
the queue's policy allows `events.amazonaws.com` sqs:SendMessage, publishes to a topic only when the topic's
policy allows it sns:Publish, and SNS sends to a subscribed queue only when the queue's policy allows
`sns.amazonaws.com`; an `aws:SourceArn` condition (the rule, the topic) is honoured. A refused delivery is not
retried: it goes to the dead-letter queue with ERROR_CODE NO_PERMISSIONS (or is dropped without one). With
authorization off, deliveries ignore policies.

"Nothing arrived" is always shown after something that must come later has (a dead letter written once the
delivery was finished, a marker put afterwards, a counter that moves when the delivery is given up)."""

from __future__ import annotations

import json
import re
import time

import pytest

from conftest import (EVENTS_PRINCIPAL, SNS_PRINCIPAL, allow_events_to_topic, allow_service_to_queue, http, new_queue,
                      service_policy, unique, wait_for)

ACCOUNT = "000000000000"
REGION = "us-east-1"


# -- helpers -------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def events(server):
    return server.client("events")


@pytest.fixture(scope="module")
def sqs(server):
    return server.client("sqs")


@pytest.fixture(scope="module")
def sns(server):
    return server.client("sns")



def new_rule(events, source: str) -> tuple[str, str]:
    """A rule (no targets yet) matching events of `source`: (name, arn)."""
    name = unique("rule")
    arn = events.put_rule(Name=name, EventPattern=json.dumps({"source": [source]}))["RuleArn"]
    return name, arn


def target(events, rule: str, arn: str, dlq: str | None = None, retries: int = 5) -> None:
    """`arn` as the rule's one target, allowed `retries` retries, dead-lettering to `dlq` if given. The retries
    are there to be not used: a refusal must not take them."""
    t = {"Id": "t", "Arn": arn, "RetryPolicy": {"MaximumRetryAttempts": retries}}
    if dlq:
        t["DeadLetterConfig"] = {"Arn": dlq}
    out = events.put_targets(Rule=rule, Targets=[t])
    assert out["FailedEntryCount"] == 0, out


def put(events, source: str, detail: dict) -> str:
    out = events.put_events(Entries=[{"Source": source, "DetailType": "perm", "Detail": json.dumps(detail)}])
    assert out["FailedEntryCount"] == 0, out
    return out["Entries"][0]["EventId"]


def receive(sqs, url: str, n: int, timeout: float = 20.0) -> list[dict]:
    """Receives (and deletes) until n messages arrived, with their message attributes."""
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(got) < n:
        assert time.monotonic() < deadline, \
            f"expected {n} messages within {timeout}s, got {[m['Body'][:200] for m in got]}"
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                    MessageAttributeNames=["All"]).get("Messages", [])
        got += batch
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def received_until(sqs, url: str, is_marker, timeout: float = 20.0) -> list[str]:
    """Receives (and deletes) until the message `is_marker(body)` picks has arrived, then what is queued with it;
    the bodies. Deliveries to a queue go out in the order they were made: anything made before the marker is here
    by then."""
    got: list[str] = []
    deadline = time.monotonic() + timeout
    wait = 1
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get("Messages", [])
        got += [m["Body"] for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if wait == 0 and not batch:
            return got
        if wait and any(is_marker(b) for b in got):
            wait = 0
            continue
        assert time.monotonic() < deadline, f"the marker did not arrive within {timeout}s; got {[b[:200] for b in got]}"


def event_ids_until(sqs, url: str, marker_id: str) -> list[str]:
    return [json.loads(b)["id"] for b in received_until(sqs, url, lambda b: json.loads(b).get("id") == marker_id)]


def attributes(m: dict) -> dict[str, str]:
    return {k: v["StringValue"] for k, v in m.get("MessageAttributes", {}).items()}


def deliveries(server, result: str) -> int:
    """cairn_event_deliveries_total{result=...} from /_cairn/metrics (0 while it has never moved)."""
    r = http("GET", server.endpoint + "/_cairn/metrics")
    assert r.status_code == 200, r.text
    m = re.search(r'^cairn_event_deliveries_total\{result="' + result + r'"\} (\d+)', r.text, re.M)
    return int(m.group(1)) if m else 0


def refusal_message(action: str, resource: str, principal: str = EVENTS_PRINCIPAL) -> str:
    return (f"User: {principal} is not authorized to perform: {action} on resource: {resource} "
            f"because no resource-based policy allows the {action} action")


# -- EventBridge → SQS -----------------------------------------------------------------------------------------------

def test_queue_without_a_policy_refuses_eventbridge_and_the_event_is_dead_lettered_without_retries(server, events, sqs):
    source = unique("noperm")
    url, arn = new_queue(sqs, "nopolicy")
    dlq_url, dlq_arn = new_queue(sqs, "permdlq", allow=EVENTS_PRINCIPAL)
    rule, rule_arn = new_rule(events, source)
    target(events, rule, arn, dlq=dlq_arn, retries=5)
    retried, dead_lettered = deliveries(server, "retried"), deliveries(server, "dead_lettered")
    event_id = put(events, source, {"n": 1})

    [m] = receive(sqs, dlq_url, 1)
    a = attributes(m)
    assert a["ERROR_CODE"] == "NO_PERMISSIONS", a
    assert a["ERROR_MESSAGE"] == refusal_message("sqs:SendMessage", arn), a
    assert (a["RULE_ARN"], a["TARGET_ARN"]) == (rule_arn, arn), a
    assert set(a) == {"ERROR_CODE", "ERROR_MESSAGE", "RULE_ARN", "TARGET_ARN"}, a
    body = json.loads(m["Body"])
    assert body["id"] == event_id and body["detail"] == {"n": 1}
    # One attempt, then the dead letter: no retry was ever scheduled for it, though the target allows five. (Nothing
    # else on this module's server fails in a way that is retried.)
    wait_for(lambda: deliveries(server, "dead_lettered") == dead_lettered + 1, what="the dead letter counted")
    assert deliveries(server, "retried") == retried
    # Dead-lettered, the delivery is finished: the queue never gets it. Allowed now, the queue gets the next event,
    # and only that one.
    allow_service_to_queue(sqs, url)
    marker = put(events, source, {"n": 2})
    assert event_ids_until(sqs, url, marker) == [marker]


def test_a_source_arn_condition_naming_another_rule_refuses_and_naming_this_rule_allows(server, events, sqs):
    source = unique("srcarn")
    rule, rule_arn = new_rule(events, source)
    other_rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{unique('other')}"
    url, arn = new_queue(sqs, "srcarn", allow=EVENTS_PRINCIPAL, source_arn=other_rule_arn)
    dlq_url, dlq_arn = new_queue(sqs, "srcarndlq", allow=EVENTS_PRINCIPAL, source_arn=rule_arn)
    target(events, rule, arn, dlq=dlq_arn)
    retried = deliveries(server, "retried")
    refused = put(events, source, {"n": 1})
    [m] = receive(sqs, dlq_url, 1)
    a = attributes(m)
    assert a["ERROR_CODE"] == "NO_PERMISSIONS", a
    assert (a["RULE_ARN"], a["TARGET_ARN"]) == (rule_arn, arn), a
    assert json.loads(m["Body"])["id"] == refused
    assert deliveries(server, "retried") == retried

    # The same statement naming this rule: the next event is delivered, and only it (the refused one is finished).
    allow_service_to_queue(sqs, url, EVENTS_PRINCIPAL, source_arn=rule_arn)
    allowed = put(events, source, {"n": 2})
    assert event_ids_until(sqs, url, allowed) == [allowed]
    # Delivered, that delivery is finished: no dead letter can follow it. (The dead-letter queue's own policy names
    # this rule too: a dead letter is checked against the rule that sent it.)
    assert not sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=0).get("Messages")


def test_a_policy_for_another_service_or_action_does_not_let_eventbridge_send(server, events, sqs):
    """Only `events.amazonaws.com` with sqs:SendMessage counts: SNS's permission, or EventBridge's permission to do
    something else, is refused like no policy at all."""
    source = unique("wrongstmt")
    url, arn = new_queue(sqs, "wrongstmt")
    dlq_url, dlq_arn = new_queue(sqs, "wrongstmtdlq", allow=EVENTS_PRINCIPAL)
    rule, _ = new_rule(events, source)
    target(events, rule, arn, dlq=dlq_arn)
    for policy in (service_policy(SNS_PRINCIPAL, "sqs:SendMessage", arn),
                   service_policy(EVENTS_PRINCIPAL, "sqs:ReceiveMessage", arn)):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
        event_id = put(events, source, {"policy": policy})
        [m] = receive(sqs, dlq_url, 1)
        assert attributes(m)["ERROR_CODE"] == "NO_PERMISSIONS", (policy, attributes(m))
        assert json.loads(m["Body"])["id"] == event_id
    allow_service_to_queue(sqs, url)
    marker = put(events, source, {"marker": True})
    assert event_ids_until(sqs, url, marker) == [marker]


def test_a_refused_delivery_without_a_dead_letter_queue_is_dropped_without_retries(server, events, sqs):
    source = unique("dropped")
    url, arn = new_queue(sqs, "dropped")
    rule, _ = new_rule(events, source)
    target(events, rule, arn, retries=5)
    retried, dropped = deliveries(server, "retried"), deliveries(server, "dropped")
    put(events, source, {"n": 1})
    # Given up after its one attempt: dropped, never retried.
    wait_for(lambda: deliveries(server, "dropped") == dropped + 1, what="the refused delivery dropped")
    assert deliveries(server, "retried") == retried
    allow_service_to_queue(sqs, url)
    marker = put(events, source, {"n": 2})
    assert event_ids_until(sqs, url, marker) == [marker]


def test_a_dead_letter_queue_without_a_policy_refuses_the_dead_letter(server, events, sqs):
    """The dead letter is EventBridge's own delivery too: a dead-letter queue whose policy does not allow it gets
    nothing, and the event is dropped."""
    source = unique("dlqnoperm")
    url, arn = new_queue(sqs, "refusing")
    dlq_url, dlq_arn = new_queue(sqs, "dlqnoperm")
    rule, _ = new_rule(events, source)
    target(events, rule, arn, dlq=dlq_arn)
    dropped, dead_lettered = deliveries(server, "dropped"), deliveries(server, "dead_lettered")
    put(events, source, {"n": 1})
    wait_for(lambda: deliveries(server, "dropped") == dropped + 1, what="the event dropped")
    assert deliveries(server, "dead_lettered") == dead_lettered
    # Given up, the delivery is finished: the dead-letter queue never gets it.
    assert not sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=0).get("Messages")


# -- EventBridge → SNS -----------------------------------------------------------------------------------------------

def test_topic_without_a_policy_refuses_eventbridge_and_with_one_the_event_reaches_its_subscriber(
        server, events, sns, sqs):
    source = unique("topicperm")
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    sub_url, sub_arn = new_queue(sqs, "subscriber", allow=SNS_PRINCIPAL)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sub_arn, Attributes={"RawMessageDelivery": "true"})
    dlq_url, dlq_arn = new_queue(sqs, "topicdlq", allow=EVENTS_PRINCIPAL)
    rule, rule_arn = new_rule(events, source)
    target(events, rule, topic, dlq=dlq_arn, retries=5)
    retried = deliveries(server, "retried")

    # The default topic policy grants nothing to EventBridge.
    refused = put(events, source, {"n": 1})
    [m] = receive(sqs, dlq_url, 1)
    a = attributes(m)
    assert a["ERROR_CODE"] == "NO_PERMISSIONS", a
    assert a["ERROR_MESSAGE"] == refusal_message("sns:Publish", topic), a
    assert (a["RULE_ARN"], a["TARGET_ARN"]) == (rule_arn, topic), a
    assert json.loads(m["Body"])["id"] == refused
    assert deliveries(server, "retried") == retried

    # A policy naming another rule is refused as well; naming this rule, the event goes through the topic.
    allow_events_to_topic(sns, topic, source_arn=f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{unique('other')}")
    also_refused = put(events, source, {"n": 2})
    [m] = receive(sqs, dlq_url, 1)
    assert attributes(m)["ERROR_CODE"] == "NO_PERMISSIONS"
    assert json.loads(m["Body"])["id"] == also_refused
    allow_events_to_topic(sns, topic, source_arn=rule_arn)
    allowed = put(events, source, {"n": 3})
    # Raw delivery: the subscriber's body is the event itself. The refused events, finished before, never came.
    assert event_ids_until(sqs, sub_url, allowed) == [allowed]
    assert deliveries(server, "retried") == retried


def test_a_missing_topic_is_no_resource_not_no_permissions(server, events, sqs):
    """A target that does not exist has no policy to refuse anything: the failure is that it is missing."""
    source = unique("notopic")
    missing = f"arn:aws:sns:{REGION}:{ACCOUNT}:{unique('missing')}"
    dlq_url, dlq_arn = new_queue(sqs, "notopicdlq", allow=EVENTS_PRINCIPAL)
    rule, rule_arn = new_rule(events, source)
    target(events, rule, missing, dlq=dlq_arn)
    put(events, source, {"n": 1})
    [m] = receive(sqs, dlq_url, 1)
    a = attributes(m)
    assert (a["RULE_ARN"], a["TARGET_ARN"]) == (rule_arn, missing), a
    assert a["ERROR_CODE"] == "NO_RESOURCE", a


# -- SNS → SQS -------------------------------------------------------------------------------------------------------

def test_queue_without_a_policy_refuses_sns_and_the_message_goes_to_the_subscription_dead_letter_queue(
        server, sns, sqs):
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    url, arn = new_queue(sqs, "snsnopolicy")
    dlq_url, dlq_arn = new_queue(sqs, "snsdlq", allow=SNS_PRINCIPAL, source_arn=topic)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})["SubscriptionArn"]
    retried = deliveries(server, "retried")
    message_id = sns.publish(TopicArn=topic, Message="refused", Subject="s")["MessageId"]

    [m] = receive(sqs, dlq_url, 1)
    a = attributes(m)
    assert a == {"ERROR_CODE": "NO_PERMISSIONS",
                 "ERROR_MESSAGE": refusal_message("sqs:SendMessage", arn, principal=SNS_PRINCIPAL),
                 "RULE_ARN": sub, "TARGET_ARN": arn}, a
    # The dead letter is the notification the queue would have received.
    body = json.loads(m["Body"])
    assert (body["Type"], body["MessageId"], body["TopicArn"], body["Subject"], body["Message"]) == \
        ("Notification", message_id, topic, "s", "refused"), body
    assert deliveries(server, "retried") == retried

    # Dead-lettered, that delivery is finished. The queue allows SNS (from this topic) now: it gets the next message,
    # and only that.
    allow_service_to_queue(sqs, url, SNS_PRINCIPAL, source_arn=topic)
    sns.publish(TopicArn=topic, Message="marker")
    got = received_until(sqs, url, lambda b: json.loads(b)["Message"] == "marker")
    assert [json.loads(b)["Message"] for b in got] == ["marker"]


def test_a_queue_policy_naming_another_topic_refuses_sns(server, sns, sqs):
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    other = sns.create_topic(Name=unique("other"))["TopicArn"]
    url, arn = new_queue(sqs, "othertopic", allow=SNS_PRINCIPAL, source_arn=other)
    dlq_url, dlq_arn = new_queue(sqs, "othertopicdlq", allow=SNS_PRINCIPAL)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn}), "RawMessageDelivery": "true"})
    sns.subscribe(TopicArn=other, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message="from the wrong topic")
    [m] = receive(sqs, dlq_url, 1)
    assert attributes(m)["ERROR_CODE"] == "NO_PERMISSIONS"
    assert m["Body"] == "from the wrong topic"  # raw delivery: the dead letter is the raw message
    # The topic the policy names reaches the queue; the refused message, finished before, never does.
    sns.publish(TopicArn=other, Message="from the named topic")
    assert received_until(sqs, url, lambda b: b == "from the named topic") == ["from the named topic"]


# -- authorization off -----------------------------------------------------------------------------------------------

def test_with_authorization_off_deliveries_ignore_resource_policies(cairn_factory):
    srv = cairn_factory.new(env={"CAIRN_AUTHORIZATION": "off"})
    events, sqs, sns = srv.client("events"), srv.client("sqs"), srv.client("sns")
    url, arn = new_queue(sqs, "offq")
    topic = sns.create_topic(Name=unique("offtopic"))["TopicArn"]
    sub_url, sub_arn = new_queue(sqs, "offsub")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sub_arn, Attributes={"RawMessageDelivery": "true"})
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {}).get("Policy") is None
    source = unique("off")
    rule, _ = new_rule(events, source)
    assert events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}, {"Id": "t", "Arn": topic}])[
        "FailedEntryCount"] == 0
    event_id = put(events, source, {"n": 1})
    # No queue or topic policy anywhere: EventBridge → SQS, EventBridge → SNS → SQS both arrive.
    assert event_ids_until(sqs, url, event_id) == [event_id]
    assert event_ids_until(sqs, sub_url, event_id) == [event_id]
    assert deliveries(srv, "dead_lettered") == deliveries(srv, "dropped") == 0
