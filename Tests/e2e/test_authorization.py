"""IAM authorization (issue 13), end to end: identity policies (inline, group, customer and AWS managed, role
sessions), explicit Deny, conditions and policy variables, resource policies, the policy simulator (and a
differential check of it against real requests), IAM's policy validation and quotas, denials recorded in event
history, and `--authorization off`.

Every user here is created by the bootstrap admin (AdministratorAccess) and starts with no policy at all.
"""

from __future__ import annotations

import json
import random

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import NO_RETRY, Creds, cli_on_sqlite_only, http, trust_policy, unique

ACCOUNT = "000000000000"
REGION = "us-east-1"
ADMIN_ARN = f"arn:aws:iam::{ACCOUNT}:user/admin"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
SQS_READ_ONLY = "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"

# The denial codes each protocol answers with.
DENIAL_CODES = {"AccessDenied", "AccessDeniedException", "AuthorizationError"}


# -- helpers ---------------------------------------------------------------------------------------

def doc(*statements: dict, version: str | None = "2012-10-17", indent: int | None = None) -> str:
    body: dict = {}
    if version is not None:
        body["Version"] = version
    body["Statement"] = list(statements)
    return json.dumps(body, indent=indent)


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def new_user(server, prefix: str = "authz", inline: str | None = None) -> dict:
    """A user with an access key and, optionally, one inline policy named `inline`."""
    iam = server.client("iam")
    name = unique(prefix)
    user = iam.create_user(UserName=name)["User"]
    if inline is not None:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=inline)
    creds = Creds.from_access_key(iam.create_access_key(UserName=name))
    return {"name": name, "arn": user["Arn"], "creds": creds}


def error_of(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as ei:
        call(**kwargs)
    return ei.value.response


def implicit(arn: str, action: str, resource: str) -> str:
    return (f"User: {arn} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action")


def explicit(arn: str, action: str, resource: str, where: str = "an identity-based policy") -> str:
    return (f"User: {arn} is not authorized to perform: {action} on resource: {resource} "
            f"with an explicit deny in {where}")


def assert_denied(resp: dict, code: str, status: int, message: str | None = None) -> None:
    assert resp["Error"]["Code"] == code, resp["Error"]
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == status, resp["ResponseMetadata"]
    if message is not None:
        assert resp["Error"]["Message"] == message


def sqs_denied(call, message: str | None = None, **kwargs) -> dict:
    resp = error_of(call, **kwargs)
    assert_denied(resp, "AccessDeniedException", 400, message)
    return resp


def new_queue(server, prefix: str = "authzq", **kwargs) -> tuple[str, str]:
    """(QueueUrl, QueueArn) of a new queue created by the admin."""
    sqs = server.client("sqs")
    name = unique(prefix)
    url = sqs.create_queue(QueueName=name, **kwargs)["QueueUrl"]
    return url, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def new_bucket(server, prefix: str = "authzb") -> str:
    name = unique(prefix).lower()
    server.client("s3").create_bucket(Bucket=name)
    return name


def s3control(server, creds: Creds | None = None):
    """s3control through proxy mode (its host-prefixed endpoint cannot resolve on 127.0.0.1)."""
    cfg = NO_RETRY.merge(Config(proxies={"http": server.endpoint}))
    return server.session(creds).client("s3control", endpoint_url=server.endpoint, config=cfg)


def outcome(call, **kwargs) -> str:
    """'allowed' when the call succeeds or fails for a reason other than authorization, else 'denied'."""
    try:
        call(**kwargs)
    except ClientError as e:
        if e.response["Error"]["Code"] in DENIAL_CODES:
            return "denied"
    return "allowed"


def statement_spans(text: str) -> list[tuple[int, int]]:
    """(offset of the opening brace, offset just past the closing brace) of each statement of a policy
    document, in characters."""
    decoder = json.JSONDecoder()
    i = text.index('"Statement"') + len('"Statement"')
    i = text.index(":", i) + 1
    while text[i].isspace():
        i += 1
    if text[i] == "{":
        return [(i, decoder.raw_decode(text, i)[1])]
    spans = []
    i += 1
    while True:
        while text[i].isspace() or text[i] == ",":
            i += 1
        if text[i] == "]":
            return spans
        end = decoder.raw_decode(text, i)[1]
        spans.append((i, end))
        i = end


def position(text: str, offset: int) -> dict:
    """The simulator's Position of a character offset: 1-based line and column (in characters)."""
    before = text[:offset]
    return {"Line": before.count("\n") + 1, "Column": offset - (before.rfind("\n") + 1) + 1}


def assert_statement_span(text: str, index: int, match: dict) -> None:
    """A matched statement's positions locate statement `index` of `text`: the end is just past its closing
    brace; the start is at its opening brace (what AWS reports in a Statement array) or just past it (what
    AWS's documented example reports for a Statement written as one object)."""
    start, end = statement_spans(text)[index]
    assert match["EndPosition"] == position(text, end), (match, position(text, end))
    assert match["StartPosition"] in (position(text, start), position(text, start + 1)), (match, position(text, start))


# -- 1. a user with no policy ----------------------------------------------------------------------

def test_user_without_policy_is_denied_by_every_service_but_may_ask_who_it_is(server):
    u = new_user(server, "nopolicy")
    c, arn = u["creds"], u["arn"]

    resp = sqs_denied(server.client("sqs", c).list_queues,
                      implicit(arn, "sqs:ListQueues", "*"))
    assert resp["Error"]["Message"].startswith(f"User: {arn} is not authorized")

    resp = error_of(server.client("iam", c).list_users)
    assert_denied(resp, "AccessDenied", 403, implicit(arn, "iam:ListUsers", "*"))
    resp = error_of(server.client("iam", c).get_user, UserName="admin")
    assert_denied(resp, "AccessDenied", 403, implicit(arn, "iam:GetUser", ADMIN_ARN))

    assert_denied(error_of(server.client("sns", c).list_topics), "AuthorizationError", 403,
                  implicit(arn, "sns:ListTopics", "*"))
    assert_denied(error_of(server.client("events", c).list_rules), "AccessDeniedException", 400,
                  implicit(arn, "events:ListRules", "*"))
    assert_denied(error_of(server.client("cloudtrail", c).lookup_events), "AccessDeniedException", 400,
                  implicit(arn, "cloudtrail:LookupEvents", "*"))
    assert_denied(error_of(server.client("s3", c).list_buckets), "AccessDenied", 403,
                  implicit(arn, "s3:ListAllMyBuckets", "*"))
    assert_denied(error_of(server.client("batch", c).describe_job_queues), "AccessDeniedException", 403,
                  implicit(arn, "batch:DescribeJobQueues", "*"))
    assert_denied(error_of(s3control(server, c).list_jobs, AccountId=ACCOUNT), "AccessDenied", 403,
                  implicit(arn, "s3:ListJobs", "*"))

    ident = server.client("sts", c).get_caller_identity()
    assert ident["Arn"] == arn and ident["Account"] == ACCOUNT

    # The same calls by the admin are allowed: the denials are about the user, not the calls.
    server.client("sqs").list_queues()
    server.client("batch").describe_job_queues()
    s3control(server).list_jobs(AccountId=ACCOUNT)


@cli_on_sqlite_only
def test_aws_cli_sees_the_denial_and_then_the_grant(server, aws_cli):
    u = new_user(server, "clideny")
    url, _ = new_queue(server, "cliq")
    # aws-cli v1 pins `aws sqs` to queue.amazonaws.com unless --endpoint-url is given.
    ep = ("--endpoint-url", server.endpoint)
    cp = server.aws("sqs", "list-queues", *ep, creds=u["creds"], check=False)
    assert cp.returncode != 0
    assert "AccessDeniedException" in cp.stderr, cp.stderr
    assert implicit(u["arn"], "sqs:ListQueues", "*") in cp.stderr, cp.stderr

    server.aws("iam", "put-user-policy", "--user-name", u["name"], "--policy-name", "list",
               "--policy-document", doc(allow("sqs:ListQueues")))
    out = server.aws("sqs", "list-queues", "--queue-name-prefix", url.rsplit("/", 1)[1], *ep, creds=u["creds"])
    assert out["QueueUrls"] == [url]
    # Only what the policy names: SNS is still denied.
    cp = server.aws("sns", "list-topics", creds=u["creds"], check=False)
    assert cp.returncode != 0 and "AuthorizationError" in cp.stderr, cp.stderr


# -- 2. identity policies --------------------------------------------------------------------------

def test_inline_user_policy_allows_exactly_what_it_names(server):
    url_a, arn_a = new_queue(server)
    url_b, arn_b = new_queue(server)
    u = new_user(server, "inline", doc(allow("sqs:SendMessage", arn_a)))
    sqs = server.client("sqs", u["creds"])

    assert sqs.send_message(QueueUrl=url_a, MessageBody="hello")["MessageId"]
    sqs_denied(sqs.send_message, implicit(u["arn"], "sqs:SendMessage", arn_b), QueueUrl=url_b, MessageBody="x")
    sqs_denied(sqs.list_queues, implicit(u["arn"], "sqs:ListQueues", "*"))
    sqs_denied(sqs.receive_message, implicit(u["arn"], "sqs:ReceiveMessage", arn_a), QueueUrl=url_a)
    # SendMessageBatch is authorized as sqs:SendMessage.
    out = sqs.send_message_batch(QueueUrl=url_a, Entries=[{"Id": "1", "MessageBody": "b"}])
    assert len(out["Successful"]) == 1
    sqs_denied(sqs.send_message_batch, implicit(u["arn"], "sqs:SendMessage", arn_b),
               QueueUrl=url_b, Entries=[{"Id": "1", "MessageBody": "b"}])

    # Deleting the inline policy takes the grant away on the next request.
    server.client("iam").delete_user_policy(UserName=u["name"], PolicyName="inline")
    sqs_denied(sqs.send_message, implicit(u["arn"], "sqs:SendMessage", arn_a), QueueUrl=url_a, MessageBody="x")


def test_group_policy_applies_to_its_members_only_while_they_are_members(server):
    iam = server.client("iam")
    u = new_user(server, "member")
    sns = server.client("sns", u["creds"])
    group = unique("grp")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="topics", PolicyDocument=doc(allow("sns:ListTopics")))

    assert_denied(error_of(sns.list_topics), "AuthorizationError", 403)
    iam.add_user_to_group(GroupName=group, UserName=u["name"])
    assert "Topics" in sns.list_topics()
    # Only what the group's policy names.
    assert_denied(error_of(server.client("events", u["creds"]).list_rules), "AccessDeniedException", 400)
    iam.remove_user_from_group(GroupName=group, UserName=u["name"])
    assert_denied(error_of(sns.list_topics), "AuthorizationError", 403,
                  implicit(u["arn"], "sns:ListTopics", "*"))


def test_customer_managed_policy_and_a_narrowing_default_version(server):
    iam = server.client("iam")
    url, arn = new_queue(server)
    u = new_user(server, "managed")
    sqs = server.client("sqs", u["creds"])
    policy = iam.create_policy(PolicyName=unique("sqsread"),
                               PolicyDocument=doc(allow(["sqs:ListQueues", "sqs:GetQueueAttributes"])))["Policy"]
    assert policy["Arn"] == f"arn:aws:iam::{ACCOUNT}:policy/{policy['PolicyName']}"
    assert policy["DefaultVersionId"] == "v1"

    sqs_denied(sqs.list_queues)
    iam.attach_user_policy(UserName=u["name"], PolicyArn=policy["Arn"])
    sqs.list_queues()
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"] == arn

    v2 = iam.create_policy_version(PolicyArn=policy["Arn"], SetAsDefault=True,
                                   PolicyDocument=doc(allow("sqs:GetQueueAttributes", arn)))["PolicyVersion"]
    assert v2["VersionId"] == "v2" and v2["IsDefaultVersion"] is True
    # The very next request sees the narrower default version.
    sqs_denied(sqs.list_queues, implicit(u["arn"], "sqs:ListQueues", "*"))
    sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])

    # A version that is not the default grants nothing.
    iam.create_policy_version(PolicyArn=policy["Arn"], SetAsDefault=False,
                              PolicyDocument=doc(allow("sqs:*")))
    sqs_denied(sqs.list_queues)
    # Back to v1: listing is allowed again.
    iam.set_default_policy_version(PolicyArn=policy["Arn"], VersionId="v1")
    sqs.list_queues()
    iam.detach_user_policy(UserName=u["name"], PolicyArn=policy["Arn"])
    sqs_denied(sqs.list_queues)
    sqs_denied(sqs.get_queue_attributes, implicit(u["arn"], "sqs:GetQueueAttributes", arn),
               QueueUrl=url, AttributeNames=["QueueArn"])


def test_aws_managed_policy_sqs_read_only(server):
    url, arn = new_queue(server)
    u = new_user(server, "awsmanaged")
    server.client("iam").attach_user_policy(UserName=u["name"], PolicyArn=SQS_READ_ONLY)
    sqs = server.client("sqs", u["creds"])
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["QueueArn"] == arn
    assert url in sqs.list_queues().get("QueueUrls", [])
    sqs_denied(sqs.send_message, implicit(u["arn"], "sqs:SendMessage", arn), QueueUrl=url, MessageBody="x")
    sqs_denied(sqs.delete_queue, implicit(u["arn"], "sqs:DeleteQueue", arn), QueueUrl=url)
    # Read-only for SQS only.
    assert_denied(error_of(server.client("sns", u["creds"]).list_topics), "AuthorizationError", 403)


def test_role_session_is_decided_by_the_roles_policies(server):
    iam = server.client("iam")
    u = new_user(server, "assumer")
    role_name = unique("sqsrole")
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust_policy(u["arn"]))["Role"]
    iam.put_role_policy(RoleName=role_name, PolicyName="list", PolicyDocument=doc(allow("sqs:ListQueues")))

    # The user itself has no policy; the trust policy naming it is enough to assume the role.
    sqs_denied(server.client("sqs", u["creds"]).list_queues)
    resp = server.client("sts", u["creds"]).assume_role(RoleArn=role["Arn"], RoleSessionName="sess1")
    session = Creds.from_access_key(resp)
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/sess1"
    assert resp["AssumedRoleUser"]["Arn"] == session_arn
    assert server.client("sts", session).get_caller_identity()["Arn"] == session_arn

    server.client("sqs", session).list_queues()
    assert_denied(error_of(server.client("sns", session).list_topics), "AuthorizationError", 403,
                  implicit(session_arn, "sns:ListTopics", "*"))
    # The role's grant does not leak to the user's own key.
    sqs_denied(server.client("sqs", u["creds"]).list_queues)

    # The role's policies change, and the session's next request sees it.
    iam.put_role_policy(RoleName=role_name, PolicyName="deny", PolicyDocument=doc(deny("sqs:*")))
    sqs_denied(server.client("sqs", session).list_queues, explicit(session_arn, "sqs:ListQueues", "*"))
    iam.delete_role_policy(RoleName=role_name, PolicyName="deny")
    iam.attach_role_policy(RoleName=role_name, PolicyArn="arn:aws:iam::aws:policy/AmazonSNSFullAccess")
    server.client("sns", session).list_topics()
    server.client("sqs", session).list_queues()


def test_trust_naming_only_the_account_needs_an_identity_policy_for_assume_role(server):
    iam = server.client("iam")
    u = new_user(server, "acct-trust")
    role = iam.create_role(RoleName=unique("accttrust"),
                           AssumeRolePolicyDocument=trust_policy(f"arn:aws:iam::{ACCOUNT}:root"))["Role"]
    sts = server.client("sts", u["creds"])
    resp = error_of(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="s1")
    assert_denied(resp, "AccessDenied", 403, implicit(u["arn"], "sts:AssumeRole", role["Arn"]))
    iam.put_user_policy(UserName=u["name"], PolicyName="assume",
                        PolicyDocument=doc(allow("sts:AssumeRole", role["Arn"])))
    assert sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s2")["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_resource_policy_naming_the_role_grants_its_sessions(server):
    iam = server.client("iam")
    url, arn = new_queue(server)
    u = new_user(server, "rp-role")
    role = iam.create_role(RoleName=unique("rprole"), AssumeRolePolicyDocument=trust_policy(u["arn"]))["Role"]
    session = Creds.from_access_key(server.client("sts", u["creds"]).assume_role(RoleArn=role["Arn"],
                                                                                 RoleSessionName="rp"))
    sqs = server.client("sqs", session)
    sqs_denied(sqs.send_message, QueueUrl=url, MessageBody="x")
    server.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": role["Arn"]},
                                                "Action": "sqs:SendMessage", "Resource": arn}]})})
    sqs.send_message(QueueUrl=url, MessageBody="x")
    # The role's grant is not the user's.
    sqs_denied(server.client("sqs", u["creds"]).send_message, QueueUrl=url, MessageBody="x")


def test_self_service_with_the_username_variable_on_iam(server):
    u = new_user(server, "self", doc(allow(["iam:GetUser", "iam:ListAccessKeys"],
                                           f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}")))
    iam = server.client("iam", u["creds"])
    # Without UserName the call is about the caller itself.
    assert iam.get_user()["User"]["Arn"] == u["arn"]
    assert iam.get_user(UserName=u["name"])["User"]["UserName"] == u["name"]
    assert [k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]] == [u["creds"].access_key]
    assert_denied(error_of(iam.get_user, UserName="admin"), "AccessDenied", 403,
                  implicit(u["arn"], "iam:GetUser", ADMIN_ARN))


def test_pass_role_is_required_to_give_batch_a_role(server):
    u = new_user(server, "passrole", doc(allow("batch:*")))
    role = f"arn:aws:iam::{ACCOUNT}:role/{unique('batchjob')}"
    batch = server.client("batch", u["creds"])
    definition = unique("jd")
    resp = error_of(batch.register_job_definition, jobDefinitionName=definition, type="container",
                    containerProperties={"image": "busybox", "vcpus": 1, "memory": 128, "jobRoleArn": role})
    assert_denied(resp, "AccessDeniedException", 403, implicit(u["arn"], "iam:PassRole", role))
    server.client("iam").put_user_policy(UserName=u["name"], PolicyName="pass",
                                         PolicyDocument=doc(allow("iam:PassRole", role)))
    out = batch.register_job_definition(jobDefinitionName=definition, type="container",
                                        containerProperties={"image": "busybox", "vcpus": 1, "memory": 128,
                                                             "jobRoleArn": role})
    assert out["jobDefinitionName"] == definition


# -- 3. explicit Deny, NotAction, NotResource ------------------------------------------------------

def test_explicit_deny_beats_administrator_access(server):
    iam = server.client("iam")
    url, arn = new_queue(server)
    u = new_user(server, "denied-admin")
    iam.attach_user_policy(UserName=u["name"], PolicyArn=ADMIN_POLICY)
    sqs = server.client("sqs", u["creds"])
    sqs.list_queues()
    sqs.send_message(QueueUrl=url, MessageBody="before")

    iam.put_user_policy(UserName=u["name"], PolicyName="no-send",
                        PolicyDocument=doc(deny("sqs:SendMessage", arn), deny("sns:*")))
    sqs_denied(sqs.send_message, explicit(u["arn"], "sqs:SendMessage", arn), QueueUrl=url, MessageBody="x")
    assert_denied(error_of(server.client("sns", u["creds"]).list_topics), "AuthorizationError", 403,
                  explicit(u["arn"], "sns:ListTopics", "*"))
    # Everything else AdministratorAccess allows still is.
    sqs.list_queues()
    sqs.receive_message(QueueUrl=url)
    server.client("iam", u["creds"]).get_user(UserName=u["name"])


def test_not_action_and_not_resource(server):
    url_a, arn_a = new_queue(server)
    url_b, arn_b = new_queue(server)
    u = new_user(server, "notaction", doc(
        {"Effect": "Allow", "NotAction": ["iam:*", "sns:*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "sqs:GetQueueAttributes", "NotResource": arn_a},
    ))
    c = u["creds"]
    server.client("sqs", c).list_queues()
    server.client("events", c).list_rules()
    assert_denied(error_of(server.client("iam", c).list_users), "AccessDenied", 403,
                  implicit(u["arn"], "iam:ListUsers", "*"))
    assert_denied(error_of(server.client("sns", c).list_topics), "AuthorizationError", 403)
    sqs = server.client("sqs", c)
    sqs.get_queue_attributes(QueueUrl=url_a, AttributeNames=["All"])
    sqs_denied(sqs.get_queue_attributes, explicit(u["arn"], "sqs:GetQueueAttributes", arn_b),
               QueueUrl=url_b, AttributeNames=["All"])


def test_wildcards_in_actions_and_resources_and_action_case(server):
    url_a, arn_a = new_queue(server, "wild-match")
    url_b, arn_b = new_queue(server, "wild-other")
    prefix = arn_a.rsplit(":", 1)[1][:len("wild-match-")]
    u = new_user(server, "wild", doc(allow("SQS:get*", f"arn:aws:sqs:*:{ACCOUNT}:{prefix}*"),
                                     allow("sqs:SendMessag?", arn_b)))
    sqs = server.client("sqs", u["creds"])
    sqs.get_queue_attributes(QueueUrl=url_a, AttributeNames=["All"])
    sqs_denied(sqs.get_queue_attributes, QueueUrl=url_b, AttributeNames=["All"])
    sqs.send_message(QueueUrl=url_b, MessageBody="x")
    sqs_denied(sqs.send_message, QueueUrl=url_a, MessageBody="x")


# -- 4. conditions and variables -------------------------------------------------------------------

def test_source_ip_condition(server):
    iam = server.client("iam")
    loopback = {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}
    u = new_user(server, "srcip", doc(allow("sqs:ListQueues", Condition=loopback)))
    sqs = server.client("sqs", u["creds"])
    sqs.list_queues()
    iam.put_user_policy(UserName=u["name"], PolicyName="inline",
                        PolicyDocument=doc(allow("sqs:ListQueues",
                                                 Condition={"IpAddress": {"aws:SourceIp": "127.0.0.2/32"}})))
    sqs_denied(sqs.list_queues, implicit(u["arn"], "sqs:ListQueues", "*"))
    # NotIpAddress in a Deny: everything not from loopback is denied, so this request is not.
    iam.put_user_policy(UserName=u["name"], PolicyName="inline", PolicyDocument=doc(
        allow("sqs:ListQueues"),
        deny("*", Condition={"NotIpAddress": {"aws:SourceIp": ["127.0.0.1/32", "::1"]}})))
    sqs.list_queues()
    iam.put_user_policy(UserName=u["name"], PolicyName="inline", PolicyDocument=doc(
        allow("sqs:ListQueues"),
        deny("*", Condition={"NotIpAddress": {"aws:SourceIp": "127.0.0.2/32"}})))
    sqs_denied(sqs.list_queues, explicit(u["arn"], "sqs:ListQueues", "*"))


def test_forwarded_headers_do_not_change_the_source_ip(server):
    """aws:SourceIp is the connection's address: a client cannot claim another one in a header."""
    u = new_user(server, "xff", doc(allow("sqs:ListQueues", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.2/32"}})))
    sqs = server.client("sqs", u["creds"])

    def spoof(request, **_):
        request.headers["X-Forwarded-For"] = "127.0.0.2"
        request.headers["X-Real-IP"] = "127.0.0.2"
        request.headers["Forwarded"] = "for=127.0.0.2"

    sqs.meta.events.register("before-sign.sqs.ListQueues", spoof)
    resp = sqs_denied(sqs.list_queues, implicit(u["arn"], "sqs:ListQueues", "*"))
    assert server.record_for(resp, "ListQueues")["Record"]["sourceIPAddress"] == "127.0.0.1"


def test_request_tag_and_tag_keys_conditions_on_create_queue(server):
    u = new_user(server, "reqtag", doc(allow("sqs:CreateQueue", Condition={
        "StringEquals": {"aws:RequestTag/env": "dev"},
        "ForAllValues:StringEquals": {"aws:TagKeys": ["env", "owner"]}})))
    sqs = server.client("sqs", u["creds"])
    sqs.create_queue(QueueName=unique("rt"), tags={"env": "dev", "owner": "me"})
    sqs_denied(sqs.create_queue, QueueName=unique("rt"), tags={"env": "prod"})
    sqs_denied(sqs.create_queue, QueueName=unique("rt"), tags={"env": "dev", "cost": "1"})
    sqs_denied(sqs.create_queue, QueueName=unique("rt"))


def test_requested_region_condition(server):
    u = new_user(server, "region", doc(allow("sqs:ListQueues",
                                             Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}})))
    server.client("sqs", u["creds"], region="us-east-1").list_queues()
    sqs_denied(server.client("sqs", u["creds"], region="eu-west-1").list_queues,
               implicit(u["arn"], "sqs:ListQueues", "*"))
    # The admin may list in eu-west-1: the denial is the condition's.
    server.client("sqs", region="eu-west-1").list_queues()


def test_principal_tag_condition_follows_tag_user_and_untag_user(server):
    iam = server.client("iam")
    u = new_user(server, "ptag", doc(allow("sqs:ListQueues",
                                           Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}})))
    sqs = server.client("sqs", u["creds"])
    sqs_denied(sqs.list_queues)
    iam.tag_user(UserName=u["name"], Tags=[{"Key": "team", "Value": "red"}])
    sqs_denied(sqs.list_queues)
    iam.tag_user(UserName=u["name"], Tags=[{"Key": "team", "Value": "blue"}])
    sqs.list_queues()
    iam.untag_user(UserName=u["name"], TagKeys=["team"])
    sqs_denied(sqs.list_queues, implicit(u["arn"], "sqs:ListQueues", "*"))


def test_resource_tag_condition_on_a_tagged_queue(server):
    tagged_url, tagged_arn = new_queue(server, tags={"env": "dev"})
    plain_url, plain_arn = new_queue(server)
    u = new_user(server, "rtag", doc(allow("sqs:GetQueueAttributes",
                                           Condition={"StringEquals": {"aws:ResourceTag/env": "dev"}})))
    sqs = server.client("sqs", u["creds"])
    sqs.get_queue_attributes(QueueUrl=tagged_url, AttributeNames=["All"])
    sqs_denied(sqs.get_queue_attributes, implicit(u["arn"], "sqs:GetQueueAttributes", plain_arn),
               QueueUrl=plain_url, AttributeNames=["All"])
    # Tags are read at each request: tagging the other queue grants it, untagging revokes.
    admin = server.client("sqs")
    admin.tag_queue(QueueUrl=plain_url, Tags={"env": "dev"})
    sqs.get_queue_attributes(QueueUrl=plain_url, AttributeNames=["All"])
    admin.untag_queue(QueueUrl=tagged_url, TagKeys=["env"])
    sqs_denied(sqs.get_queue_attributes, implicit(u["arn"], "sqs:GetQueueAttributes", tagged_arn),
               QueueUrl=tagged_url, AttributeNames=["All"])


def test_username_variable_in_an_s3_object_arn_and_s3_prefix(server):
    bucket = new_bucket(server)
    admin = server.client("s3")
    admin.put_object(Bucket=bucket, Key="home/other/x", Body=b"theirs")
    policy = doc(
        allow("s3:PutObject", f"arn:aws:s3:::{bucket}/home/${{aws:username}}/*"),
        allow("s3:ListBucket", f"arn:aws:s3:::{bucket}",
              Condition={"StringLike": {"s3:prefix": "home/${aws:username}/*"}}),
    )
    u = new_user(server, "home", policy)
    name = u["name"]
    s3 = server.client("s3", u["creds"])

    s3.put_object(Bucket=bucket, Key=f"home/{name}/x", Body=b"mine")
    resp = error_of(s3.put_object, Bucket=bucket, Key="home/other/x", Body=b"nope")
    assert_denied(resp, "AccessDenied", 403,
                  implicit(u["arn"], "s3:PutObject", f"arn:aws:s3:::{bucket}/home/other/x"))
    assert admin.get_object(Bucket=bucket, Key="home/other/x")["Body"].read() == b"theirs"

    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"home/{name}/")
    assert [o["Key"] for o in listed["Contents"]] == [f"home/{name}/x"]
    bucket_arn = f"arn:aws:s3:::{bucket}"
    assert_denied(error_of(s3.list_objects_v2, Bucket=bucket, Prefix="home/other/"), "AccessDenied", 403,
                  implicit(u["arn"], "s3:ListBucket", bucket_arn))
    # No prefix at all: the condition's key is absent, so the Allow does not apply.
    assert_denied(error_of(s3.list_objects_v2, Bucket=bucket), "AccessDenied", 403,
                  implicit(u["arn"], "s3:ListBucket", bucket_arn))
    # Reading was never granted, not even at home.
    assert_denied(error_of(s3.get_object, Bucket=bucket, Key=f"home/{name}/x"), "AccessDenied", 403,
                  implicit(u["arn"], "s3:GetObject", f"arn:aws:s3:::{bucket}/home/{name}/x"))


# -- 5. resource policies --------------------------------------------------------------------------

def test_queue_policy_naming_the_user_grants_without_an_identity_policy(server):
    url, arn = new_queue(server)
    u = new_user(server, "qpolicy")
    sqs = server.client("sqs", u["creds"])
    sqs_denied(sqs.send_message, implicit(u["arn"], "sqs:SendMessage", arn), QueueUrl=url, MessageBody="x")
    queue_policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": u["arn"]}, "Action": "sqs:SendMessage", "Resource": arn}]})
    server.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": queue_policy})
    assert sqs.send_message(QueueUrl=url, MessageBody="granted")["MessageId"]
    # Only SendMessage.
    sqs_denied(sqs.receive_message, implicit(u["arn"], "sqs:ReceiveMessage", arn), QueueUrl=url)
    # Another user, not named, is still denied.
    other = new_user(server, "qpolicy-other")
    sqs_denied(server.client("sqs", other["creds"]).send_message, QueueUrl=url, MessageBody="x")
    msgs = server.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
    assert [m["Body"] for m in msgs] == ["granted"]


def test_queue_policy_naming_only_the_account_does_not_grant(server):
    url, arn = new_queue(server)
    queue_policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sqs:*", "Resource": arn}]})
    server.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": queue_policy})
    u = new_user(server, "acctonly")
    sqs_denied(server.client("sqs", u["creds"]).send_message, implicit(u["arn"], "sqs:SendMessage", arn),
               QueueUrl=url, MessageBody="x")
    # The account id form is the same thing.
    queue_policy = queue_policy.replace(f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT)
    server.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": queue_policy})
    sqs_denied(server.client("sqs", u["creds"]).send_message, QueueUrl=url, MessageBody="x")
    # With an identity policy as well, it is allowed (the account delegates to its identity policies).
    server.client("iam").put_user_policy(UserName=u["name"], PolicyName="send",
                                         PolicyDocument=doc(allow("sqs:SendMessage", arn)))
    server.client("sqs", u["creds"]).send_message(QueueUrl=url, MessageBody="x")


def test_bucket_policy_grants_get_object_to_a_named_user(server):
    bucket = new_bucket(server)
    admin = server.client("s3")
    admin.put_object(Bucket=bucket, Key="shared/doc.txt", Body=b"shared")
    u = new_user(server, "bpolicy")
    s3 = server.client("s3", u["creds"])
    obj_arn = f"arn:aws:s3:::{bucket}/shared/doc.txt"
    assert_denied(error_of(s3.get_object, Bucket=bucket, Key="shared/doc.txt"), "AccessDenied", 403,
                  implicit(u["arn"], "s3:GetObject", obj_arn))
    admin.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": u["arn"]}, "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/shared/*"}]}))
    assert s3.get_object(Bucket=bucket, Key="shared/doc.txt")["Body"].read() == b"shared"
    assert_denied(error_of(s3.put_object, Bucket=bucket, Key="shared/new.txt", Body=b"x"), "AccessDenied", 403,
                  implicit(u["arn"], "s3:PutObject", f"arn:aws:s3:::{bucket}/shared/new.txt"))
    admin.put_object(Bucket=bucket, Key="private/doc.txt", Body=b"p")
    assert_denied(error_of(s3.get_object, Bucket=bucket, Key="private/doc.txt"), "AccessDenied", 403)


def test_deny_in_a_bucket_policy_beats_the_admins_administrator_access(server):
    bucket = new_bucket(server)
    admin = server.client("s3")
    admin.put_object(Bucket=bucket, Key="secret/x", Body=b"s")
    admin.put_object(Bucket=bucket, Key="public/x", Body=b"p")
    admin.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/secret/*"}]}))
    resp = error_of(admin.get_object, Bucket=bucket, Key="secret/x")
    assert_denied(resp, "AccessDenied", 403,
                  explicit(ADMIN_ARN, "s3:GetObject", f"arn:aws:s3:::{bucket}/secret/x", "a resource-based policy"))
    assert admin.get_object(Bucket=bucket, Key="public/x")["Body"].read() == b"p"
    # The admin may still remove the policy, and then read.
    admin.delete_bucket_policy(Bucket=bucket)
    assert admin.get_object(Bucket=bucket, Key="secret/x")["Body"].read() == b"s"


def test_deny_in_a_queue_policy_beats_identity_allows_and_names_the_policy_kind(server):
    url, arn = new_queue(server)
    u = new_user(server, "qdeny", doc(allow("sqs:*"), deny("sqs:PurgeQueue")))
    server.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
                                                "Action": ["sqs:SendMessage", "sqs:PurgeQueue"], "Resource": arn}]})})
    sqs = server.client("sqs", u["creds"])
    sqs_denied(sqs.send_message, explicit(u["arn"], "sqs:SendMessage", arn, "a resource-based policy"),
               QueueUrl=url, MessageBody="x")
    sqs_denied(server.client("sqs").send_message,
               explicit(ADMIN_ARN, "sqs:SendMessage", arn, "a resource-based policy"),
               QueueUrl=url, MessageBody="x")
    # Denied by both kinds: the identity-based policy is named.
    sqs_denied(sqs.purge_queue, explicit(u["arn"], "sqs:PurgeQueue", arn), QueueUrl=url)
    sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])


def test_topic_policy_naming_the_user_grants_publish(server):
    sns_admin = server.client("sns")
    topic = sns_admin.create_topic(Name=unique("authzt"))["TopicArn"]
    u = new_user(server, "tpolicy")
    sns = server.client("sns", u["creds"])
    assert_denied(error_of(sns.publish, TopicArn=topic, Message="m"), "AuthorizationError", 403,
                  implicit(u["arn"], "sns:Publish", topic))
    sns_admin.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": u["arn"]},
                                                "Action": "sns:Publish", "Resource": topic}]}))
    assert sns.publish(TopicArn=topic, Message="m")["MessageId"]
    assert_denied(error_of(sns.get_topic_attributes, TopicArn=topic), "AuthorizationError", 403)


def test_presigned_urls_are_authorized_as_their_signer(server):
    bucket = new_bucket(server)
    server.client("s3").put_object(Bucket=bucket, Key="k", Body=b"v")
    nobody = new_user(server, "presign-none")
    reader = new_user(server, "presign-read", doc(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*")))
    params = {"Bucket": bucket, "Key": "k"}
    url = server.client("s3", nobody["creds"]).generate_presigned_url("get_object", Params=params)
    r = http("GET", url)
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text, r.text
    assert implicit(nobody["arn"], "s3:GetObject", f"arn:aws:s3:::{bucket}/k") in r.text
    url = server.client("s3", reader["creds"]).generate_presigned_url("get_object", Params=params)
    r = http("GET", url)
    assert r.status_code == 200 and r.content == b"v"


def test_copy_object_needs_read_on_its_source(server):
    src, dst = new_bucket(server), new_bucket(server)
    server.client("s3").put_object(Bucket=src, Key="k", Body=b"v")
    u = new_user(server, "copier", doc(allow("s3:PutObject", f"arn:aws:s3:::{dst}/*")))
    s3 = server.client("s3", u["creds"])
    resp = error_of(s3.copy_object, Bucket=dst, Key="c", CopySource={"Bucket": src, "Key": "k"})
    assert_denied(resp, "AccessDenied", 403, implicit(u["arn"], "s3:GetObject", f"arn:aws:s3:::{src}/k"))
    server.client("iam").put_user_policy(UserName=u["name"], PolicyName="read",
                                         PolicyDocument=doc(allow("s3:GetObject", f"arn:aws:s3:::{src}/*")))
    s3.copy_object(Bucket=dst, Key="c", CopySource={"Bucket": src, "Key": "k"})
    assert server.client("s3").get_object(Bucket=dst, Key="c")["Body"].read() == b"v"


# -- 6. the simulator ------------------------------------------------------------------------------

def test_simulate_principal_policy_decisions_and_matched_statements(server):
    iam = server.client("iam")
    url, arn = new_queue(server)
    text = doc(allow("sqs:SendMessage", arn), deny("sqs:DeleteQueue"), indent=2)
    u = new_user(server, "sim")
    iam.put_user_policy(UserName=u["name"], PolicyName="p1", PolicyDocument=text)

    results = iam.simulate_principal_policy(
        PolicySourceArn=u["arn"], ActionNames=["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteQueue"],
        ResourceArns=[arn])["EvaluationResults"]
    by_action = {r["EvalActionName"]: r for r in results}
    assert {a: r["EvalDecision"] for a, r in by_action.items()} == {
        "sqs:SendMessage": "allowed", "sqs:ReceiveMessage": "implicitDeny", "sqs:DeleteQueue": "explicitDeny"}
    assert all(r["EvalResourceName"] == arn for r in results)
    assert by_action["sqs:ReceiveMessage"]["MatchedStatements"] == []
    for action, index in [("sqs:SendMessage", 0), ("sqs:DeleteQueue", 1)]:
        [m] = by_action[action]["MatchedStatements"]
        assert m["SourcePolicyId"] == "p1" and m["SourcePolicyType"] == "user", m
        assert m["StartPosition"]["Line"] > 1, m  # indented: every statement starts on a later line
        assert_statement_span(text, index, m)

    # The real requests agree.
    sqs = server.client("sqs", u["creds"])
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs_denied(sqs.receive_message, QueueUrl=url)
    sqs_denied(sqs.delete_queue, explicit(u["arn"], "sqs:DeleteQueue", arn), QueueUrl=url)


def test_simulate_principal_policy_sees_group_and_managed_policies(server):
    iam = server.client("iam")
    u = new_user(server, "simsrc")
    group = unique("simgrp")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="gp", PolicyDocument=doc(allow("sns:ListTopics")))
    iam.add_user_to_group(GroupName=group, UserName=u["name"])
    iam.attach_user_policy(UserName=u["name"], PolicyArn=SQS_READ_ONLY)
    results = iam.simulate_principal_policy(PolicySourceArn=u["arn"],
                                            ActionNames=["sns:ListTopics", "sqs:ListQueues", "iam:ListUsers"])
    by_action = {r["EvalActionName"]: r for r in results["EvaluationResults"]}
    assert by_action["sns:ListTopics"]["EvalDecision"] == "allowed"
    assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in by_action["sns:ListTopics"]["MatchedStatements"]] \
        == [("gp", "group")]
    assert by_action["sqs:ListQueues"]["EvalDecision"] == "allowed"
    assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in by_action["sqs:ListQueues"]["MatchedStatements"]] \
        == [("AmazonSQSReadOnlyAccess", "aws-managed")]
    assert by_action["iam:ListUsers"]["EvalDecision"] == "implicitDeny"

    missing = error_of(iam.simulate_principal_policy, PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/{unique('ghost')}",
                       ActionNames=["sqs:ListQueues"])
    assert_denied(missing, "NoSuchEntity", 404)


def test_simulate_custom_policy_with_context_entries(server):
    iam = server.client("iam")
    policy = doc(allow("s3:GetObject", "arn:aws:s3:::bkt/*", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.2/32"}}),
                 deny("s3:GetObject", "arn:aws:s3:::bkt/secret/*",
                      Condition={"StringEquals": {"aws:PrincipalTag/clearance": "none"}}))

    def decide(resource, *entries):
        res = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:GetObject"],
                                         ResourceArns=[resource], ContextEntries=list(entries))
        [r] = res["EvaluationResults"]
        return r

    ip = lambda v: {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": [v], "ContextKeyType": "ip"}  # noqa: E731
    tag = {"ContextKeyName": "aws:PrincipalTag/clearance", "ContextKeyValues": ["none"], "ContextKeyType": "string"}

    r = decide("arn:aws:s3:::bkt/a", ip("127.0.0.2"))
    assert r["EvalDecision"] == "allowed"
    [m] = r["MatchedStatements"]
    assert m["SourcePolicyId"] == "PolicyInputList.1"
    assert decide("arn:aws:s3:::bkt/a", ip("127.0.0.3"))["EvalDecision"] == "implicitDeny"
    r = decide("arn:aws:s3:::bkt/a")
    assert r["EvalDecision"] == "implicitDeny"
    assert {k.lower() for k in r["MissingContextValues"]} == {"aws:sourceip", "aws:principaltag/clearance"}
    assert decide("arn:aws:s3:::bkt/secret/a", ip("127.0.0.2"), tag)["EvalDecision"] == "explicitDeny"
    assert decide("arn:aws:s3:::bkt/secret/a", ip("127.0.0.2"))["EvalDecision"] == "allowed"
    assert decide("arn:aws:s3:::other/a", ip("127.0.0.2"))["EvalDecision"] == "implicitDeny"


@cli_on_sqlite_only
def test_simulate_custom_policy_with_the_aws_cli(server, aws_cli):
    policy = doc(allow("sqs:SendMessage", "arn:aws:sqs:*:*:cli-*"))
    out = server.aws("iam", "simulate-custom-policy", "--policy-input-list", policy,
                     "--action-names", "sqs:SendMessage", "sqs:DeleteQueue",
                     "--resource-arns", f"arn:aws:sqs:{REGION}:{ACCOUNT}:cli-queue")
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in out["EvaluationResults"]}
    assert decisions == {"sqs:SendMessage": "allowed", "sqs:DeleteQueue": "implicitDeny"}


# The (action, resource) pairs of the differential check, and the request each one is.
def _differential_calls(server, creds, url, qarn, bucket):
    sqs = server.client("sqs", creds)
    s3 = server.client("s3", creds)
    sns = server.client("sns", creds)
    events = server.client("events", creds)
    return [
        ("sqs:ListQueues", "*", lambda: sqs.list_queues()),
        ("sqs:GetQueueAttributes", qarn, lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])),
        ("sqs:SendMessage", qarn, lambda: sqs.send_message(QueueUrl=url, MessageBody="d")),
        ("sns:ListTopics", "*", lambda: sns.list_topics()),
        ("events:ListRules", "*", lambda: events.list_rules()),
        ("s3:ListBucket", f"arn:aws:s3:::{bucket}", lambda: s3.list_objects_v2(Bucket=bucket)),
        ("s3:GetObject", f"arn:aws:s3:::{bucket}/k", lambda: s3.get_object(Bucket=bucket, Key="k")),
    ]


def _random_policy(rng: random.Random, qarn: str, bucket: str) -> str:
    actions = ["*", "sqs:*", "sqs:Send*", "sqs:Get*", "SQS:listqueues", "sqs:ReceiveMessage", "s3:*", "s3:Get*",
               "s3:List*", "sns:List*", "events:*", "iam:*"]
    resources = ["*", qarn, "arn:aws:sqs:*:*:*", f"arn:aws:sqs:{REGION}:{ACCOUNT}:nomatch-*", f"arn:aws:s3:::{bucket}",
                 f"arn:aws:s3:::{bucket}/*", "arn:aws:s3:::*", f"arn:aws:sqs:eu-west-1:{ACCOUNT}:*"]
    conditions = [None, None, None,
                  {"StringEquals": {"aws:RequestedRegion": REGION}},
                  {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
                  {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
                  {"IpAddress": {"aws:SourceIp": "127.0.0.2/32"}}]
    statements = []
    for _ in range(rng.randint(1, 3)):
        s: dict = {"Effect": "Deny" if rng.random() < 0.3 else "Allow"}
        acts = rng.sample(actions, rng.randint(1, 3))
        s["NotAction" if rng.random() < 0.15 else "Action"] = acts
        res = rng.sample(resources, rng.randint(1, 2))
        s["NotResource" if rng.random() < 0.15 else "Resource"] = res
        cond = rng.choice(conditions)
        if cond:
            s["Condition"] = cond
        statements.append(s)
    return doc(*statements)


def test_simulator_agrees_with_real_requests(server):
    iam = server.client("iam")
    url, qarn = new_queue(server, "diff")
    bucket = new_bucket(server, "diff")
    server.client("s3").put_object(Bucket=bucket, Key="k", Body=b"v")
    u = new_user(server, "diff")
    calls = _differential_calls(server, u["creds"], url, qarn, bucket)
    context = [{"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": [REGION], "ContextKeyType": "string"},
               {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["127.0.0.1"], "ContextKeyType": "ip"}]
    rng = random.Random(13)
    seen = set()
    mismatches = []
    for _ in range(14):
        policy = _random_policy(rng, qarn, bucket)
        iam.put_user_policy(UserName=u["name"], PolicyName="generated", PolicyDocument=policy)
        for action, resource, call in calls:
            [r] = iam.simulate_principal_policy(PolicySourceArn=u["arn"], ActionNames=[action],
                                                ResourceArns=[resource], ContextEntries=context)["EvaluationResults"]
            simulated = r["EvalDecision"]
            real = outcome(call)
            seen.add((simulated, real))
            if (simulated == "allowed") != (real == "allowed"):
                mismatches.append((policy, action, resource, simulated, real))
    assert not mismatches, mismatches
    # The generated cases cover both outcomes, and both kinds of denial.
    assert ("allowed", "allowed") in seen and ("implicitDeny", "denied") in seen and ("explicitDeny", "denied") in seen


# -- 7. IAM's policy validation, quotas and listings -----------------------------------------------

@pytest.mark.parametrize("document, message", [
    (doc(allow("sqs:ListQueues"), version=None), "Policy document must be version 2012-10-17 or greater."),
    (doc(allow("sqs:ListQueues"), version="2008-10-17"), "Policy document must be version 2012-10-17 or greater."),
    (doc({"Effect": "Allow", "Action": "sqs:ListQueues"}), "Policy statement must contain resources."),
    (doc({"Effect": "Allow", "Resource": "*"}), "Policy statement must contain actions."),
    ("{not json", "Syntax errors in policy."),
    (json.dumps({"Version": "2012-10-17", "Statement": [allow("sqs:ListQueues")], "Extra": 1}),
     "Syntax errors in policy."),
    (doc(allow("sqs:ListQueues", Principal={"AWS": "*"})), "Policy document should not specify a principal."),
    (doc(allow("ListQueues")), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    (doc(allow("sqs:ListQueues", Sid="a"), allow("sqs:GetQueueUrl", Sid="a")),
     "Statement IDs (SID) in a single policy must be unique."),
])
def test_malformed_policy_documents(server, document, message):
    iam = server.client("iam")
    name = new_user(server, "malformed")["name"]
    resp = error_of(iam.put_user_policy, UserName=name, PolicyName="bad", PolicyDocument=document)
    assert_denied(resp, "MalformedPolicyDocument", 400, message)
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == []
    resp = error_of(iam.create_policy, PolicyName=unique("bad"), PolicyDocument=document)
    assert_denied(resp, "MalformedPolicyDocument", 400, message)


@cli_on_sqlite_only
def test_malformed_policy_with_the_aws_cli(server, aws_cli):
    name = new_user(server, "climal")["name"]
    cp = server.aws("iam", "put-user-policy", "--user-name", name, "--policy-name", "bad",
                    "--policy-document", doc({"Effect": "Allow", "Action": "s3:*"}), check=False)
    assert cp.returncode != 0
    assert "MalformedPolicyDocument" in cp.stderr and "Policy statement must contain resources." in cp.stderr, cp.stderr


def _sized_policy(size: int, indent: int = 4) -> str:
    """A valid identity policy with exactly `size` characters that are not whitespace (and plenty that are)."""
    def build(n):
        return doc(allow("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{'q' * n}"), indent=indent)
    base = build(1)
    text = build(1 + size - sum(1 for ch in base if not ch.isspace()))
    assert sum(1 for ch in text if not ch.isspace()) == size
    return text


@pytest.mark.parametrize("kind, limit", [("user", 2048), ("group", 5120), ("role", 10240)])
def test_inline_policy_size_limits_count_non_whitespace(server, kind, limit):
    iam = server.client("iam")
    name = unique(f"size{kind}")
    if kind == "user":
        iam.create_user(UserName=name)
    elif kind == "group":
        iam.create_group(GroupName=name)
    else:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy(ADMIN_ARN))
    title = kind.capitalize()
    put = getattr(iam, f"put_{kind}_policy")
    at_limit = _sized_policy(limit, indent=8)
    assert len(at_limit) > limit  # whitespace does not count
    put(**{f"{title}Name": name, "PolicyName": "big", "PolicyDocument": at_limit})
    resp = error_of(put, **{f"{title}Name": name, "PolicyName": "bigger", "PolicyDocument": _sized_policy(limit + 1)})
    assert_denied(resp, "LimitExceeded", 409, f"Maximum policy size of {limit} bytes exceeded for {kind} {name}")
    assert getattr(iam, f"list_{kind}_policies")(**{f"{title}Name": name})["PolicyNames"] == ["big"]


def test_managed_policy_size_limit(server):
    iam = server.client("iam")
    name = unique("bigmanaged")
    arn = iam.create_policy(PolicyName=name, PolicyDocument=_sized_policy(6144, indent=8))["Policy"]["Arn"]
    resp = error_of(iam.create_policy_version, PolicyArn=arn, PolicyDocument=_sized_policy(6145))
    assert_denied(resp, "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")
    resp = error_of(iam.create_policy, PolicyName=unique("toobig"), PolicyDocument=_sized_policy(6145))
    assert_denied(resp, "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")


def test_at_most_ten_managed_policies_per_user(server):
    iam = server.client("iam")
    name = new_user(server, "tenmax")["name"]
    aws_policies = [p["Arn"] for p in iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]]
    assert len(aws_policies) >= 11
    for arn in aws_policies[:10]:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    resp = error_of(iam.attach_user_policy, UserName=name, PolicyArn=aws_policies[10])
    assert_denied(resp, "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerUser: 10.")
    attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    assert sorted(p["PolicyArn"] for p in attached) == sorted(aws_policies[:10])
    # Attaching one already attached is not a new attachment.
    iam.attach_user_policy(UserName=name, PolicyArn=aws_policies[0])


def test_at_most_five_policy_versions(server):
    iam = server.client("iam")
    arn = iam.create_policy(PolicyName=unique("versions"), PolicyDocument=doc(allow("sqs:ListQueues")))["Policy"]["Arn"]
    for n in range(2, 6):
        v = iam.create_policy_version(PolicyArn=arn,
                                      PolicyDocument=doc(allow("sqs:GetQueueUrl", Sid=f"v{n}")))["PolicyVersion"]
        assert v["VersionId"] == f"v{n}"
    resp = error_of(iam.create_policy_version, PolicyArn=arn, PolicyDocument=doc(allow("sqs:GetQueueUrl")))
    assert_denied(resp, "LimitExceeded", 409, "A managed policy can have up to 5 versions. Before you create a new "
                                              "version, you must delete an existing version.")
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert sorted(v["VersionId"] for v in versions) == ["v1", "v2", "v3", "v4", "v5"]
    assert [v["VersionId"] for v in versions if v["IsDefaultVersion"]] == ["v1"]
    # The default version cannot be deleted; another can, which makes room.
    assert_denied(error_of(iam.delete_policy_version, PolicyArn=arn, VersionId="v1"), "DeleteConflict", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("sqs:GetQueueUrl")))["PolicyVersion"]


def test_delete_user_with_an_attached_policy_is_a_conflict(server):
    iam = server.client("iam")
    name = unique("attached")
    iam.create_user(UserName=name)
    iam.attach_user_policy(UserName=name, PolicyArn=SQS_READ_ONLY)
    assert_denied(error_of(iam.delete_user, UserName=name), "DeleteConflict", 409,
                  "Cannot delete entity, must detach all policies first.")
    iam.get_user(UserName=name)
    iam.detach_user_policy(UserName=name, PolicyArn=SQS_READ_ONLY)
    iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=doc(allow("sqs:ListQueues")))
    assert_denied(error_of(iam.delete_user, UserName=name), "DeleteConflict", 409,
                  "Cannot delete entity, must delete policies first.")
    iam.delete_user_policy(UserName=name, PolicyName="inline")
    group = unique("delgrp")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=name)
    assert_denied(error_of(iam.delete_user, UserName=name), "DeleteConflict", 409)
    assert_denied(error_of(iam.delete_group, GroupName=group), "DeleteConflict", 409)
    iam.remove_user_from_group(GroupName=group, UserName=name)
    iam.delete_user(UserName=name)
    assert_denied(error_of(iam.get_user, UserName=name), "NoSuchEntity", 404)
    iam.delete_group(GroupName=group)


def test_aws_managed_policies_are_listed_and_readable(server):
    iam = server.client("iam")
    p = iam.get_policy(PolicyArn=ADMIN_POLICY)["Policy"]
    assert p["PolicyName"] == "AdministratorAccess" and p["Arn"] == ADMIN_POLICY and p["Path"] == "/"
    assert p["PolicyId"].startswith("ANPA") and p["IsAttachable"] is True
    listed = iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]
    by_name = {x["PolicyName"]: x for x in listed}
    assert by_name["AdministratorAccess"]["Arn"] == ADMIN_POLICY
    assert by_name["AmazonSQSReadOnlyAccess"]["Arn"] == SQS_READ_ONLY
    assert all(x["Arn"].startswith("arn:aws:iam::aws:policy/") for x in listed)
    # Local lists none of them.
    assert not any(x["Arn"].startswith("arn:aws:iam::aws:") for x in iam.list_policies(Scope="Local")["Policies"])

    v = iam.get_policy_version(PolicyArn=ADMIN_POLICY, VersionId=p["DefaultVersionId"])["PolicyVersion"]
    assert v["IsDefaultVersion"] is True
    assert v["Document"] == {"Version": "2012-10-17",
                             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    # The admin is one of its users.
    users = iam.list_entities_for_policy(PolicyArn=ADMIN_POLICY)["PolicyUsers"]
    assert "admin" in [x["UserName"] for x in users]


def test_customer_policy_versions_entities_and_user_listings(server):
    iam = server.client("iam")
    u = new_user(server, "listing")
    group = unique("lgrp")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=u["name"])
    v1 = {"Version": "2012-10-17", "Statement": [allow("sqs:ListQueues")]}
    policy = iam.create_policy(PolicyName=unique("listed"), Path="/team/", Description="d",
                               PolicyDocument=json.dumps(v1))["Policy"]
    assert policy["Arn"] == f"arn:aws:iam::{ACCOUNT}:policy/team/{policy['PolicyName']}"
    iam.attach_user_policy(UserName=u["name"], PolicyArn=policy["Arn"])
    iam.attach_group_policy(GroupName=group, PolicyArn=policy["Arn"])

    got = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v1")["PolicyVersion"]
    assert got["Document"] == v1 and got["IsDefaultVersion"] is True
    assert iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["AttachmentCount"] == 2

    entities = iam.list_entities_for_policy(PolicyArn=policy["Arn"])
    assert [x["UserName"] for x in entities["PolicyUsers"]] == [u["name"]]
    assert [x["GroupName"] for x in entities["PolicyGroups"]] == [group]
    assert entities["PolicyRoles"] == []
    only_users = iam.list_entities_for_policy(PolicyArn=policy["Arn"], EntityFilter="User")
    assert only_users["PolicyGroups"] == [] and len(only_users["PolicyUsers"]) == 1

    attached = iam.list_attached_user_policies(UserName=u["name"])["AttachedPolicies"]
    assert attached == [{"PolicyName": policy["PolicyName"], "PolicyArn": policy["Arn"]}]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=u["name"])["Groups"]] == [group]
    g = iam.get_group(GroupName=group)
    assert g["Group"]["GroupName"] == group and g["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/{group}"
    assert [x["UserName"] for x in g["Users"]] == [u["name"]]
    assert g["Users"][0]["Arn"] == u["arn"]

    # A policy still attached cannot be deleted.
    assert_denied(error_of(iam.delete_policy, PolicyArn=policy["Arn"]), "DeleteConflict", 409)
    # An AWS managed policy cannot be changed.
    assert_denied(error_of(iam.create_policy_version, PolicyArn=ADMIN_POLICY, PolicyDocument=doc(allow("*"))),
                  "AccessDenied", 403)


def test_user_tags(server):
    iam = server.client("iam")
    name = new_user(server, "tags")["name"]
    assert iam.list_user_tags(UserName=name)["Tags"] == []
    iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "42"}])
    iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "red"}])
    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=name)["Tags"]}
    assert tags == {"team": "red", "cost": "42"}
    iam.untag_user(UserName=name, TagKeys=["cost"])
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "team", "Value": "red"}]
    assert_denied(error_of(iam.list_user_tags, UserName=unique("ghost")), "NoSuchEntity", 404)


def test_update_assume_role_policy_changes_who_may_assume(server):
    iam = server.client("iam")
    a = new_user(server, "trust-a")
    b = new_user(server, "trust-b")
    role_name = unique("retrust")
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust_policy(a["arn"]))["Role"]

    server.client("sts", a["creds"]).assume_role(RoleArn=role["Arn"], RoleSessionName="a1")
    resp = error_of(server.client("sts", b["creds"]).assume_role, RoleArn=role["Arn"], RoleSessionName="b1")
    assert_denied(resp, "AccessDenied", 403, implicit(b["arn"], "sts:AssumeRole", role["Arn"]))

    iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=trust_policy(b["arn"]))
    assert iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"] == json.loads(trust_policy(b["arn"]))
    server.client("sts", b["creds"]).assume_role(RoleArn=role["Arn"], RoleSessionName="b2")
    resp = error_of(server.client("sts", a["creds"]).assume_role, RoleArn=role["Arn"], RoleSessionName="a2")
    assert_denied(resp, "AccessDenied", 403, implicit(a["arn"], "sts:AssumeRole", role["Arn"]))

    resp = error_of(iam.update_assume_role_policy, RoleName=role_name,
                    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Action": "sts:AssumeRole"}]}))
    assert_denied(resp, "MalformedPolicyDocument", 400)


# -- 8. denials are recorded -----------------------------------------------------------------------

def test_denials_are_recorded_and_found_by_lookup_events(server):
    u = new_user(server, "recorded")
    url, arn = new_queue(server)
    sqs = server.client("sqs", u["creds"])
    listed = sqs_denied(sqs.list_queues)
    attrs = sqs_denied(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["All"])
    sent = sqs_denied(sqs.send_message, QueueUrl=url, MessageBody="x")
    iam_denied = error_of(server.client("iam", u["creds"]).list_users)
    sns_denied = error_of(server.client("sns", u["creds"]).list_topics)

    for resp, event_name, code in [(listed, "ListQueues", "AccessDeniedException"),
                                   (attrs, "GetQueueAttributes", "AccessDeniedException"),
                                   (iam_denied, "ListUsers", "AccessDenied"),
                                   (sns_denied, "ListTopics", "AuthorizationError")]:
        ev = server.record_for(resp, event_name)
        rec = ev["Record"]
        assert rec["errorCode"] == code, rec
        assert rec["errorMessage"] == resp["Error"]["Message"]
        assert ev["Username"] == u["name"]
        assert rec["userIdentity"]["type"] == "IAMUser"
        assert rec["userIdentity"]["arn"] == u["arn"]
        assert rec["userIdentity"]["accessKeyId"] == u["creds"].access_key

    # Found by the user's name too; the denied SendMessage is a data event and is not there.
    by_user = {e["Record"]["requestID"]: e for e in server.lookup("Username", u["name"])}
    for resp in (listed, attrs, iam_denied, sns_denied):
        assert resp["ResponseMetadata"]["RequestId"] in by_user
    assert sent["ResponseMetadata"]["RequestId"] not in by_user
    assert by_user[listed["ResponseMetadata"]["RequestId"]]["EventName"] == "ListQueues"


# -- 9. --authorization off ------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["env", "flag"])
def test_authorization_off_lets_a_user_without_policy_do_anything(cairn_factory, how):
    if how == "env":
        srv = cairn_factory.new(env={"CAIRN_AUTHORIZATION": "off"})
    else:
        srv = cairn_factory.new("--authorization", "off")
    u = new_user(srv, "free")
    sqs = srv.client("sqs", u["creds"])
    url = sqs.create_queue(QueueName=unique("free"))["QueueUrl"]
    assert url in sqs.list_queues()["QueueUrls"]
    srv.client("iam", u["creds"]).list_users()
    srv.client("sns", u["creds"]).list_topics()
    # Even an explicit Deny decides nothing.
    srv.client("iam").put_user_policy(UserName=u["name"], PolicyName="deny", PolicyDocument=doc(deny("*")))
    sqs.list_queues()


# -- behaviours found while writing this file, each fixed in the server -------------------------------------

def test_simulator_positions_match_the_aws_cli_documented_example(server):
    # The policy, context and output of the aws CLI's documented simulate-custom-policy example (awscli
    # examples/iam/simulate-custom-policy.rst). With a Statement array, real AWS output puts StartPosition at the
    # brace itself, as Cairn does.
    policy = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
              '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}')
    [r] = server.client("iam").simulate_custom_policy(
        PolicyInputList=[policy], ActionNames=["dynamodb:CreateBackup"],
        ContextEntries=[{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2019-04-25T11:00:00Z"],
                         "ContextKeyType": "date"}])["EvaluationResults"]
    assert r["EvalDecision"] == "allowed"
    [m] = r["MatchedStatements"]
    assert (m["SourcePolicyId"], m["StartPosition"], m["EndPosition"]) == \
        ("PolicyInputList.1", {"Line": 1, "Column": 38}, {"Line": 1, "Column": 167})


def test_simulator_positions_count_characters(server):
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        allow("s3:GetObject", Condition={"StringEquals": {"aws:PrincipalTag/name": "José"}}),
        allow("sqs:ListQueues")]}, ensure_ascii=False)
    [r] = server.client("iam").simulate_custom_policy(PolicyInputList=[text],
                                                      ActionNames=["sqs:ListQueues"])["EvaluationResults"]
    [m] = r["MatchedStatements"]
    assert_statement_span(text, 1, m)


def test_simulator_positions_of_same_named_user_and_group_policies(server):
    iam = server.client("iam")
    u = new_user(server, "samename")
    user_doc = doc(allow("sqs:ListQueues", Sid="UserOne"))
    group_doc = doc(allow("sns:ListTopics", Sid="GroupStatementIsLonger"), indent=2)
    iam.put_user_policy(UserName=u["name"], PolicyName="p", PolicyDocument=user_doc)
    group = unique("samegrp")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="p", PolicyDocument=group_doc)
    iam.add_user_to_group(GroupName=group, UserName=u["name"])
    [r] = iam.simulate_principal_policy(PolicySourceArn=u["arn"], ActionNames=["sns:ListTopics"])["EvaluationResults"]
    assert r["EvalDecision"] == "allowed"
    [m] = r["MatchedStatements"]
    assert m["SourcePolicyType"] == "group"
    assert_statement_span(group_doc, 0, m)


def test_session_policy_limits_an_assumed_role_session(server):
    iam = server.client("iam")
    u = new_user(server, "sesspol")
    role = iam.create_role(RoleName=unique("sessrole"), AssumeRolePolicyDocument=trust_policy(u["arn"]))["Role"]
    iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn=ADMIN_POLICY)
    resp = server.client("sts", u["creds"]).assume_role(RoleArn=role["Arn"], RoleSessionName="narrow",
                                                        Policy=doc(allow("sqs:ListQueues")))
    session = Creds.from_access_key(resp)
    server.client("sqs", session).list_queues()
    assert_denied(error_of(server.client("sns", session).list_topics), "AuthorizationError", 403)


def test_queue_policy_that_does_not_parse_is_rejected(server):
    url, arn = new_queue(server)
    sqs = server.client("sqs")
    resp = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sqs:*", "Resource": arn}]})})
    assert_denied(resp, "InvalidAttributeValue", 400)
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})


def test_topic_policy_that_does_not_parse_is_rejected(server):
    sns = server.client("sns")
    topic = sns.create_topic(Name=unique("badpol"))["TopicArn"]
    resp = error_of(sns.set_topic_attributes, TopicArn=topic, AttributeName="Policy", AttributeValue="{not json")
    assert_denied(resp, "InvalidParameter", 400)


def test_bucket_policy_without_principal_is_malformed(server):
    bucket = new_bucket(server)
    s3 = server.client("s3")
    resp = error_of(s3.put_bucket_policy, Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:GetObject",
                                                "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    assert_denied(resp, "MalformedPolicy", 400, "Missing required field Principal")


def test_s3_batch_operations_create_job_requires_pass_role(server):
    bucket = new_bucket(server)
    etag = server.client("s3").put_object(Bucket=bucket, Key="m.csv", Body=f"{bucket},x\n".encode())["ETag"]
    u = new_user(server, "s3passrole", doc(allow("s3:*")))
    role = f"arn:aws:iam::{ACCOUNT}:role/{unique('bops')}"
    resp = error_of(s3control(server, u["creds"]).create_job, AccountId=ACCOUNT, ConfirmationRequired=True,
                    Operation={"S3PutObjectTagging": {"TagSet": [{"Key": "k", "Value": "v"}]}},
                    Report={"Enabled": False}, Priority=1, RoleArn=role, ClientRequestToken=unique("tok"),
                    Manifest={"Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key"]},
                              "Location": {"ObjectArn": f"arn:aws:s3:::{bucket}/m.csv", "ETag": etag}})
    assert_denied(resp, "AccessDenied", 403, implicit(u["arn"], "iam:PassRole", role))


def test_eventbridge_put_targets_with_a_role_requires_pass_role(server):
    u = new_user(server, "evpassrole", doc(allow("events:*")))
    events = server.client("events", u["creds"])
    rule = unique("passrule")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["authz.test"]}))
    role = f"arn:aws:iam::{ACCOUNT}:role/{unique('evrole')}"
    resp = error_of(events.put_targets, Rule=rule, Targets=[{
        "Id": "1", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{unique('evq')}", "RoleArn": role}])
    assert_denied(resp, "AccessDeniedException", 400, implicit(u["arn"], "iam:PassRole", role))
