"""No request may crash Cairn (issue 18): one regression test per Swift trap found by sweeping the sources for
request-controlled values that reach a trapping operation (integer overflow, a negative count, a Double that does
not fit an Int64, a precondition in a library, unbounded recursion).

Every test starts its own server (a crash must not take the next test's server with it), sends the triggering
request, then checks that the process is still alive and healthy *before* it checks the answer, so a crash shows up
as "cairn did not survive the request" with the trap's own lines, not as a confusing client error.
"""

from __future__ import annotations

import hashlib
import json
import re
import time

import pytest
import urllib3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

from conftest import NO_RETRY, Creds, HTTPEndpoint as Endpoint, allow_service_to_queue, http, trust_policy, unique

ACCOUNT = "000000000000"
REGION = "us-east-1"
EVENTS_TARGET = "AWSEvents"
DROPPED = (ConnectionClosedError, EndpointConnectionError, ReadTimeoutError, urllib3.exceptions.HTTPError)


# -- helpers ------------------------------------------------------------------------------------

@pytest.fixture
def srv(cairn_factory):
    return cairn_factory.new()


def outcome(call, *args, **kwargs):
    """("ok", result) | ("error", ClientError.response) | ("dropped", exception): a dropped connection is what a
    crash looks like from the client."""
    try:
        return "ok", call(*args, **kwargs)
    except ClientError as e:
        return "error", e.response
    except DROPPED as e:
        return "dropped", e


def crash_summary(server) -> str:
    """The trap's own lines from the server's stderr (the log tail in the report is mostly other threads)."""
    path = server.stderr_path
    if not path or not path.exists():
        return ""
    text = path.read_text(errors="replace")
    lines = [line.strip() for line in text.splitlines()
             if re.search(r"Fatal error|runtime failure|Precondition failed|Program crashed", line)]
    crashed = re.search(r"crashed:\n\n(.*?)\n\n", text, re.S)
    if crashed:
        lines += [re.sub(r"^\s*\d+ .*?0x[0-9a-f]+ ", "", frame).strip()
                  for frame in crashed.group(1).splitlines() if "/Sources/" in frame][:3]
    return "\n".join(lines[:8])


def assert_survived(server) -> None:
    """The process is alive and answers: health, then a signed call. A trap's backtrace keeps a dying process
    alive for seconds, so a failed check waits for the exit before it reports."""
    try:
        server.assert_healthy()
        return
    except (AssertionError, *DROPPED):
        deadline = time.monotonic() + 30
        while server.alive and time.monotonic() < deadline:
            time.sleep(0.2)
    raise AssertionError(f"cairn did not survive the request ({server.status()}):\n{crash_summary(server)}")


def assert_client_error(result, code: str, status: int = 400) -> dict:
    kind, value = result
    assert kind == "error", f"expected {code} ({status}), got {kind}: {value!r}"[:2000]
    assert value["Error"]["Code"] == code, value["Error"]
    assert value["ResponseMetadata"]["HTTPStatusCode"] == status, value["ResponseMetadata"]
    assert value["Error"].get("Message"), value["Error"]
    return value


def raw(call, *args, **kwargs):
    """A raw HTTPResponse, or the exception of a dropped connection."""
    try:
        return call(*args, **kwargs)
    except DROPPED as e:
        return e


def json_error_code(resp) -> str:
    return resp.json()["__type"].split("#")[-1]


def assert_json_error(resp, code: str, status: int = 400) -> None:
    assert not isinstance(resp, Exception), f"connection dropped: {resp!r}"
    assert resp.status_code == status, (resp.status_code, resp.text[:1000])
    assert json_error_code(resp) == code, resp.text[:1000]
    assert resp.json().get("message"), resp.text[:1000]


def events_request(server, operation: str, body: str):
    return server.signed_request("events", body, {"Content-Type": "application/x-amz-json-1.1",
                                                  "X-Amz-Target": f"{EVENTS_TARGET}.{operation}"})


def unvalidated(server, service: str):
    """A client that sends what it is given (no botocore type checks): wrong types reach the server."""
    return server.session().client(service, endpoint_url=server.endpoint,
                                   config=NO_RETRY.merge(Config(parameter_validation=False)))


def wait_until(predicate, server, timeout: float) -> None:
    """Polls `predicate` until it holds, the server dies, or `timeout` passes (no failure: the caller checks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.alive:
        try:
            if predicate():
                return
        except DROPPED:
            return
        time.sleep(0.2)


def new_bucket(s3) -> str:
    bucket = unique("nocrash").lower()
    s3.create_bucket(Bucket=bucket)
    return bucket


def new_upload(s3) -> tuple[str, str]:
    bucket = new_bucket(s3)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=b"part one")
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=2, Body=b"part two")
    return bucket, upload


# -- S3: ListParts max-parts (S3Service+Multipart.swift, `all.prefix(maxParts)`) ---------------------------------

def test_list_parts_with_negative_max_parts_is_invalid_argument(srv):
    s3 = srv.client("s3")
    bucket, upload = new_upload(s3)
    result = outcome(s3.list_parts, Bucket=bucket, Key="k", UploadId=upload, MaxParts=-42)
    assert_survived(srv)
    err = assert_client_error(result, "InvalidArgument")
    assert err["Error"].get("ArgumentName") == "max-parts", err["Error"]
    assert err["Error"].get("ArgumentValue") == "-42", err["Error"]


def test_list_parts_with_non_integer_max_parts_is_invalid_argument(srv):
    """Not a crash: `Int("abc")` is nil and Cairn lists 1000 parts; S3 refuses the argument."""
    s3 = srv.client("s3")
    bucket, upload = new_upload(s3)
    result = outcome(unvalidated(srv, "s3").list_parts, Bucket=bucket, Key="k", UploadId=upload, MaxParts="abc")
    assert_survived(srv)
    err = assert_client_error(result, "InvalidArgument")
    assert err["Error"].get("ArgumentName") == "max-parts", err["Error"]


# -- CloudTrail: LookupEvents / ListPublicKeys times (LookupEventsRequest.swift, `Int64((d * 1000)...)`) ----------

@pytest.mark.parametrize("body", [
    '{"StartTime": 1e300}',
    '{"EndTime": -1e300}',
    '{"StartTime": 9223372036854775807}',
    '{"EndTime": 1e17}',
])
def test_lookup_events_with_out_of_range_numeric_time_is_invalid_time_range(srv, body):
    resp = raw(srv.cloudtrail_request, "LookupEvents", body)
    assert_survived(srv)
    assert_json_error(resp, "InvalidTimeRangeException")


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e300", "99999999999-01-01T00:00:00Z"])
def test_lookup_events_with_nan_or_out_of_range_time_string_is_invalid_time_range(srv, text):
    resp = raw(srv.cloudtrail_request, "LookupEvents", {"StartTime": text})
    assert_survived(srv)
    assert_json_error(resp, "InvalidTimeRangeException")


def test_lookup_events_with_end_time_at_the_int64_minimum_is_invalid_time_range(srv):
    """-9223372036854775.808 s is exactly Int64.min ms: the conversion fits, the end-of-second rounding
    (`$0 - (($0 % 1000) + 1000) % 1000 + 999`) then overflows."""
    resp = raw(srv.cloudtrail_request, "LookupEvents", '{"EndTime": -9223372036854775.808}')
    assert_survived(srv)
    assert_json_error(resp, "InvalidTimeRangeException")


def test_list_public_keys_with_out_of_range_time_is_invalid_time_range(srv):
    resp = raw(srv.cloudtrail_request, "ListPublicKeys", '{"StartTime": 1e300}')
    assert_survived(srv)
    assert_json_error(resp, "InvalidTimeRangeException")


# -- EventBridge: PutEvents Time (EventRouter.envelope -> Timestamp.iso8601 -> utcComponents `Int64(floor(t))`) --

@pytest.mark.parametrize("time_value", ["1e300", "-1e300", "9223372036854775807", "1e19"])
def test_put_events_with_out_of_range_time_is_invalid_argument(srv, time_value):
    """AWS refuses a Time it cannot represent. Cairn already answers an unreadable Time with the per-entry
    InvalidArgument "Parameter Time is not valid."; a whole-call 400 is accepted too."""
    body = ('{"Entries":[{"Source":"com.example.nocrash","DetailType":"d","Detail":"{}","Time":%s}]}' % time_value)
    resp = raw(events_request, srv, "PutEvents", body)
    assert_survived(srv)
    assert not isinstance(resp, Exception), resp
    if resp.status_code == 200:
        out = resp.json()
        assert out["FailedEntryCount"] == 1, out
        assert out["Entries"][0].get("ErrorCode") == "InvalidArgument", out
        assert out["Entries"][0].get("ErrorMessage"), out
    else:
        assert resp.status_code == 400, (resp.status_code, resp.text)
        assert json_error_code(resp) in ("ValidationException", "SerializationException"), resp.text


# -- EventBridge API destinations: NIO's `HTTPHeaders.add` precondition("name must be ASCII") ----------------------

def api_destination(events, url: str, key_name: str = "x-api-key") -> str:
    c = events.create_connection(Name=unique("conn"), AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": key_name, "ApiKeyValue": "s3cr3t"}})
    d = events.create_api_destination(Name=unique("dest"), ConnectionArn=c["ConnectionArn"],
                                      InvocationEndpoint=url, HttpMethod="POST", InvocationRateLimitPerSecond=50)
    return d["ApiDestinationArn"]


def dead_letter_queue(server) -> tuple[str, str]:
    """A queue whose policy lets EventBridge dead-letter to it: (url, arn)."""
    name = unique("dlq")
    url = server.client("sqs").create_queue(QueueName=name)["QueueUrl"]
    allow_service_to_queue(server.client("sqs"), url)
    return url, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def has_message(server, url: str) -> bool:
    return bool(server.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"))


def test_put_targets_with_non_ascii_header_parameter_name_is_validation_exception(cairn_factory):
    """HeaderKey is `^[!#$%&'*+-.^_`|~0-9a-zA-Z]+$` in the model: AWS refuses the target. Cairn stores it and the
    delivery traps in `request.headers.add(name:value:)` (APIDestinationInvoker.swift)."""
    srv = cairn_factory.new("--delivery-retry-base-ms", "50")
    events = srv.client("events")
    endpoint = Endpoint()
    try:
        arn = api_destination(events, endpoint.url)
        dlq_url, dlq_arn = dead_letter_queue(srv)
        source = unique("com.example.hdr")
        rule = unique("rule")
        events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
        result = outcome(events.put_targets, Rule=rule, Targets=[{
            "Id": "h", "Arn": arn, "HttpParameters": {"HeaderParameters": {"x-clé": "v"}},
            "RetryPolicy": {"MaximumRetryAttempts": 0}, "DeadLetterConfig": {"Arn": dlq_arn}}])
        # Whatever PutTargets answered, an event on the rule must not take the server down.
        outcome(events.put_events, Entries=[{"Source": source, "DetailType": "d", "Detail": "{}"}])
        wait_until(lambda: endpoint.requests or has_message(srv, dlq_url), srv, timeout=10)
        assert_survived(srv)
        kind, value = result
        if kind == "ok":
            assert value["FailedEntryCount"] == 1, value
            assert value["FailedEntries"][0]["ErrorCode"] == "ValidationException", value
        else:
            assert_client_error(result, "ValidationException")
    finally:
        endpoint.close()


def test_api_key_connection_with_non_ascii_key_name_does_not_crash_delivery(cairn_factory):
    """AuthHeaderParameters (`^[ \\t]*[^\\x00-\\x1F:\\x7F]+...$`) allows non-ASCII, so AWS accepts the connection;
    the invocation then fails and the event goes to the dead-letter queue. Cairn traps in
    `request.headers.replaceOrAdd(name: ApiKeyName, ...)` (APIDestinationInvoker.swift). Refusing the connection with
    ValidationException is accepted too."""
    srv = cairn_factory.new("--delivery-retry-base-ms", "50")
    events = srv.client("events")
    endpoint = Endpoint()
    try:
        created = outcome(api_destination, events, endpoint.url, key_name="ключ")
        if created[0] == "error":
            assert_survived(srv)
            assert_client_error(created, "ValidationException")
            return
        assert created[0] == "ok", created
        dlq_url, dlq_arn = dead_letter_queue(srv)
        source = unique("com.example.key")
        rule = unique("rule")
        events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
        assert events.put_targets(Rule=rule, Targets=[{
            "Id": "h", "Arn": created[1], "RetryPolicy": {"MaximumRetryAttempts": 0},
            "DeadLetterConfig": {"Arn": dlq_arn}}])["FailedEntryCount"] == 0
        outcome(events.put_events, Entries=[{"Source": source, "DetailType": "d", "Detail": "{}"}])
        dead_lettered = []

        def settled():
            if has_message(srv, dlq_url):
                dead_lettered.append(True)
            return endpoint.requests or dead_lettered

        wait_until(settled, srv, timeout=15)
        assert_survived(srv)
        assert endpoint.requests or dead_lettered, "the event was neither delivered nor dead-lettered"
    finally:
        endpoint.close()


# -- AWS Batch: job timeout (BatchScheduler+Run.swift:42, `now + $0 * 1000`) --------------------------------------

def batch_queue(batch) -> str:
    ce = unique("ce")
    batch.create_compute_environment(computeEnvironmentName=ce, type="MANAGED", state="ENABLED",
                                     computeResources={"type": "FARGATE", "maxvCpus": 4, "subnets": ["subnet-0abc"]})
    q = unique("jq")
    batch.create_job_queue(jobQueueName=q, state="ENABLED", priority=10,
                           computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}])
    return q


def batch_definition(batch, **kw) -> str:
    name = unique("jd")
    batch.register_job_definition(jobDefinitionName=name, type="container", containerProperties={
        "image": "busybox", "command": ["sh", "-c", "sleep 1"],
        "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "512"}]}, **kw)
    return name


def wait_for_start(server, batch, job_id: str) -> None:
    def started():
        jobs = batch.describe_jobs(jobs=[job_id])["jobs"]
        return jobs and jobs[0]["status"] in ("RUNNING", "SUCCEEDED", "FAILED")
    wait_until(started, server, timeout=15)


def test_submit_job_with_overflowing_timeout_is_client_exception(cairn_factory):
    """attemptDurationSeconds is a 32-bit Integer in the model; 2^62 passes Cairn's `>= 60` check and the scheduler
    computes the deadline `now + seconds * 1000` when the job starts."""
    srv = cairn_factory.new("--batch-runner", "local")
    batch = srv.client("batch")
    queue = batch_queue(batch)
    definition = batch_definition(batch)
    result = outcome(batch.submit_job, jobName=unique("job"), jobQueue=queue, jobDefinition=definition,
                     timeout={"attemptDurationSeconds": 2 ** 62})
    if result[0] == "ok":
        wait_for_start(srv, batch, result[1]["jobId"])
    assert_survived(srv)
    assert_client_error(result, "ClientException")


def test_register_job_definition_with_overflowing_timeout_is_client_exception(cairn_factory):
    srv = cairn_factory.new("--batch-runner", "local")
    batch = srv.client("batch")
    queue = batch_queue(batch)
    result = outcome(batch_definition, batch, timeout={"attemptDurationSeconds": 2 ** 62})
    if result[0] == "ok":
        job = batch.submit_job(jobName=unique("job"), jobQueue=queue, jobDefinition=result[1])
        wait_for_start(srv, batch, job["jobId"])
    assert_survived(srv)
    assert_client_error(result, "ClientException")


def test_submit_job_with_the_largest_aws_timeout_runs(cairn_factory):
    """The boundary that must keep working: 2^31-1 seconds fits the model's Integer and the deadline arithmetic."""
    srv = cairn_factory.new("--batch-runner", "local")
    batch = srv.client("batch")
    job = batch.submit_job(jobName=unique("job"), jobQueue=batch_queue(batch), jobDefinition=batch_definition(batch),
                           timeout={"attemptDurationSeconds": 2 ** 31 - 1})
    wait_for_start(srv, batch, job["jobId"])
    assert_survived(srv)


# -- Query protocol: parameter names nest without bound (QueryForm.requestParameters recursion) -------------------

def query_error_code(resp) -> str | None:
    m = re.search(r"<Code>([^<]*)</Code>", resp.text)
    return m.group(1) if m else None


def test_query_request_with_deeply_nested_parameter_name_does_not_crash(srv):
    """`A.a.a...` (100,000 levels, 200 KB) becomes a 100,000-deep tree that `Node.json()`, the redaction and the
    serializer walk recursively: the stack overflows. AWS ignores a parameter it does not know (or refuses the
    request with a 400); either answer is fine, a dead server is not."""
    key = "A" + ".a" * 100_000
    resp = raw(srv.query_request, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15", key: "1"})
    assert_survived(srv)
    assert not isinstance(resp, Exception), resp
    assert resp.status_code == 200 or (400 <= resp.status_code < 500 and query_error_code(resp)), \
        (resp.status_code, resp.text[:500])


def test_unsigned_confirm_subscription_with_deeply_nested_parameter_does_not_crash(srv):
    """The same recursion from the one unsigned call (SNS's SubscribeURL): no credentials needed."""
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:{unique('t')}"
    key = "A" + ".a" * 20_000
    url = f"{srv.endpoint}/?Action=ConfirmSubscription&TopicArn={topic}&Token=nope&{key}=1"
    resp = raw(http, "GET", url)
    assert_survived(srv)
    assert not isinstance(resp, Exception), resp
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text[:500])


# -- rest-xml bodies: an element tree without a depth bound (XMLDocument.swift TreeBuilder; its release recurses) ----

def deep_xml(root: str, depth: int = 100_000, tail: str = "") -> bytes:
    return (f"<{root}>" + "<a>" * depth + "</a>" * depth + tail + f"</{root}>").encode()


def xml_request(server, method: str, path: str, body: bytes, **headers: str):
    headers = {"Content-Type": "application/xml", "x-amz-content-sha256": hashlib.sha256(body).hexdigest(), **headers}
    return raw(server.signed_request, "s3", body, headers, method=method, path=path)


def test_delete_objects_with_deeply_nested_xml_is_malformed_xml(srv):
    """100,000 nested elements (700 KB, under the 2 MiB DeleteObjects limit) parse into a 100,000-deep XMLElement
    tree; releasing it overflows the stack (S3Service+Objects.swift deleteObjects, via XMLElement's recursive
    destroy)."""
    bucket = new_bucket(srv.client("s3"))
    resp = xml_request(srv, "POST", f"/{bucket}?delete", deep_xml("Delete", tail="<Object><Key>k</Key></Object>"))
    assert_survived(srv)
    assert not isinstance(resp, Exception), resp
    assert resp.status_code == 400 and "<Code>MalformedXML</Code>" in resp.text, (resp.status_code, resp.text[:500])


def test_complete_multipart_upload_with_deeply_nested_xml_is_malformed_xml(srv):
    s3 = srv.client("s3")
    bucket, upload = new_upload(s3)
    resp = xml_request(srv, "POST", f"/{bucket}/k?uploadId={upload}", deep_xml("CompleteMultipartUpload"))
    assert_survived(srv)
    assert not isinstance(resp, Exception), resp
    assert resp.status_code == 400 and "<Code>MalformedXML</Code>" in resp.text, (resp.status_code, resp.text[:500])


def test_create_job_with_deeply_nested_xml_is_malformed_xml(srv):
    """S3 Control CreateJob (1 MiB limit): the tree, and XMLShape.json's recursion over it."""
    resp = xml_request(srv, "POST", "/v20180820/jobs", deep_xml("CreateJobRequest"), **{"x-amz-account-id": ACCOUNT})
    assert_survived(srv)
    assert not isinstance(resp, Exception), resp
    assert resp.status_code == 400 and "<Code>MalformedXML</Code>" in resp.text, (resp.status_code, resp.text[:500])


# -- Boundaries that were checked and already hold (kept as regressions) ------------------------------------------

@pytest.mark.parametrize("value", [0, -1, 10001, 2 ** 31, 2 ** 63 - 1])
def test_upload_part_with_out_of_range_part_number_is_invalid_argument(srv, value):
    s3 = srv.client("s3")
    bucket = new_bucket(s3)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    result = outcome(s3.upload_part, Bucket=bucket, Key="k", UploadId=upload, PartNumber=value, Body=b"x")
    assert_survived(srv)
    assert_client_error(result, "InvalidArgument")


@pytest.mark.parametrize("value", [-1, -(2 ** 63)])
def test_list_objects_with_negative_max_keys_is_invalid_argument(srv, value):
    s3 = srv.client("s3")
    result = outcome(s3.list_objects_v2, Bucket=new_bucket(s3), MaxKeys=value)
    assert_survived(srv)
    assert_client_error(result, "InvalidArgument")


@pytest.mark.parametrize("header", ["bytes=0-9223372036854775807", "bytes=-9223372036854775807",
                                    "bytes=9223372036854775806-", "bytes=--9223372036854775808",
                                    "bytes=99999999999999999999-"])
def test_get_object_with_extreme_ranges_does_not_crash(srv, header):
    s3 = srv.client("s3")
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    kind, value = outcome(s3.get_object, Bucket=bucket, Key="k", Range=header)
    assert_survived(srv)
    if kind == "ok":
        value["Body"].read()
    else:
        assert kind == "error", value
        assert value["Error"]["Code"] == "InvalidRange", value["Error"]


@pytest.mark.parametrize("member,value", [
    ("MaxNumberOfMessages", 2 ** 31 - 1), ("MaxNumberOfMessages", -1), ("WaitTimeSeconds", 2 ** 31 - 1),
    ("WaitTimeSeconds", -1), ("VisibilityTimeout", 2 ** 31 - 1), ("VisibilityTimeout", -(2 ** 31)),
])
def test_receive_message_with_out_of_range_integers_is_invalid_parameter_value(srv, member, value):
    sqs = srv.client("sqs")
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    result = outcome(sqs.receive_message, QueueUrl=url, **{member: value})
    assert_survived(srv)
    assert_client_error(result, "InvalidParameterValue")


@pytest.mark.parametrize("value", [2 ** 31 - 1, -1])
def test_send_message_with_out_of_range_delay_is_invalid_parameter_value(srv, value):
    sqs = srv.client("sqs")
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    result = outcome(sqs.send_message, QueueUrl=url, MessageBody="x", DelaySeconds=value)
    assert_survived(srv)
    assert_client_error(result, "InvalidParameterValue")


@pytest.mark.parametrize("value", ["2147483647", "-9223372036854775808", "99999999999999999999"])
def test_assume_role_with_out_of_range_duration_is_validation_error(srv, value):
    iam = srv.client("iam")
    user = unique("caller")
    iam.create_user(UserName=user)
    creds = Creds.from_access_key(iam.create_access_key(UserName=user))
    role = unique("role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust_policy(f"arn:aws:iam::{ACCOUNT}:user/{user}"))
    resp = raw(srv.query_request, "sts", {"Action": "AssumeRole", "Version": "2011-06-15",
                                          "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                                          "RoleSessionName": "session", "DurationSeconds": value}, creds=creds)
    assert_survived(srv)
    assert not isinstance(resp, Exception), resp
    assert resp.status_code == 400, (resp.status_code, resp.text[:500])
    assert query_error_code(resp) == "ValidationError", resp.text[:500]


@pytest.mark.parametrize("size", [2 ** 63 - 1, -(2 ** 63), 10001, 1])
def test_submit_job_with_out_of_range_array_size_is_client_exception(srv, size):
    batch = srv.client("batch")
    result = outcome(batch.submit_job, jobName=unique("job"), jobQueue=batch_queue(batch),
                     jobDefinition=batch_definition(batch), arrayProperties={"size": size})
    assert_survived(srv)
    assert_client_error(result, "ClientException")


@pytest.mark.parametrize("attempts", [2 ** 63 - 1, 0, 11])
def test_submit_job_with_out_of_range_retry_attempts_is_client_exception(srv, attempts):
    batch = srv.client("batch")
    result = outcome(batch.submit_job, jobName=unique("job"), jobQueue=batch_queue(batch),
                     jobDefinition=batch_definition(batch), retryStrategy={"attempts": attempts})
    assert_survived(srv)
    assert_client_error(result, "ClientException")


@pytest.mark.parametrize("value", [2 ** 63 - 1, 0, 51])
def test_lookup_events_with_out_of_range_max_results_is_invalid_max_results(srv, value):
    resp = raw(srv.cloudtrail_request, "LookupEvents", {"MaxResults": value})
    assert_survived(srv)
    assert_json_error(resp, "InvalidMaxResultsException")


def test_rename_object_is_not_implemented_and_leaves_the_target_unchanged(srv):
    """RenameObject (`PUT /bucket/key?renameObject`) was routed as PutObject and emptied its target."""
    s3 = srv.client("s3")
    bucket = unique("rename")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="src", Body=b"source")
    s3.put_object(Bucket=bucket, Key="dst", Body=b"target")
    with pytest.raises(ClientError) as e:
        s3.rename_object(Bucket=bucket, Key="dst", RenameSource=f"{bucket}/src")
    assert e.value.response["Error"]["Code"] == "NotImplemented"
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"target"
    assert s3.get_object(Bucket=bucket, Key="src")["Body"].read() == b"source"


# -- found by the fuzzer (test_fuzz.py): answers a client could not read ---------------------------

def test_put_targets_with_a_list_for_a_structure_is_serialization_exception(srv):
    """A target is stored as sent and echoed by ListTargetsByRule: a list where RunCommandParameters' structure
    belongs was stored, and every later ListTargetsByRule failed in botocore."""
    events = srv.client("events")
    rule = unique("rule")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["fz"]}))
    _, arn = dead_letter_queue(srv)
    bad = {"Id": "t1", "Arn": arn, "RunCommandParameters": [{"RunCommandTargets": []}]}
    resp = raw(events_request, srv, "PutTargets", json.dumps({"Rule": rule, "Targets": [bad]}))
    assert_survived(srv)
    assert_json_error(resp, "SerializationException")
    assert "Targets[0].RunCommandParameters" in resp.json()["message"], resp.text
    nested = {"Id": "t1", "Arn": arn, "RetryPolicy": {"MaximumRetryAttempts": "many"}}
    resp = raw(events_request, srv, "PutTargets", json.dumps({"Rule": rule, "Targets": [nested]}))
    assert_json_error(resp, "SerializationException")
    assert events.list_targets_by_rule(Rule=rule)["Targets"] == []


def test_compute_environment_with_a_list_for_a_structure_is_client_exception(srv):
    name = unique("ce")
    body = {"computeEnvironmentName": name, "type": "MANAGED",
            "computeResources": {"type": "EC2", "maxvCpus": 4, "subnets": ["subnet-1"], "launchTemplate": ["lt-1"]}}
    resp = raw(srv.signed_request, "batch", json.dumps(body), {"Content-Type": "application/json"},
               path="/v1/createcomputeenvironment")
    assert_survived(srv)
    assert resp.status_code == 400, resp.text
    assert resp.json()["__type"] == "ClientException", resp.text
    assert "computeResources.launchTemplate" in resp.json()["message"], resp.text
    batch = srv.client("batch")
    assert batch.describe_compute_environments(computeEnvironments=[name])["computeEnvironments"] == []


def test_control_characters_echoed_in_xml_leave_the_answer_readable(srv):
    """XML 1.0 has no way to write U+0001 even as a reference: an attribute holding it made GetTopicAttributes
    an answer no XML parser reads."""
    sns = srv.client("sns")
    topic = sns.create_topic(Name=unique("ctl"))["TopicArn"]
    kind, value = outcome(sns.set_topic_attributes, TopicArn=topic, AttributeName="DisplayName",
                          AttributeValue="a\x01b\x1fc")
    assert_survived(srv)
    assert kind in ("ok", "error"), value
    shown = sns.get_topic_attributes(TopicArn=topic)["Attributes"].get("DisplayName", "")
    assert "\x01" not in shown and "\x1f" not in shown
    if kind == "ok":
        assert shown == "a\ufffdb\ufffdc"


def test_s3express_signing_name_gets_an_error_an_s3_client_reads(srv):
    """S3 Express calls are signed for `s3express`; the UnknownServiceException came back as JSON, which an S3
    client cannot parse."""
    resp = srv.signed_request("s3express", b"", {}, method="GET", path="/?session")
    assert_survived(srv)
    assert resp.status_code == 400, resp.text
    assert resp.headers.get("content-type", "").startswith("application/xml"), resp.headers
    assert "<Code>UnknownServiceException</Code>" in resp.text, resp.text


def test_wide_query_forms_are_answered(srv):
    """Request parameters were built with a linear search per member: 20,000 members took half a minute. The
    answers below come well inside the client's timeout now; SNS topics take 50 tags, as in AWS."""
    tags = {f"Tags.member.{i}.Key": f"k{i}" for i in range(1, 10_001)}
    tags.update({f"Tags.member.{i}.Value": "v" for i in range(1, 10_001)})
    resp = srv.query_request("sns", {"Action": "CreateTopic", "Version": "2010-03-31", "Name": unique("wide"), **tags},
                             timeout=120)
    assert_survived(srv)
    assert resp.status_code == 400 and "<Code>TagLimitExceeded</Code>" in resp.text, resp.text[:500]
    names = {f"AttributeNames.member.{i}": "VisibilityTimeout" for i in range(1, 20_001)}
    resp = srv.query_request("iam", {"Action": "ListUsers", "Version": "2010-05-08", **names}, timeout=120)
    assert_survived(srv)
    # Members ListUsers does not take are ignored, as IAM does: the 20,000 of them still give the listing.
    assert resp.status_code == 200 and "<ListUsersResult>" in resp.text, resp.text[:500]
