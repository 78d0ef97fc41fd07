"""The policy pack wires every guardrail, mandatory, and the real analyzer server enforces them."""
from __future__ import annotations

import importlib.util
import subprocess
import sys

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy

from components import guardrails as g
from components.plan.run import ROOT

PACK = ROOT / "policy" / "__main__.py"


def urn(stack: str, type_: str, name: str) -> str:
    return f"urn:pulumi:{stack}::xqfc::{type_}::{name}"


@pytest.fixture(scope="module")
def pack():
    spec = importlib.util.spec_from_file_location("xqfc_policy_pack", PACK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    try:
        spec.loader.exec_module(module)  # not __main__: builds policies, starts no server
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_pack_registers_every_rule_once_and_mandatory(pack):
    policies = pack.policies()
    resource = [p for p in policies if isinstance(p, ResourceValidationPolicy)]
    stack = [p for p in policies if isinstance(p, StackValidationPolicy)]
    assert [p.name for p in resource] == [r.__name__.replace("_", "-") for r in g.RESOURCE_RULES]
    assert [p.name for p in stack] == [r.__name__.replace("_", "-") for r in (*g.STACK_RULES, g.monthly_budget)]
    assert all(p.enforcement_level is EnforcementLevel.MANDATORY for p in policies)
    assert all(p.description for p in policies)


def test_each_resource_policy_runs_its_own_rule_with_the_stack_environment(pack):
    policies = {p.name: p for p in pack.policies()}
    image = {"name": "postgres:17"}

    def run(policy_name, stack):
        seen = []
        args = ResourceValidationArgs(g.REMOTE_IMAGE, image, urn(stack, g.REMOTE_IMAGE, "pg"), "pg", None, None)
        policies[policy_name].validate(args, lambda msg, u=None: seen.append(msg))
        return seen

    assert run("prod-images-pinned-by-digest", "prod") and run("prod-images-pinned-by-digest", "dev") == []
    assert run("containers-publish-only-web", "prod") == []


@pytest.fixture(scope="module")
def analyzer():
    """The pack as the Pulumi CLI starts it: it prints its loopback port and serves gRPC."""
    proc = subprocess.Popen([sys.executable, "-u", str(PACK)], cwd=PACK.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode().strip()
        if not line.isdigit():
            pytest.fail(f"policy pack did not start: {line!r} {proc.stderr.read(2000).decode() if proc.poll() is not None else ''}")
        channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        grpc.channel_ready_future(channel).result(timeout=10)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _struct(d: dict) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    json_format.ParseDict(d, s)
    return s


def test_analyzer_reports_every_policy_as_mandatory(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "xqfc-guardrails"
    assert len(info.policies) == len(g.RESOURCE_RULES) + len(g.STACK_RULES) + 1  # + monthly-budget
    assert {p.enforcementLevel for p in info.policies} == {analyzer_pb2.MANDATORY}


def test_analyzer_blocks_a_world_open_database_port_and_passes_the_real_rule_set(analyzer, plan_of):
    bad = {"securityGroupId": "sg", "ingresses": [{"action": "ACCEPT", "protocol": "TCP", "port": "5432", "cidrBlock": "0.0.0.0/0"}]}
    response = analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
        type=g.TENCENT_RULE_SET, properties=_struct(bad), urn=urn("prod", g.TENCENT_RULE_SET, "fw"), name="fw"))
    by_policy = {d.policyName: d for d in response.diagnostics}
    assert set(by_policy) == {"world-ingress-only-web"}
    assert by_policy["world-ingress-only-web"].enforcementLevel == analyzer_pb2.MANDATORY
    assert "5432" in by_policy["world-ingress-only-web"].message

    good = plan_of("prod").one(g.TENCENT_RULE_SET).inputs
    response = analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
        type=g.TENCENT_RULE_SET, properties=_struct(good), urn=urn("prod", g.TENCENT_RULE_SET, "fw"), name="fw"))
    assert list(response.diagnostics) == []


def test_analyzer_stack_check_blocks_a_stack_without_backups(analyzer):
    resource = analyzer_pb2.AnalyzerResource(type=g.CONTAINER, properties=_struct({"image": "x"}),
                                             urn=urn("dev", g.CONTAINER, "app"), name="app")
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[resource]))
    assert [d.policyName for d in response.diagnostics] == ["backups-scheduled"]
    backup = analyzer_pb2.AnalyzerResource(type=g.REMOTE_COMMAND, properties=_struct({"create": "true"}),
                                           urn=urn("dev", g.REMOTE_COMMAND, "xqfc-dev-backup"), name="xqfc-dev-backup")
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[resource, backup]))
    assert list(response.diagnostics) == []
