"""Requests that fail authentication get AWS's error code and status, are never recorded,
and leave the server healthy. Garbage and oversized bodies likewise."""

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET

import botocore
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import (CLOUDTRAIL_TARGET, NO_RETRY, Creds, HTTPResponse, ShiftedClock, cli_on_sqlite_only, clock_at,
                      clock_shifted, grant, http, trust_policy, unique, utcnow)

ACCOUNT = "000000000000"
MAX_BODY = 16 * 1024 * 1024
FAKE_KEY = "AKIAIOSFODNN7EXAMPLE"
FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def error_of(resp: HTTPResponse) -> tuple[int, str, str]:
    """(status, code, message) of a query-XML or json error response."""
    ctype = resp.headers.get("Content-Type", "")
    if "json" in ctype:
        body = resp.json()
        code = body["__type"].split("#")[-1].split(":")[0]
        return resp.status_code, code, body.get("message") or body.get("Message", "")
    root = ET.fromstring(resp.content)
    ns = re.match(r"\{.*\}", root.tag)
    ns = ns.group(0) if ns else ""
    err = root.find(f"{ns}Error")
    return resp.status_code, err.findtext(f"{ns}Code"), err.findtext(f"{ns}Message") or ""


def get_user_params(marker: str) -> dict:
    return {"Action": "GetUser", "Version": "2010-05-08", "UserName": marker}


def lookup_body(marker: str) -> dict:
    return {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": marker}]}


def assert_not_recorded(server, *, marker: str | None = None, request_id: str | None = None,
                        access_key: str | None = None) -> None:
    events = server.lookup()
    for e in events:
        if request_id:
            assert e["Record"].get("requestID") != request_id, e["CloudTrailEvent"]
        if marker:
            assert marker not in e["CloudTrailEvent"], e["CloudTrailEvent"]
        if access_key:
            assert e.get("AccessKeyId") != access_key, e["CloudTrailEvent"]
            assert access_key not in e["CloudTrailEvent"], e["CloudTrailEvent"]


def check(server, resp: HTTPResponse, status: int, code: str, *, marker=None,
          access_key=None, message: str | None = None) -> None:
    got_status, got_code, got_message = error_of(resp)
    assert (got_status, got_code) == (status, code), (resp.status_code, resp.text[:500])
    if message:
        assert message in got_message, got_message
    assert_not_recorded(server, marker=marker, access_key=access_key,
                        request_id=resp.headers.get("x-amzn-RequestId"))
    server.assert_healthy()


def test_control_signed_requests_are_recorded(server):
    """The raw-request helpers and the 'not recorded' check can see a recorded call."""
    marker = unique("control")
    resp = server.query_request("iam", get_user_params(marker))
    assert error_of(resp)[:2] == (404, "NoSuchEntity")
    with pytest.raises(AssertionError):
        assert_not_recorded(server, marker=marker)
    marker2 = unique("control")
    resp = server.cloudtrail_request("LookupEvents", lookup_body(marker2))
    assert resp.status_code == 200, resp.text
    with pytest.raises(AssertionError):
        assert_not_recorded(server, marker=marker2)


# -- wrong secret ------------------------------------------------------------------------------

def test_wrong_secret(server):
    bad = Creds(server.admin.access_key, FAKE_SECRET)
    marker = unique("wrongsecret")
    check(server, server.query_request("iam", get_user_params(marker), creds=bad),
          403, "SignatureDoesNotMatch", marker=marker)
    marker = unique("wrongsecret")
    check(server, server.cloudtrail_request("LookupEvents", lookup_body(marker), creds=bad),
          400, "InvalidSignatureException", marker=marker)


def test_wrong_secret_boto3(server):
    bad = Creds(server.admin.access_key, FAKE_SECRET)
    with pytest.raises(ClientError) as ei:
        server.client("sts", bad).get_caller_identity()
    err = ei.value.response
    assert err["Error"]["Code"] == "SignatureDoesNotMatch"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert_not_recorded(server, request_id=err["ResponseMetadata"]["RequestId"])


def test_tampered_body_after_signing(server):
    """A valid signature over a different body is a bad signature."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    marker = unique("tamper")
    body = f"Action=GetUser&Version=2010-05-08&UserName={marker}"
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    a = server.admin
    SigV4Auth(Credentials(a.access_key, a.secret_key), "iam", "us-east-1").add_auth(req)
    headers = dict(req.prepare().headers)
    tampered = body.replace(marker, marker + "x")
    headers.pop("Content-Length", None)
    resp = http("POST", server.endpoint + "/", body=tampered, headers=headers, timeout=30)
    check(server, resp, 403, "SignatureDoesNotMatch", marker=marker)


# -- unknown key -------------------------------------------------------------------------------

def test_unknown_access_key(server):
    unknown = Creds(FAKE_KEY, FAKE_SECRET)
    marker = unique("unknownkey")
    check(server, server.query_request("iam", get_user_params(marker), creds=unknown),
          403, "InvalidClientTokenId", marker=marker, access_key=FAKE_KEY)
    marker = unique("unknownkey")
    check(server, server.cloudtrail_request("LookupEvents", lookup_body(marker), creds=unknown),
          400, "UnrecognizedClientException", marker=marker, access_key=FAKE_KEY)


@cli_on_sqlite_only
def test_unknown_access_key_aws_cli(server, aws_cli):
    cp = server.aws("sts", "get-caller-identity", creds=Creds(FAKE_KEY, FAKE_SECRET),
                    check=False)
    assert cp.returncode != 0
    assert "InvalidClientTokenId" in cp.stderr
    assert_not_recorded(server, access_key=FAKE_KEY)
    server.assert_healthy()


# -- clock skew --------------------------------------------------------------------------------

@pytest.mark.parametrize("minutes", [-20, 20])
def test_skewed_clock(server, minutes):
    at = utcnow() + dt.timedelta(minutes=minutes)
    marker = unique("skew")
    check(server, server.query_request("iam", get_user_params(marker), at=at),
          403, "SignatureDoesNotMatch", marker=marker, message="Signature expired")
    marker = unique("skew")
    check(server, server.cloudtrail_request("LookupEvents", lookup_body(marker), at=at),
          400, "InvalidSignatureException", marker=marker, message="Signature expired")


def test_skewed_clock_boto3(server):
    sts = server.client("sts")
    with clock_at(utcnow() - dt.timedelta(minutes=20)):
        with pytest.raises(ClientError) as ei:
            sts.get_caller_identity()
    err = ei.value.response
    assert err["Error"]["Code"] == "SignatureDoesNotMatch"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert_not_recorded(server, request_id=err["ResponseMetadata"]["RequestId"])


def test_small_skew_is_accepted(server):
    """Within 15 minutes the request is fine (and recorded)."""
    marker = unique("smallskew")
    resp = server.query_request("iam", get_user_params(marker),
                                at=utcnow() - dt.timedelta(minutes=10))
    assert error_of(resp)[:2] == (404, "NoSuchEntity")
    assert [e["Record"]["errorCode"] for e in server.lookup("ResourceName", marker)] == \
        ["NoSuchEntity"]


# -- unsigned and malformed authorization -----------------------------------------------------

def test_unsigned_requests(server):
    marker = unique("unsigned")
    resp = http("POST", server.endpoint + "/",
                body=f"Action=GetUser&Version=2010-05-08&UserName={marker}",
                headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    check(server, resp, 403, "MissingAuthenticationToken", marker=marker)
    marker = unique("unsigned")
    resp = http("POST", server.endpoint + "/", body=json.dumps(lookup_body(marker)),
                headers={"Content-Type": "application/x-amz-json-1.1",
                         "X-Amz-Target": f"{CLOUDTRAIL_TARGET}.LookupEvents"}, timeout=30)
    check(server, resp, 403, "MissingAuthenticationTokenException", marker=marker)


def test_unsigned_boto3(server):
    unsigned = NO_RETRY.merge(Config(signature_version=botocore.UNSIGNED))
    iam = server.session().client("iam", endpoint_url=server.endpoint, config=unsigned)
    with pytest.raises(ClientError) as ei:
        iam.list_users()
    assert ei.value.response["Error"]["Code"] == "MissingAuthenticationToken"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    ct = server.session().client("cloudtrail", endpoint_url=server.endpoint, config=unsigned)
    with pytest.raises(ClientError) as ei:
        ct.lookup_events()
    assert ei.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert_not_recorded(server, request_id=ei.value.response["ResponseMetadata"]["RequestId"])


def test_incomplete_authorization_header(server):
    marker = unique("incomplete")
    resp = http("POST", server.endpoint + "/",
                body=f"Action=GetUser&Version=2010-05-08&UserName={marker}",
                headers={"Content-Type": "application/x-www-form-urlencoded",
                         "Authorization": "AWS4-HMAC-SHA256 garbage"}, timeout=30)
    check(server, resp, 400, "IncompleteSignature", marker=marker)


# -- temporary credentials ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def temp_creds(server):
    iam = server.client("iam")
    name = unique("tmpuser")
    iam.create_user(UserName=name)
    user = Creds.from_access_key(iam.create_access_key(UserName=name))
    role = iam.create_role(RoleName=unique("tmprole"),
                           AssumeRolePolicyDocument=trust_policy(f"arn:aws:iam::{ACCOUNT}:root"))
    grant(iam, user=name, actions="sts:AssumeRole", resource=role["Role"]["Arn"])
    resp = server.client("sts", user).assume_role(RoleArn=role["Role"]["Arn"],
                                                  RoleSessionName="tmp-session")
    return Creds.from_access_key(resp)


def test_session_token_tampered_or_missing(server, temp_creds):
    assert server.client("sts", temp_creds).get_caller_identity()["Arn"].endswith("/tmp-session")
    for token in (temp_creds.token[:-4] + "AAAA", None):
        bad = Creds(temp_creds.access_key, temp_creds.secret_key, token)
        marker = unique("badtoken")
        check(server, server.query_request("iam", get_user_params(marker), creds=bad),
              403, "InvalidClientTokenId", marker=marker)
        marker = unique("badtoken")
        check(server, server.cloudtrail_request("LookupEvents", lookup_body(marker), creds=bad),
              400, "UnrecognizedClientException", marker=marker)


def test_expired_session_token(cairn_factory, clock_shim, tmp_path):
    """Move the server's wall clock 30 minutes ahead of a 15-minute session (the client
    signs with the same shifted time, so only the token's expiry is wrong)."""
    clock = ShiftedClock(clock_shim, tmp_path / "clock")
    srv = cairn_factory.new(env=clock.env())
    iam = srv.client("iam")
    iam.create_user(UserName="u1")
    user = Creds.from_access_key(iam.create_access_key(UserName="u1"))
    role = iam.create_role(RoleName="r1",
                           AssumeRolePolicyDocument=trust_policy(f"arn:aws:iam::{ACCOUNT}:root"))
    grant(iam, user="u1", actions="sts:AssumeRole", resource=role["Role"]["Arn"])
    resp = srv.client("sts", user).assume_role(RoleArn=role["Role"]["Arn"],
                                               RoleSessionName="short", DurationSeconds=900)
    tmp = Creds.from_access_key(resp)
    assert srv.client("sts", tmp).get_caller_identity()["Arn"].endswith("/short")

    clock.set(30 * 60)
    with clock_shifted(30 * 60):
        expired_checks(srv, user, tmp)


def expired_checks(srv, user, tmp):
    marker = unique("expired")
    check(srv, srv.query_request("iam", get_user_params(marker), creds=tmp),
          403, "ExpiredToken", marker=marker)
    check(srv, srv.query_request("sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                                 creds=tmp),
          403, "ExpiredToken")
    marker = unique("expired")
    check(srv, srv.cloudtrail_request("LookupEvents", lookup_body(marker), creds=tmp),
          400, "ExpiredTokenException", marker=marker)
    # Nothing was recorded for the expired key after its one successful call.
    events = srv.lookup("AccessKeyId", tmp.access_key)
    assert [e["EventName"] for e in events] == ["GetCallerIdentity"]
    # The long-term key still works at the server's (shifted) time.
    ok = srv.query_request("sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                           creds=user)
    assert ok.status_code == 200, ok.text


# -- bodies --------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [b"{garbage", b"[1, 2]", b"\xff\xfe\x00"])
def test_garbage_json_body(server, body):
    check(server, server.cloudtrail_request("LookupEvents", body), 400, "SerializationException")


def test_garbage_query_body(server):
    resp = server.signed_request("iam", b"\x00\xff\xfe not a query",
                                 {"Content-Type": "application/x-www-form-urlencoded"})
    status, code, _ = error_of(resp)
    assert (status, code) == (400, "MalformedQueryString"), resp.text
    assert_not_recorded(server, request_id=resp.headers.get("x-amzn-RequestId"))
    server.assert_healthy()


def test_unknown_query_action(server):
    """AWS answers an unknown query Action with InvalidAction (400)."""
    resp = server.query_request("iam", {"Action": "FlyToTheMoon", "Version": "2010-05-08"})
    check(server, resp, 400, "InvalidAction")


def test_unknown_json_operation(server):
    resp = server.cloudtrail_request("FlyToTheMoon", {})
    check(server, resp, 400, "UnknownOperationException")


def oversized(marker: str) -> bytes:
    head = json.dumps(lookup_body(marker))[:-1].encode() + b', "Pad": "'
    pad = MAX_BODY + 1 - len(head) - 2
    body = head + b"x" * pad + b'"}'
    assert len(body) == MAX_BODY + 1
    return body


def test_oversized_json_body(server):
    marker = unique("huge")
    resp = server.cloudtrail_request("LookupEvents", oversized(marker), timeout=120)
    check(server, resp, 413, "RequestEntityTooLarge", marker=marker)


def test_oversized_query_body(server):
    marker = unique("huge")
    from urllib.parse import urlencode
    params = get_user_params(marker)
    params["Pad"] = "x" * (MAX_BODY + 1)
    resp = server.signed_request("iam", urlencode(params),
                                 {"Content-Type": "application/x-www-form-urlencoded"},
                                 timeout=120)
    check(server, resp, 413, "RequestEntityTooLarge", marker=marker)


def signed_chunked(server, body: bytes) -> HTTPResponse:
    """A signed LookupEvents whose body is sent chunked (no Content-Length)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                     headers={"Content-Type": "application/x-amz-json-1.1",
                              "X-Amz-Target": f"{CLOUDTRAIL_TARGET}.LookupEvents"})
    a = server.admin
    SigV4Auth(Credentials(a.access_key, a.secret_key), "cloudtrail", "us-east-1").add_auth(req)
    headers = {k: v for k, v in req.prepare().headers.items() if k.lower() != "content-length"}

    def chunks():
        for i in range(0, len(body), 1 << 20):
            yield body[i:i + (1 << 20)]
    return http("POST", server.endpoint + "/", body=chunks(), headers=headers, timeout=120,
                chunked=True)


def test_oversized_chunked_body(server):
    """Without Content-Length (chunked), the limit still holds."""
    small = signed_chunked(server, json.dumps({"MaxResults": 1}).encode())
    assert small.status_code == 200, small.text  # chunked bodies are read at all
    marker = unique("hugechunked")
    check(server, signed_chunked(server, oversized(marker)), 413, "RequestEntityTooLarge",
          marker=marker)


def test_body_at_the_limit_is_accepted(server):
    """Exactly 16 MiB is not too large: the request reaches the operation."""
    marker = unique("limit")
    body = oversized(marker)
    body = body[:-3] + b'"}'  # one byte shorter: exactly MAX_BODY
    assert len(body) == MAX_BODY
    resp = server.cloudtrail_request("LookupEvents", body, timeout=120)
    assert resp.status_code == 200, resp.text[:300]
    server.assert_healthy()
