"""SNS topics and subscriptions (SQS and HTTP, with the confirmation handshake), filter policies,
raw delivery, EventBridge → SNS, and API destinations (HTTP targets) that fail, retry and dead-letter."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import (EVENTS_PRINCIPAL, SNS_PRINCIPAL, HTTPEndpoint as Endpoint, allow_events_to_topic,
                      allow_service_to_queue, unique)

ACCOUNT = "000000000000"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def fast_server(cairn_factory_module):
    return cairn_factory_module


@pytest.fixture(scope="module")
def cairn_factory_module():
    from conftest import _factory
    with _factory("cairn-e2e-sns-") as f:
        yield f.new("--delivery-retry-base-ms", "50")


@pytest.fixture(scope="module")
def sns(fast_server):
    return fast_server.client("sns")


@pytest.fixture(scope="module")
def sqs(fast_server):
    return fast_server.client("sqs")


@pytest.fixture(scope="module")
def events(fast_server):
    return fast_server.client("events")


def new_queue(sqs, allow: str | None = SNS_PRINCIPAL):
    """A new queue: (url, arn). Its policy lets `allow` send to it: SNS by default, as a topic's subscriber needs
    (EVENTS_PRINCIPAL for a rule's dead-letter queue)."""
    name = unique("q")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    if allow:
        allow_service_to_queue(sqs, url, allow)
    return url, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def receive(sqs, url, n, timeout=15.0, **kw):
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, **kw).get("Messages", [])
        got += batch
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert len(got) >= n, f"expected {n} messages, got {[m['Body'][:200] for m in got]}"
    return got


def received_until(sqs, url, is_marker, timeout=15.0):
    """Receives (and deletes) messages until the one `is_marker(body)` picks has arrived, then whatever else is
    queued by then; returns the bodies. A marker published after messages that must not arrive shows they did not:
    deliveries to a queue go out in the order they were published, so anything before the marker is here by then."""
    got = []
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
            wait = 0  # the marker is here: take what is queued with it, without waiting
            continue
        assert time.monotonic() < deadline, f"the marker did not arrive within {timeout}s; got {[b[:200] for b in got]}"


# -- SNS → SQS ---------------------------------------------------------------------------

def test_create_topic_is_idempotent_and_listed(sns):
    name = unique("topic")
    arn = sns.create_topic(Name=name)["TopicArn"]
    assert arn == f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
    assert sns.create_topic(Name=name)["TopicArn"] == arn
    assert arn in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    sns.delete_topic(TopicArn=arn)
    assert arn not in [t["TopicArn"] for t in sns.list_topics()["Topics"]]


def test_publish_reaches_sqs_subscribers_as_notifications(sns, sqs):
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    url, arn = new_queue(sqs)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
    assert sub.startswith(topic + ":")
    mid = sns.publish(TopicArn=topic, Message="hello", Subject="greeting",
                      MessageAttributes={"kind": {"DataType": "String", "StringValue": "a"}})["MessageId"]
    body = json.loads(receive(sqs, url, 1)[0]["Body"])
    assert body["Type"] == "Notification"
    assert body["MessageId"] == mid
    assert body["TopicArn"] == topic
    assert body["Subject"] == "greeting"
    assert body["Message"] == "hello"
    assert body["MessageAttributes"] == {"kind": {"Type": "String", "Value": "a"}}
    assert body["Timestamp"].endswith("Z")


def test_raw_delivery_and_filter_policies(sns, sqs):
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    raw_url, raw_arn = new_queue(sqs)
    big_url, big_arn = new_queue(sqs)
    body_url, body_arn = new_queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=big_arn,
                  Attributes={"FilterPolicy": json.dumps({"size": ["big"], "n": [{"numeric": [">", 5]}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=body_arn,
                  Attributes={"FilterPolicy": json.dumps({"order": {"total": [{"numeric": [">=", 100]}]}}),
                              "FilterPolicyScope": "MessageBody"})
    def pub(message, size, n):
        sns.publish(TopicArn=topic, Message=message, MessageAttributes={
            "size": {"DataType": "String", "StringValue": size}, "n": {"DataType": "Number", "StringValue": str(n)}})
    small, big, marker = (json.dumps({"order": {"total": t}}) for t in (50, 150, 200))
    pub(small, "small", 9)
    pub(big, "big", 9)
    pub("not json", "big", 1)
    pub(marker, "big", 9)  # passes every filter; published last
    assert sorted(m["Body"] for m in receive(sqs, raw_url, 4)) == sorted([small, big, "not json", marker])
    # Up to the marker, each filtered queue got the one message that passes its filter, and nothing else.
    for url in (big_url, body_url):
        got = [json.loads(b)["Message"] for b in received_until(sqs, url, lambda b: json.loads(b)["Message"] == marker)]
        assert sorted(got) == sorted([big, marker]), url


def test_subscription_attributes_and_unsubscribe(sns, sqs):
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    url, arn = new_queue(sqs)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["RawMessageDelivery"] == "false" and attrs["Protocol"] == "sqs" and attrs["TopicArn"] == topic
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["RawMessageDelivery"] == "true"
    with pytest.raises(ClientError) as e:
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue='{"a":[{"bogus":1}]}')
    assert e.value.response["Error"]["Code"] == "InvalidParameter"
    assert [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]] == [sub]
    sns.unsubscribe(SubscriptionArn=sub)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    sns.publish(TopicArn=topic, Message="nobody")
    # Subscribed again, the queue gets a marker published afterwards, and only that.
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message="marker")
    assert received_until(sqs, url, lambda b: b == "marker") == ["marker"]


def test_sns_errors(sns):
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:{unique('missing')}", Message="m")
    assert e.value.response["Error"]["Code"] == "NotFound"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    for kwargs in [dict(Protocol="sqs", Endpoint="not-an-arn"), dict(Protocol="carrier-pigeon", Endpoint="x"),
                   dict(Protocol="http", Endpoint="ftp://example.com")]:
        with pytest.raises(ClientError) as e:
            sns.subscribe(TopicArn=topic, **kwargs)
        assert e.value.response["Error"]["Code"] == "InvalidParameter"
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic, Message='{"no":"default"}', MessageStructure="json")
    assert e.value.response["Error"]["Code"] == "InvalidParameter"
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name="bad name!")
    assert e.value.response["Error"]["Code"] == "InvalidParameter"


def test_sns_calls_are_recorded_and_publish_is_a_data_event(fast_server, sns):
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    sns.publish(TopicArn=topic, Message="m")
    names = [e["EventName"] for e in fast_server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "sns.amazonaws.com"}])["Events"]]
    assert "CreateTopic" in names
    assert "Publish" not in names


# -- SNS → HTTP ------------------------------------------------------------------------------

def test_http_subscription_confirms_through_subscribe_url_then_receives(fast_server, sns):
    endpoint = Endpoint()
    try:
        topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
        assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url + "/sns")["SubscriptionArn"] == \
            "pending confirmation"
        path, headers, body = endpoint.wait(1)[0]
        confirmation = json.loads(body)
        assert path == "/sns"
        assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
        assert confirmation["Type"] == "SubscriptionConfirmation" and confirmation["TopicArn"] == topic
        # Nothing is delivered before confirmation (the next request is the one published after it).
        sns.publish(TopicArn=topic, Message="too early")
        # The endpoint confirms by fetching SubscribeURL, unsigned, as real endpoints do.
        with urllib.request.urlopen(confirmation["SubscribeURL"]) as r:
            assert r.status == 200
        subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert subs[0]["SubscriptionArn"].startswith(topic + ":")
        sns.publish(TopicArn=topic, Message="after", Subject="s")
        path, headers, body = endpoint.wait(2)[1]
        note = json.loads(body)
        assert note["Message"] != "too early"
        assert headers["x-amz-sns-message-type"] == "Notification"
        assert headers["x-amz-sns-subscription-arn"] == subs[0]["SubscriptionArn"]
        assert note["Message"] == "after" and note["Subject"] == "s"
        record = json.loads(fast_server.client("cloudtrail").lookup_events(LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": "ConfirmSubscription"}])["Events"][0]["CloudTrailEvent"])
        assert record["userIdentity"]["accountId"] == "ANONYMOUS_PRINCIPAL"
    finally:
        endpoint.close()


def test_confirm_subscription_api_with_the_token(sns):
    endpoint = Endpoint()
    try:
        topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)
        token = json.loads(endpoint.wait(1)[0][2])["Token"]
        with pytest.raises(ClientError) as e:
            sns.confirm_subscription(TopicArn=topic, Token="wrong")
        assert e.value.response["Error"]["Code"] == "InvalidParameter"
        arn = sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]
        assert arn.startswith(topic + ":")
    finally:
        endpoint.close()


# -- EventBridge → SNS, API destinations ----------------------------------------------------------

def test_eventbridge_rule_targets_a_topic(events, sns, sqs):
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    allow_events_to_topic(sns, topic)
    url, arn = new_queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    source = unique("app")
    rule = unique("rule")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    assert events.put_targets(Rule=rule, Targets=[{"Id": "t", "Arn": topic}])["FailedEntryCount"] == 0
    events.put_events(Entries=[{"Source": source, "DetailType": "d", "Detail": '{"x":1}'}])
    event = json.loads(receive(sqs, url, 1)[0]["Body"])
    assert event["source"] == source and event["detail"] == {"x": 1}


def destination(events, url, **conn):
    c = events.create_connection(Name=unique("conn"), AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cr3t"}}, **conn)
    assert c["ConnectionState"] == "AUTHORIZED"
    d = events.create_api_destination(Name=unique("dest"), ConnectionArn=c["ConnectionArn"],
                                      InvocationEndpoint=url, HttpMethod="POST", InvocationRateLimitPerSecond=50)
    assert d["ApiDestinationState"] == "ACTIVE"
    return d["ApiDestinationArn"]


def test_http_target_that_fails_three_times_then_succeeds(events):
    endpoint = Endpoint([500, 503, 429])
    try:
        arn = destination(events, endpoint.url + "/hooks/*")
        source = unique("app")
        rule = unique("rule")
        events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
        events.put_targets(Rule=rule, Targets=[{"Id": "h", "Arn": arn, "InputPath": "$.detail",
                                                "HttpParameters": {"PathParameterValues": ["orders"],
                                                                   "HeaderParameters": {"x-extra": "yes"},
                                                                   "QueryStringParameters": {"q": "a b"}}}])
        events.put_events(Entries=[{"Source": source, "DetailType": "d", "Detail": '{"order":7}'}])
        requests = endpoint.wait(4)
        path, headers, body = requests[-1]
        assert path == "/hooks/orders?q=a%20b"
        assert headers["x-api-key"] == "s3cr3t" and headers["x-extra"] == "yes"
        assert json.loads(body) == {"order": 7}
        assert all(r[2] == body for r in requests)  # the same event each attempt
        # Delivered once it succeeded, never again: the next request is the next event's.
        events.put_events(Entries=[{"Source": source, "DetailType": "d", "Detail": '{"order":8}'}])
        assert [json.loads(r[2]) for r in endpoint.wait(5)] == [{"order": 7}] * 4 + [{"order": 8}]
    finally:
        endpoint.close()


def test_http_target_that_never_succeeds_ends_in_the_dlq(events, sqs):
    endpoint = Endpoint([500] * 100)
    try:
        arn = destination(events, endpoint.url)
        dlq_url, dlq_arn = new_queue(sqs, allow=EVENTS_PRINCIPAL)
        source = unique("app")
        rule = unique("rule")
        rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))["RuleArn"]
        events.put_targets(Rule=rule, Targets=[{"Id": "h", "Arn": arn, "RetryPolicy": {"MaximumRetryAttempts": 2},
                                                "DeadLetterConfig": {"Arn": dlq_arn}}])
        events.put_events(Entries=[{"Source": source, "DetailType": "d", "Detail": '{"n":1}'}])
        message = receive(sqs, dlq_url, 1, MessageAttributeNames=["All"])[0]
        attrs = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
        assert attrs["ERROR_CODE"] == "ERROR_FROM_TARGET"
        assert attrs["RULE_ARN"] == rule_arn
        assert attrs["TARGET_ARN"] == arn
        assert "500" in attrs["ERROR_MESSAGE"]
        assert json.loads(message["Body"])["detail"] == {"n": 1}
        assert len(endpoint.requests) == 3  # the first try and two retries
    finally:
        endpoint.close()


def test_client_errors_are_not_retried(events, sqs):
    endpoint = Endpoint([400] * 10)
    try:
        arn = destination(events, endpoint.url)
        dlq_url, dlq_arn = new_queue(sqs, allow=EVENTS_PRINCIPAL)
        source = unique("app")
        rule = unique("rule")
        events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
        events.put_targets(Rule=rule, Targets=[{"Id": "h", "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn}}])
        events.put_events(Entries=[{"Source": source, "DetailType": "d", "Detail": "{}"}])
        message = receive(sqs, dlq_url, 1, MessageAttributeNames=["All"])[0]
        assert message["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "ERROR_FROM_TARGET"
        assert "400" in message["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"]
        assert len(endpoint.requests) == 1
    finally:
        endpoint.close()


def test_connections_and_destinations_api(events):
    name = unique("conn")
    c = events.create_connection(Name=name, AuthorizationType="BASIC",
                                 AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}})
    described = events.describe_connection(Name=name)
    assert described["ConnectionArn"] == c["ConnectionArn"]
    assert described["AuthParameters"] == {"BasicAuthParameters": {"Username": "u"}}  # no password
    with pytest.raises(ClientError) as e:
        events.create_connection(Name=name, AuthorizationType="BASIC",
                                 AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}})
    assert e.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as e:
        events.create_api_destination(Name=unique("d"), ConnectionArn=c["ConnectionArn"], InvocationEndpoint="ftp://x",
                                      HttpMethod="POST")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    d = events.create_api_destination(Name=unique("d"), ConnectionArn=c["ConnectionArn"],
                                      InvocationEndpoint="https://example.com/x", HttpMethod="PUT")
    assert d["ApiDestinationArn"] in [x["ApiDestinationArn"] for x in events.list_api_destinations()["ApiDestinations"]]
    assert name in [x["Name"] for x in events.list_connections()["Connections"]]
    events.delete_connection(Name=name)
    with pytest.raises(ClientError) as e:
        events.describe_connection(Name=name)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
