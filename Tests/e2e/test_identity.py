"""First contact: health, the generated credentials, GetCallerIdentity, calls as an IAM user."""

import configparser
import datetime as dt
import json
import re
import stat
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import HIDDEN, Creds, cli_on_sqlite_only, grant, skip_or_fail_in_ci, unique

ACCOUNT = "000000000000"
ISO_SECOND = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture(scope="module")
def alice(server):
    """An IAM user with an access key, created by the admin."""
    iam = server.client("iam")
    name = unique("alice")
    user = iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)
    return {"name": name, "user": user, "key": key, "creds": Creds.from_access_key(key)}


def test_health(server):
    body = server.health()
    assert body["status"] == "ok"
    assert isinstance(body["version"], str) and body["version"]
    assert {"iam", "sts", "cloudtrail"} <= set(body["services"])


def test_credentials_and_config_files(server):
    creds_file = server.credentials_path
    assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
    cp = configparser.ConfigParser()
    cp.read(creds_file)
    assert "default" in cp.sections()
    key = cp["default"]["aws_access_key_id"]
    secret = cp["default"]["aws_secret_access_key"]
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key), key
    assert len(secret) == 40

    cfg = configparser.ConfigParser()
    cfg.read(server.config_path)
    assert cfg["default"]["region"] == "us-east-1"

    # The secret is never printed: not on stdout (the banner), not in the logs.
    assert secret not in server.logs()


def test_banner_tells_where_credentials_are(server):
    out = server.stdout_path.read_text()
    assert str(server.credentials_path) in out
    assert server.endpoint in out


def test_get_caller_identity_boto3_from_env_only(server, monkeypatch):
    """Exactly what a user does: export the three variables, then plain boto3."""
    for k in list(__import__("os").environ):
        if k.startswith("AWS_"):
            monkeypatch.delenv(k)
    for k, v in server.user_env().items():
        if k.startswith("AWS_"):
            monkeypatch.setenv(k, v)
    sts = boto3.Session().client("sts")
    ident = sts.get_caller_identity()
    assert ident["Account"] == ACCOUNT
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/admin"
    assert ident["UserId"].startswith("AIDA")

    # The call is in the history, as the admin.
    ev = server.record_for(ident, "GetCallerIdentity")
    assert ev["Username"] == "admin"
    assert ev["AccessKeyId"] == server.admin.access_key
    assert ev["Record"]["userIdentity"]["principalId"] == ident["UserId"]


@cli_on_sqlite_only
def test_get_caller_identity_aws_cli(server, aws_cli):
    ident = server.aws("sts", "get-caller-identity")
    assert ident["Account"] == ACCOUNT
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/admin"
    events = server.lookup("EventName", "GetCallerIdentity")
    cli_events = [e for e in events if e["Record"]["userAgent"].startswith("aws-cli/")
                  and e["Username"] == "admin"]
    assert cli_events, "the aws CLI call was not recorded"
    assert cli_events[0]["Record"]["userIdentity"]["userName"] == "admin"


def test_account_id_and_region_flags(cairn_factory):
    srv = cairn_factory.new("--account-id", "123456789012", "--region", "eu-west-1")
    cfg = configparser.ConfigParser()
    cfg.read(srv.config_path)
    assert cfg["default"]["region"] == "eu-west-1"
    sts = srv.client("sts", region="eu-west-1")
    ident = sts.get_caller_identity()
    assert ident["Account"] == "123456789012"
    assert ident["Arn"] == "arn:aws:iam::123456789012:user/admin"
    ct = srv.client("cloudtrail", region="eu-west-1")
    recs = [json.loads(e["CloudTrailEvent"]) for e in ct.lookup_events()["Events"]]
    rec = next(r for r in recs if r["requestID"] == ident["ResponseMetadata"]["RequestId"])
    assert rec["recipientAccountId"] == "123456789012"
    assert rec["userIdentity"]["accountId"] == "123456789012"
    assert rec["awsRegion"] == "eu-west-1"


def test_settings_from_environment(cairn_factory):
    """CAIRN_HOST/PORT/DATA_DIR/REGION/ACCOUNT_ID/ACCEPT_ANY_CREDENTIALS instead of flags."""
    srv = cairn_factory.new(settings_from_env=True, env={
        "CAIRN_ACCOUNT_ID": "210987654321", "CAIRN_REGION": "eu-central-1",
        "CAIRN_ACCEPT_ANY_CREDENTIALS": "1"})
    assert srv.credentials_path.exists()
    cfg = configparser.ConfigParser()
    cfg.read(srv.config_path)
    assert cfg["default"]["region"] == "eu-central-1"
    assert srv.client("sts").get_caller_identity()["Arn"] == \
        "arn:aws:iam::210987654321:user/admin"
    root = srv.client("sts", Creds("test", "test")).get_caller_identity()
    assert root["Arn"] == "arn:aws:iam::210987654321:root"


def test_unknown_keys_rejected_without_accept_any_credentials(server):
    with pytest.raises(ClientError) as ei:
        server.client("sts", Creds("test", "test")).get_caller_identity()
    assert ei.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_listens_on_loopback_only(server):
    """Every listening socket on the server's port is 127.0.0.1 (per /proc/net/tcp*)."""
    listeners = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, port = local.rsplit(":", 1)
            if state == "0A" and int(port, 16) == server.port:
                listeners.append((table, addr))
    if not listeners:
        skip_or_fail_in_ci("/proc/net/tcp not readable here")
    assert listeners == [("/proc/net/tcp", "0100007F")], listeners


def test_call_as_iam_user_found_by_username_and_access_key(server, alice):
    user_id = alice["user"]["User"]["UserId"]
    key_id = alice["creds"].access_key
    assert key_id.startswith("AKIA")
    sts = server.client("sts", alice["creds"])
    ident = sts.get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{alice['name']}"
    assert ident["UserId"] == user_id
    request_id = ident["ResponseMetadata"]["RequestId"]

    by_user = server.lookup("Username", alice["name"])
    by_key = server.lookup("AccessKeyId", key_id)
    for events in (by_user, by_key):
        matching = [e for e in events if e["Record"]["requestID"] == request_id]
        assert len(matching) == 1, [e["EventName"] for e in events]
        ev = matching[0]
        assert ev["EventName"] == "GetCallerIdentity"
        assert ev["EventSource"] == "sts.amazonaws.com"
        assert ev["Username"] == alice["name"]
        assert ev["AccessKeyId"] == key_id
        assert ev["ReadOnly"] == "true"
        assert ev["Record"]["userIdentity"] == {
            "type": "IAMUser",
            "principalId": user_id,
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{alice['name']}",
            "accountId": ACCOUNT,
            "accessKeyId": key_id,
            "userName": alice["name"],
        }
    # Filters really filter: every event found by the user's name / key is the user's.
    assert all(e["Username"] == alice["name"] for e in by_user)
    assert all(e["AccessKeyId"] == key_id for e in by_key)
    assert {e["EventId"] for e in by_user} == {e["EventId"] for e in by_key}


def test_record_has_every_field(server, alice):
    sts = server.client("sts", alice["creds"])
    ident = sts.get_caller_identity()
    before = dt.datetime.now(dt.timezone.utc)
    ev = server.record_for(ident, "GetCallerIdentity")
    rec = ev["Record"]
    assert rec["eventVersion"].startswith("1.") and float(rec["eventVersion"]) >= 1.08
    assert ISO_SECOND.match(rec["eventTime"]), rec["eventTime"]
    t = dt.datetime.strptime(rec["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    assert abs((t - before).total_seconds()) < 120
    assert ev["EventTime"] == t
    assert rec["eventSource"] == "sts.amazonaws.com"
    assert rec["eventName"] == "GetCallerIdentity"
    assert rec["awsRegion"] == "us-east-1"
    assert rec["sourceIPAddress"] == "127.0.0.1"
    assert rec["userAgent"].startswith("Boto3/")
    assert rec["requestID"] == ident["ResponseMetadata"]["RequestId"]
    assert str(uuid.UUID(rec["eventID"])) == rec["eventID"] == ev["EventId"]
    assert rec["readOnly"] is True
    assert rec["eventType"] == "AwsApiCall"
    assert rec["managementEvent"] is True
    assert rec["recipientAccountId"] == ACCOUNT
    assert rec["eventCategory"] == "Management"
    assert "errorCode" not in rec and "errorMessage" not in rec
    assert "tlsDetails" not in rec  # plain HTTP
    assert "requestParameters" in rec and "responseElements" in rec


@cli_on_sqlite_only
def test_cli_call_as_iam_user(server, alice, aws_cli):
    ident = server.aws("sts", "get-caller-identity", creds=alice["creds"])
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{alice['name']}"
    events = [e for e in server.lookup("AccessKeyId", alice["creds"].access_key)
              if e["Record"]["userAgent"].startswith("aws-cli/")]
    assert len(events) == 1
    assert events[0]["Record"]["userIdentity"]["type"] == "IAMUser"
    assert events[0]["Username"] == alice["name"]


def test_create_user_and_key_records(server, alice):
    key = alice["key"]
    ev = server.record_for(alice["user"], "CreateUser")
    rec = ev["Record"]
    assert ev["Username"] == "admin"
    assert {"ResourceType": "AWS::IAM::User", "ResourceName": alice["name"]} in ev["Resources"]
    assert rec["eventSource"] == "iam.amazonaws.com"
    assert rec["awsRegion"] == "us-east-1"
    assert rec["readOnly"] is False
    assert rec["requestParameters"]["userName"] == alice["name"]
    assert rec["responseElements"]["user"]["userId"] == alice["user"]["User"]["UserId"]

    ev = server.record_for(key, "CreateAccessKey")
    rec = ev["Record"]
    assert rec["requestParameters"] == {"userName": alice["name"]}
    ak = rec["responseElements"]["accessKey"]
    assert ak["accessKeyId"] == key["AccessKey"]["AccessKeyId"]
    assert ak["secretAccessKey"] == HIDDEN
    assert key["AccessKey"]["SecretAccessKey"] not in ev["CloudTrailEvent"]


def test_no_secret_is_ever_stored(server, alice):
    """Neither the admin's nor alice's secret appears in any record."""
    secrets = {server.admin.secret_key, alice["creds"].secret_key}
    for e in server.lookup():
        for s in secrets:
            assert s not in e["CloudTrailEvent"], e["EventName"]


def test_user_with_path_has_path_in_arn(server):
    iam = server.client("iam")
    name = unique("pathy")
    user = iam.create_user(UserName=name, Path="/eng/team/")["User"]
    arn = f"arn:aws:iam::{ACCOUNT}:user/eng/team/{name}"
    assert user["Arn"] == arn
    assert iam.get_user(UserName=name)["User"]["Arn"] == arn
    creds = Creds.from_access_key(iam.create_access_key(UserName=name))
    ident = server.client("sts", creds).get_caller_identity()
    assert ident["Arn"] == arn, "GetCallerIdentity must return the user's ARN with its path"
    ev = server.record_for(ident, "GetCallerIdentity")
    assert ev["Record"]["userIdentity"]["arn"] == arn
    assert ev["Record"]["userIdentity"]["userName"] == name


def test_get_user_without_name_is_the_caller(server, alice):
    # Authorization is on: alice may read her own user, and only that.
    grant(server.client("iam"), user=alice["name"], actions="iam:GetUser",
          resource=alice["user"]["User"]["Arn"])
    me = server.client("iam", alice["creds"]).get_user()["User"]
    assert me["UserName"] == alice["name"]
    assert me["UserId"] == alice["user"]["User"]["UserId"]


def test_deleted_key_stops_working(server):
    iam = server.client("iam")
    name = unique("gone")
    iam.create_user(UserName=name)
    creds = Creds.from_access_key(iam.create_access_key(UserName=name))
    sts = server.client("sts", creds)
    sts.get_caller_identity()
    iam.delete_access_key(UserName=name, AccessKeyId=creds.access_key)
    with pytest.raises(ClientError) as ei:
        sts.get_caller_identity()
    assert ei.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # Authentication failures are not recorded: only the one successful call is there.
    events = server.lookup("AccessKeyId", creds.access_key)
    assert [e["EventName"] for e in events] == ["GetCallerIdentity"]
    assert "errorCode" not in events[0]["Record"]
