"""CloudTrail LookupEvents: paging, every lookup attribute, time ranges, validation errors."""

import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError

from conftest import Creds, cli_on_sqlite_only, trust_policy, unique

ACCOUNT = "000000000000"
CALLS = 60  # more than one default page of 50


@pytest.fixture(scope="module")
def caller(server):
    """A user who made CALLS GetCallerIdentity calls, in a known order."""
    iam = server.client("iam")
    name = unique("pager")
    user = iam.create_user(UserName=name)
    creds = Creds.from_access_key(iam.create_access_key(UserName=name))
    sts = server.client("sts", creds)
    request_ids = [sts.get_caller_identity()["ResponseMetadata"]["RequestId"]
                   for _ in range(CALLS)]
    return {"name": name, "user": user, "creds": creds, "request_ids": request_ids}


def lookup_error(server, **kwargs) -> dict:
    with pytest.raises(ClientError) as ei:
        server.client("cloudtrail").lookup_events(**kwargs)
    return ei.value.response


def attr(key, value):
    return [{"AttributeKey": key, "AttributeValue": value}]


def check_newest_first(events):
    times = [e["EventTime"] for e in events]
    assert times == sorted(times, reverse=True)


# -- paging --------------------------------------------------------------------------------

def test_default_page_is_50_then_next_token(server, caller):
    ct = server.client("cloudtrail")
    first = ct.lookup_events(LookupAttributes=attr("Username", caller["name"]))
    assert len(first["Events"]) == 50
    assert first.get("NextToken")
    second = ct.lookup_events(LookupAttributes=attr("Username", caller["name"]),
                              NextToken=first["NextToken"])
    assert len(second["Events"]) == CALLS - 50
    assert not second.get("NextToken")
    events = first["Events"] + second["Events"]
    ids = [json.loads(e["CloudTrailEvent"])["requestID"] for e in events]
    assert len({e["EventId"] for e in events}) == CALLS
    # Newest first, exactly the reverse of the order the calls were made.
    assert ids == list(reversed(caller["request_ids"]))
    check_newest_first(events)


@pytest.mark.parametrize("page_size", [1, 7, 50])
def test_paging_with_max_results(server, caller, page_size):
    ct = server.client("cloudtrail")
    events, token, pages = [], None, 0
    while True:
        kw = {"LookupAttributes": attr("Username", caller["name"]), "MaxResults": page_size}
        if token:
            kw["NextToken"] = token
        page = ct.lookup_events(**kw)
        assert len(page["Events"]) <= page_size
        pages += 1
        events += page["Events"]
        token = page.get("NextToken")
        if not token:
            break
    assert pages == -(-CALLS // page_size) or pages == -(-CALLS // page_size) + 1
    ids = [json.loads(e["CloudTrailEvent"])["requestID"] for e in events]
    assert ids == list(reversed(caller["request_ids"]))


def test_boto3_paginator(server, caller):
    paginator = server.client("cloudtrail").get_paginator("lookup_events")
    events = []
    for page in paginator.paginate(LookupAttributes=attr("Username", caller["name"]),
                                   PaginationConfig={"PageSize": 25}):
        events += page["Events"]
    assert len(events) == CALLS
    assert len({e["EventId"] for e in events}) == CALLS


def test_paging_is_stable_while_new_events_arrive(server):
    """Events recorded between pages neither shift nor duplicate the remaining pages."""
    iam = server.client("iam")
    name = unique("stable")
    iam.create_user(UserName=name)
    creds = Creds.from_access_key(iam.create_access_key(UserName=name))
    sts = server.client("sts", creds)
    before = [rid(sts.get_caller_identity()) for _ in range(45)]
    ct = server.client("cloudtrail")
    kw = {"LookupAttributes": attr("AccessKeyId", creds.access_key), "MaxResults": 20}
    first = ct.lookup_events(**kw)
    after = [rid(sts.get_caller_identity()) for _ in range(5)]
    rest, token = [], first["NextToken"]
    while token:
        page = ct.lookup_events(NextToken=token, **kw)
        rest += page["Events"]
        token = page.get("NextToken")
    got = [json.loads(e["CloudTrailEvent"])["requestID"] for e in first["Events"] + rest]
    # Exactly the events that existed at the first page, newest first; the new ones appear
    # only in a fresh query.
    assert got == list(reversed(before))
    fresh = [e["Record"]["requestID"] for e in server.lookup("AccessKeyId", creds.access_key)]
    assert fresh == list(reversed(before + after))


@cli_on_sqlite_only
def test_cli_lookup_events_by_event_name(server, caller, aws_cli):
    out = server.aws("cloudtrail", "lookup-events", "--lookup-attributes",
                     "AttributeKey=EventName,AttributeValue=CreateUser")
    events = out["Events"]
    assert events and all(e["EventName"] == "CreateUser" for e in events)
    created = [e for e in events
               if {"ResourceType": "AWS::IAM::User", "ResourceName": caller["name"]}
               in e["Resources"]]
    assert len(created) == 1
    rec = json.loads(created[0]["CloudTrailEvent"])
    assert rec["requestParameters"]["userName"] == caller["name"]


@cli_on_sqlite_only
def test_cli_paginates_everything(server, caller, aws_cli):
    out = server.aws("cloudtrail", "lookup-events", "--lookup-attributes",
                     f"AttributeKey=Username,AttributeValue={caller['name']}",
                     "--page-size", "20")
    ids = [json.loads(e["CloudTrailEvent"])["requestID"] for e in out["Events"]]
    assert set(caller["request_ids"]) <= set(ids)
    assert len(ids) == len(set(ids))


# -- lookup attributes -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def history(server, caller):
    """A mix of events with known attributes."""
    iam = server.client("iam")
    role_name = unique("lkrole")
    role = iam.create_role(RoleName=role_name,
                           AssumeRolePolicyDocument=trust_policy(f"arn:aws:iam::{ACCOUNT}:root"))
    get_role = iam.get_role(RoleName=role_name)
    user_name = unique("lkuser")
    create_user = iam.create_user(UserName=user_name)
    with pytest.raises(ClientError) as ei:
        iam.get_user(UserName=unique("lkmissing"))
    return {"role": role, "role_name": role_name, "get_role": get_role,
            "user_name": user_name, "create_user": create_user,
            "failed": ei.value.response}


def rid(resp):
    return resp["ResponseMetadata"]["RequestId"]


def req_ids(events):
    return {e["Record"]["requestID"] for e in events}


def test_attribute_event_id(server, history):
    ev = server.record_for(history["create_user"], "CreateUser")
    found = server.lookup("EventId", ev["EventId"])
    assert [e["EventId"] for e in found] == [ev["EventId"]]
    assert server.lookup("EventId", "00000000-0000-0000-0000-000000000000") == []


def test_attribute_event_name(server, history):
    found = server.lookup("EventName", "CreateRole")
    assert found and all(e["EventName"] == "CreateRole" for e in found)
    assert rid(history["role"]) in req_ids(found)
    assert rid(history["create_user"]) not in req_ids(found)


@pytest.mark.parametrize("value", ["true", "false"])
def test_attribute_read_only(server, history, value):
    found = server.lookup("ReadOnly", value)
    assert found and all(e["ReadOnly"] == value for e in found)
    assert all(e["Record"]["readOnly"] is (value == "true") for e in found)
    reads, writes = rid(history["get_role"]), rid(history["create_user"])
    assert (reads in req_ids(found)) == (value == "true")
    assert (writes in req_ids(found)) == (value == "false")


def test_attribute_username(server, history, caller):
    found = server.lookup("Username", "admin")
    assert found and all(e["Username"] == "admin" for e in found)
    assert rid(history["create_user"]) in req_ids(found)
    assert not set(caller["request_ids"]) & req_ids(found)


def test_attribute_resource_type(server, history):
    found = server.lookup("ResourceType", "AWS::IAM::Role")
    assert found
    assert all(any(r["ResourceType"] == "AWS::IAM::Role" for r in e["Resources"]) for e in found)
    assert {rid(history["role"]), rid(history["get_role"])} <= req_ids(found)
    assert rid(history["create_user"]) not in req_ids(found)
    users = server.lookup("ResourceType", "AWS::IAM::User")
    assert rid(history["create_user"]) in req_ids(users)


def test_attribute_resource_name(server, history):
    found = server.lookup("ResourceName", history["role_name"])
    assert req_ids(found) == {rid(history["role"]), rid(history["get_role"])}
    for e in found:
        assert {"ResourceType": "AWS::IAM::Role", "ResourceName": history["role_name"]} \
            in e["Resources"]


def test_attribute_event_source(server, history, caller):
    iam_events = server.lookup("EventSource", "iam.amazonaws.com")
    assert iam_events and all(e["EventSource"] == "iam.amazonaws.com" for e in iam_events)
    assert rid(history["create_user"]) in req_ids(iam_events)
    sts_events = server.lookup("EventSource", "sts.amazonaws.com")
    assert all(e["EventSource"] == "sts.amazonaws.com" for e in sts_events)
    assert set(caller["request_ids"]) <= req_ids(sts_events)
    ct_events = server.lookup("EventSource", "cloudtrail.amazonaws.com")
    assert ct_events and all(e["EventName"] == "LookupEvents" for e in ct_events)


def test_attribute_access_key_id(server, history, caller):
    found = server.lookup("AccessKeyId", caller["creds"].access_key)
    assert all(e["AccessKeyId"] == caller["creds"].access_key for e in found)
    assert set(caller["request_ids"]) <= req_ids(found)
    assert rid(history["create_user"]) not in req_ids(found)


def test_attribute_value_matching_is_exact(server, history):
    assert server.lookup("ResourceName", history["role_name"][:-1]) == []
    assert server.lookup("EventName", "createrole") == []


def test_lookup_events_are_recorded(server):
    resp = server.client("cloudtrail").lookup_events(
        LookupAttributes=attr("EventName", "CreateUser"), MaxResults=3)
    ev = server.record_for(resp, "LookupEvents")
    rec = ev["Record"]
    assert rec["eventSource"] == "cloudtrail.amazonaws.com"
    assert rec["readOnly"] is True
    assert rec["requestParameters"]["maxResults"] == 3
    assert rec["requestParameters"]["lookupAttributes"] == [
        {"attributeKey": "EventName", "attributeValue": "CreateUser"}]


# -- time range ------------------------------------------------------------------------------

def test_start_and_end_time_are_inclusive(server, history):
    ev = server.record_for(history["create_user"], "CreateUser")
    t = ev["EventTime"]
    one = dt.timedelta(seconds=1)
    same_second = server.lookup(StartTime=t, EndTime=t)
    assert ev["EventId"] in {e["EventId"] for e in same_second}
    assert all(e["EventTime"] == t for e in same_second)
    assert ev["EventId"] not in {e["EventId"] for e in server.lookup(EndTime=t - one)}
    assert ev["EventId"] not in {e["EventId"] for e in server.lookup(StartTime=t + one)}
    after = server.lookup(StartTime=t)
    assert all(e["EventTime"] >= t for e in after)
    before = server.lookup(EndTime=t)
    assert all(e["EventTime"] <= t for e in before)
    # Combined with an attribute.
    found = server.lookup("EventName", "CreateUser", StartTime=t, EndTime=t)
    assert ev["EventId"] in {e["EventId"] for e in found}
    assert all(e["EventName"] == "CreateUser" for e in found)


def test_future_window_is_empty(server):
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    assert server.lookup(StartTime=future) == []
    past = dt.datetime(2001, 1, 1, tzinfo=dt.timezone.utc)
    assert server.lookup(EndTime=past) == []


def test_insight_category_is_accepted_and_empty(server):
    resp = server.client("cloudtrail").lookup_events(EventCategory="insight")
    assert resp["Events"] == []


# -- validation errors -----------------------------------------------------------------------

def check_error(err, code):
    assert err["Error"]["Code"] == code, err["Error"]
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Error"]["Message"]


def test_two_lookup_attributes(server):
    check_error(lookup_error(server, LookupAttributes=attr("EventName", "CreateUser")
                             + attr("Username", "admin")),
                "InvalidLookupAttributesException")


def test_unknown_attribute_key(server):
    check_error(lookup_error(server, LookupAttributes=attr("Bogus", "x")),
                "InvalidLookupAttributesException")


@pytest.mark.parametrize("max_results", [51, 1000])
def test_max_results_too_large(server, max_results):
    check_error(lookup_error(server, MaxResults=max_results), "InvalidMaxResultsException")


def test_max_results_zero_raw(server):
    resp = server.cloudtrail_request("LookupEvents", {"MaxResults": 0})
    assert resp.status_code == 400
    assert resp.json()["__type"].split("#")[-1] == "InvalidMaxResultsException"


def test_start_after_end(server):
    now = dt.datetime.now(dt.timezone.utc)
    check_error(lookup_error(server, StartTime=now, EndTime=now - dt.timedelta(hours=1)),
                "InvalidTimeRangeException")


def test_bad_next_token(server):
    check_error(lookup_error(server, NextToken="not-a-token"), "InvalidNextTokenException")


def test_forged_next_token(server, caller):
    ct = server.client("cloudtrail")
    kw = {"LookupAttributes": attr("Username", caller["name"]), "MaxResults": 5}
    token = ct.lookup_events(**kw)["NextToken"]
    for forged in {token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
                   token[:len(token) // 2] + ("x" if token[len(token) // 2] != "x" else "y")
                   + token[len(token) // 2 + 1:]}:
        check_error(lookup_error(server, NextToken=forged, **kw), "InvalidNextTokenException")


def test_next_token_with_different_parameters(server, caller):
    ct = server.client("cloudtrail")
    kw = {"LookupAttributes": attr("Username", caller["name"]), "MaxResults": 5}
    token = ct.lookup_events(**kw)["NextToken"]
    assert ct.lookup_events(NextToken=token, **kw)["Events"]  # valid with the same parameters
    check_error(lookup_error(server, NextToken=token, MaxResults=5,
                             LookupAttributes=attr("Username", "admin")),
                "InvalidNextTokenException")
    check_error(lookup_error(server, NextToken=token, MaxResults=5),
                "InvalidNextTokenException")


def test_bad_event_category(server):
    check_error(lookup_error(server, EventCategory="management"), "InvalidEventCategoryException")


def test_garbage_json(server):
    resp = server.cloudtrail_request("LookupEvents", b"{not json")
    assert resp.status_code == 400
    assert resp.json()["__type"].split("#")[-1] == "SerializationException"


def test_other_region_has_its_own_history(server):
    """STS is regional: a call signed for eu-west-1 is in eu-west-1's history only.
    IAM is global: its events are in us-east-1 whatever region the client used."""
    name = unique("regional")
    iam_eu = server.client("iam", region="eu-west-1")
    created = iam_eu.create_user(UserName=name)
    sts_eu = server.client("sts", region="eu-west-1")
    ident = sts_eu.get_caller_identity()
    ct_us = server.client("cloudtrail")
    ct_eu = server.client("cloudtrail", region="eu-west-1")

    def ids(ct, key, value):
        out = []
        for page in ct.get_paginator("lookup_events").paginate(
                LookupAttributes=attr(key, value)):
            out += [json.loads(e["CloudTrailEvent"]) for e in page["Events"]]
        return out

    eu_sts = [r for r in ids(ct_eu, "EventName", "GetCallerIdentity")
              if r["requestID"] == rid(ident)]
    assert len(eu_sts) == 1 and eu_sts[0]["awsRegion"] == "eu-west-1"
    assert rid(ident) not in {r["requestID"] for r in ids(ct_us, "EventName", "GetCallerIdentity")}

    us_iam = [r for r in ids(ct_us, "ResourceName", name) if r["requestID"] == rid(created)]
    assert len(us_iam) == 1 and us_iam[0]["awsRegion"] == "us-east-1"


# -- retention -------------------------------------------------------------------------------

def _visible(srv, request_id: str) -> bool:
    return request_id in {e["Record"]["requestID"] for e in srv.lookup("EventName",
                                                                       "GetCallerIdentity")}


def _aged_server(cairn_factory, clock_shim, tmp_path, retention_days, age_days):
    """A server that recorded one call, whose clock then moved `age_days` ahead."""
    from conftest import ShiftedClock
    clock = ShiftedClock(clock_shim, tmp_path / "clock")
    args = [] if retention_days is None else ["--event-retention-days", str(retention_days)]
    srv = cairn_factory.new(*args, env=clock.env())
    request_id = rid(srv.client("sts").get_caller_identity())
    assert _visible(srv, request_id)
    clock.set(age_days * 86400)
    return srv, request_id


@pytest.mark.parametrize("retention_days, age_days, kept", [
    (None, 89, True),    # default 90 days
    (None, 91, False),
    (2, 1, True),
    (2, 3, False),
])
def test_retention_prunes_old_history(cairn_factory, clock_shim, tmp_path, retention_days,
                                      age_days, kept):
    """History holds the last N days (90 by default); older records are pruned (at the latest
    when the server starts)."""
    from conftest import clock_shifted
    srv, request_id = _aged_server(cairn_factory, clock_shim, tmp_path, retention_days, age_days)
    srv.restart()
    with clock_shifted(age_days * 86400):
        assert _visible(srv, request_id) is kept
        srv.assert_healthy()


def test_lookup_never_shows_history_older_than_retention(cairn_factory, clock_shim, tmp_path):
    """Without waiting for the pruner: LookupEvents covers only the retention window, as
    AWS's event history covers only the last 90 days."""
    import time
    from conftest import clock_shifted
    srv, request_id = _aged_server(cairn_factory, clock_shim, tmp_path, 2, 3)
    with clock_shifted(3 * 86400):
        deadline = time.monotonic() + 3
        while _visible(srv, request_id) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _visible(srv, request_id), "a 3-day-old event is listed in a 2-day history"
