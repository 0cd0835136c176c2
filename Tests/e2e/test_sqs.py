"""SQS with boto3 exactly as a user calls it: queues, attributes, messages and their MD5 digests,
long polling, visibility, redrive, FIFO, batches, every documented validation error, and which
calls are management events (in LookupEvents) and which are data events (not)."""

from __future__ import annotations

import hashlib
import json
import struct
import threading
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import NO_RETRY, cli_on_sqlite_only, pages_of, unique

ACCOUNT = "000000000000"
REGION = "us-east-1"


# -- helpers -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sqs(server):
    return server.client("sqs")


def new_queue(sqs, prefix="q", fifo=False, **attributes) -> str:
    name = unique(prefix) + (".fifo" if fifo else "")
    attrs = {k: str(v) for k, v in attributes.items()}
    if fifo:
        attrs["FifoQueue"] = "true"
    return sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]


def queue_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def arn_of(sqs, url: str) -> str:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return attrs["QueueArn"]


def error_of(call, *args, **kwargs) -> dict:
    """The Error of a call that must fail, plus the HTTP status and the exception object."""
    with pytest.raises(ClientError) as ei:
        call(*args, **kwargs)
    err = dict(ei.value.response["Error"])
    err["Status"] = ei.value.response["ResponseMetadata"]["HTTPStatusCode"]
    err["Exception"] = ei.value
    return err


def counts(sqs, url: str) -> tuple[int, int, int]:
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed"])["Attributes"]
    return (int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"]),
            int(a["ApproximateNumberOfMessagesDelayed"]))


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def attributes_md5(attributes: dict) -> str:
    """The SQS developer guide's algorithm: for each attribute in name order, 4-byte big-endian
    length + name, length + data type, a transport byte (1 String/Number, 2 Binary), length +
    value."""
    out = b""

    def field(b: bytes) -> bytes:
        return struct.pack(">I", len(b)) + b

    for name in sorted(attributes, key=lambda n: n.encode("utf-8")):
        v = attributes[name]
        out += field(name.encode()) + field(v["DataType"].encode())
        if "BinaryValue" in v:
            out += b"\x02" + field(bytes(v["BinaryValue"]))
        else:
            out += b"\x01" + field(v["StringValue"].encode())
    return md5_hex(out)


def receive(sqs, url, **kw) -> list[dict]:
    return sqs.receive_message(QueueUrl=url, **kw).get("Messages", [])


def drain(sqs, url, expected: int, timeout: float = 15.0, delete: bool = True, **kw) -> list[dict]:
    """Receive until `expected` messages arrived (or the time is up), deleting them."""
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(got) < expected and time.monotonic() < deadline:
        batch = receive(sqs, url, MaxNumberOfMessages=10, WaitTimeSeconds=1, **kw)
        got.extend(batch)
        if delete and batch:
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
    return got


# -- queues --------------------------------------------------------------------------------

def test_create_queue_with_attributes_and_read_them_back(sqs, server):
    before = int(time.time())
    name = unique("attrs")
    url = sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": "45", "MessageRetentionPeriod": "3600", "DelaySeconds": "3",
        "ReceiveMessageWaitTimeSeconds": "2", "MaximumMessageSize": "2048"})["QueueUrl"]
    assert url == f"{server.endpoint}/{ACCOUNT}/{name}"
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "45"
    assert attrs["MessageRetentionPeriod"] == "3600"
    assert attrs["DelaySeconds"] == "3"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "2"
    assert attrs["MaximumMessageSize"] == "2048"
    assert attrs["QueueArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "0"
    for ts in ("CreatedTimestamp", "LastModifiedTimestamp"):
        assert before - 5 <= int(attrs[ts]) <= time.time() + 5, (ts, attrs[ts])  # epoch seconds
    assert "FifoQueue" not in attrs and "RedrivePolicy" not in attrs
    # Only what was asked for.
    one = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])["Attributes"]
    assert one == {"DelaySeconds": "3"}
    # No AttributeNames: no attributes.
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url)


def test_default_attributes(sqs):
    url = new_queue(sqs, "defaults")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "30"
    assert attrs["MessageRetentionPeriod"] == "345600"
    assert attrs["DelaySeconds"] == "0"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "0"


def test_create_existing_queue(sqs):
    name = unique("again")
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "10"})["QueueUrl"]
    # Same name, same attributes: the same queue.
    again = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "10"})
    assert again["QueueUrl"] == url
    # Same name, a different value: QueueNameExists, whose legacy code is QueueAlreadyExists.
    err = error_of(sqs.create_queue, QueueName=name, Attributes={"VisibilityTimeout": "11"})
    assert isinstance(err["Exception"], sqs.exceptions.QueueNameExists)
    assert err["Code"] == "QueueAlreadyExists"
    assert err["Status"] == 400
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])[
        "Attributes"]["VisibilityTimeout"] == "10"


def test_get_queue_url_and_missing_queue(sqs):
    url = new_queue(sqs, "geturl")
    assert sqs.get_queue_url(QueueName=queue_name(url))["QueueUrl"] == url
    err = error_of(sqs.get_queue_url, QueueName=unique("nosuch"))
    assert isinstance(err["Exception"], sqs.exceptions.QueueDoesNotExist)
    assert err["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert err["Status"] == 400
    # Every queue call names a queue that must exist.
    missing = url.rsplit("/", 1)[0] + "/" + unique("gone")
    for call, kw in [(sqs.send_message, {"MessageBody": "x"}), (sqs.receive_message, {}),
                     (sqs.get_queue_attributes, {"AttributeNames": ["All"]}),
                     (sqs.purge_queue, {}), (sqs.delete_queue, {}), (sqs.list_queue_tags, {})]:
        err = error_of(call, QueueUrl=missing, **kw)
        assert isinstance(err["Exception"], sqs.exceptions.QueueDoesNotExist), call


def test_list_queues_prefix_and_paging(sqs):
    prefix = unique("lst")
    urls = sorted(sqs.create_queue(QueueName=f"{prefix}-{i}")["QueueUrl"] for i in range(5))
    other = new_queue(sqs, "notlisted")
    listed = sqs.list_queues(QueueNamePrefix=prefix)
    assert sorted(listed["QueueUrls"]) == urls
    assert "NextToken" not in listed  # without MaxResults, no paging
    assert other in sqs.list_queues()["QueueUrls"]

    seen, pages = pages_of(sqs.list_queues, "QueueUrls", 2, QueueNamePrefix=prefix, MaxResults=2)
    assert pages == 3
    assert sorted(seen) == urls and len(seen) == len(set(seen))
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix=unique("none"))


def test_delete_queue_and_recreate_too_soon(sqs):
    name = unique("del")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="bye")
    sqs.delete_queue(QueueUrl=url)
    assert url not in sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    assert isinstance(error_of(sqs.get_queue_url, QueueName=name)["Exception"],
                      sqs.exceptions.QueueDoesNotExist)
    err = error_of(sqs.create_queue, QueueName=name)
    assert isinstance(err["Exception"], sqs.exceptions.QueueDeletedRecently)
    assert err["Code"] == "AWS.SimpleQueueService.QueueDeletedRecently"


def test_set_queue_attributes(sqs):
    url = new_queue(sqs, "setattr")
    created = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "5",
                                                       "DelaySeconds": "1"})
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "5" and attrs["DelaySeconds"] == "1"
    assert attrs["MessageRetentionPeriod"] == created["MessageRetentionPeriod"]
    assert int(attrs["LastModifiedTimestamp"]) >= int(created["LastModifiedTimestamp"])
    assert attrs["CreatedTimestamp"] == created["CreatedTimestamp"]


@pytest.mark.parametrize("make,attrs", [
    (lambda u: f"has space-{u}", {}),
    (lambda u: f"dot.ted-{u}", {}),
    (lambda u: f"slash/{u}", {}),
    (lambda u: f"colon:{u}", {}),
    (lambda u: f"ünïcode-{u}", {}),
    (lambda u: u + "x" * (81 - len(u)), {}),                    # 81 characters
    (lambda u: f"plain-{u}", {"FifoQueue": "true"}),          # a FIFO name ends with .fifo
    (lambda u: f"{u}.fifo", {}),                              # and only a FIFO queue's does
    (lambda u: f"{u}.fifo", {"FifoQueue": "false"}),
    (lambda u: u + "x" * (76 - len(u)) + ".fifo", {"FifoQueue": "true"}),  # 81 with .fifo
    (lambda u: ".fifo", {"FifoQueue": "true"}),               # nothing before the suffix
])
def test_invalid_queue_names(sqs, make, attrs):
    u = unique("n")
    name = make(u)
    err = error_of(sqs.create_queue, QueueName=name, Attributes=attrs)
    assert err["Code"] == "InvalidParameterValue", err
    assert err["Status"] == 400
    assert not sqs.list_queues(QueueNamePrefix=u).get("QueueUrls")


def test_longest_valid_names(sqs):
    std = "a" * 70 + unique("")[1:]  # 80 characters
    assert len(std) == 80
    assert sqs.create_queue(QueueName=std)["QueueUrl"].endswith("/" + std)
    fifo = "b" * 65 + unique("")[1:] + ".fifo"  # 80 with the suffix
    assert len(fifo) == 80
    assert sqs.create_queue(QueueName=fifo, Attributes={"FifoQueue": "true"})["QueueUrl"] \
        .endswith("/" + fifo)


@pytest.mark.parametrize("attr,value", [
    ("VisibilityTimeout", "43201"), ("VisibilityTimeout", "-1"), ("VisibilityTimeout", "ten"),
    ("MessageRetentionPeriod", "59"), ("MessageRetentionPeriod", "1209601"),
    ("DelaySeconds", "901"), ("ReceiveMessageWaitTimeSeconds", "21"),
    ("MaximumMessageSize", "1023"), ("MaximumMessageSize", "1048577"),
])
def test_out_of_range_attributes(sqs, attr, value):
    err = error_of(sqs.create_queue, QueueName=unique("range"), Attributes={attr: value})
    assert isinstance(err["Exception"], sqs.exceptions.InvalidAttributeValue), err
    assert err["Code"] == "InvalidAttributeValue"
    url = new_queue(sqs, "range")
    err = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={attr: value})
    assert isinstance(err["Exception"], sqs.exceptions.InvalidAttributeValue), err


# AWS answers a bad RedrivePolicy with InvalidParameterValue ("Value ... for parameter
# RedrivePolicy is invalid. Reason: ...") in the query era; either code is a clear 400.
REDRIVE_CODES = ("InvalidAttributeValue", "InvalidParameterValue")


def test_invalid_redrive_policies(sqs):
    dlq = new_queue(sqs, "rpdlq")
    dlq_arn = arn_of(sqs, dlq)
    for policy in ["not json",
                   json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 0}),
                   json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1001}),
                   json.dumps({"maxReceiveCount": 3}),
                   json.dumps({"deadLetterTargetArn": dlq_arn})]:
        name = unique("rp")
        err = error_of(sqs.create_queue, QueueName=name, Attributes={"RedrivePolicy": policy})
        assert err["Code"] in REDRIVE_CODES, (policy, err)
        assert not sqs.list_queues(QueueNamePrefix=name).get("QueueUrls")


def test_redrive_policy_needs_an_existing_dlq_of_the_same_type(sqs):
    """AWS: "Value ... for parameter RedrivePolicy is invalid. Reason: Dead letter target does
    not exist." and a FIFO queue's dead-letter queue must be a FIFO queue too."""
    missing = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{unique('nodlq')}"
    name = unique("rpmiss")
    err = error_of(sqs.create_queue, QueueName=name, Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": missing, "maxReceiveCount": 3})})
    assert err["Code"] in REDRIVE_CODES, err
    assert not sqs.list_queues(QueueNamePrefix=name).get("QueueUrls")
    url = new_queue(sqs, "rpset")
    err = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": missing, "maxReceiveCount": 3})})
    assert err["Code"] in REDRIVE_CODES, err
    standard_dlq = arn_of(sqs, new_queue(sqs, "rpstd"))
    name = unique("rpfifo") + ".fifo"
    err = error_of(sqs.create_queue, QueueName=name, Attributes={
        "FifoQueue": "true",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": standard_dlq, "maxReceiveCount": 3})})
    assert err["Code"] in REDRIVE_CODES, err


def test_unknown_attribute_name(sqs):
    err = error_of(sqs.create_queue, QueueName=unique("unk"), Attributes={"NoSuchAttribute": "1"})
    assert isinstance(err["Exception"], sqs.exceptions.InvalidAttributeName), err
    assert err["Code"] == "InvalidAttributeName"
    url = new_queue(sqs, "unk")
    err = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"NoSuchAttribute": "1"})
    assert isinstance(err["Exception"], sqs.exceptions.InvalidAttributeName)
    err = error_of(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["NoSuchAttribute"])
    assert isinstance(err["Exception"], sqs.exceptions.InvalidAttributeName)
    # FIFO-only attributes on a standard queue are unknown there.
    err = error_of(sqs.create_queue, QueueName=unique("unk"),
                   Attributes={"ContentBasedDeduplication": "true"})
    assert isinstance(err["Exception"], sqs.exceptions.InvalidAttributeName)


def test_queue_tags(sqs):
    name = unique("tags")
    url = sqs.create_queue(QueueName=name, tags={"team": "a", "env": "dev"})["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "env": "dev"}
    sqs.tag_queue(QueueUrl=url, Tags={"env": "prod", "cost": "42"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "env": "prod", "cost": "42"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "cost", "absent"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "prod"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["env"])
    assert not sqs.list_queue_tags(QueueUrl=url).get("Tags")


def test_purge_queue(sqs):
    url = new_queue(sqs, "purge")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"}
                                                  for i in range(5)])
    receive(sqs, url)  # one in flight
    assert sum(counts(sqs, url)) == 5
    sqs.purge_queue(QueueUrl=url)
    assert counts(sqs, url) == (0, 0, 0)
    assert receive(sqs, url) == []
    err = error_of(sqs.purge_queue, QueueUrl=url)
    assert isinstance(err["Exception"], sqs.exceptions.PurgeQueueInProgress)
    assert err["Code"] == "AWS.SimpleQueueService.PurgeQueueInProgress"
    # Messages sent after the purge are kept.
    sqs.send_message(QueueUrl=url, MessageBody="after")
    assert [m["Body"] for m in drain(sqs, url, 1)] == ["after"]


# -- messages ------------------------------------------------------------------------------

ATTRS = {
    "name": {"DataType": "String", "StringValue": "Zoë 😀"},
    "count": {"DataType": "Number", "StringValue": "42.5"},
    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xfe\xff"},
    "Custom": {"DataType": "String.custom", "StringValue": "x"},
    "app.trace": {"DataType": "String", "StringValue": "t-1"},
    "app.span": {"DataType": "Number", "StringValue": "7"},
}


def test_send_and_receive_with_digests(sqs):
    url = new_queue(sqs, "md5")
    body = 'héllo wörld 😀 <xml attr="1"/> \t\n'
    sent = sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=ATTRS)
    assert sent["MD5OfMessageBody"] == md5_hex(body.encode("utf-8"))
    assert sent["MD5OfMessageAttributes"] == attributes_md5(ATTRS)
    assert sent["MessageId"]

    [m] = receive(sqs, url, MessageAttributeNames=["All"])
    assert m["MessageId"] == sent["MessageId"]
    assert m["Body"] == body
    assert m["MD5OfBody"] == md5_hex(body.encode("utf-8"))
    assert m["MessageAttributes"] == ATTRS
    assert m["MD5OfMessageAttributes"] == attributes_md5(ATTRS)
    assert m["ReceiptHandle"]

    # Without attributes there is no attribute digest.
    plain = sqs.send_message(QueueUrl=url, MessageBody="plain")
    assert "MD5OfMessageAttributes" not in plain
    assert plain["MD5OfMessageBody"] == md5_hex(b"plain")


def test_message_attribute_names_select(sqs):
    url = new_queue(sqs, "select", VisibilityTimeout=0)
    sqs.send_message(QueueUrl=url, MessageBody="b", MessageAttributes=ATTRS)

    def got(names):
        kw = {"MessageAttributeNames": names} if names is not None else {}
        [m] = receive(sqs, url, **kw)
        return m

    m = got(None)
    assert "MessageAttributes" not in m and "MD5OfMessageAttributes" not in m
    m = got(["app.*"])
    want = {k: v for k, v in ATTRS.items() if k.startswith("app.")}
    assert m["MessageAttributes"] == want
    assert m["MD5OfMessageAttributes"] == attributes_md5(want)
    m = got(["count", "blob", "absent"])
    want = {k: ATTRS[k] for k in ("count", "blob")}
    assert m["MessageAttributes"] == want
    assert m["MD5OfMessageAttributes"] == attributes_md5(want)
    m = got([".*"])
    assert m["MessageAttributes"] == ATTRS


def test_system_attribute_names(sqs, server):
    url = new_queue(sqs, "sysattr", VisibilityTimeout=0)
    before = int(time.time() * 1000)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [m] = receive(sqs, url)
    assert "Attributes" not in m
    [m] = receive(sqs, url, AttributeNames=["SentTimestamp"])
    assert list(m["Attributes"]) == ["SentTimestamp"]
    assert before - 5000 <= int(m["Attributes"]["SentTimestamp"]) <= time.time() * 1000 + 5000
    [m] = receive(sqs, url, AttributeNames=["ApproximateReceiveCount"])
    assert m["Attributes"] == {"ApproximateReceiveCount": "3"}
    [m] = receive(sqs, url, AttributeNames=["All"])
    a = m["Attributes"]
    assert a["ApproximateReceiveCount"] == "4"
    assert int(a["ApproximateFirstReceiveTimestamp"]) >= int(a["SentTimestamp"])
    # The sender is the caller: the admin user's unique id.
    uid = server.client("iam").get_user()["User"]["UserId"]
    assert a["SenderId"] == uid
    # The newer MessageSystemAttributeNames member works the same way.
    [m] = receive(sqs, url, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert m["Attributes"] == {"ApproximateReceiveCount": "5"}


def test_visibility_timeout(sqs):
    url = new_queue(sqs, "vis", VisibilityTimeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="v")
    [m] = receive(sqs, url, VisibilityTimeout=600)
    assert counts(sqs, url) == (0, 1, 0)
    assert receive(sqs, url) == []  # hidden while in flight
    # A clock for the long poll below: a message hidden for 15 s, less than the poll's 20 s wait.
    sqs.send_message(QueueUrl=url, MessageBody="clock")
    [clock] = receive(sqs, url, VisibilityTimeout=15)
    # A long poll is woken when the first message becomes visible again (1 s from now): it returns that message
    # alone, long before the clock message shows again. A poll that slept through its wait would return both.
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=1)
    again = receive(sqs, url, WaitTimeSeconds=20, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"])
    assert [x["MessageId"] for x in again] == [m["MessageId"]]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    assert again[0]["ReceiptHandle"] != m["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=clock["ReceiptHandle"])
    # The queue's own VisibilityTimeout (30 s) applies without one in the request.
    assert counts(sqs, url) == (0, 1, 0)


def held_for_ms(m: dict) -> int:
    """How long the server held a message before its first receive: ApproximateFirstReceiveTimestamp minus
    SentTimestamp, both the server's own clock."""
    a = m["Attributes"]
    return int(a["ApproximateFirstReceiveTimestamp"]) - int(a["SentTimestamp"])


def test_delay_seconds(sqs):
    url = new_queue(sqs, "delay")
    sqs.send_message(QueueUrl=url, MessageBody="much later", DelaySeconds=900)
    sqs.send_message(QueueUrl=url, MessageBody="now")
    assert counts(sqs, url) == (1, 0, 1)
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10, VisibilityTimeout=600)] == ["now"]
    # A long poll is woken when a delay ends: it returns "later" (delayed 2 s) alone, long before "clock"
    # (delayed 15 s, sent first) can be received. A poll that slept through its 20 s wait would return both.
    sqs.send_message(QueueUrl=url, MessageBody="clock", DelaySeconds=15)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=2)
    later = receive(sqs, url, WaitTimeSeconds=20, MaxNumberOfMessages=10, AttributeNames=["All"])
    assert [m["Body"] for m in later] == ["later"]
    assert held_for_ms(later[0]) >= 2000, later[0]["Attributes"]  # not received before its delay ended

    # The queue's DelaySeconds applies to every message.
    slow = new_queue(sqs, "delayq", DelaySeconds=900)
    sqs.send_message(QueueUrl=slow, MessageBody="d")
    assert counts(sqs, slow) == (0, 0, 1)
    assert receive(sqs, slow) == []
    short = new_queue(sqs, "delayq", DelaySeconds=1)
    sqs.send_message(QueueUrl=short, MessageBody="d")
    [m] = drain(sqs, short, 1, timeout=15, AttributeNames=["All"])
    assert m["Body"] == "d"
    assert held_for_ms(m) >= 1000, m["Attributes"]


def test_long_poll_is_woken_by_an_arrival(sqs, server):
    url = new_queue(sqs, "longpoll")
    # A clock: a message that can be received 15 s from now, within the poll's 20 s wait.
    sqs.send_message(QueueUrl=url, MessageBody="clock", DelaySeconds=15)
    poller = server.client("sqs")  # its own client: the poll runs on another thread
    sent = threading.Event()
    poller.meta.events.register("before-send.sqs.ReceiveMessage", lambda **_: sent.set())
    result: dict = {}

    def poll():
        result["messages"] = receive(poller, url, WaitTimeSeconds=20, MaxNumberOfMessages=10)

    t = threading.Thread(target=poll)
    t.start()
    assert sent.wait(30), "the long poll was never sent"
    assert t.is_alive(), "the long poll returned before anything was sent"
    sqs.send_message(QueueUrl=url, MessageBody="wake up")
    t.join(60)
    assert not t.is_alive()
    # Woken by the arrival: "wake up" alone, long before the clock message could come too.
    assert [m["Body"] for m in result["messages"]] == ["wake up"]


def test_long_poll_without_arrival_waits_then_returns_empty(sqs):
    url = new_queue(sqs, "emptypoll")
    assert receive(sqs, url, WaitTimeSeconds=1) == []
    # The poll waits: a message that can be received only 1 s after it was sent is returned by a 2 s poll
    # started after the send (a poll that did not wait would come back empty).
    sqs.send_message(QueueUrl=url, MessageBody="soon", DelaySeconds=1)
    assert [m["Body"] for m in receive(sqs, url, WaitTimeSeconds=2)] == ["soon"]
    # The queue's ReceiveMessageWaitTimeSeconds makes every receive a long poll.
    lp = new_queue(sqs, "emptypollq", ReceiveMessageWaitTimeSeconds=2)
    assert receive(sqs, lp) == []
    sqs.send_message(QueueUrl=lp, MessageBody="soon", DelaySeconds=1)
    assert [m["Body"] for m in receive(sqs, lp)] == ["soon"]
    # And WaitTimeSeconds=0 in the request overrides it: it does not wait for a message 15 s away.
    sqs.send_message(QueueUrl=lp, MessageBody="later", DelaySeconds=15)
    assert receive(sqs, lp, WaitTimeSeconds=0) == []


def test_max_number_of_messages(sqs):
    url = new_queue(sqs, "maxn")
    for start in (0, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": f"e{i}", "MessageBody": f"m{i}"} for i in range(start, min(start + 10, 15))])
    first = receive(sqs, url, MaxNumberOfMessages=10)
    assert 1 <= len(first) <= 10
    one = receive(sqs, url)  # default is 1
    assert len(one) == 1
    rest = drain(sqs, url, 15 - len(first) - 1, delete=False)
    bodies = [m["Body"] for m in first + one + rest]
    assert sorted(bodies) == sorted(f"m{i}" for i in range(15))
    for n in (0, 11):
        err = error_of(sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=n)
        assert err["Code"] == "InvalidParameterValue", err
    for kw in ({"WaitTimeSeconds": 21}, {"WaitTimeSeconds": -1}, {"VisibilityTimeout": 43201}):
        err = error_of(sqs.receive_message, QueueUrl=url, **kw)
        assert err["Code"] == "InvalidParameterValue", (kw, err)


def test_delete_message(sqs):
    url = new_queue(sqs, "delmsg", VisibilityTimeout=0)
    sqs.send_message(QueueUrl=url, MessageBody="a")
    [m] = receive(sqs, url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert counts(sqs, url) == (0, 0, 0)
    assert receive(sqs, url) == []
    # Deleting it again is not an error.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    err = error_of(sqs.delete_message, QueueUrl=url, ReceiptHandle="not-a-handle")
    assert isinstance(err["Exception"], sqs.exceptions.ReceiptHandleIsInvalid), err


def test_delete_message_batch(sqs):
    url = new_queue(sqs, "delbatch")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)}
                                                  for i in range(3)])
    msgs = drain(sqs, url, 3, delete=False)
    assert len(msgs) == 3
    out = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "ReceiptHandle": msgs[0]["ReceiptHandle"]},
        {"Id": "b", "ReceiptHandle": "garbage"},
        {"Id": "c", "ReceiptHandle": msgs[2]["ReceiptHandle"]},
    ])
    assert sorted(e["Id"] for e in out["Successful"]) == ["a", "c"]
    [f] = out["Failed"]
    assert f["Id"] == "b" and f["Code"] == "ReceiptHandleIsInvalid" and f["SenderFault"] is True
    assert f["Message"]
    assert counts(sqs, url) == (0, 1, 0)


def test_change_message_visibility(sqs):
    url = new_queue(sqs, "chvis", VisibilityTimeout=60)
    sqs.send_message(QueueUrl=url, MessageBody="c")
    [m] = receive(sqs, url)
    assert receive(sqs, url) == []
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                  VisibilityTimeout=0)
    [m2] = receive(sqs, url, VisibilityTimeout=0)  # visible at once, and still visible after
    assert m2["MessageId"] == m["MessageId"]
    err = error_of(sqs.change_message_visibility, QueueUrl=url,
                   ReceiptHandle=m2["ReceiptHandle"], VisibilityTimeout=30)
    assert isinstance(err["Exception"], sqs.exceptions.MessageNotInflight), err
    assert err["Code"] == "AWS.SimpleQueueService.MessageNotInflight"
    err = error_of(sqs.change_message_visibility, QueueUrl=url, ReceiptHandle="bogus",
                   VisibilityTimeout=30)
    assert isinstance(err["Exception"], sqs.exceptions.ReceiptHandleIsInvalid), err
    [m3] = receive(sqs, url)
    err = error_of(sqs.change_message_visibility, QueueUrl=url,
                   ReceiptHandle=m3["ReceiptHandle"], VisibilityTimeout=43201)
    assert err["Code"] == "InvalidParameterValue"
    # Extending works: still hidden.
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m3["ReceiptHandle"],
                                  VisibilityTimeout=120)
    assert receive(sqs, url) == []


def test_change_message_visibility_batch(sqs):
    url = new_queue(sqs, "chvisb", VisibilityTimeout=60)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)}
                                                  for i in range(2)])
    msgs = drain(sqs, url, 2, delete=False)
    out = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "x", "ReceiptHandle": msgs[0]["ReceiptHandle"], "VisibilityTimeout": 0},
        {"Id": "y", "ReceiptHandle": "nope", "VisibilityTimeout": 0},
    ])
    assert [e["Id"] for e in out["Successful"]] == ["x"]
    [f] = out["Failed"]
    assert f["Id"] == "y" and f["Code"] == "ReceiptHandleIsInvalid" and f["SenderFault"] is True
    back = receive(sqs, url, MaxNumberOfMessages=10)
    assert [m["MessageId"] for m in back] == [msgs[0]["MessageId"]]


def test_change_message_visibility_batch_judges_each_entry(sqs):
    # One call mixes every outcome; each entry gets its own, listed in request order.
    url = new_queue(sqs, "chvisall", VisibilityTimeout=60)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(2)])
    [held] = receive(sqs, url, MaxNumberOfMessages=1)
    [loose] = receive(sqs, url, VisibilityTimeout=0)  # received, but visible again at once: not in flight
    out = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "tooLong", "ReceiptHandle": held["ReceiptHandle"], "VisibilityTimeout": 43201},
        {"Id": "held", "ReceiptHandle": held["ReceiptHandle"], "VisibilityTimeout": 0},
        {"Id": "loose", "ReceiptHandle": loose["ReceiptHandle"], "VisibilityTimeout": 30},
        {"Id": "bogus", "ReceiptHandle": "bogus", "VisibilityTimeout": 30},
    ])
    assert [e["Id"] for e in out["Successful"]] == ["held"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in out["Failed"]] == [
        ("tooLong", "InvalidParameterValue", True),
        ("loose", "AWS.SimpleQueueService.MessageNotInflight", True),
        ("bogus", "ReceiptHandleIsInvalid", True),
    ]
    # "held" is visible again, and a long poll already waiting on the queue would have been woken for it.
    assert sorted(m["MessageId"] for m in receive(sqs, url, MaxNumberOfMessages=10)) == sorted(
        [held["MessageId"], loose["MessageId"]])


def test_receipt_handle_of_another_queue_is_invalid(sqs):
    a = new_queue(sqs, "rha")
    b = new_queue(sqs, "rhb")
    sqs.send_message(QueueUrl=a, MessageBody="x")
    [m] = receive(sqs, a)
    err = error_of(sqs.change_message_visibility, QueueUrl=b, ReceiptHandle=m["ReceiptHandle"],
                   VisibilityTimeout=0)
    assert isinstance(err["Exception"], sqs.exceptions.ReceiptHandleIsInvalid)


def test_redrive_to_dead_letter_queue(sqs):
    dlq = new_queue(sqs, "dlq")
    src = new_queue(sqs, "src", VisibilityTimeout=0, RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 2}))
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["RedrivePolicy"])[
        "Attributes"]["RedrivePolicy"])
    assert policy["deadLetterTargetArn"] == arn_of(sqs, dlq)
    assert int(policy["maxReceiveCount"]) == 2
    sent = sqs.send_message(QueueUrl=src, MessageBody="poison",
                            MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    for n in (1, 2):
        [m] = receive(sqs, src, AttributeNames=["ApproximateReceiveCount"])
        assert m["Attributes"]["ApproximateReceiveCount"] == str(n)
    # Received maxReceiveCount times: the next receive moves it to the DLQ instead.
    assert receive(sqs, src) == []
    assert counts(sqs, src) == (0, 0, 0)
    [d] = drain(sqs, dlq, 1, MessageAttributeNames=["All"])
    assert d["MessageId"] == sent["MessageId"]
    assert d["Body"] == "poison"
    assert d["MessageAttributes"] == {"k": {"DataType": "String", "StringValue": "v"}}


def test_dead_letter_message_names_its_source_queue(sqs):
    """ReceiveMessage's DeadLetterQueueSourceArn: the queue a redriven message came from."""
    dlq = new_queue(sqs, "dlqsrc")
    src = new_queue(sqs, "srcarn", VisibilityTimeout=0, RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 1}))
    sqs.send_message(QueueUrl=src, MessageBody="p")
    assert len(receive(sqs, src)) == 1
    assert receive(sqs, src) == []
    [d] = drain(sqs, dlq, 1, AttributeNames=["All"])
    assert d["Attributes"].get("DeadLetterQueueSourceArn") == arn_of(sqs, src), d["Attributes"]


def test_removing_the_redrive_policy(sqs):
    dlq = new_queue(sqs, "dlqrm")
    src = new_queue(sqs, "srcrm", VisibilityTimeout=0, RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 1}))
    sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": ""})
    assert "RedrivePolicy" not in sqs.get_queue_attributes(
        QueueUrl=src, AttributeNames=["All"])["Attributes"]
    sqs.send_message(QueueUrl=src, MessageBody="stays")
    for _ in range(3):
        assert [m["Body"] for m in receive(sqs, src)] == ["stays"]
    assert counts(sqs, dlq) == (0, 0, 0)


# -- FIFO ----------------------------------------------------------------------------------

def test_fifo_queue_attributes_and_required_parameters(sqs):
    url = new_queue(sqs, "fifo", fifo=True)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert attrs["QueueArn"].endswith(".fifo")
    err = error_of(sqs.send_message, QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert err["Code"] == "MissingParameter", err
    # No dedup id and no content-based deduplication.
    err = error_of(sqs.send_message, QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert err["Code"] == "InvalidParameterValue", err
    # Per-message delays are not for FIFO queues.
    err = error_of(sqs.send_message, QueueUrl=url, MessageBody="x", MessageGroupId="g",
                   MessageDeduplicationId="d", DelaySeconds=1)
    assert err["Code"] == "InvalidParameterValue", err
    # And a standard queue takes no deduplication id.
    std = new_queue(sqs, "std")
    err = error_of(sqs.send_message, QueueUrl=std, MessageBody="x", MessageDeduplicationId="d")
    assert err["Code"] == "InvalidParameterValue", err
    assert counts(sqs, url) == (0, 0, 0)


def test_fifo_order_sequence_numbers_and_group_blocking(sqs):
    url = new_queue(sqs, "order", fifo=True, VisibilityTimeout=30)
    seqs = []
    for i in range(4):
        for g in ("A", "B"):
            r = sqs.send_message(QueueUrl=url, MessageBody=f"{g}{i}", MessageGroupId=g,
                                 MessageDeduplicationId=f"{g}-{i}")
            assert r["SequenceNumber"].isdigit()
            seqs.append(int(r["SequenceNumber"]))
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)

    # Take one message: the head of a group. Its group is then blocked.
    [first] = receive(sqs, url, AttributeNames=["All"])
    g = first["Attributes"]["MessageGroupId"]
    other = "B" if g == "A" else "A"
    assert first["Body"] == f"{g}0"
    assert first["Attributes"]["MessageDeduplicationId"] == f"{g}-0"
    assert first["Attributes"]["SequenceNumber"].isdigit()
    bodies = [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)]
    assert bodies == [f"{other}{i}" for i in range(4)], bodies
    # Both groups now have messages in flight: nothing more until one is done.
    assert receive(sqs, url, MaxNumberOfMessages=10) == []
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    bodies = [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)]
    assert bodies == [f"{g}{i}" for i in range(1, 4)], bodies


def test_fifo_returning_a_message_keeps_the_order(sqs):
    url = new_queue(sqs, "reorder", fifo=True)
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(i), MessageGroupId="g",
                         MessageDeduplicationId=str(i))
    msgs = receive(sqs, url, MaxNumberOfMessages=2)
    assert [m["Body"] for m in msgs] == ["0", "1"]
    for m in msgs:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                      VisibilityTimeout=0)
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)] == ["0", "1", "2"]


def test_fifo_deduplication(sqs):
    url = new_queue(sqs, "dedup", fifo=True)
    a = sqs.send_message(QueueUrl=url, MessageBody="one", MessageGroupId="g",
                         MessageDeduplicationId="same")
    b = sqs.send_message(QueueUrl=url, MessageBody="two", MessageGroupId="g",
                         MessageDeduplicationId="same")
    assert a["MessageId"] and b["MessageId"]
    got = receive(sqs, url, MaxNumberOfMessages=10)
    assert [m["Body"] for m in got] == ["one"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    # Still a duplicate after the first copy was deleted (5-minute window).
    sqs.send_message(QueueUrl=url, MessageBody="three", MessageGroupId="g",
                     MessageDeduplicationId="same")
    assert receive(sqs, url) == []
    assert counts(sqs, url) == (0, 0, 0)

    cbd = new_queue(sqs, "cbd", fifo=True, ContentBasedDeduplication="true")
    assert sqs.get_queue_attributes(QueueUrl=cbd, AttributeNames=["ContentBasedDeduplication"])[
        "Attributes"]["ContentBasedDeduplication"] == "true"
    sqs.send_message(QueueUrl=cbd, MessageBody="body", MessageGroupId="g1")
    sqs.send_message(QueueUrl=cbd, MessageBody="body", MessageGroupId="g2")
    sqs.send_message(QueueUrl=cbd, MessageBody="other", MessageGroupId="g1")
    got = receive(sqs, cbd, MaxNumberOfMessages=10, AttributeNames=["MessageDeduplicationId"])
    assert sorted(m["Body"] for m in got) == ["body", "other"]
    want = hashlib.sha256(b"body").hexdigest()
    assert [m["Attributes"]["MessageDeduplicationId"] for m in got if m["Body"] == "body"] == [want]
    assert counts(sqs, cbd) == (0, 2, 0)


def test_fifo_batch(sqs):
    url = new_queue(sqs, "fifob", fifo=True, ContentBasedDeduplication="true")
    out = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": f"i{i}", "MessageBody": f"b{i}", "MessageGroupId": "g"} for i in range(5)]
        + [{"Id": "nogroup", "MessageBody": "x"}])
    assert [e["Id"] for e in out["Successful"]] == [f"i{i}" for i in range(5)]
    nums = [int(e["SequenceNumber"]) for e in out["Successful"]]
    assert nums == sorted(nums)
    assert [f["Id"] for f in out["Failed"]] == ["nogroup"]
    assert out["Failed"][0]["Code"] == "MissingParameter"
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)] == \
        [f"b{i}" for i in range(5)]


# -- batches and invalid input -------------------------------------------------------------

def test_batch_request_errors(sqs, server):
    url = new_queue(sqs, "batcherr")
    # boto3 refuses an empty list before sending; a client without validation sends it.
    loose = server.session().client("sqs", endpoint_url=server.endpoint,
                                    config=NO_RETRY.merge(Config(parameter_validation=False)))
    for call in (loose.send_message_batch, loose.delete_message_batch,
                 loose.change_message_visibility_batch):
        err = error_of(call, QueueUrl=url, Entries=[])
        assert isinstance(err["Exception"], loose.exceptions.EmptyBatchRequest), err
        assert err["Code"] == "AWS.SimpleQueueService.EmptyBatchRequest"

    err = error_of(sqs.send_message_batch, QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": "x"} for i in range(11)])
    assert isinstance(err["Exception"], sqs.exceptions.TooManyEntriesInBatchRequest)
    assert err["Code"] == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"

    err = error_of(sqs.send_message_batch, QueueUrl=url, Entries=[
        {"Id": "same", "MessageBody": "x"}, {"Id": "same", "MessageBody": "y"}])
    assert isinstance(err["Exception"], sqs.exceptions.BatchEntryIdsNotDistinct)
    assert err["Code"] == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"

    for bad in ("has space", "dot.id", "x" * 81):
        err = error_of(sqs.send_message_batch, QueueUrl=url,
                       Entries=[{"Id": bad, "MessageBody": "x"}])
        assert isinstance(err["Exception"], sqs.exceptions.InvalidBatchEntryId), bad
        assert err["Code"] == "AWS.SimpleQueueService.InvalidBatchEntryId"

    err = error_of(sqs.delete_message_batch, QueueUrl=url, Entries=[
        {"Id": "d", "ReceiptHandle": "a"}, {"Id": "d", "ReceiptHandle": "b"}])
    assert isinstance(err["Exception"], sqs.exceptions.BatchEntryIdsNotDistinct)
    # None of those sent anything.
    assert counts(sqs, url) == (0, 0, 0)


def test_send_message_batch_per_entry_failures(sqs):
    url = new_queue(sqs, "batchpart", MaximumMessageSize=1024)
    out = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "ok-1", "MessageBody": "fine", "MessageAttributes": ATTRS},
        {"Id": "bad_chars", "MessageBody": "nul \x00 here"},
        {"Id": "too_big", "MessageBody": "y" * 1025},
        {"Id": "ok-2", "MessageBody": "also fine", "DelaySeconds": 0},
    ])
    ok = {e["Id"]: e for e in out["Successful"]}
    assert set(ok) == {"ok-1", "ok-2"}
    assert ok["ok-1"]["MD5OfMessageBody"] == md5_hex(b"fine")
    assert ok["ok-1"]["MD5OfMessageAttributes"] == attributes_md5(ATTRS)
    assert ok["ok-2"]["MD5OfMessageBody"] == md5_hex(b"also fine")
    assert ok["ok-1"]["MessageId"] != ok["ok-2"]["MessageId"]
    failed = {f["Id"]: f for f in out["Failed"]}
    assert set(failed) == {"bad_chars", "too_big"}
    assert failed["bad_chars"]["Code"] == "InvalidMessageContents"
    assert failed["too_big"]["Code"] == "InvalidParameterValue"
    assert all(f["SenderFault"] is True and f["Message"] for f in failed.values())
    assert sorted(m["Body"] for m in drain(sqs, url, 2)) == ["also fine", "fine"]


def test_batch_total_size_limit(sqs):
    """A batch may total up to 1 MiB (SendMessageBatch reference); the queue's
    MaximumMessageSize limits each message, not the batch."""
    small = new_queue(sqs, "bsmall", MaximumMessageSize=1024)
    out = sqs.send_message_batch(QueueUrl=small, Entries=[
        {"Id": "a", "MessageBody": "x" * 600}, {"Id": "b", "MessageBody": "y" * 600}])
    assert sorted(e["Id"] for e in out["Successful"]) == ["a", "b"] and not out["Failed"]
    big = new_queue(sqs, "bbig")
    err = error_of(sqs.send_message_batch, QueueUrl=big, Entries=[
        {"Id": str(i), "MessageBody": "x" * 200_000} for i in range(6)])
    assert isinstance(err["Exception"], sqs.exceptions.BatchRequestTooLong), err
    assert err["Code"] == "AWS.SimpleQueueService.BatchRequestTooLong"
    assert counts(sqs, big) == (0, 0, 0)


@pytest.mark.parametrize("body", ["nul \x00", "bell \x07", "\ufffe", "\uffff", "esc \x1b"])
def test_invalid_message_contents(sqs, body):
    url = new_queue(sqs, "badchars")
    err = error_of(sqs.send_message, QueueUrl=url, MessageBody=body)
    assert isinstance(err["Exception"], sqs.exceptions.InvalidMessageContents), err
    assert err["Code"] == "InvalidMessageContents"
    assert counts(sqs, url) == (0, 0, 0)


def test_message_size_limit(sqs):
    url = new_queue(sqs, "size", MaximumMessageSize=1024)
    sqs.send_message(QueueUrl=url, MessageBody="z" * 1024)
    err = error_of(sqs.send_message, QueueUrl=url, MessageBody="z" * 1025)
    assert err["Code"] == "InvalidParameterValue", err
    # Attributes count towards the size.
    err = error_of(sqs.send_message, QueueUrl=url, MessageBody="z" * 1000, MessageAttributes={
        "a": {"DataType": "String", "StringValue": "q" * 100}})
    assert err["Code"] == "InvalidParameterValue", err
    # Multi-byte characters count as their UTF-8 bytes.
    err = error_of(sqs.send_message, QueueUrl=url, MessageBody="é" * 513)
    assert err["Code"] == "InvalidParameterValue", err
    assert counts(sqs, url) == (1, 0, 0)


@pytest.mark.parametrize("attrs", [
    {"n": {"DataType": "Number", "StringValue": "not a number"}},
    {"n": {"DataType": "Strange", "StringValue": "x"}},
    {"n": {"DataType": "String"}},
    {f"a{i}": {"DataType": "String", "StringValue": "x"} for i in range(11)},
])
def test_invalid_message_attributes(sqs, attrs):
    url = new_queue(sqs, "badattr")
    err = error_of(sqs.send_message, QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
    assert err["Code"] == "InvalidParameterValue", err
    assert counts(sqs, url) == (0, 0, 0)


def test_errors_are_aws_shaped_on_the_wire(server):
    """The raw json 1.0 error: 400, a __type naming the shape, x-amzn-query-error with the
    legacy code."""
    r = server.signed_request("sqs", json.dumps({"QueueName": unique("nosuch")}), {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AmazonSQS.GetQueueUrl", "x-amzn-query-mode": "true"})
    assert r.status_code == 400
    body = r.json()
    assert body["__type"].split("#")[-1] == "QueueDoesNotExist"
    assert body["message"]
    assert r.headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert r.headers["x-amzn-RequestId"]


# -- depth ---------------------------------------------------------------------------------

def test_a_queue_with_thousands_of_messages_still_serves_receives(sqs):
    url = new_queue(sqs, "deep", VisibilityTimeout=60)
    total = 3000
    for start in range(0, total, 10):
        out = sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": f"msg-{i}"} for i in range(start, start + 10)])
        assert len(out["Successful"]) == 10 and not out["Failed"]
    assert counts(sqs, url) == (total, 0, 0)

    seen: set[str] = set()
    for _ in range(30):
        batch = receive(sqs, url, MaxNumberOfMessages=10)
        assert len(batch) == 10
        for m in batch:
            assert m["Body"] not in seen, "a message was handed out twice while in flight"
            seen.add(m["Body"])
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch[:5])])
    assert counts(sqs, url) == (total - 300, 150, 0)
    # Returning the undeleted ones makes them receivable again, ahead of nothing lost.
    sqs.purge_queue(QueueUrl=url)
    assert counts(sqs, url) == (0, 0, 0)
    sqs.send_message(QueueUrl=url, MessageBody="after purge")
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)] == ["after purge"]


# -- management vs data events -------------------------------------------------------------

def test_queue_calls_are_management_events_message_calls_are_data_events(sqs, server):
    name = unique("audit")
    created = sqs.create_queue(QueueName=name)
    url = created["QueueUrl"]
    ev = server.record_for(created, "CreateQueue")
    assert ev["EventSource"] == "sqs.amazonaws.com"
    rec = ev["Record"]
    assert rec["eventSource"] == "sqs.amazonaws.com"
    assert rec["requestParameters"]["queueName"] == name
    assert rec["responseElements"]["queueUrl"] == url
    assert rec["readOnly"] is False and rec["managementEvent"] is True
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    assert server.record_for(attrs, "GetQueueAttributes")["Record"]["readOnly"] is True

    data_ids = []
    sent = sqs.send_message(QueueUrl=url, MessageBody="x")
    data_ids.append(sent["ResponseMetadata"]["RequestId"])
    got = sqs.receive_message(QueueUrl=url)
    data_ids.append(got["ResponseMetadata"]["RequestId"])
    h = got["Messages"][0]["ReceiptHandle"]
    data_ids.append(sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=h,
                                                  VisibilityTimeout=5)
                    ["ResponseMetadata"]["RequestId"])
    data_ids.append(sqs.delete_message(QueueUrl=url, ReceiptHandle=h)
                    ["ResponseMetadata"]["RequestId"])
    data_ids.append(sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": "y"}])["ResponseMetadata"]["RequestId"])
    deleted = sqs.delete_queue(QueueUrl=url)
    server.record_for(deleted, "DeleteQueue")  # a later management call is in the history
    recorded = server.all_request_ids()
    assert not [r for r in data_ids if r in recorded], "message calls must not be in LookupEvents"


def test_failed_message_calls_are_data_events_too(sqs, server):
    """A message call that fails is still a data event: not in LookupEvents (AWS records the
    category by operation, not by outcome)."""
    url = new_queue(sqs, "auditfail")
    failed_ids = []
    missing = url + "-gone"
    for call, kw in [(sqs.send_message, {"QueueUrl": missing, "MessageBody": "x"}),
                     (sqs.send_message, {"QueueUrl": url, "MessageBody": "bad \x00"}),
                     (sqs.receive_message, {"QueueUrl": url, "MaxNumberOfMessages": 11}),
                     (sqs.delete_message, {"QueueUrl": url, "ReceiptHandle": "junk"}),
                     (sqs.send_message_batch, {"QueueUrl": url, "Entries": [
                         {"Id": "d", "MessageBody": "x"}, {"Id": "d", "MessageBody": "y"}]})]:
        with pytest.raises(ClientError) as ei:
            call(**kw)
        failed_ids.append(ei.value.response["ResponseMetadata"]["RequestId"])
    later = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    server.record_for(later, "GetQueueAttributes")
    recorded = {e["Record"]["requestID"]: e["Record"] for e in server.lookup()}
    leaked = [recorded[r]["eventName"] for r in failed_ids if r in recorded]
    assert not leaked, f"failed data-event calls recorded as management events: {leaked}"


@cli_on_sqlite_only
def test_sqs_with_the_cli(server, aws_cli):
    # aws-cli v1 pins `aws sqs` to queue.amazonaws.com unless --endpoint-url is given
    # (awscli/customizations/overridesslcommonname.py): AWS_ENDPOINT_URL alone is not enough.
    def cli(*args, **kw):
        return server.aws("sqs", *args, "--endpoint-url", server.endpoint, **kw)

    name = unique("cli")
    url = cli("create-queue", "--queue-name", name,
              "--attributes", "VisibilityTimeout=20")["QueueUrl"]
    assert url.endswith(f"/{ACCOUNT}/{name}")
    sent = cli("send-message", "--queue-url", url, "--message-body", "from cli",
               "--message-attributes",
               json.dumps({"k": {"DataType": "String", "StringValue": "v"}}))
    assert sent["MD5OfMessageBody"] == md5_hex(b"from cli")
    got = cli("receive-message", "--queue-url", url, "--wait-time-seconds", "5",
              "--message-attribute-names", "All", "--attribute-names", "All")
    [m] = got["Messages"]
    assert m["Body"] == "from cli"
    assert m["MessageAttributes"]["k"]["StringValue"] == "v"
    assert m["Attributes"]["ApproximateReceiveCount"] == "1"
    cli("delete-message", "--queue-url", url, "--receipt-handle", m["ReceiptHandle"])
    attrs = cli("get-queue-attributes", "--queue-url", url,
                "--attribute-names", "All")["Attributes"]
    assert attrs["VisibilityTimeout"] == "20"
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    cp = cli("get-queue-url", "--queue-name", unique("nosuch"), check=False)
    assert cp.returncode != 0
    assert "AWS.SimpleQueueService.NonExistentQueue" in cp.stderr, cp.stderr
