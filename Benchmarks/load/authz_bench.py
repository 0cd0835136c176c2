#!/usr/bin/env python3
"""Authorization benchmark (issue 13): recorded calls/s for a user holding 10 customer managed policies of 10
statements each, against the administrator (AdministratorAccess), in one run on one server.

    python3 Benchmarks/load/authz_bench.py [--binary .build-release/release/cairn] [--rounds 3]

The call is SQS ListQueues (`sqs:ListQueues` on `*`): it needs a permission but no resource lookup, so the
difference between the two principals is the policy evaluation. The user's allowing statement is the last of the
hundred, so every decision walks every statement. Rounds alternate admin and user. Load comes from wrk on
loopback replaying botocore-signed requests (spine_bench.py's method). Prints figures; asserts nothing.
"""
import argparse
import json
import os
import statistics
import sys

import boto3

sys.path.insert(0, os.path.dirname(__file__))
from cairn_server import CairnServer  # noqa: E402
from spine_bench import signed, wrk  # noqa: E402


def policy(index):
    """Ten statements; only the last statement of the last policy allows sqs:ListQueues."""
    statements = []
    for s in range(10):
        statements.append({"Sid": "S%d" % s, "Effect": "Allow",
                           "Action": ["s3:GetObject", "sns:Publish", "events:PutEvents"],
                           "Resource": "arn:aws:s3:::bucket-%d-%d/*" % (index, s),
                           "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-%d" % (s % 3 + 1)}}})
    if index == 9:
        statements[-1] = {"Sid": "Queues", "Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def main():
    ap = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--binary", default=os.environ.get("CAIRN_BIN", os.path.join(root, ".build-release/release/cairn")))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    server = CairnServer(args.binary).start()
    try:
        key, secret = server.credentials()
        iam = boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id=key, aws_secret_access_key=secret)
        iam.create_user(UserName="bench")
        for i in range(10):
            arn = iam.create_policy(PolicyName="bench-%d" % i, PolicyDocument=policy(i))["Policy"]["Arn"]
            iam.attach_user_policy(UserName="bench", PolicyArn=arn)
        user = iam.create_access_key(UserName="bench")["AccessKey"]
        principals = {"admin": (key, secret), "user (10 x 10)": (user["AccessKeyId"], user["SecretAccessKey"])}
        body = "{}"
        base = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ListQueues"}
        rates = {name: [] for name in principals}
        print("== sqs ListQueues, recorded and authorized (wrk -c%d, %d s per run)" % (args.connections, args.seconds))
        for rnd in range(args.rounds):
            for name, (k, s) in principals.items():
                headers = signed(server.endpoint, k, s, "sqs", dict(base), body)
                r = wrk(server.endpoint, headers, body, args.seconds, args.connections)
                rates[name].append(r["rps"])
                print("  round %d %-15s %7.0f calls/s  p50 %.2f ms  p99 %.2f ms  %d non-2xx"
                      % (rnd + 1, name, r["rps"], r["p50_ms"], r["p99_ms"], r["errors"]))
        admin = statistics.mean(rates["admin"])
        user_rate = statistics.mean(rates["user (10 x 10)"])
        print("  mean: admin %.0f calls/s, user %.0f calls/s, ratio %.3f (goal >= 0.95)" % (admin, user_rate, user_rate / admin))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
