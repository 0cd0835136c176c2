"""No input may crash Cairn (issue 18): a model-driven fuzzer over every operation Cairn serves.

For each service, the operations the server serves are found by asking it (fuzz_support.ServiceFuzzer.discover),
then each one is called through boto3 with seeded inputs generated from the botocore input shapes (see
fuzz_support.py for what is generated and how it reaches the wire). test_malformed_framing sends each protocol's
malformed bodies, paths and headers by hand, signed with botocore's SigV4 signer.

Every request must leave the server alive and be answered with a success or a 4xx AWS error botocore parses; a
failed create must leave nothing behind; after each operation's cases the service's list/describe calls must still
be readable (a call that stored what it should have refused is pinned by replaying on a fresh server). All findings of a test are collected (a crashed server is restarted and
the run goes on) and reported together, each with the operation, the exact parameters and the answer, ready to
become a named regression test.

    CAIRN_FUZZ_SEED=<n>     another seeded plan (default 1818)
    CAIRN_FUZZ_CASES=<n>    the long mode: n cases per operation, no per-service cap
"""

from __future__ import annotations

import pytest

from fuzz_support import (CASES_PER_OP, CASES_PER_SERVICE, FRAME_PROTOCOLS, SEED, FrameFuzzer, Harness,
                          ServiceFuzzer, all_frames, render_findings)

SERVICES = ["sqs", "sns", "events", "cloudtrail", "s3", "s3control", "batch", "iam", "sts", "scheduler"]


@pytest.fixture(scope="module")
def harness(server):
    return Harness(server)


def fail_with(findings, header: str) -> None:
    if findings:
        pytest.fail(f"{header} (seed {SEED}): {render_findings(findings)}", pytrace=False)


@pytest.mark.parametrize("service", SERVICES)
def test_every_served_operation_survives_generated_inputs(harness, service):
    report = ServiceFuzzer(harness, service).run()
    print(f"\n[fuzz seed {SEED}, {CASES_PER_OP} cases/op, cap {CASES_PER_SERVICE}] {report.summary()}; "
          f"server restarts so far: {harness.restarts}")
    assert report.served, f"no {service} operation answered as served: the discovery probe is broken"
    fail_with(report.findings, f"{service}: {report.summary()}")
    assert harness.healthy(), "the server does not answer /_cairn/health after the run"


@pytest.mark.parametrize("protocol", FRAME_PROTOCOLS)
def test_malformed_framing(harness, protocol):
    ServiceFuzzer(harness, "s3").reseed()                  # the S3 frames point at the seed bucket
    fuzzer = FrameFuzzer(harness)
    fuzzer.run(all_frames(harness.world.n("bucket"))[protocol])
    print(f"\n[framing {protocol}] {fuzzer.sent} requests, {len(fuzzer.findings)} findings")
    fail_with(fuzzer.findings, f"malformed {protocol} framing")
    assert harness.healthy(), "the server does not answer /_cairn/health after the run"
