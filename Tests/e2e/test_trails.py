"""Trails: log files delivered into buckets, signed digests that `aws cloudtrail validate-logs` accepts,
event selectors, SNS notifications, delivery errors, restarts."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import re
import time

import pytest
from botocore.exceptions import ClientError

from conftest import SNS_PRINCIPAL, allow_service_to_queue, unique, wait_for

ACCOUNT = "000000000000"
LOG_KEY = re.compile(
    r"^(?:(?P<prefix>.+)/)?AWSLogs/(?P<acct>\d{12})/CloudTrail/(?P<region>[a-z0-9-]+)/\d{4}/\d{2}/\d{2}/"
    r"(?P=acct)_CloudTrail_(?P=region)_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$")
DIGEST_KEY = re.compile(
    r"^(?:(?P<prefix>.+)/)?AWSLogs/(?P<acct>\d{12})/CloudTrail-Digest/(?P<region>[a-z0-9-]+)/\d{4}/\d{2}/\d{2}/"
    r"(?P=acct)_CloudTrail-Digest_(?P=region)_(?P<trail>[^_]+)_(?P<home>[a-z0-9-]+)_\d{8}T\d{6}Z\.json\.gz$")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from conftest import ServerFactory
    factory = ServerFactory(tmp_path_factory.mktemp("trails"))
    server = factory.new("--trail-delivery-interval", "1", "--digest-interval", "2")
    yield server
    factory.close()


def bucket_policy(bucket: str, prefix: str | None = None) -> str:
    path = f"{prefix}/AWSLogs/{ACCOUNT}/*" if prefix else f"AWSLogs/{ACCOUNT}/*"
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}"},
        {"Sid": "Write", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/{path}",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}},
    ]})


def trail_bucket(srv, prefix: str | None = None) -> str:
    s3 = srv.client("s3")
    bucket = unique("trail").lower()
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy(bucket, prefix))
    return bucket


def keys(srv, bucket: str, prefix: str = "") -> list[str]:
    s3 = srv.client("s3")
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return out


def log_records(srv, bucket: str) -> list[dict]:
    s3 = srv.client("s3")
    records = []
    for key in keys(srv, bucket):
        if "/CloudTrail/" in key:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            records += json.loads(gzip.decompress(body))["Records"]
    return records


def delivered_request_ids(srv, bucket: str) -> set[str]:
    return {r.get("requestID") for r in log_records(srv, bucket)}


def digests(srv, bucket: str) -> dict[str, dict]:
    """Every digest file in the bucket, by key, parsed."""
    s3 = srv.client("s3")
    return {k: json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=k)["Body"].read()))
            for k in keys(srv, bucket) if "/CloudTrail-Digest/" in k}


def wait_final_digest(srv, bucket: str, name: str, timeout: float = 30) -> dict[str, dict]:
    """After StopLogging: polls until the final digest is written, i.e. one digest ends at or after the stop and
    the digests list every log file delivered; returns the digests by key."""
    status = srv.client("cloudtrail").get_trail_status(Name=name)
    assert "StopLoggingTime" in status, f"StopLogging's time is missing from the trail's status: {status}"
    stopped = status["StopLoggingTime"]
    stopped_s = stopped.astimezone(dt.timezone.utc).replace(microsecond=0, tzinfo=None)

    def final():
        found = digests(srv, bucket)
        ends = [dt.datetime.strptime(d["digestEndTime"], "%Y-%m-%dT%H:%M:%SZ") for d in found.values()]
        listed = {f["s3Object"] for d in found.values() for f in d["logFiles"]}
        logs = {k for k in keys(srv, bucket) if "/CloudTrail/" in k}
        return found if ends and max(ends) >= stopped_s and logs <= listed else None
    return wait_for(final, timeout, interval=0.3, what=f"the final digest of trail {name}")


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


# -- CreateTrail validation -------------------------------------------------------------------

def test_create_trail_checks_name_bucket_policy_and_options(srv):
    ct = srv.client("cloudtrail")
    s3 = srv.client("s3")
    with pytest.raises(ClientError) as e:
        ct.create_trail(Name="ab", S3BucketName="whatever")
    assert error_code(e) == "InvalidTrailNameException"
    with pytest.raises(ClientError) as e:
        ct.create_trail(Name="bad name!", S3BucketName="whatever")
    assert error_code(e) == "InvalidTrailNameException"
    with pytest.raises(ClientError) as e:
        ct.create_trail(Name=unique("t"), S3BucketName=unique("missing").lower())
    assert error_code(e) == "S3BucketDoesNotExistException"

    bucket = unique("nopolicy").lower()
    s3.create_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        ct.create_trail(Name=unique("t"), S3BucketName=bucket)
    assert error_code(e) == "InsufficientS3BucketPolicyException"
    assert bucket in e.value.response["Error"]["Message"]
    # A policy for another prefix is not enough either.
    s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy(bucket, "other"))
    with pytest.raises(ClientError) as e:
        ct.create_trail(Name=unique("t"), S3BucketName=bucket, S3KeyPrefix="mine")
    assert error_code(e) == "InsufficientS3BucketPolicyException"

    good = trail_bucket(srv)
    with pytest.raises(ClientError) as e:
        ct.create_trail(Name=unique("t"), S3BucketName=good, IsMultiRegionTrail=True, IncludeGlobalServiceEvents=False)
    assert error_code(e) == "InvalidParameterCombinationException"
    with pytest.raises(ClientError) as e:
        ct.create_trail(Name=unique("t"), S3BucketName=good, KmsKeyId="alias/mine")
    assert error_code(e) == "KmsKeyNotFoundException"
    with pytest.raises(ClientError) as e:
        ct.create_trail(Name=unique("t"), S3BucketName=good, SnsTopicName="no-such-topic")
    assert error_code(e) == "InvalidSnsTopicNameException"

    name = unique("t")
    ct.create_trail(Name=name, S3BucketName=good)
    with pytest.raises(ClientError) as e:
        ct.create_trail(Name=name, S3BucketName=good)
    assert error_code(e) == "TrailAlreadyExistsException"
    with pytest.raises(ClientError) as e:
        ct.get_trail_status(Name=unique("nosuch"))
    assert error_code(e) == "TrailNotFoundException"
    ct.delete_trail(Name=name)


def test_trail_management_round_trip(srv):
    ct = srv.client("cloudtrail")
    bucket = trail_bucket(srv, prefix="audit")
    name = unique("mgmt")
    created = ct.create_trail(Name=name, S3BucketName=bucket, S3KeyPrefix="audit", EnableLogFileValidation=True,
                              TagsList=[{"Key": "team", "Value": "core"}])
    arn = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{name}"
    assert created["TrailARN"] == arn
    assert created["S3KeyPrefix"] == "audit"
    assert created["LogFileValidationEnabled"] is True

    trail = ct.get_trail(Name=arn)["Trail"]
    assert trail["HomeRegion"] == "us-east-1"
    assert trail["HasCustomEventSelectors"] is False
    assert any(t["TrailARN"] == arn for t in ct.describe_trails()["trailList"])
    assert [t["Name"] for t in ct.describe_trails(trailNameList=[name])["trailList"]] == [name]
    assert {"TrailARN": arn, "Name": name, "HomeRegion": "us-east-1"} in ct.list_trails()["Trails"]
    assert ct.get_trail_status(Name=name)["IsLogging"] is False

    tags = ct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"]
    assert tags == [{"Key": "team", "Value": "core"}]
    ct.add_tags(ResourceId=arn, TagsList=[{"Key": "env", "Value": "ci"}])
    ct.remove_tags(ResourceId=arn, TagsList=[{"Key": "team"}])
    assert ct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"] == [{"Key": "env", "Value": "ci"}]

    selectors = ct.get_event_selectors(TrailName=name)
    assert selectors["EventSelectors"][0]["ReadWriteType"] == "All"
    assert selectors["EventSelectors"][0]["IncludeManagementEvents"] is True

    updated = ct.update_trail(Name=name, EnableLogFileValidation=False)
    assert updated["LogFileValidationEnabled"] is False
    with pytest.raises(ClientError) as e:
        ct.put_event_selectors(TrailName=name, EventSelectors=[{"ReadWriteType": "Sometimes"}])
    assert error_code(e) == "InvalidEventSelectorsException"
    with pytest.raises(ClientError) as e:
        ct.put_event_selectors(TrailName=name, EventSelectors=[{"ReadWriteType": "All"}],
                               AdvancedEventSelectors=[{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}])
    assert error_code(e) == "InvalidParameterCombinationException"

    # Management calls on trails are themselves in event history: this very CreateTrail, by name and by resource.
    request_id = created["ResponseMetadata"]["RequestId"]
    record = srv.record_for(created, "CreateTrail")["Record"]
    assert record["requestParameters"]["name"] == name
    assert [e["Record"]["requestID"] for e in srv.lookup("ResourceName", arn)
            if e["EventName"] == "CreateTrail"] == [request_id]
    ct.delete_trail(Name=name)
    with pytest.raises(ClientError) as e:
        ct.get_trail(Name=name)
    assert error_code(e) == "TrailNotFoundException"


# -- Delivery ---------------------------------------------------------------------------------

def test_log_files_carry_the_calls_once_under_aws_keys(srv):
    ct = srv.client("cloudtrail")
    bucket = trail_bucket(srv)
    name = unique("deliver")
    ct.create_trail(Name=name, S3BucketName=bucket)
    ct.start_logging(Name=name)
    sqs = srv.client("sqs")
    ids = {sqs.create_queue(QueueName=unique("tq"))["ResponseMetadata"]["RequestId"] for _ in range(5)}
    # An object-level call is a data event: not in the trail without a data selector.
    s3 = srv.client("s3")
    put_id = s3.put_object(Bucket=bucket, Key="user-object", Body=b"x")["ResponseMetadata"]["RequestId"]

    wait_for(lambda: ids <= delivered_request_ids(srv, bucket))
    status = ct.get_trail_status(Name=name)
    assert status["IsLogging"] is True
    assert status["LatestDeliveryTime"] and "LatestDeliveryError" not in status

    log_keys = [k for k in keys(srv, bucket) if "/CloudTrail/" in k]
    assert log_keys and all(LOG_KEY.match(k) for k in log_keys), log_keys
    records = log_records(srv, bucket)
    event_ids = [r["eventID"] for r in records]
    assert len(event_ids) == len(set(event_ids)), "a record was delivered twice"
    assert put_id not in {r.get("requestID") for r in records}
    create = next(r for r in records if r.get("requestID") in ids)
    assert create["eventSource"] == "sqs.amazonaws.com"
    assert create["eventName"] == "CreateQueue"
    assert create["recipientAccountId"] == ACCOUNT
    assert create["userIdentity"]["type"] == "IAMUser"
    # Stored as raw gzip, with no Content-Encoding that would make HTTP clients gunzip it.
    head = s3.head_object(Bucket=bucket, Key=log_keys[0])
    assert "ContentEncoding" not in head
    ct.stop_logging(Name=name)
    assert ct.get_trail_status(Name=name)["IsLogging"] is False


def test_stopped_trail_delivers_nothing_new(srv):
    ct = srv.client("cloudtrail")
    bucket = trail_bucket(srv)
    name = unique("stopper")
    ct.create_trail(Name=name, S3BucketName=bucket, EnableLogFileValidation=True)
    ct.start_logging(Name=name)
    before = srv.client("sqs").create_queue(QueueName=unique("before"))["ResponseMetadata"]["RequestId"]
    wait_for(lambda: before in delivered_request_ids(srv, bucket))
    ct.stop_logging(Name=name)
    after = srv.client("sqs").create_queue(QueueName=unique("after"))["ResponseMetadata"]["RequestId"]
    # The final digest is the last thing a stopped trail writes, after its last log file: once it is there,
    # the call made after the stop is in no file.
    wait_final_digest(srv, bucket, name)
    assert before in delivered_request_ids(srv, bucket)
    assert after not in delivered_request_ids(srv, bucket)
    status = ct.get_trail_status(Name=name)
    assert status["IsLogging"] is False and "StopLoggingTime" in status, status


def test_data_event_selectors_deliver_object_calls_of_the_chosen_bucket(srv):
    ct = srv.client("cloudtrail")
    s3 = srv.client("s3")
    bucket = trail_bucket(srv)
    watched = unique("watched").lower()
    other = unique("other").lower()
    s3.create_bucket(Bucket=watched)
    s3.create_bucket(Bucket=other)
    name = unique("data")
    ct.create_trail(Name=name, S3BucketName=bucket)
    ct.put_event_selectors(TrailName=name, EventSelectors=[{
        "ReadWriteType": "WriteOnly", "IncludeManagementEvents": False,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{watched}/"]}]}])
    assert ct.get_trail(Name=name)["Trail"]["HasCustomEventSelectors"] is True
    ct.start_logging(Name=name)
    put_watched = s3.put_object(Bucket=watched, Key="k1", Body=b"1")["ResponseMetadata"]["RequestId"]
    get_watched = s3.get_object(Bucket=watched, Key="k1")["ResponseMetadata"]["RequestId"]  # read: not selected
    put_other = s3.put_object(Bucket=other, Key="k1", Body=b"1")["ResponseMetadata"]["RequestId"]
    mgmt = srv.client("sqs").create_queue(QueueName=unique("m"))["ResponseMetadata"]["RequestId"]
    # A selected call made last: the trail delivers in the order of the calls, so once it is delivered the calls
    # before it were delivered or passed over.
    marker = s3.put_object(Bucket=watched, Key="marker", Body=b"m")["ResponseMetadata"]["RequestId"]
    wait_for(lambda: marker in delivered_request_ids(srv, bucket))
    delivered = log_records(srv, bucket)
    ids = {r.get("requestID") for r in delivered}
    assert put_watched in ids
    assert get_watched not in ids and put_other not in ids and mgmt not in ids
    record = next(r for r in delivered if r.get("requestID") == put_watched)
    assert record["eventCategory"] == "Data" and record["managementEvent"] is False
    assert record["requestParameters"]["bucketName"] == watched
    assert record["requestParameters"]["key"] == "k1"
    assert ("AWS::S3::Object", f"arn:aws:s3:::{watched}/k1") in {(r["type"], r["ARN"]) for r in record["resources"]}

    # Advanced selectors: read-only data events of the other bucket.
    ct.put_event_selectors(TrailName=name, AdvancedEventSelectors=[{"Name": "reads", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        {"Field": "resources.ARN", "StartsWith": [f"arn:aws:s3:::{other}/"]},
        {"Field": "readOnly", "Equals": ["true"]}]}])
    assert "AdvancedEventSelectors" in ct.get_event_selectors(TrailName=name)
    read_other = s3.get_object(Bucket=other, Key="k1")["ResponseMetadata"]["RequestId"]
    write_other = s3.put_object(Bucket=other, Key="k2", Body=b"2")["ResponseMetadata"]["RequestId"]
    marker = s3.get_object(Bucket=other, Key="k2")["ResponseMetadata"]["RequestId"]  # selected, made last
    wait_for(lambda: marker in delivered_request_ids(srv, bucket))
    ids = delivered_request_ids(srv, bucket)
    assert read_other in ids and write_other not in ids
    ct.stop_logging(Name=name)


def test_log_file_writes_are_recorded_as_the_cloudtrail_service(srv):
    """Cairn writes log files as cloudtrail.amazonaws.com: S3 data events, seen by a trail that selects them."""
    ct = srv.client("cloudtrail")
    logs = trail_bucket(srv)
    watcher_bucket = trail_bucket(srv)
    writer, watcher = unique("writer"), unique("watcher")
    ct.create_trail(Name=writer, S3BucketName=logs)
    ct.create_trail(Name=watcher, S3BucketName=watcher_bucket)
    ct.put_event_selectors(TrailName=watcher, EventSelectors=[{
        "ReadWriteType": "WriteOnly", "IncludeManagementEvents": False,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{logs}/"]}]}])
    ct.start_logging(Name=watcher)
    ct.start_logging(Name=writer)
    written = wait_for(lambda: [k for k in keys(srv, logs) if "/CloudTrail/" in k])

    def puts():
        return [r for r in log_records(srv, watcher_bucket)
                if r["eventName"] == "PutObject" and r["requestParameters"]["key"] in written]
    record = wait_for(puts)[0]
    assert record["userIdentity"] == {"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"}
    assert record["sourceIPAddress"] == "cloudtrail.amazonaws.com"
    assert record["eventCategory"] == "Data" and record["readOnly"] is False
    assert record["requestParameters"]["bucketName"] == logs
    # Data events never reach event history.
    assert not [e for e in srv.lookup("EventName", "PutObject") if e["Record"]["requestParameters"]["bucketName"] == logs]
    ct.stop_logging(Name=writer)
    ct.stop_logging(Name=watcher)


def test_each_delivered_file_is_announced_on_the_trail_topic(srv):
    ct, sns, sqs = srv.client("cloudtrail"), srv.client("sns"), srv.client("sqs")
    bucket = trail_bucket(srv)
    topic = sns.create_topic(Name=unique("trail-topic"))["TopicArn"]
    queue = sqs.create_queue(QueueName=unique("trail-notes"))["QueueUrl"]
    queue_arn = allow_service_to_queue(sqs, queue, SNS_PRINCIPAL)  # the topic's subscriber: SNS may send to it
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    name = unique("notify")
    created = ct.create_trail(Name=name, S3BucketName=bucket, SnsTopicName=topic.split(":")[-1])
    assert created["SnsTopicARN"] == topic
    ct.start_logging(Name=name)
    msgs = wait_for(lambda: sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages"))
    note = json.loads(msgs[0]["Body"])
    assert note["s3Bucket"] == bucket
    assert note["s3ObjectKey"] and LOG_KEY.match(note["s3ObjectKey"][0])
    assert note["s3ObjectKey"][0] in keys(srv, bucket)
    assert ct.get_trail_status(Name=name)["LatestNotificationTime"]
    ct.stop_logging(Name=name)


def test_missing_bucket_is_a_delivery_error_and_nothing_is_lost(srv):
    ct, s3 = srv.client("cloudtrail"), srv.client("s3")
    bucket = trail_bucket(srv)
    name = unique("gone")
    ct.create_trail(Name=name, S3BucketName=bucket)
    ct.start_logging(Name=name)
    first = srv.client("sqs").create_queue(QueueName=unique("g1"))["ResponseMetadata"]["RequestId"]
    wait_for(lambda: first in delivered_request_ids(srv, bucket))
    for key in keys(srv, bucket):
        s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_bucket(Bucket=bucket)
    during = srv.client("sqs").create_queue(QueueName=unique("g2"))["ResponseMetadata"]["RequestId"]
    status = wait_for(lambda: (s := ct.get_trail_status(Name=name)).get("LatestDeliveryError") and s)
    assert status["LatestDeliveryError"] == "NoSuchBucket"
    # The bucket comes back: what was pending is delivered, the error clears.
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy(bucket))
    wait_for(lambda: during in delivered_request_ids(srv, bucket))
    wait_for(lambda: "LatestDeliveryError" not in ct.get_trail_status(Name=name))
    ct.stop_logging(Name=name)


# -- Digests and validate-logs ------------------------------------------------------------------

def validate(srv, arn: str, start: dt.datetime, check: bool = False):
    cp = srv.aws("cloudtrail", "validate-logs", "--trail-arn", arn,
                 "--start-time", start.strftime("%Y-%m-%dT%H:%M:%SZ"), "--verbose", "--region", "us-east-1",
                 check=False, timeout=120)
    return cp


def summary(out: str) -> dict[str, tuple[int, int]]:
    found = {}
    for kind in ("digest", "log"):
        m = re.search(rf"(\d+)/(\d+) {kind} files valid", out)
        if m:
            found[kind] = (int(m.group(1)), int(m.group(2)))
    return found


@pytest.fixture(scope="module")
def validated_trail(srv):
    """A trail with log file validation, logging across a restart and several digest periods."""
    ct = srv.client("cloudtrail")
    bucket = trail_bucket(srv, prefix="audit/main")
    name = unique("valid")
    arn = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{name}"
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=2)
    ct.create_trail(Name=name, S3BucketName=bucket, S3KeyPrefix="audit/main", EnableLogFileValidation=True)
    ct.start_logging(Name=name)
    for _ in range(2):  # separate deliveries: separate log files
        ids = {srv.client("sqs").create_queue(QueueName=unique("v"))["ResponseMetadata"]["RequestId"] for _ in range(3)}
        wait_for(lambda: ids <= delivered_request_ids(srv, bucket))
    wait_for(lambda: len([k for k in keys(srv, bucket) if "CloudTrail-Digest" in k]) >= 2)
    before_restart = sorted(k for k in keys(srv, bucket) if "CloudTrail-Digest" in k)
    srv.restart()
    ct = srv.client("cloudtrail")
    more = {srv.client("sqs").create_queue(QueueName=unique("w"))["ResponseMetadata"]["RequestId"] for _ in range(3)}
    wait_for(lambda: more <= delivered_request_ids(srv, bucket))
    digests_before = len([k for k in keys(srv, bucket) if "CloudTrail-Digest" in k])
    wait_for(lambda: len([k for k in keys(srv, bucket) if "CloudTrail-Digest" in k]) >= digests_before + 2)
    ct.stop_logging(Name=name)
    wait_final_digest(srv, bucket, name)
    return {"bucket": bucket, "name": name, "arn": arn, "start": start, "before_restart": before_restart}


def test_digests_are_signed_chained_and_listed_keys_verify_them(srv, validated_trail):
    import rsa
    s3, ct = srv.client("s3"), srv.client("cloudtrail")
    bucket = validated_trail["bucket"]
    digest_keys = sorted(k for k in keys(srv, bucket) if "CloudTrail-Digest" in k)
    assert len(digest_keys) >= 4
    assert all(DIGEST_KEY.match(k) and DIGEST_KEY.match(k).group("prefix") == "audit/main" for k in digest_keys), digest_keys
    # The digests written before the restart come first, and more follow them: the chain below spans the restart.
    before_restart = validated_trail["before_restart"]
    assert len(before_restart) >= 2 and digest_keys[:len(before_restart)] == before_restart, digest_keys
    assert len(digest_keys) >= len(before_restart) + 2, digest_keys
    public = {k["Fingerprint"]: k for k in ct.list_public_keys()["PublicKeyList"]}
    assert public
    previous = None
    for key in digest_keys:
        obj = s3.get_object(Bucket=bucket, Key=key)
        raw = gzip.decompress(obj["Body"].read())
        digest = json.loads(raw)
        assert obj["Metadata"]["signature-algorithm"] == "SHA256withRSA"
        assert digest["digestS3Bucket"] == bucket and digest["digestS3Object"] == key
        assert digest["digestSignatureAlgorithm"] == "SHA256withRSA"
        if previous is None:
            # The first digest of the trail starts the chain.
            assert digest["previousDigestS3Object"] is None and digest["previousDigestSignature"] is None, digest
        else:
            # Every later one names the one before it, by key, signature and hash, and starts where it ended.
            assert digest["previousDigestS3Bucket"] == bucket
            assert digest["previousDigestS3Object"] == previous[0], key
            assert digest["previousDigestSignature"] == previous[1]
            assert digest["previousDigestHashValue"] == hashlib.sha256(previous[2]).hexdigest()
            assert digest["digestStartTime"] == previous[3]
        for log in digest["logFiles"]:
            body = gzip.decompress(s3.get_object(Bucket=bucket, Key=log["s3Object"])["Body"].read())
            assert hashlib.sha256(body).hexdigest() == log["hashValue"]
        key_entry = public[digest["digestPublicKeyFingerprint"]]
        pub = rsa.PublicKey.load_pkcs1(key_entry["Value"], format="DER")
        to_sign = (f"{digest['digestEndTime']}\n{bucket}/{key}\n{hashlib.sha256(raw).hexdigest()}\n"
                   f"{digest['previousDigestSignature'] or 'null'}").encode()
        rsa.verify(to_sign, bytes.fromhex(obj["Metadata"]["signature"]), pub)
        previous = (key, obj["Metadata"]["signature"], raw, digest["digestEndTime"])


def test_validate_logs_reports_every_file_valid_across_a_restart(srv, validated_trail):
    cp = validate(srv, validated_trail["arn"], validated_trail["start"])
    assert cp.returncode == 0, cp.stdout + cp.stderr
    found = summary(cp.stdout)
    assert found["digest"][0] == found["digest"][1] >= 4, cp.stdout
    assert found["log"][0] == found["log"][1] >= 3, cp.stdout
    assert "INVALID" not in cp.stdout


def test_validate_logs_names_exactly_the_changed_and_the_deleted_log_file(srv, validated_trail):
    s3 = srv.client("s3")
    bucket = validated_trail["bucket"]
    log_keys = sorted(k for k in keys(srv, bucket) if "/CloudTrail/" in k)
    assert len(log_keys) >= 2
    changed, deleted = log_keys[0], log_keys[-1]
    body = bytearray(gzip.decompress(s3.get_object(Bucket=bucket, Key=changed)["Body"].read()))
    i = body.index(b'"eventName":"') + len(b'"eventName":"')
    body[i] = ord("X") if body[i] != ord("X") else ord("Y")  # one byte
    s3.put_object(Bucket=bucket, Key=changed, Body=gzip.compress(bytes(body)))
    s3.delete_object(Bucket=bucket, Key=deleted)

    cp = validate(srv, validated_trail["arn"], validated_trail["start"])
    assert cp.returncode == 1, cp.stdout + cp.stderr
    invalid = [line for line in (cp.stdout + cp.stderr).splitlines()
               if "INVALID" in line and line.startswith(("Log file", "Digest file"))]
    assert len(invalid) == 2, invalid
    assert any(changed in line and "hash value doesn't match" in line for line in invalid), invalid
    assert any(deleted in line and "not found" in line for line in invalid), invalid
    found = summary(cp.stdout)
    assert found["digest"][0] == found["digest"][1], cp.stdout
    assert found["log"][0] == found["log"][1] - 2 >= 1, cp.stdout
    assert f"2/{found['log'][1]} log files INVALID" in cp.stdout


def test_list_public_keys_returns_pkcs1_keys_matching_digest_fingerprints(srv):
    import rsa
    ct = srv.client("cloudtrail")
    keys_ = ct.list_public_keys()["PublicKeyList"]
    assert keys_
    for k in keys_:
        # boto3 hands the blob back decoded: DER PKCS#1 RSAPublicKey.
        pub = rsa.PublicKey.load_pkcs1(k["Value"], format="DER")
        assert pub.n.bit_length() == 2048
        assert k["Fingerprint"] == hashlib.md5(k["Value"]).hexdigest()
        assert k["ValidityStartTime"] < k["ValidityEndTime"]
    with pytest.raises(ClientError) as e:
        ct.list_public_keys(StartTime=dt.datetime(2030, 1, 1), EndTime=dt.datetime(2029, 1, 1))
    assert error_code(e) == "InvalidTimeRangeException"


def test_multi_region_trail_delivers_each_region_under_its_own_path(srv):
    ct = srv.client("cloudtrail")
    bucket = trail_bucket(srv)
    name = unique("multi")
    ct.create_trail(Name=name, S3BucketName=bucket, IsMultiRegionTrail=True)
    ct.start_logging(Name=name)
    east = srv.client("sqs").create_queue(QueueName=unique("e"))["ResponseMetadata"]["RequestId"]
    west = srv.client("sqs", region="eu-west-1").create_queue(QueueName=unique("w"))["ResponseMetadata"]["RequestId"]
    wait_for(lambda: {east, west} <= delivered_request_ids(srv, bucket))
    s3 = srv.client("s3")
    for key in keys(srv, bucket):
        if "/CloudTrail/" not in key:
            continue
        region = LOG_KEY.match(key).group("region")
        records = json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))["Records"]
        assert all(r["awsRegion"] == region for r in records), key
    # Visible from the other region as a shadow trail; changed only from home.
    west_ct = srv.client("cloudtrail", region="eu-west-1")
    assert any(t["Name"] == name for t in west_ct.describe_trails()["trailList"])
    with pytest.raises(ClientError) as e:
        west_ct.stop_logging(Name=name)
    assert error_code(e) == "InvalidHomeRegionException"
    ct.stop_logging(Name=name)


def test_kill_9_during_delivery_loses_and_duplicates_nothing(cairn_factory):
    """Calls made between crashes all reach the trail, each exactly once."""
    import random
    srv = cairn_factory.new("--trail-delivery-interval", "1", "--digest-interval", "2")
    ct = srv.client("cloudtrail")
    bucket = trail_bucket(srv)
    name = unique("crash")
    ct.create_trail(Name=name, S3BucketName=bucket, EnableLogFileValidation=True)
    ct.start_logging(Name=name)
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    rng = random.Random(7)
    ids: list[str] = []
    for _ in range(5):
        sqs = srv.client("sqs")
        ids += [sqs.create_queue(QueueName=unique("c"))["ResponseMetadata"]["RequestId"] for _ in range(15)]
        time.sleep(rng.uniform(0.3, 1.5))
        srv.kill9()
        srv.start()
    wait_for(lambda: set(ids) <= delivered_request_ids(srv, bucket), timeout=60)
    counts: dict[str, int] = {}
    for r in log_records(srv, bucket):
        if r.get("requestID") in set(ids):
            counts[r["requestID"]] = counts.get(r["requestID"], 0) + 1
    assert set(counts) == set(ids)
    assert all(n == 1 for n in counts.values()), {k: n for k, n in counts.items() if n != 1}
    srv.client("cloudtrail").stop_logging(Name=name)
    wait_final_digest(srv, bucket, name)
    cp = validate(srv, f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{name}", start)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "INVALID" not in cp.stdout


def test_stop_logging_delivers_the_backlog_and_a_final_digest_that_lists_it(cairn_factory):
    """With hour-long intervals nothing is delivered until StopLogging, which must deliver everything pending and
    write a final digest covering those files."""
    srv = cairn_factory.new("--trail-delivery-interval", "3600", "--digest-interval", "3600")
    ct = srv.client("cloudtrail")
    bucket = trail_bucket(srv)
    name = unique("final")
    ct.create_trail(Name=name, S3BucketName=bucket, EnableLogFileValidation=True)
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    ct.start_logging(Name=name)
    # CreateTrail and StartLogging each wake the writer for a pass, which delivers what is recorded by then (their
    # own records); let those passes end (they take milliseconds; on PostgreSQL a pass is a few round trips) — the
    # calls after them must wait for the interval.
    time.sleep(2)
    ids = {srv.client("sqs").create_queue(QueueName=unique("f"))["ResponseMetadata"]["RequestId"] for _ in range(4)}
    time.sleep(1)
    assert not ids & delivered_request_ids(srv, bucket), "delivered before the interval"
    ct.stop_logging(Name=name)
    wait_for(lambda: ids <= delivered_request_ids(srv, bucket))
    s3 = srv.client("s3")
    digests = wait_for(lambda: [k for k in keys(srv, bucket) if "CloudTrail-Digest" in k])
    listed = set()
    for key in digests:
        listed |= {f["s3Object"] for f in json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))["logFiles"]}
    assert listed == {k for k in keys(srv, bucket) if "/CloudTrail/" in k}
    cp = validate(srv, f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{name}", start)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    found = summary(cp.stdout)
    assert found["log"][0] == found["log"][1] >= 1, cp.stdout


def test_the_readme_walkthrough_with_the_aws_cli_finds_the_seed_call_in_a_log_file(srv, tmp_path):
    """Seed 2 with the real CLI: bucket, policy, trail, the seed's CreateComputeEnvironment, a delivered log file
    downloaded and gunzipped, then validate-logs."""
    bucket = unique("cli-trail").lower()
    name = unique("cli")
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    def cli(*args):
        cp = srv.aws(*args, check=False)
        assert cp.returncode == 0, cp.stderr
        return cp.stdout

    cli("s3", "mb", f"s3://{bucket}")
    cli("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", bucket_policy(bucket))
    srv.aws("cloudtrail", "create-trail", "--name", name, "--s3-bucket-name", bucket, "--enable-log-file-validation")
    srv.aws("cloudtrail", "start-logging", "--name", name)
    ce_name = unique("Test")
    created = srv.aws(
        "batch", "create-compute-environment", "--compute-environment-name", ce_name, "--type", "MANAGED",
        "--state", "ENABLED", "--service-role", "service-role/AWSBatchServiceRole", "--compute-resources",
        json.dumps({"subnets": ["subnet-5eda8e04"], "tags": {"testBatchTags": "CLI testing CE"}, "desiredvCpus": 0,
                    "minvCpus": 0, "instanceTypes": ["optimal"], "securityGroupIds": ["sg-aba9e8db"],
                    "instanceRole": "ecsInstanceRole", "maxvCpus": 128, "type": "EC2"}))
    assert created["computeEnvironmentName"] == ce_name

    def seed_record():
        listing = srv.aws("s3", "ls", f"s3://{bucket}/AWSLogs/{ACCOUNT}/CloudTrail/", "--recursive", check=False)
        for line in listing.stdout.splitlines():
            key = line.split()[-1]
            local = tmp_path / key.replace("/", "_")
            cli("s3", "cp", f"s3://{bucket}/{key}", str(local))
            for r in json.loads(gzip.decompress(local.read_bytes()))["Records"]:
                if r["eventName"] == "CreateComputeEnvironment" and r["requestParameters"]["computeEnvironmentName"] == ce_name:
                    return r
        return None

    record = wait_for(seed_record)
    assert record["eventSource"] == "batch.amazonaws.com"
    assert record["requestParameters"]["computeResources"]["maxvCpus"] == 128
    assert record["requestParameters"]["serviceRole"] == "service-role/AWSBatchServiceRole"
    assert record["responseElements"] == {
        "computeEnvironmentName": ce_name,
        "computeEnvironmentArn": f"arn:aws:batch:us-east-1:{ACCOUNT}:compute-environment/{ce_name}"}
    srv.aws("cloudtrail", "stop-logging", "--name", name)
    wait_final_digest(srv, bucket, name)
    cp = validate(srv, f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{name}", start)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    found = summary(cp.stdout)
    assert found["log"][0] == found["log"][1] >= 1 and found["digest"][0] == found["digest"][1] >= 1, cp.stdout
