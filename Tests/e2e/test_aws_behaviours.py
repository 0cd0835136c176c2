"""Behaviours first seen in tests run against real AWS, one boto3 test each: SNS FIFO topics and raw delivery of
message attributes, SQS queue names as QueueUrl and FIFO throughput attributes, EventBridge buses, connections and
target ARNs, IAM tags, AWS Batch terminate/cancel and retry actions, the STS operations Cairn does not serve, and S3 bucket
locations, SSE-S3, storage classes, copy checksums, 304s, ranges, ListParts markers and continuation tokens.
Codes follow the botocore models and the AWS API references."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import NO_RETRY, SNS_PRINCIPAL, allow_service_to_queue, unique

REGION = "us-east-1"


def error_of(call, **kwargs) -> dict:
    """The error response of a call that must fail."""
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response


def loose_client(server, service: str):
    """A client without boto3's own parameter validation, for inputs only the server must refuse."""
    return server.session().client(service, endpoint_url=server.endpoint,
                                   config=NO_RETRY.merge(Config(parameter_validation=False)))


@pytest.fixture(scope="module")
def account(server) -> str:
    return server.client("sts").get_caller_identity()["Account"]


@pytest.fixture(scope="module")
def sns(server):
    return server.client("sns")


@pytest.fixture(scope="module")
def sqs(server):
    return server.client("sqs")


def new_queue(sqs, fifo: bool = False, allow: str | None = None, **attributes: str) -> tuple[str, str]:
    """A fresh queue: (url, arn); with `allow` (SNS_PRINCIPAL for a topic's subscriber), its policy lets that service
    send to it, as AWS requires."""
    name = unique("q") + (".fifo" if fifo else "")
    if fifo:
        attributes["FifoQueue"] = "true"
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    if allow:
        return url, allow_service_to_queue(sqs, url, allow)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def new_fifo_topic(sns, **attributes: str) -> str:
    return sns.create_topic(Name=unique("t") + ".fifo",
                            Attributes={"FifoTopic": "true", **attributes})["TopicArn"]


def receive(sqs, url: str, n: int, timeout: float = 20.0, **kw) -> list[dict]:
    """Receives (and deletes) until n messages have arrived, polling with a bound."""
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                    **kw).get("Messages", [])
        got += batch
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert len(got) >= n, f"expected {n} messages, got {[m['Body'][:200] for m in got]}"
    return got


# -- SNS -------------------------------------------------------------------------------------

def test_fifo_topic_to_fifo_queue_keeps_group_and_dedup_ids_and_per_group_order(sns, sqs):
    topic = new_fifo_topic(sns)
    url, arn = new_queue(sqs, fifo=True, allow=SNS_PRINCIPAL)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sent = []
    for i in range(3):
        for group in ("ga", "gb", "gc"):
            body, dedup = f"{group}-{i}", unique("d")
            sns.publish(TopicArn=topic, Message=body, MessageGroupId=group, MessageDeduplicationId=dedup)
            sent.append((group, body, dedup))
    got = receive(sqs, url, len(sent), MessageSystemAttributeNames=["All"])
    seen = [(m["Attributes"]["MessageGroupId"], json.loads(m["Body"])["Message"],
             m["Attributes"]["MessageDeduplicationId"]) for m in got]
    assert sorted(seen) == sorted(sent)
    for group in ("ga", "gb", "gc"):
        assert [b for g, b, _ in seen if g == group] == [f"{group}-{i}" for i in range(3)], seen


def test_standard_topic_cannot_subscribe_a_fifo_queue(sns, sqs):
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    _, arn = new_queue(sqs, fifo=True)
    err = error_of(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint=arn)
    assert err["Error"]["Code"] == "InvalidParameter", err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert not sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]


def test_fifo_publish_needs_a_dedup_id_unless_content_based(sns, sqs):
    plain = new_fifo_topic(sns)
    err = error_of(sns.publish, TopicArn=plain, Message="m", MessageGroupId="g")
    assert err["Error"]["Code"] == "InvalidParameter", err

    content = new_fifo_topic(sns, ContentBasedDeduplication="true")
    url, arn = new_queue(sqs, fifo=True, allow=SNS_PRINCIPAL)
    sns.subscribe(TopicArn=content, Protocol="sqs", Endpoint=arn)
    message = unique("content-based")
    sns.publish(TopicArn=content, Message=message, MessageGroupId="g")
    [m] = receive(sqs, url, 1, MessageSystemAttributeNames=["All"])
    assert json.loads(m["Body"])["Message"] == message
    assert m["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(message.encode()).hexdigest()


def test_dedup_id_on_a_standard_topic_is_refused(sns):
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    err = error_of(sns.publish, TopicArn=topic, Message="m", MessageDeduplicationId="d")
    assert err["Error"]["Code"] == "InvalidParameter", err


def test_topic_attributes_report_content_based_dedup_and_a_policy(sns):
    fifo = new_fifo_topic(sns)
    attrs = sns.get_topic_attributes(TopicArn=fifo)["Attributes"]
    assert attrs["FifoTopic"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    sns.set_topic_attributes(TopicArn=fifo, AttributeName="ContentBasedDeduplication", AttributeValue="true")
    assert sns.get_topic_attributes(TopicArn=fifo)["Attributes"]["ContentBasedDeduplication"] == "true"
    standard = sns.create_topic(Name=unique("t"))["TopicArn"]
    for topic in (fifo, standard):
        policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
        resources = [s["Resource"] for s in policy["Statement"]]
        assert resources and all(r == topic for r in resources), policy


def test_raw_delivery_carries_message_attributes(sns, sqs):
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    raw_url, raw_arn = new_queue(sqs, allow=SNS_PRINCIPAL)
    env_url, env_arn = new_queue(sqs, allow=SNS_PRINCIPAL)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=env_arn)
    blob = b"\x00\x01binary\xff"
    sns.publish(TopicArn=topic, Message="hello", MessageAttributes={
        "colour": {"DataType": "String", "StringValue": "blue"},
        "count": {"DataType": "Number", "StringValue": "42"},
        "blob": {"DataType": "Binary", "BinaryValue": blob},
    })
    [raw] = receive(sqs, raw_url, 1, MessageAttributeNames=["All"])
    assert raw["Body"] == "hello"
    attrs = raw["MessageAttributes"]
    assert attrs["colour"] == {"DataType": "String", "StringValue": "blue"}
    assert attrs["count"] == {"DataType": "Number", "StringValue": "42"}
    assert attrs["blob"] == {"DataType": "Binary", "BinaryValue": blob}

    [wrapped] = receive(sqs, env_url, 1, MessageAttributeNames=["All"])
    assert "MessageAttributes" not in wrapped
    envelope = json.loads(wrapped["Body"])
    assert envelope["Message"] == "hello"
    assert envelope["MessageAttributes"] == {
        "colour": {"Type": "String", "Value": "blue"},
        "count": {"Type": "Number", "Value": "42"},
        "blob": {"Type": "Binary", "Value": base64.b64encode(blob).decode()},
    }


# -- SQS -------------------------------------------------------------------------------------

def test_queue_url_may_be_the_queue_name(sqs):
    name = unique("byname")
    sqs.create_queue(QueueName=name)
    sqs.send_message(QueueUrl=name, MessageBody="by name")
    [m] = receive(sqs, name, 1)
    assert m["Body"] == "by name"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as e:
        sqs.send_message(QueueUrl=unique("missing"), MessageBody="x")
    assert e.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue", e.value.response


def test_fifo_throughput_attributes(sqs):
    url, _ = new_queue(sqs, fifo=True)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["DeduplicationScope"], attrs["FifoThroughputLimit"]) == ("queue", "perQueue")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DeduplicationScope": "messageGroup",
                                                       "FifoThroughputLimit": "perMessageGroupId"})
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DeduplicationScope", "FifoThroughputLimit"])
    assert attrs["Attributes"] == {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}
    for name, bad in (("DeduplicationScope", "perQueue"), ("FifoThroughputLimit", "queue")):
        err = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={name: bad})
        assert err["Error"]["Code"] == "InvalidAttributeValue", (name, err)
    std_url, _ = new_queue(sqs)
    assert "DeduplicationScope" not in sqs.get_queue_attributes(
        QueueUrl=std_url, AttributeNames=["All"])["Attributes"]
    for name, value in (("DeduplicationScope", "queue"), ("FifoThroughputLimit", "perQueue")):
        err = error_of(sqs.create_queue, QueueName=unique("std"), Attributes={name: value})
        assert err["Error"]["Code"] == "InvalidAttributeName", (name, err)
        err = error_of(sqs.set_queue_attributes, QueueUrl=std_url, Attributes={name: value})
        assert err["Error"]["Code"] == "InvalidAttributeName", (name, err)


def test_empty_policy_removes_the_policy(sqs):
    url, arn = new_queue(sqs)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": arn}]})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    assert json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]) \
        == json.loads(policy)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})


def test_tag_queue_with_no_tags_is_refused(sqs):
    url, _ = new_queue(sqs)
    err = error_of(sqs.tag_queue, QueueUrl=url, Tags={})
    assert err["Error"]["Code"] == "MissingParameter", err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_redrive_policy_max_receive_count_comes_back_a_number(sqs):
    _, dlq = new_queue(sqs)
    url, _ = new_queue(sqs)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq, "maxReceiveCount": "5"})})
    got = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
                     ["Attributes"]["RedrivePolicy"])
    assert got["maxReceiveCount"] == 5 and type(got["maxReceiveCount"]) is int, got
    assert got["deadLetterTargetArn"] == dlq


def test_empty_batches_name_the_missing_entry(server, sqs):
    """SQS speaks JSON with awsQueryCompatible: botocore takes the code from x-amzn-query-error, so the code
    is the query one, AWS.SimpleQueueService.EmptyBatchRequest (the exception class is EmptyBatchRequest)."""
    url, _ = new_queue(sqs)
    loose = loose_client(server, "sqs")
    for call, entry in ((loose.send_message_batch, "SendMessageBatchRequestEntry"),
                        (loose.delete_message_batch, "DeleteMessageBatchRequestEntry"),
                        (loose.change_message_visibility_batch, "ChangeMessageVisibilityBatchRequestEntry")):
        with pytest.raises(loose.exceptions.EmptyBatchRequest) as e:
            call(QueueUrl=url, Entries=[])
        err = e.value.response["Error"]
        assert err["Code"] == "AWS.SimpleQueueService.EmptyBatchRequest", err
        assert err["Message"] == f"There should be at least one {entry} in the request.", err


# -- EventBridge -----------------------------------------------------------------------------

def test_create_default_bus_already_exists(server):
    err = error_of(server.client("events").create_event_bus, Name="default")
    assert err["Error"]["Code"] == "ResourceAlreadyExistsException", err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_connection_reports_its_secret_arn(server, account):
    events = server.client("events")
    name = unique("conn")
    events.create_connection(Name=name, AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"}})
    secret = events.describe_connection(Name=name)["SecretArn"]
    # EventBridge keeps a connection's credentials in a Secrets Manager secret named events!connection/<name>/<id>.
    assert secret.startswith(f"arn:aws:secretsmanager:{REGION}:{account}:secret:events!connection/{name}/"), secret
    assert len(secret) > len(f"arn:aws:secretsmanager:{REGION}:{account}:secret:events!connection/{name}/")


def test_put_targets_with_a_malformed_arn_fails_the_whole_call(server, sqs):
    """The botocore model lists no ValidationException for PutTargets and types Target.Arn only as a 1..1600
    string, but ValidationException (400) is one of the API reference's common errors, and that is what AWS
    answers for a target ARN that does not parse: for the whole call, not as a FailedEntries row, with
    "Parameter <arn> is not valid. Reason: Provided Arn is not in correct format." (moto's PutTargets test,
    written against AWS, asserts exactly this status, code and message). Nothing from the call is stored,
    not even the well-formed entry beside the bad one."""
    events = server.client("events")
    rule = unique("rule")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["my.app"]}))
    _, arn = new_queue(sqs)
    err = error_of(events.put_targets, Rule=rule, Targets=[{"Id": "good", "Arn": arn},
                                                          {"Id": "bad", "Arn": "not-an-arn"}])
    assert err["Error"]["Code"] == "ValidationException", err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Error"]["Message"] == \
        "Parameter not-an-arn is not valid. Reason: Provided Arn is not in correct format.", err
    assert events.list_targets_by_rule(Rule=rule)["Targets"] == []


# -- IAM -------------------------------------------------------------------------------------

def test_iam_tags_on_users_and_roles(server, account):
    iam = server.client("iam")
    tags = [{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}]
    user = unique("u")
    iam.create_user(UserName=user, Tags=tags)
    assert iam.get_user(UserName=user)["User"]["Tags"] == tags
    role = unique("r")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]})
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust, Tags=tags)
    assert iam.get_role(RoleName=role)["Role"]["Tags"] == tags
    # ListUserTags/ListRoleTags, where the server serves them, list the same tags.
    for call, kwargs in ((iam.list_user_tags, {"UserName": user}), (iam.list_role_tags, {"RoleName": role})):
        try:
            assert call(**kwargs)["Tags"] == tags
        except ClientError as e:
            assert e.response["Error"]["Code"] == "InvalidAction", e.response

    many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    too_many_user = unique("u")
    err = error_of(iam.create_user, UserName=too_many_user, Tags=many)
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == ("LimitExceeded", 409), err
    assert error_of(iam.get_user, UserName=too_many_user)["Error"]["Code"] == "NoSuchEntity"
    err = error_of(iam.create_role, RoleName=unique("r"), AssumeRolePolicyDocument=trust, Tags=many)
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == ("LimitExceeded", 409), err


# -- AWS Batch -------------------------------------------------------------------------------

def test_terminate_and_cancel_an_unknown_job_succeed(server):
    batch = server.client("batch")
    missing = "00000000-0000-4000-8000-000000000000"
    for call in (batch.terminate_job, batch.cancel_job):
        out = call(jobId=missing, reason="not there")
        assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert {k for k in out if k != "ResponseMetadata"} == set()


def test_evaluate_on_exit_action_is_case_insensitive(server):
    """EvaluateOnExit.action: the botocore model's enum is RETRY | EXIT and its documentation says "The values
    aren't case sensitive"; neither says how the value comes back. What AWS returns is lower case, whatever case
    was sent: the Terraform AWS provider's acceptance test TestAccBatchJobDefinition_ContainerProperties_advanced
    (run against AWS) registers action = "RETRY" and "exit" (sent verbatim) and compares DescribeJobDefinitions
    with strings.ToLower("RETRY") and strings.ToLower("EXIT"), and the provider keeps the attribute lower-cased
    (StateFunc strings.ToLower) so that it matches what AWS reads back. Not as given, not upper-cased.
    A value that is neither action is refused (ClientException, Batch's error for invalid input)."""
    batch = server.client("batch")
    name = unique("jd")
    arn = batch.register_job_definition(
        jobDefinitionName=name, type="container",
        containerProperties={"image": "busybox", "command": ["true"],
                             "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                                      {"type": "MEMORY", "value": "512"}]},
        retryStrategy={"attempts": 3, "evaluateOnExit": [{"onExitCode": "1", "action": "exit"},
                                                         {"onExitCode": "*", "action": "RETRY"},
                                                         {"onReason": "x*", "action": "Exit"}]},
    )["jobDefinitionArn"]
    [jd] = batch.describe_job_definitions(jobDefinitions=[arn])["jobDefinitions"]
    assert [e["action"] for e in jd["retryStrategy"]["evaluateOnExit"]] == ["exit", "retry", "exit"]
    err = error_of(batch.register_job_definition, jobDefinitionName=unique("jd"), type="container",
                   containerProperties={"image": "busybox", "command": ["true"]},
                   retryStrategy={"attempts": 2, "evaluateOnExit": [{"onExitCode": "1", "action": "maybe"}]})
    assert err["Error"]["Code"] == "ClientException", err


# -- STS -------------------------------------------------------------------------------------

@pytest.mark.parametrize("operation,action,kwargs", [
    ("assume_role_with_web_identity", "AssumeRoleWithWebIdentity",
     {"RoleSessionName": "session", "WebIdentityToken": "a" * 40}),
    ("assume_role_with_saml", "AssumeRoleWithSAML",
     {"PrincipalArn": "arn:aws:iam::000000000000:saml-provider/p", "SAMLAssertion": "b" * 40}),
])
def test_unserved_unsigned_sts_operations_are_invalid_actions(server, operation, action, kwargs):
    """Both operations are unsigned in the botocore model (authtype none), so boto3 sends them without a
    signature. Cairn does not serve them: the answer is the query protocol's unknown-action error (400
    InvalidAction) naming the action, not an authentication failure."""
    sts = server.client("sts")
    err = error_of(getattr(sts, operation), RoleArn="arn:aws:iam::000000000000:role/r", **kwargs)
    assert err["Error"]["Code"] == "InvalidAction", err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert action in err["Error"]["Message"], err


# -- S3 ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def s3(server):
    return server.client("s3")


def new_bucket(s3) -> str:
    name = unique("b").lower()
    s3.create_bucket(Bucket=name)
    return name


def test_create_bucket_location_rules(server, s3):
    """The us-east-1 endpoint creates a bucket in any region; another region's endpoint only in its own."""
    anywhere = unique("loc").lower()
    s3.create_bucket(Bucket=anywhere, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert s3.get_bucket_location(Bucket=anywhere)["LocationConstraint"] == "eu-west-1"
    eu = server.client("s3", region="eu-west-1")
    for config in ({}, {"CreateBucketConfiguration": {"LocationConstraint": "ap-south-1"}}):
        name = unique("loc").lower()
        err = error_of(eu.create_bucket, Bucket=name, **config)["Error"]
        assert err["Code"] == "IllegalLocationConstraintException", err
        assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    for constraint in ("us-east-1", "mars-north"):
        err = error_of(s3.create_bucket, Bucket=unique("loc").lower(),
                       CreateBucketConfiguration={"LocationConstraint": constraint})["Error"]
        assert err["Code"] == "InvalidLocationConstraint", err


def test_objects_report_sse_s3(s3):
    bucket = new_bucket(s3)
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"x")["ServerSideEncryption"] == "AES256"
    assert s3.head_object(Bucket=bucket, Key="k")["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="k")["ServerSideEncryption"] == "AES256"
    assert s3.copy_object(Bucket=bucket, Key="c", CopySource=f"{bucket}/k")["ServerSideEncryption"] == "AES256"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="m")
    assert upload["ServerSideEncryption"] == "AES256"
    part = s3.upload_part(Bucket=bucket, Key="m", UploadId=upload["UploadId"], PartNumber=1, Body=b"p")
    assert part["ServerSideEncryption"] == "AES256"
    done = s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=upload["UploadId"],
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert done["ServerSideEncryption"] == "AES256"


def test_copy_object_storage_class_and_checksum(s3):
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="src", Body=b"payload", StorageClass="STANDARD_IA")
    assert s3.head_object(Bucket=bucket, Key="src")["StorageClass"] == "STANDARD_IA"
    # Not copied from the source: STANDARD (no header) unless asked for.
    s3.copy_object(Bucket=bucket, Key="plain", CopySource=f"{bucket}/src")
    assert "StorageClass" not in s3.head_object(Bucket=bucket, Key="plain")
    s3.copy_object(Bucket=bucket, Key="glacier", CopySource=f"{bucket}/src", StorageClass="GLACIER_IR")
    assert s3.head_object(Bucket=bucket, Key="glacier")["StorageClass"] == "GLACIER_IR"
    out = s3.copy_object(Bucket=bucket, Key="summed", CopySource=f"{bucket}/src", ChecksumAlgorithm="SHA256")
    expected = base64.b64encode(hashlib.sha256(b"payload").digest()).decode()
    assert out["CopyObjectResult"]["ChecksumSHA256"] == expected
    head = s3.head_object(Bucket=bucket, Key="summed", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == expected


def test_unknown_storage_class_is_invalid_storage_class(s3):
    bucket = new_bucket(s3)
    for call, kwargs in ((s3.put_object, {"Body": b"x"}), (s3.create_multipart_upload, {})):
        err = error_of(call, Bucket=bucket, Key="k", StorageClass="COLD_AS_ICE", **kwargs)["Error"]
        assert err["Code"] == "InvalidStorageClass", err
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_not_modified_carries_the_etag(s3):
    bucket = new_bucket(s3)
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["ETag"]
    resp = error_of(s3.get_object, Bucket=bucket, Key="k", IfNoneMatch=etag)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 304
    assert resp["ResponseMetadata"]["HTTPHeaders"]["etag"] == etag
    assert "last-modified" in resp["ResponseMetadata"]["HTTPHeaders"]


def test_invalid_range_carries_the_range_requested(s3):
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"12345")
    resp = error_of(s3.get_object, Bucket=bucket, Key="k", Range="bytes=100-200")
    assert resp["Error"]["Code"] == "InvalidRange"
    assert resp["Error"]["RangeRequested"] == "bytes=100-200"
    assert resp["Error"]["ActualObjectSize"] == "5"


def test_list_parts_returns_next_part_number_marker(s3):
    bucket = new_bucket(s3)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    assert s3.list_parts(Bucket=bucket, Key="m", UploadId=upload_id)["NextPartNumberMarker"] == 0
    for n in (1, 2, 3):
        s3.upload_part(Bucket=bucket, Key="m", UploadId=upload_id, PartNumber=n, Body=b"p")
    page = s3.list_parts(Bucket=bucket, Key="m", UploadId=upload_id, MaxParts=2)
    assert page["IsTruncated"] and page["NextPartNumberMarker"] == 2
    rest = s3.list_parts(Bucket=bucket, Key="m", UploadId=upload_id, PartNumberMarker=2)
    assert [p["PartNumber"] for p in rest["Parts"]] == [3] and rest["NextPartNumberMarker"] == 3


def test_empty_continuation_token_is_refused(s3):
    bucket = new_bucket(s3)
    err = error_of(s3.list_objects_v2, Bucket=bucket, ContinuationToken="")["Error"]
    assert err["Code"] == "InvalidArgument", err


# -- S3 browser-form uploads (POST Object) ---------------------------------------------------------------------

def post_form(post: dict, data: bytes, filename: str = "hello.txt", extra: dict | None = None,
              file_type: str = "text/plain"):
    """Sends what a browser sends for boto3's generate_presigned_post: the fields, then the file."""
    import urllib3
    from conftest import http
    fields = list(post["fields"].items()) + list((extra or {}).items())
    body, content_type = urllib3.encode_multipart_formdata(fields + [("file", (filename, data, file_type))])
    return http("POST", post["url"], body=body, headers={"Content-Type": content_type})


def xml_code(resp) -> str:
    import re
    found = re.search(r"<Code>([^<]+)</Code>", resp.text)
    return found.group(1) if found else ""


@pytest.mark.parametrize("signer", ["default", "s3v4"])
def test_presigned_post_uploads_with_fields_and_filename(server, s3, signer):
    """boto3 signs POST policies with SigV2 by default and SigV4 when told; both are accepted."""
    presigner = s3 if signer == "default" else server.session().client(
        "s3", endpoint_url=server.endpoint, config=NO_RETRY.merge(Config(signature_version=signer)))
    bucket = new_bucket(s3)
    post = presigner.generate_presigned_post(
        Bucket=bucket, Key="uploads/${filename}",
        Fields={"Content-Type": "text/plain", "x-amz-meta-who": "form"},
        Conditions=[["starts-with", "$key", "uploads/"], {"Content-Type": "text/plain"}, {"x-amz-meta-who": "form"},
                    ["content-length-range", 1, 100]])
    assert ("x-amz-signature" in post["fields"]) == (signer == "s3v4")
    resp = post_form(post, b"hello from a form")
    assert resp.status_code == 204, resp.text
    assert resp.headers["ETag"] == '"' + hashlib.md5(b"hello from a form").hexdigest() + '"'
    got = s3.get_object(Bucket=bucket, Key="uploads/hello.txt")
    assert got["Body"].read() == b"hello from a form"
    assert got["ContentType"] == "text/plain" and got["Metadata"] == {"who": "form"}


def test_presigned_post_success_action_status_201_answers_a_post_response(s3):
    bucket = new_bucket(s3)
    post = s3.generate_presigned_post(Bucket=bucket, Key="k201", Fields={"success_action_status": "201"},
                                      Conditions=[{"success_action_status": "201"}])
    resp = post_form(post, b"x")
    assert resp.status_code == 201, resp.text
    assert "<Key>k201</Key>" in resp.text and f"<Bucket>{bucket}</Bucket>" in resp.text
    assert s3.get_object(Bucket=bucket, Key="k201")["Body"].read() == b"x"


def test_presigned_post_refusals_store_nothing(s3, server):
    bucket = new_bucket(s3)
    post = s3.generate_presigned_post(Bucket=bucket, Key="k", Conditions=[["content-length-range", 1, 10]])
    # A field the policy does not name.
    resp = post_form(post, b"x", extra={"x-amz-meta-sneaky": "1"})
    assert (resp.status_code, xml_code(resp)) == (403, "AccessDenied"), resp.text
    assert "Extra input fields: x-amz-meta-sneaky" in resp.text
    # Larger than content-length-range allows.
    resp = post_form(post, b"x" * 11)
    assert (resp.status_code, xml_code(resp)) == (400, "EntityTooLarge"), resp.text
    # A policy changed after signing.
    forged = dict(post, fields=dict(post["fields"]))
    policy = json.loads(base64.b64decode(forged["fields"]["policy"]))
    policy["conditions"] = [c for c in policy["conditions"] if not (isinstance(c, list) and c[0] == "content-length-range")]
    forged["fields"]["policy"] = base64.b64encode(json.dumps(policy).encode()).decode()
    resp = post_form(forged, b"x" * 11)
    assert (resp.status_code, xml_code(resp)) == (403, "SignatureDoesNotMatch"), resp.text
    # A key the policy does not allow.
    moved = dict(post, fields=dict(post["fields"], key="elsewhere"))
    resp = post_form(moved, b"x")
    assert (resp.status_code, xml_code(resp)) == (403, "AccessDenied"), resp.text
    # Expired.
    old = s3.generate_presigned_post(Bucket=bucket, Key="k", ExpiresIn=-60)
    resp = post_form(old, b"x")
    assert (resp.status_code, xml_code(resp)) == (403, "AccessDenied") and "Policy expired" in resp.text, resp.text
    # Unsigned.
    resp = post_form({"url": post["url"], "fields": {"key": "k"}}, b"x")
    assert (resp.status_code, xml_code(resp)) == (403, "AccessDenied"), resp.text
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    server.assert_healthy()


def test_presigned_post_with_tagging_is_not_implemented(s3):
    bucket = new_bucket(s3)
    tagging = "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>"
    post = s3.generate_presigned_post(Bucket=bucket, Key="k", Fields={"tagging": tagging}, Conditions=[{"tagging": tagging}])
    resp = post_form(post, b"x")
    assert (resp.status_code, xml_code(resp)) == (501, "NotImplemented"), resp.text
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
