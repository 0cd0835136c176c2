"""A call the client saw succeed is in the history even after kill -9; restarts keep the
account, its keys and the credentials file."""

import signal
import stat
import threading
import time

import pytest
from botocore.exceptions import ClientError

import conftest
from conftest import Creds, database_sql, grant, trust_policy, unique

ACCOUNT = "000000000000"


def test_kill_9_right_after_a_successful_call(cairn_factory):
    srv = cairn_factory.new()
    creds_before = srv.credentials_path.read_bytes()
    admin = srv.admin
    name = unique("durable")
    created = srv.client("iam").create_user(UserName=name)
    srv.kill9()  # immediately, no graceful shutdown

    srv.start()
    assert srv.credentials_path.read_bytes() == creds_before, "credentials file rewritten"
    assert stat.S_IMODE(srv.credentials_path.stat().st_mode) == 0o600
    assert srv.admin.access_key == admin.access_key
    ident = srv.client("sts", admin).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/admin"

    ev = srv.record_for(created, "CreateUser")
    assert ev["Record"]["requestParameters"]["userName"] == name
    assert ev["Record"]["userIdentity"]["accessKeyId"] == admin.access_key
    # The change itself survived too.
    assert srv.client("iam").get_user(UserName=name)["User"]["UserId"] == \
        created["User"]["UserId"]


def test_kill_9_during_a_burst_of_calls(cairn_factory):
    """Every call whose response arrived before the kill is in the history."""
    srv = cairn_factory.new()
    iam = srv.client("iam")
    name = unique("burst")
    iam.create_user(UserName=name)
    creds = Creds.from_access_key(iam.create_access_key(UserName=name))
    sts = srv.client("sts", creds)

    answered: list[str] = []
    stop = threading.Event()

    def hammer():
        while not stop.is_set():
            try:
                answered.append(sts.get_caller_identity()["ResponseMetadata"]["RequestId"])
            except Exception:
                return

    t = threading.Thread(target=hammer)
    t.start()
    try:
        for _ in range(1000):
            if len(answered) >= 30:
                break
            threading.Event().wait(0.01)
        srv.kill9()
    finally:
        stop.set()
        t.join(30)
    seen = list(answered)
    assert len(seen) >= 30

    srv.start()
    recorded = {e["Record"]["requestID"] for e in srv.lookup("AccessKeyId", creds.access_key)}
    missing = [r for r in seen if r not in recorded]
    assert not missing, f"{len(missing)} of {len(seen)} acknowledged calls lost"
    # The user's key still works after the crash.
    assert srv.client("sts", creds).get_caller_identity()["Arn"].endswith(f"user/{name}")


def test_roles_and_temporary_credentials_survive_restart(cairn_factory):
    srv = cairn_factory.new()
    iam = srv.client("iam")
    name = unique("keeper")
    iam.create_user(UserName=name)
    user = Creds.from_access_key(iam.create_access_key(UserName=name))
    role = iam.create_role(RoleName=unique("keeprole"),
                           AssumeRolePolicyDocument=trust_policy(f"arn:aws:iam::{ACCOUNT}:root"))
    grant(iam, user=name, actions="sts:AssumeRole", resource=role["Role"]["Arn"])
    tmp = Creds.from_access_key(srv.client("sts", user).assume_role(
        RoleArn=role["Role"]["Arn"], RoleSessionName="kept"))
    srv.kill9()
    srv.start()
    assert srv.client("sts", tmp).get_caller_identity()["Arn"] == \
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['Role']['RoleName']}/kept"
    assert srv.client("sts", user).get_caller_identity()["Arn"].endswith(f"user/{name}")
    # The user's permission survived too: it may assume the role again.
    again = srv.client("sts", user).assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="again")
    assert again["AssumedRoleUser"]["Arn"].endswith("/again")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_graceful_shutdown(cairn_factory, sig):
    srv = cairn_factory.new()
    created = srv.client("iam").create_user(UserName=unique("graceful"))
    code = srv.stop(sig)
    assert code == 0, f"exit code {code} after {sig.name}:\n{srv.logs()}"
    srv.start()
    srv.record_for(created, "CreateUser")
    srv.assert_healthy()


def test_second_server_on_same_data_dir_keeps_same_identity(cairn_factory):
    """A restart (clean this time) never creates a second admin key."""
    srv = cairn_factory.new()
    first = srv.admin.access_key
    srv.restart()
    srv.restart()
    assert srv.admin.access_key == first
    keys = srv.client("iam").list_access_keys(UserName="admin")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [first]


def test_concurrent_clients_are_all_recorded(cairn_factory):
    """Parallel callers (several users, several threads) all succeed and are all recorded."""
    from concurrent.futures import ThreadPoolExecutor
    srv = cairn_factory.new()
    iam = srv.client("iam")
    users = []
    for i in range(4):
        name = unique(f"par{i}")
        iam.create_user(UserName=name)
        users.append(Creds.from_access_key(iam.create_access_key(UserName=name)))
        grant(iam, user=name, actions="iam:GetRole")  # so GetRole fails on the missing role

    def work(creds):
        sts = srv.client("sts", creds)
        iam_c = srv.client("iam", creds)
        ids = []
        for j in range(25):
            if j % 5 == 0:
                try:
                    iam_c.get_role(RoleName=unique("absent"))
                except ClientError as e:  # recorded failure
                    assert e.response["Error"]["Code"] == "NoSuchEntity", e.response["Error"]
                    ids.append(e.response["ResponseMetadata"]["RequestId"])
            else:
                ids.append(sts.get_caller_identity()["ResponseMetadata"]["RequestId"])
        return creds.access_key, ids

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, users + users))
    expected = {}
    for key, ids in results:
        expected.setdefault(key, set()).update(ids)
    for key, ids in expected.items():
        assert len(ids) == 50
        got = {e["Record"]["requestID"] for e in srv.lookup("AccessKeyId", key)}
        assert ids == got
    srv.assert_healthy()


def test_blobs_left_by_a_stop_between_write_and_commit_are_swept_at_start(cairn_factory):
    """A blob whose catalog row never committed (a crash between the two) is deleted at the next start; blobs
    objects refer to are kept and still read back. On PostgreSQL, where several nodes may share the database, only
    orphans an hour old go: a younger one may be another node's upload between its body and its commit."""
    srv = cairn_factory.new()
    s3 = srv.client("s3")
    bucket = unique("sweep")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="kept", Body=b"still here")
    srv.stop()
    if conftest.ENGINE == "postgres":
        def blobs() -> list[str]:
            return sorted(database_sql(srv.data_dir, "SELECT DISTINCT blob FROM s3_blob_chunk").split())
        kept = blobs()
        assert len(kept) == 1
        now_ms = int(time.time() * 1000)
        old, young = "ab" + "0" * 30, "cd" + "0" * 30
        database_sql(srv.data_dir, "INSERT INTO s3_blob_chunk (blob, chunk_index, data, created_at) VALUES "
                                   f"('{old}', 0, 'never committed', {now_ms - 2 * 3600_000}), "
                                   f"('{young}', 0, 'mid-upload elsewhere', {now_ms})")
        srv.start()
        assert blobs() == sorted(kept + [young])
    else:
        files = srv.data_dir / "objects" / "blobs"
        kept = sorted(p.name for p in files.rglob("*") if p.is_file())
        assert len(kept) == 1
        orphan = files / "ab" / ("ab" + "0" * 30)
        orphan.write_bytes(b"never committed")
        srv.start()
        assert not orphan.exists()
        assert sorted(p.name for p in files.rglob("*") if p.is_file()) == kept
    assert srv.client("s3").get_object(Bucket=bucket, Key="kept")["Body"].read() == b"still here"
    assert "deleted 1 object blobs" in srv.logs()


def test_kill_9_during_a_replay_resumes_it_and_every_event_arrives(cairn_factory):
    """A replay of 2,000 archived events, the server killed -9 right after StartReplay: after the restart the replay
    resumes where its last committed batch left it (each batch commits its events' deliveries with the replay's
    progress) and completes, and every archived event reaches the replay's rule, none lost."""
    import json
    from conftest import wait_for
    from test_eventbridge import archived_events
    from test_sqs import drain
    srv = cairn_factory.new()
    events, sqs = srv.client("events"), srv.client("sqs")
    bus_arn, archive_arn, url, start, end = archived_events(events, sqs, "replayed", 2000)
    name = unique("resumed")
    events.start_replay(ReplayName=name, EventSourceArn=archive_arn, EventStartTime=start, EventEndTime=end,
                        Destination={"Arn": bus_arn})
    srv.kill9()
    srv.start()
    events, sqs = srv.client("events"), srv.client("sqs")
    done = wait_for(lambda: (lambda d: d if d["State"] == "COMPLETED" else None)(events.describe_replay(ReplayName=name)),
                    timeout=120, what="the replay to complete after the restart")
    assert done["EventLastReplayedTime"] <= done["EventEndTime"], done
    got = drain(sqs, url, 2000, timeout=120)
    numbers = {json.loads(m["Body"])["detail"]["n"] for m in got}
    assert numbers == set(range(2000)), f"missing {sorted(set(range(2000)) - numbers)[:20]}"
    assert all(json.loads(m["Body"])["replay-name"] == name for m in got)
