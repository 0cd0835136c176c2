"""Authenticated calls that fail are recorded, with errorCode and errorMessage."""

import pytest
from botocore.exceptions import ClientError

from conftest import Creds, cli_on_sqlite_only, grant, unique

ACCOUNT = "000000000000"


def failed(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as ei:
        call(**kwargs)
    return ei.value.response


def check_recorded(server, err: dict, event_name: str, code: str, status: int) -> dict:
    assert err["Error"]["Code"] == code, err["Error"]
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status
    ev = server.record_for(err, event_name)
    rec = ev["Record"]
    assert rec["errorCode"] == code
    assert rec["errorMessage"] == err["Error"]["Message"]
    assert rec["eventType"] == "AwsApiCall"
    assert rec["responseElements"] is None
    return ev


def test_get_missing_user_is_recorded(server):
    missing = unique("nobody")
    err = failed(server.client("iam").get_user, UserName=missing)
    ev = check_recorded(server, err, "GetUser", "NoSuchEntity", 404)
    assert missing in err["Error"]["Message"]
    assert ev["Record"]["requestParameters"] == {"userName": missing}
    assert ev["Record"]["readOnly"] is True
    assert ev["Username"] == "admin"
    # A failed call is found by the attributes too.
    assert any(e["EventId"] == ev["EventId"] for e in server.lookup("ResourceName", missing))


def test_duplicate_user_is_recorded(server):
    iam = server.client("iam")
    name = unique("dup")
    iam.create_user(UserName=name)
    err = failed(iam.create_user, UserName=name)
    ev = check_recorded(server, err, "CreateUser", "EntityAlreadyExists", 409)
    assert ev["Record"]["readOnly"] is False


def test_missing_role_and_key_are_recorded(server):
    iam = server.client("iam")
    check_recorded(server, failed(iam.get_role, RoleName=unique("ghost")),
                   "GetRole", "NoSuchEntity", 404)
    check_recorded(server, failed(iam.delete_role, RoleName=unique("ghost")),
                   "DeleteRole", "NoSuchEntity", 404)
    name = unique("keyless")
    iam.create_user(UserName=name)
    check_recorded(server, failed(iam.delete_access_key, UserName=name,
                                  AccessKeyId="AKIAAAAAAAAAAAAAAAAA"),
                   "DeleteAccessKey", "NoSuchEntity", 404)


def test_failed_call_as_other_user_is_recorded_with_that_user(server):
    iam = server.client("iam")
    name = unique("dora")
    iam.create_user(UserName=name)
    creds = Creds.from_access_key(iam.create_access_key(UserName=name))
    # Allowed to read roles, so the call fails on the missing role, not on authorization.
    grant(iam, user=name, actions="iam:GetRole")
    err = failed(server.client("iam", creds).get_role, RoleName=unique("ghost"))
    ev = check_recorded(server, err, "GetRole", "NoSuchEntity", 404)
    assert ev["Username"] == name
    assert ev["Record"]["userIdentity"]["userName"] == name
    assert ev["Record"]["userIdentity"]["accessKeyId"] == creds.access_key


def test_malformed_policy_is_recorded(server):
    err = failed(server.client("iam").create_role, RoleName=unique("bad"),
                 AssumeRolePolicyDocument="{not json")
    check_recorded(server, err, "CreateRole", "MalformedPolicyDocument", 400)


def test_cloudtrail_validation_failure_is_recorded(server):
    ct = server.client("cloudtrail")
    err = failed(ct.lookup_events, MaxResults=51)
    ev = check_recorded(server, err, "LookupEvents", "InvalidMaxResultsException", 400)
    assert ev["EventSource"] == "cloudtrail.amazonaws.com"
    assert ev["Record"]["readOnly"] is True


@cli_on_sqlite_only
def test_aws_cli_failure_is_recorded(server, aws_cli):
    missing = unique("clinobody")
    cp = server.aws("iam", "get-user", "--user-name", missing, check=False)
    assert cp.returncode != 0
    assert "NoSuchEntity" in cp.stderr
    events = [e for e in server.lookup("ResourceName", missing)]
    assert len(events) == 1
    rec = events[0]["Record"]
    assert rec["errorCode"] == "NoSuchEntity"
    assert rec["userAgent"].startswith("aws-cli/")
    assert rec["errorMessage"]
