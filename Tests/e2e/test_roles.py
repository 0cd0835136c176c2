"""Roles and STS AssumeRole: temporary credentials, AssumedRole identities, trust policies."""

import datetime as dt
import re

import pytest
from botocore.exceptions import ClientError

from conftest import HIDDEN, Creds, cli_on_sqlite_only, grant, trust_policy, unique

ACCOUNT = "000000000000"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"


@pytest.fixture(scope="module")
def bob(server):
    iam = server.client("iam")
    name = unique("bob")
    user = iam.create_user(UserName=name)["User"]
    creds = Creds.from_access_key(iam.create_access_key(UserName=name))
    # A trust policy that names only the account leaves the decision to the caller's own policies:
    # bob may assume roles (which ones is then up to each role's trust policy).
    grant(iam, user=name, actions="sts:AssumeRole")
    return {"name": name, "user": user, "creds": creds}


@pytest.fixture(scope="module")
def role(server):
    """A role whose trust policy names the account (its root): any principal of the account whose own
    policies allow sts:AssumeRole on it may assume it. Its sessions may read the role and assume it again
    (role chaining), nothing else."""
    iam = server.client("iam")
    name = unique("deployer")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy(ROOT),
                           Description="e2e")["Role"]
    grant(iam, role=name, actions=["iam:GetRole", "sts:AssumeRole"], resource=role["Arn"])
    return role


@pytest.fixture(scope="module")
def assumed(server, bob, role):
    session = unique("sess")
    resp = server.client("sts", bob["creds"]).assume_role(RoleArn=role["Arn"],
                                                         RoleSessionName=session)
    return {"session": session, "resp": resp, "creds": Creds.from_access_key(resp)}


def test_assume_role_returns_temporary_credentials(role, assumed):
    c = assumed["resp"]["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", c["AccessKeyId"]), c["AccessKeyId"]
    assert len(c["SecretAccessKey"]) == 40
    assert c["SessionToken"]
    lifetime = (c["Expiration"] - dt.datetime.now(dt.timezone.utc)).total_seconds()
    assert 3300 < lifetime <= 3600 + 5, lifetime  # default DurationSeconds is one hour
    aru = assumed["resp"]["AssumedRoleUser"]
    assert aru["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/{assumed['session']}"
    assert aru["AssumedRoleId"] == f"{role['RoleId']}:{assumed['session']}"
    assert role["RoleId"].startswith("AROA")


def expected_assumed_identity(role, assumed) -> dict:
    return {
        "type": "AssumedRole",
        "principalId": f"{role['RoleId']}:{assumed['session']}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/{assumed['session']}",
        "accountId": ACCOUNT,
        "accessKeyId": assumed["creds"].access_key,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role["RoleId"],
                "arn": role["Arn"],
                "accountId": ACCOUNT,
                "userName": role["RoleName"],
            },
        },
    }


def check_assumed_identity(ui: dict, role, assumed) -> None:
    want = expected_assumed_identity(role, assumed)
    attrs = ui.get("sessionContext", {}).get("attributes", {})
    got = dict(ui)
    got["sessionContext"] = {k: v for k, v in ui.get("sessionContext", {}).items()
                             if k != "attributes"}
    assert got == want  # no top-level userName for assumed roles
    assert attrs.get("mfaAuthenticated") == "false"
    created = dt.datetime.strptime(attrs["creationDate"], "%Y-%m-%dT%H:%M:%SZ")
    issued = assumed["resp"]["Credentials"]["Expiration"].replace(tzinfo=None) - dt.timedelta(hours=1)
    assert abs((created - issued).total_seconds()) < 5, (created, issued)


def test_call_with_temporary_credentials_is_recorded_as_assumed_role(server, role, assumed):
    sts = server.client("sts", assumed["creds"])
    ident = sts.get_caller_identity()
    assert ident["Arn"] == assumed["resp"]["AssumedRoleUser"]["Arn"]
    assert ident["UserId"] == assumed["resp"]["AssumedRoleUser"]["AssumedRoleId"]
    assert ident["Account"] == ACCOUNT

    rid = ident["ResponseMetadata"]["RequestId"]
    for key, value in (("Username", assumed["session"]),
                       ("AccessKeyId", assumed["creds"].access_key)):
        events = [e for e in server.lookup(key, value) if e["Record"]["requestID"] == rid]
        assert len(events) == 1, (key, value)
        ev = events[0]
        assert ev["Username"] == assumed["session"]
        assert ev["AccessKeyId"] == assumed["creds"].access_key
        check_assumed_identity(ev["Record"]["userIdentity"], role, assumed)


def test_iam_call_as_assumed_role(server, role, assumed):
    iam = server.client("iam", assumed["creds"])
    got = iam.get_role(RoleName=role["RoleName"])
    assert got["Role"]["Arn"] == role["Arn"]
    ev = server.record_for(got, "GetRole")
    assert ev["EventSource"] == "iam.amazonaws.com"
    assert ev["Record"]["awsRegion"] == "us-east-1"
    assert ev["Username"] == assumed["session"]
    assert {"ResourceType": "AWS::IAM::Role", "ResourceName": role["RoleName"]} in ev["Resources"]
    check_assumed_identity(ev["Record"]["userIdentity"], role, assumed)


@cli_on_sqlite_only
def test_cli_with_temporary_credentials(server, role, assumed, aws_cli):
    ident = server.aws("sts", "get-caller-identity", creds=assumed["creds"])
    assert ident["Arn"] == assumed["resp"]["AssumedRoleUser"]["Arn"]
    events = [e for e in server.lookup("AccessKeyId", assumed["creds"].access_key)
              if e["Record"]["userAgent"].startswith("aws-cli/")]
    assert len(events) == 1
    check_assumed_identity(events[0]["Record"]["userIdentity"], role, assumed)


def test_assume_role_record(server, bob, role, assumed):
    ev = server.record_for(assumed["resp"], "AssumeRole")
    rec = ev["Record"]
    assert ev["EventSource"] == "sts.amazonaws.com"
    assert ev["Username"] == bob["name"]
    assert ev["AccessKeyId"] == bob["creds"].access_key
    assert rec["userIdentity"]["type"] == "IAMUser"
    assert rec["userIdentity"]["userName"] == bob["name"]
    assert rec["readOnly"] is False
    assert "errorCode" not in rec
    assert rec["requestParameters"]["roleArn"] == role["Arn"]
    assert rec["requestParameters"]["roleSessionName"] == assumed["session"]
    creds = rec["responseElements"]["credentials"]
    assert creds["accessKeyId"] == assumed["creds"].access_key
    assert creds["sessionToken"] == HIDDEN
    assert creds.get("secretAccessKey", HIDDEN) == HIDDEN
    assert rec["responseElements"]["assumedRoleUser"]["arn"] == \
        assumed["resp"]["AssumedRoleUser"]["Arn"]
    # Neither secret nor token is stored anywhere in the record.
    assert assumed["creds"].secret_key not in ev["CloudTrailEvent"]
    assert assumed["creds"].token not in ev["CloudTrailEvent"]
    assert any(r["ResourceType"] == "AWS::IAM::Role" for r in ev["Resources"])


def test_no_session_secret_in_any_record(server, assumed):
    for e in server.lookup():
        assert assumed["creds"].secret_key not in e["CloudTrailEvent"]
        assert assumed["creds"].token not in e["CloudTrailEvent"]


def test_trust_policy_naming_the_user_allows_it(server, bob):
    iam = server.client("iam")
    name = unique("bobonly")
    r = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy(bob["user"]["Arn"]))
    resp = server.client("sts", bob["creds"]).assume_role(RoleArn=r["Role"]["Arn"],
                                                         RoleSessionName="bob-session")
    assert resp["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_trust_policy_naming_another_user_denies(server, bob):
    iam = server.client("iam")
    other = unique("carol")
    other_arn = iam.create_user(UserName=other)["User"]["Arn"]
    name = unique("carolonly")
    r = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy(other_arn))["Role"]
    with pytest.raises(ClientError) as ei:
        server.client("sts", bob["creds"]).assume_role(RoleArn=r["Arn"],
                                                      RoleSessionName="nope")
    err = ei.value.response
    assert err["Error"]["Code"] == "AccessDenied"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "sts:AssumeRole" in err["Error"]["Message"]

    ev = server.record_for(err, "AssumeRole")
    rec = ev["Record"]
    assert rec["errorCode"] == "AccessDenied"
    assert rec["errorMessage"] == err["Error"]["Message"]
    assert rec["userIdentity"]["userName"] == bob["name"]
    assert ev["Username"] == bob["name"]
    assert rec["responseElements"] is None
    assert rec["requestParameters"]["roleArn"] == r["Arn"]


def test_trust_policy_naming_the_account_needs_the_callers_own_permission(server):
    """Within one account, a trust policy naming only the account (its root) does not by itself let a user in:
    the user's identity policies must allow sts:AssumeRole on the role too (as in AWS)."""
    iam = server.client("iam")
    name = unique("noperm")
    iam.create_user(UserName=name)
    creds = Creds.from_access_key(iam.create_access_key(UserName=name))
    r = iam.create_role(RoleName=unique("acctonly"), AssumeRolePolicyDocument=trust_policy(ROOT))["Role"]
    sts = server.client("sts", creds)
    with pytest.raises(ClientError) as ei:
        sts.assume_role(RoleArn=r["Arn"], RoleSessionName="denied")
    err = ei.value.response
    assert err["Error"]["Code"] == "AccessDenied"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "sts:AssumeRole" in err["Error"]["Message"]
    assert server.record_for(err, "AssumeRole")["Record"]["errorCode"] == "AccessDenied"

    grant(iam, user=name, actions="sts:AssumeRole", resource=r["Arn"])
    resp = sts.assume_role(RoleArn=r["Arn"], RoleSessionName="allowed")
    assert resp["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{r['RoleName']}/allowed"


def test_assume_missing_role_is_access_denied(server, bob):
    with pytest.raises(ClientError) as ei:
        server.client("sts", bob["creds"]).assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{unique('ghost')}", RoleSessionName="s1")
    assert ei.value.response["Error"]["Code"] == "AccessDenied"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    ev = server.record_for(ei.value.response, "AssumeRole")
    assert ev["Record"]["errorCode"] == "AccessDenied"


def test_duration_seconds(server, bob, role):
    sts = server.client("sts", bob["creds"])
    resp = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="short", DurationSeconds=900)
    lifetime = (resp["Credentials"]["Expiration"] - dt.datetime.now(dt.timezone.utc)).total_seconds()
    assert 840 < lifetime <= 905, lifetime
    with pytest.raises(ClientError) as ei:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="long", DurationSeconds=7200)
    assert ei.value.response["Error"]["Code"] == "ValidationError"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert server.record_for(ei.value.response, "AssumeRole")["Record"]["errorCode"] == \
        "ValidationError"


def test_invalid_session_name(server, bob, role):
    with pytest.raises(ClientError) as ei:
        server.client("sts", bob["creds"]).assume_role(RoleArn=role["Arn"],
                                                      RoleSessionName="bad name!")
    assert ei.value.response["Error"]["Code"] == "ValidationError"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_root_may_not_assume_roles(cairn_factory):
    srv = cairn_factory.new("--accept-any-credentials")
    test = Creds("test", "test")
    sts = srv.client("sts", test)
    ident = sts.get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert ident["Account"] == ACCOUNT
    ev = srv.record_for(ident, "GetCallerIdentity")
    assert ev["Username"] == "root"
    assert ev["AccessKeyId"] == "test"
    ui = ev["Record"]["userIdentity"]
    assert ui["type"] == "Root"
    assert ui["principalId"] == ACCOUNT
    assert ui["arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert ui["accountId"] == ACCOUNT
    assert ui["accessKeyId"] == "test"

    role = srv.client("iam", test).create_role(
        RoleName="r1", AssumeRolePolicyDocument=trust_policy(ROOT))["Role"]
    with pytest.raises(ClientError) as ei:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="root-session")
    assert ei.value.response["Error"]["Code"] == "AccessDenied"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    ev = srv.record_for(ei.value.response, "AssumeRole")
    assert ev["Record"]["errorCode"] == "AccessDenied"
    assert ev["Record"]["userIdentity"]["type"] == "Root"

    # The admin user's real key still identifies the admin user in this mode.
    assert srv.client("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/admin"


def test_trust_policy_naming_a_user_with_a_path(server):
    """The principal in a trust policy is the user's real ARN, path included."""
    iam = server.client("iam")
    name = unique("pathed")
    user = iam.create_user(UserName=name, Path="/eng/")["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/eng/{name}"
    creds = Creds.from_access_key(iam.create_access_key(UserName=name))
    role = iam.create_role(RoleName=unique("forpathed"),
                           AssumeRolePolicyDocument=trust_policy(user["Arn"]))["Role"]
    resp = server.client("sts", creds).assume_role(RoleArn=role["Arn"], RoleSessionName="p1")
    assert resp["AssumedRoleUser"]["Arn"].endswith("/p1")


def test_role_with_path(server, bob):
    """The assumed-role ARN has no path; the session issuer's role ARN has it."""
    iam = server.client("iam")
    name = unique("pathrole")
    role = iam.create_role(RoleName=name, Path="/svc/team/",
                           AssumeRolePolicyDocument=trust_policy(ROOT))["Role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/svc/team/{name}"
    resp = server.client("sts", bob["creds"]).assume_role(RoleArn=role["Arn"],
                                                         RoleSessionName="pathsess")
    assert resp["AssumedRoleUser"]["Arn"] == \
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/pathsess"
    ident = server.client("sts", Creds.from_access_key(resp)).get_caller_identity()
    issuer = server.record_for(ident, "GetCallerIdentity")["Record"]["userIdentity"][
        "sessionContext"]["sessionIssuer"]
    assert issuer["arn"] == role["Arn"]
    assert issuer["userName"] == name


def test_role_chaining(server, role, assumed):
    """Temporary credentials may assume a role again; the record names the first session."""
    sts = server.client("sts", assumed["creds"])
    resp = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="chained")
    assert resp["AssumedRoleUser"]["Arn"].endswith(f"/{role['RoleName']}/chained")
    ev = server.record_for(resp, "AssumeRole")
    assert ev["Username"] == assumed["session"]
    check_assumed_identity(ev["Record"]["userIdentity"], role, assumed)
    chained = Creds.from_access_key(resp)
    ident = server.client("sts", chained).get_caller_identity()
    assert server.record_for(ident, "GetCallerIdentity")["Username"] == "chained"
