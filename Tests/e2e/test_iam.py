"""IAM users, keys and roles: validation errors and list paging, as boto3 and the CLI see them."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import cli_on_sqlite_only, trust_policy, unique

ACCOUNT = "000000000000"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def error(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as ei:
        call(**kwargs)
    return ei.value.response


def check(err, code, status):
    assert err["Error"]["Code"] == code, err["Error"]
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status
    assert err["Error"]["Message"]


def test_user_lifecycle(server):
    iam = server.client("iam")
    name = unique("life")
    u = iam.create_user(UserName=name)["User"]
    assert u["UserName"] == name and u["Path"] == "/"
    assert u["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{name}"
    assert u["UserId"].startswith("AIDA")
    got = iam.get_user(UserName=name)["User"]
    assert got["UserId"] == u["UserId"] and got["Arn"] == u["Arn"]
    iam.delete_user(UserName=name)
    check(error(iam.get_user, UserName=name), "NoSuchEntity", 404)
    check(error(iam.delete_user, UserName=name), "NoSuchEntity", 404)


def test_duplicate_user(server):
    iam = server.client("iam")
    name = unique("twice")
    iam.create_user(UserName=name)
    check(error(iam.create_user, UserName=name), "EntityAlreadyExists", 409)


def test_user_names_are_case_insensitive_for_uniqueness(server):
    iam = server.client("iam")
    name = unique("Case")
    iam.create_user(UserName=name)
    check(error(iam.create_user, UserName=name.upper()), "EntityAlreadyExists", 409)


def test_delete_user_with_keys_is_a_conflict(server):
    iam = server.client("iam")
    name = unique("keyed")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    check(error(iam.delete_user, UserName=name), "DeleteConflict", 409)
    iam.get_user(UserName=name)  # still there
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=name)
    check(error(iam.get_user, UserName=name), "NoSuchEntity", 404)


@pytest.mark.parametrize("bad", ["has space", "bang!", "x" * 65, "slash/name"])
def test_bad_user_names(server, bad):
    iam = server.client("iam")
    check(error(iam.create_user, UserName=bad), "ValidationError", 400)


def test_bad_path(server):
    iam = server.client("iam")
    check(error(iam.create_user, UserName=unique("p"), Path="no-slashes"), "ValidationError", 400)


def test_access_keys(server):
    iam = server.client("iam")
    name = unique("keys")
    iam.create_user(UserName=name)
    k1 = iam.create_access_key(UserName=name)["AccessKey"]
    k2 = iam.create_access_key(UserName=name)["AccessKey"]
    assert k1["Status"] == "Active" and k1["UserName"] == name
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted([k1["AccessKeyId"],
                                                               k2["AccessKeyId"]])
    assert all("SecretAccessKey" not in k for k in listed)
    # AWS allows two access keys per user.
    check(error(iam.create_access_key, UserName=name), "LimitExceeded", 409)
    iam.delete_access_key(UserName=name, AccessKeyId=k1["AccessKeyId"])
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [k2["AccessKeyId"]]
    check(error(iam.create_access_key, UserName=unique("nouser")), "NoSuchEntity", 404)
    check(error(iam.list_access_keys, UserName=unique("nouser")), "NoSuchEntity", 404)


def test_delete_access_key_of_another_user(server):
    iam = server.client("iam")
    a, b = unique("ka"), unique("kb")
    iam.create_user(UserName=a)
    iam.create_user(UserName=b)
    key = iam.create_access_key(UserName=a)["AccessKey"]
    check(error(iam.delete_access_key, UserName=b, AccessKeyId=key["AccessKeyId"]),
          "NoSuchEntity", 404)
    assert len(iam.list_access_keys(UserName=a)["AccessKeyMetadata"]) == 1


def test_role_lifecycle(server):
    iam = server.client("iam")
    name = unique("rolelife")
    policy = json.loads(trust_policy(ROOT))
    r = iam.create_role(RoleName=name, Path="/service/", AssumeRolePolicyDocument=json.dumps(policy),
                        Description="a role", MaxSessionDuration=7200)["Role"]
    assert r["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/service/{name}"
    assert r["RoleId"].startswith("AROA")
    got = iam.get_role(RoleName=name)["Role"]
    assert got["AssumeRolePolicyDocument"] == policy  # boto3 decodes the URL-encoded JSON
    assert got["MaxSessionDuration"] == 7200
    assert got["Description"] == "a role"
    iam.delete_role(RoleName=name)
    check(error(iam.get_role, RoleName=name), "NoSuchEntity", 404)


def test_duplicate_role(server):
    iam = server.client("iam")
    name = unique("duprole")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy(ROOT))
    check(error(iam.create_role, RoleName=name, AssumeRolePolicyDocument=trust_policy(ROOT)),
          "EntityAlreadyExists", 409)


@pytest.mark.parametrize("doc", [
    "{not json",
    "[]",
    json.dumps({"Version": "2012-10-17"}),  # no Statement
    json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe",
                "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole"}]}),
])
def test_malformed_trust_policy(server, doc):
    iam = server.client("iam")
    name = unique("badpolicy")
    check(error(iam.create_role, RoleName=name, AssumeRolePolicyDocument=doc),
          "MalformedPolicyDocument", 400)
    check(error(iam.get_role, RoleName=name), "NoSuchEntity", 404)


def test_bad_role_name(server):
    iam = server.client("iam")
    check(error(iam.create_role, RoleName="no spaces allowed", AssumeRolePolicyDocument=
                trust_policy(ROOT)), "ValidationError", 400)


def test_bad_max_session_duration(server):
    iam = server.client("iam")
    check(error(iam.create_role, RoleName=unique("dur"), AssumeRolePolicyDocument=
                trust_policy(ROOT), MaxSessionDuration=100000), "ValidationError", 400)


def page_through(call, key, **kwargs):
    items, marker, pages = [], None, 0
    while True:
        kw = dict(kwargs)
        if marker:
            kw["Marker"] = marker
        page = call(**kw)
        pages += 1
        items += page[key]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            return items, pages
        marker = page["Marker"]
        assert marker


def test_list_users_paging(server):
    iam = server.client("iam")
    prefix = f"/{unique('pg')}/"
    names = sorted(unique("pu") for _ in range(7))
    for n in names:
        iam.create_user(UserName=n, Path=prefix)
    items, pages = page_through(iam.list_users, "Users", PathPrefix=prefix, MaxItems=2)
    assert [u["UserName"] for u in items] == names  # ordered by name, no duplicates
    assert pages == 4
    all_items, _ = page_through(iam.list_users, "Users", MaxItems=3)
    all_names = [u["UserName"] for u in all_items]
    assert len(all_names) == len(set(all_names))
    assert set(names) <= set(all_names) and "admin" in all_names
    # One call without MaxItems returns everything (default 100).
    assert {u["UserName"] for u in iam.list_users()["Users"]} == set(all_names)


def test_list_roles_paging(server):
    iam = server.client("iam")
    prefix = f"/{unique('rp')}/"
    names = sorted(unique("pr") for _ in range(5))
    for n in names:
        iam.create_role(RoleName=n, Path=prefix, AssumeRolePolicyDocument=trust_policy(ROOT))
    items, pages = page_through(iam.list_roles, "Roles", PathPrefix=prefix, MaxItems=2)
    assert [r["RoleName"] for r in items] == names
    assert pages == 3
    paginator = iam.get_paginator("list_roles")
    got = [r["RoleName"] for p in paginator.paginate(PathPrefix=prefix,
                                                      PaginationConfig={"PageSize": 1})
           for r in p["Roles"]]
    assert got == names


def test_bad_marker(server):
    iam = server.client("iam")
    check(error(iam.list_users, Marker="not-a-marker"), "ValidationError", 400)


@cli_on_sqlite_only
def test_cli_iam(server, aws_cli):
    name = unique("cliu")
    out = server.aws("iam", "create-user", "--user-name", name)
    assert out["User"]["UserName"] == name
    listed = server.aws("iam", "list-users", "--page-size", "1")
    assert name in [u["UserName"] for u in listed["Users"]]
    role = unique("clir")
    out = server.aws("iam", "create-role", "--role-name", role,
                     "--assume-role-policy-document", trust_policy(ROOT))
    assert out["Role"]["RoleName"] == role
    roles = server.aws("iam", "list-roles", "--max-items", "100")
    assert role in [r["RoleName"] for r in roles["Roles"]]
    cp = server.aws("iam", "create-user", "--user-name", name, check=False)
    assert cp.returncode != 0 and "EntityAlreadyExists" in cp.stderr
