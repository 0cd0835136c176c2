"""`cairn events lookup` and `cairn events download` against a running server, finding the
endpoint, credentials and region the way the aws CLI does."""

import csv
import datetime as dt
import io
import json
import socket

import pytest

from conftest import Creds, grant, unique

ACCOUNT = "000000000000"
MANY = 60


@pytest.fixture(scope="module")
def seeded(server):
    """A user created by the admin, who then made MANY calls."""
    iam = server.client("iam")
    name = unique("cliuser")
    created = iam.create_user(UserName=name)
    creds = Creds.from_access_key(iam.create_access_key(UserName=name))
    sts = server.client("sts", creds)
    ids = [sts.get_caller_identity()["ResponseMetadata"]["RequestId"] for _ in range(MANY)]
    ev = server.record_for(created, "CreateUser")
    return {"name": name, "creds": creds, "request_ids": ids, "create_event": ev}


def run_ok(server, *args, **kw):
    cp = server.cairn(*args, **kw)
    assert cp.returncode == 0, f"cairn {' '.join(args)} -> {cp.returncode}\n{cp.stderr}"
    return cp.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lookup_json(server, seeded):
    out = run_ok(server, "events", "lookup", "--endpoint-url", server.endpoint,
                 "--lookup-attribute", "EventName=CreateUser", "--output", "json")
    events = json.loads(out)["Events"]
    assert events and all(e["EventName"] == "CreateUser" for e in events)
    mine = [e for e in events if e["EventId"] == seeded["create_event"]["EventId"]]
    assert len(mine) == 1
    e = mine[0]
    assert e["Username"] == "admin"
    assert e["EventSource"] == "iam.amazonaws.com"
    assert {"ResourceType": "AWS::IAM::User", "ResourceName": seeded["name"]} in e["Resources"]
    rec = json.loads(e["CloudTrailEvent"])
    assert rec["requestParameters"]["userName"] == seeded["name"]


def test_lookup_csv(server, seeded):
    out = run_ok(server, "events", "lookup", "--endpoint-url", server.endpoint,
                 "--lookup-attribute", "EventName=CreateUser", "--output", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and all(r["Event name"] == "CreateUser" for r in rows)
    mine = [r for r in rows if r["Event ID"] == seeded["create_event"]["EventId"]]
    assert len(mine) == 1
    assert mine[0]["User name"] == "admin"
    assert mine[0]["Resource name"] == seeded["name"]
    assert mine[0]["Event source"] == "iam.amazonaws.com"


def test_lookup_table(server, seeded):
    out = run_ok(server, "events", "lookup", "--endpoint-url", server.endpoint,
                 "--lookup-attribute", f"ResourceName={seeded['name']}", "--output", "table")
    lines = out.strip().splitlines()
    assert "Event name" in lines[0]
    body = "\n".join(lines[1:])
    assert "CreateUser" in body and "CreateAccessKey" in body
    assert seeded["name"] in body
    assert "GetCallerIdentity" not in body  # the filter applies


def test_lookup_default_output_is_table(server, seeded):
    out = run_ok(server, "events", "lookup", "--lookup-attribute",
                 f"ResourceName={seeded['name']}")
    assert "CreateUser" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_endpoint_from_environment_and_flag_wins(server, seeded):
    # AWS_ENDPOINT_URL (set by user_env) alone is enough.
    out = run_ok(server, "events", "lookup", "--lookup-attribute",
                 f"EventId={seeded['create_event']['EventId']}", "--output", "json")
    assert [e["EventId"] for e in json.loads(out)["Events"]] == [seeded["create_event"]["EventId"]]
    # The flag wins over a wrong environment.
    dead = f"http://127.0.0.1:{free_port()}"
    out = run_ok(server, "events", "lookup", "--endpoint-url", server.endpoint,
                 "--lookup-attribute", f"EventId={seeded['create_event']['EventId']}",
                 "--output", "json", env={"AWS_ENDPOINT_URL": dead})
    assert len(json.loads(out)["Events"]) == 1
    # The service-specific variable wins over the global one, as in the AWS SDKs.
    out = run_ok(server, "events", "lookup",
                 "--lookup-attribute", f"EventId={seeded['create_event']['EventId']}",
                 "--output", "json",
                 env={"AWS_ENDPOINT_URL": dead, "AWS_ENDPOINT_URL_CLOUDTRAIL": server.endpoint})
    assert len(json.loads(out)["Events"]) == 1


def test_unreachable_endpoint_fails_cleanly(server):
    dead = f"http://127.0.0.1:{free_port()}"
    cp = server.cairn("events", "lookup", "--endpoint-url", dead, "--output", "json")
    assert cp.returncode == 1, cp
    # At once (no retrying a refused connection until the deadline), naming the endpoint as the aws CLI does; nothing
    # on stdout.
    assert f'Could not connect to the endpoint URL: "{dead}' in cp.stderr, cp.stderr
    assert cp.stdout == ""


def test_max_results(server, seeded):
    out = run_ok(server, "events", "lookup", "--lookup-attribute", f"Username={seeded['name']}",
                 "--max-results", "3", "--output", "json")
    events = json.loads(out)["Events"]
    assert [json.loads(e["CloudTrailEvent"])["requestID"] for e in events] == \
        list(reversed(seeded["request_ids"]))[:3]


def test_time_range(server, seeded):
    ev = seeded["create_event"]
    t = ev["EventTime"]
    iso = t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    epoch = str(int(t.timestamp()))
    for start, end in ((iso, iso), (epoch, epoch)):
        out = run_ok(server, "events", "lookup", "--lookup-attribute", "EventName=CreateUser",
                     "--start-time", start, "--end-time", end, "--output", "json")
        ids = [e["EventId"] for e in json.loads(out)["Events"]]
        assert ev["EventId"] in ids
    before = str(int(t.timestamp()) - 1)
    out = run_ok(server, "events", "lookup", "--lookup-attribute", "EventName=CreateUser",
                 "--end-time", before, "--output", "json")
    assert ev["EventId"] not in [e["EventId"] for e in json.loads(out)["Events"]]


def test_invalid_attribute_is_an_error(server):
    cp = server.cairn("events", "lookup", "--lookup-attribute", "Bogus=x", "--output", "json")
    assert cp.returncode == 1, cp
    # The server's answer, AWS's error for an attribute key LookupEvents does not have.
    assert "An error occurred (InvalidLookupAttributesException) when calling the LookupEvents operation" \
        in cp.stderr, cp.stderr
    assert "Bogus" in cp.stderr


def test_bad_credentials_are_an_error(server, tmp_path):
    creds = tmp_path / "credentials"
    creds.write_text(f"[default]\naws_access_key_id = {server.admin.access_key}\n"
                     "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
    cp = server.cairn("events", "lookup", "--output", "json",
                      env={"AWS_SHARED_CREDENTIALS_FILE": str(creds)})
    assert cp.returncode != 0
    assert "InvalidSignatureException" in cp.stderr


def test_profile_flag_and_env(server, tmp_path):
    iam = server.client("iam")
    name = unique("profiled")
    iam.create_user(UserName=name)
    c = Creds.from_access_key(iam.create_access_key(UserName=name))
    grant(iam, user=name, actions="cloudtrail:LookupEvents")  # what `cairn events lookup` calls
    creds = tmp_path / "credentials"
    a = server.admin
    creds.write_text(f"[default]\naws_access_key_id = {a.access_key}\n"
                     f"aws_secret_access_key = {a.secret_key}\n\n"
                     f"[other]\naws_access_key_id = {c.access_key}\n"
                     f"aws_secret_access_key = {c.secret_key}\n")
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(creds)}
    run_ok(server, "events", "lookup", "--profile", "other", "--max-results", "1",
           "--output", "json", env=env)
    run_ok(server, "events", "lookup", "--max-results", "2", "--output", "json",
           env={**env, "AWS_PROFILE": "other"})
    looks = [e for e in server.lookup("AccessKeyId", c.access_key)
             if e["EventName"] == "LookupEvents"]
    assert sorted(e["Record"]["requestParameters"]["maxResults"] for e in looks) == [1, 2]
    for e in looks:
        assert e["Username"] == name
        assert e["Record"]["userAgent"].startswith("cairn")


def test_region_from_config_flag_and_env(server, tmp_path):
    """The region selects whose history is read (eu-west-1 events are not in us-east-1)."""
    name = unique("euuser")
    iam = server.client("iam")
    iam.create_user(UserName=name)
    creds = Creds.from_access_key(iam.create_access_key(UserName=name))
    server.client("sts", creds, region="eu-west-1").get_caller_identity()

    def found(*args, env=None):
        out = run_ok(server, "events", "lookup", "--lookup-attribute", f"Username={name}",
                     "--output", "json", *args, env=env)
        return [e["EventName"] for e in json.loads(out)["Events"]]

    assert found() == []  # config file says us-east-1
    assert found("--region", "eu-west-1") == ["GetCallerIdentity"]
    assert found(env={"AWS_REGION": "eu-west-1"}) == ["GetCallerIdentity"]
    cfg = tmp_path / "config"
    cfg.write_text("[default]\nregion = eu-west-1\n")
    assert found(env={"AWS_CONFIG_FILE": str(cfg)}) == ["GetCallerIdentity"]
    assert found("--region", "us-east-1", env={"AWS_CONFIG_FILE": str(cfg)}) == []


def test_download_json_all_pages(server, seeded, tmp_path):
    out_file = tmp_path / "events.json"
    run_ok(server, "events", "download", "--lookup-attribute", f"Username={seeded['name']}",
           "--format", "json", "--output-file", str(out_file))
    doc = json.loads(out_file.read_text())
    assert set(doc) == {"Records"}
    records = doc["Records"]
    assert len(records) == MANY  # more than one page of 50
    assert [r["requestID"] for r in records] == list(reversed(seeded["request_ids"]))
    for r in records:
        assert r["eventName"] == "GetCallerIdentity"
        assert r["userIdentity"]["userName"] == seeded["name"]
        assert r["eventVersion"] and r["eventID"] and r["eventTime"]


def test_download_json_to_stdout_with_max_items(server, seeded):
    out = run_ok(server, "events", "download", "--lookup-attribute",
                 f"Username={seeded['name']}", "--format", "json", "--max-items", "5")
    records = json.loads(out)["Records"]
    assert [r["requestID"] for r in records] == list(reversed(seeded["request_ids"]))[:5]


def test_download_csv(server, seeded, tmp_path):
    out_file = tmp_path / "events.csv"
    run_ok(server, "events", "download", "--lookup-attribute", f"Username={seeded['name']}",
           "--format", "csv", "--output-file", str(out_file))
    rows = list(csv.DictReader(io.StringIO(out_file.read_text())))
    assert len(rows) == MANY
    assert all(r["Event name"] == "GetCallerIdentity" for r in rows)
    assert all(r["User name"] == seeded["name"] for r in rows)
    assert all(r["AWS access key"] == seeded["creds"].access_key for r in rows)
    assert len({r["Event ID"] for r in rows}) == MANY


def test_download_failed_calls_carry_error_code(server, tmp_path):
    missing = unique("dlmissing")
    try:
        server.client("iam").get_user(UserName=missing)
    except Exception:
        pass
    out = run_ok(server, "events", "download", "--lookup-attribute", f"ResourceName={missing}",
                 "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["Error code"] for r in rows] == ["NoSuchEntity"]
