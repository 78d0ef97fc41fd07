"""Guardrails: every stack's mocked graph passes them, and each rule fires on what it forbids."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from components import guardrails as g

DIGEST = "@sha256:" + "ab" * 32


@dataclass
class R:
    type: str
    name: str
    inputs: dict[str, Any]


def fired(rule, type_: str, inputs: dict, env: str = "prod") -> list[str]:
    return rule(type_, inputs, env)


# --- one source of truth: the program obeys the rules the pack enforces ---------------------


def test_every_resource_of_every_stack_passes_the_resource_rules(plan):
    env = g.environment_of(plan.stack)
    violations = {r.name: v for r in plan.resources if (v := g.check_resource(r.type, r.inputs, env))}
    assert violations == {}
    # The graph really contains what the rules look at, so "no violation" is not vacuous.
    types = {r.type for r in plan.resources}
    for family in ({g.TENCENT_RULE_SET, g.TENCENT_RULE, g.ALI_RULE}, {g.TENCENT_BUCKET, g.ALI_BUCKET}, {g.TENCENT_VM, g.ALI_VM}):
        assert types & family, f"no {family} in the graph"


def test_alicloud_bucket_rule_holds_on_every_stack(plan):
    assert g.alicloud_buckets_complete(plan.resources, g.environment_of(plan.stack)) == []


def test_every_stack_schedules_backups(plan):
    assert g.check_stack(plan.resources, g.environment_of(plan.stack)) == []


# --- each rule fires on a violating resource and stays quiet on a compliant one -------------


@pytest.fixture
def rule_set(plan_of):
    return copy.deepcopy(plan_of("prod").one(g.TENCENT_RULE_SET).inputs)


def _accept(port: str, cidr: str = "0.0.0.0/0", protocol: str = "TCP") -> dict:
    return {"action": "ACCEPT", "protocol": protocol, "port": port, "cidrBlock": cidr, "description": "t"}


@pytest.mark.parametrize(
    "ingress, named",
    [
        (_accept("5432"), "5432 (postgresql)"),
        (_accept("6379,80"), "6379 (redis)"),
        (_accept("9090-9100"), "9093 (alertmanager)"),
        (_accept("ALL"), "all ports"),
        (_accept("3000", protocol="UDP"), "3000 (grafana)"),
        (_accept("ALL", protocol="ALL"), "protocol ALL"),
        ({**_accept("8000"), "cidrBlock": None, "ipv6CidrBlock": "::/0"}, "8000 (app)"),
    ],
)
def test_world_ingress_rule_fires_on_non_web_ports(rule_set, ingress, named):
    rule_set["ingresses"].insert(0, ingress)
    (message,) = fired(g.world_ingress_only_web, g.TENCENT_RULE_SET, rule_set)
    assert named in message


def test_world_ingress_rule_allows_web_ports_admin_networks_and_drops(rule_set):
    rule_set["ingresses"] += [_accept("80,443", protocol="UDP"), _accept("5432", cidr="10.20.0.0/16"),
                              {**_accept("ALL", protocol="ALL"), "action": "DROP"}]
    assert fired(g.world_ingress_only_web, g.TENCENT_RULE_SET, rule_set) == []


def test_world_ingress_rule_covers_alibaba_and_single_tencent_rules():
    ali = {"type": "ingress", "ipProtocol": "tcp", "portRange": "5432/5432", "cidrIp": "0.0.0.0/0", "policy": "accept"}
    assert "5432" in fired(g.world_ingress_only_web, g.ALI_RULE, ali)[0]
    assert fired(g.world_ingress_only_web, g.ALI_RULE, {**ali, "portRange": "443/443"}) == []
    assert fired(g.world_ingress_only_web, g.ALI_RULE, {**ali, "type": "egress", "portRange": "-1/-1"}) == []
    tc = {"type": "ingress", "ipProtocol": "TCP", "portRange": "6379", "cidrIp": "0.0.0.0/0", "policy": "ACCEPT"}
    assert "6379" in fired(g.world_ingress_only_web, g.TENCENT_RULE, tc)[0]


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0", "not-a-cidr"])
def test_ssh_rule_fires_on_world_sources(rule_set, cidr):
    rule_set["ingresses"].insert(0, _accept("22", cidr=cidr) if ":" not in cidr else {**_accept("22"), "cidrBlock": None, "ipv6CidrBlock": cidr})
    (message,) = fired(g.ssh_only_from_admin_networks, g.TENCENT_RULE_SET, rule_set, "dev")
    assert cidr in message


def test_ssh_rule_fires_on_alibaba_world_range_and_allows_admin_networks():
    ali = {"type": "ingress", "ipProtocol": "tcp", "portRange": "1/1024", "cidrIp": "0.0.0.0/0", "policy": "accept"}
    assert fired(g.ssh_only_from_admin_networks, g.ALI_RULE, ali, "dev")
    assert fired(g.ssh_only_from_admin_networks, g.ALI_RULE, {**ali, "cidrIp": "203.0.113.10/32"}, "dev") == []


@pytest.mark.parametrize(
    "change, named",
    [({"acl": "public-read"}, "public-read"), ({"versioningEnable": False}, "versioning"),
     ({"encryptionAlgorithm": None}, "encryption")],
)
def test_tencent_bucket_rule_fires(plan_of, change, named):
    inputs = {**plan_of("dev").one(g.TENCENT_BUCKET).inputs, **change}
    (message,) = fired(g.buckets_private_versioned_encrypted, g.TENCENT_BUCKET, inputs, "dev")
    assert named in message


def test_alibaba_bucket_rules_fire_inline_and_as_separate_resources():
    good = {"bucket": "xqfc-dev", "versioning": {"status": "Enabled"}, "serverSideEncryptionRule": {"sseAlgorithm": "AES256"}}
    assert fired(g.buckets_private_versioned_encrypted, g.ALI_BUCKET, good) == []
    assert fired(g.buckets_private_versioned_encrypted, g.ALI_BUCKET, {**good, "acl": "public-read-write"})
    assert fired(g.buckets_private_versioned_encrypted, g.ALI_BUCKET, {**good, "versioning": {"status": "Suspended"}})
    assert fired(g.buckets_private_versioned_encrypted, g.ALI_BUCKET_ACL, {"bucket": "b", "acl": "public-read"})
    assert fired(g.buckets_private_versioned_encrypted, g.ALI_BUCKET_ACL, {"bucket": "b", "acl": "private"}) == []
    assert fired(g.buckets_private_versioned_encrypted, g.ALI_BUCKET_SSE, {"bucket": "b", "sseAlgorithm": "none"})

    bare = R(g.ALI_BUCKET, "xqfc-dev-bucket", {"bucket": "xqfc-dev"})
    assert len(g.alicloud_buckets_complete([bare], "dev")) == 2
    completed = [bare, R(g.ALI_BUCKET_VERSIONING, "v", {"bucket": "xqfc-dev", "status": "Enabled"}),
                 R(g.ALI_BUCKET_SSE, "e", {"bucket": "xqfc-dev", "sseAlgorithm": "KMS"})]
    assert g.alicloud_buckets_complete(completed, "dev") == []


def test_prod_vm_rule_fires_without_termination_protection_or_with_disposable_disks(plan_of):
    vm = copy.deepcopy(plan_of("prod").one(g.TENCENT_VM).inputs)
    assert fired(g.prod_vms_deletion_protected, g.TENCENT_VM, vm) == []
    unprotected = {**vm, "disableApiTermination": False}
    assert "disableApiTermination" in fired(g.prod_vms_deletion_protected, g.TENCENT_VM, unprotected)[0]
    vm["dataDisks"][0]["deleteWithInstance"] = True
    assert "deleteWithInstance" in fired(g.prod_vms_deletion_protected, g.TENCENT_VM, vm)[0]
    # dev may throw its VM away.
    assert fired(g.prod_vms_deletion_protected, g.TENCENT_VM, {**unprotected, "dataDisks": vm["dataDisks"]}, "dev") == []
    ali = {"deletionProtection": False, "dataDisks": [{"size": 100}]}
    assert len(fired(g.prod_vms_deletion_protected, g.ALI_VM, ali)) == 2


@pytest.mark.parametrize(
    "inputs, named",
    [
        ({"ports": [{"internal": 5432, "external": 5432}]}, "5432 (postgresql)"),
        ({"ports": [{"internal": 6379, "external": 16379}]}, "16379"),
        ({"ports": [{"internal": 9090}]}, "random host port"),
        ({"ports": [{"internal": 3000.0, "external": 3000.0, "ip": "0.0.0.0"}]}, "3000 (grafana)"),
        ({"ports": [{"internal": 9090, "external": 9090, "ip": "10.20.1.5"}]}, "9090 (prometheus)"),
        ({"networkMode": "host"}, "host networking"),
    ],
)
def test_container_rule_fires_on_published_private_ports(inputs, named):
    (message,) = fired(g.containers_publish_only_web, g.CONTAINER, {"name": "c", "image": "x", **inputs}, "dev")
    assert named in message


def test_container_rule_allows_the_edge_to_publish_web_ports():
    edge = {"name": "nginx", "ports": [{"internal": 8080, "external": 80}, {"internal": 8443, "external": 443}]}
    assert fired(g.containers_publish_only_web, g.CONTAINER, edge, "dev") == []
    # Loopback-only ports (Grafana behind an SSH tunnel) never leave the VM.
    tunnel = {"name": "grafana", "ports": [{"internal": 3000, "external": 3000, "ip": "127.0.0.1"}]}
    assert fired(g.containers_publish_only_web, g.CONTAINER, tunnel, "dev") == []



def test_read_only_container_rule_fires_on_uploads_and_allows_mounts():
    upload = {"uploads": [{"file": "/run/xqfc/pw", "content": "x"}]}
    (message,) = fired(g.read_only_containers_take_files_by_mount, g.CONTAINER, {"name": "pg", "readOnly": True, **upload}, "dev")
    assert "/run/xqfc/pw" in message and "read-only" in message
    # A writable root may take uploads; a read-only one with its files on a mount is fine.
    assert fired(g.read_only_containers_take_files_by_mount, g.CONTAINER, {"name": "pg", "readOnly": False, **upload}, "dev") == []
    mounted = {"name": "pg", "readOnly": True, "volumes": [{"hostPath": "/srv/xqfc/postgres", "containerPath": "/run/xqfc"}]}
    assert fired(g.read_only_containers_take_files_by_mount, g.CONTAINER, mounted, "dev") == []

def test_prod_image_rule_requires_digests():
    assert fired(g.prod_images_pinned_by_digest, g.REMOTE_IMAGE, {"name": "postgres:17"})
    assert fired(g.prod_images_pinned_by_digest, g.REMOTE_IMAGE, {"name": "postgres:17" + DIGEST}) == []
    assert fired(g.prod_images_pinned_by_digest, g.REMOTE_IMAGE, {"name": "postgres:17"}, "staging") == []
    assert fired(g.prod_images_pinned_by_digest, g.CONTAINER, {"image": "redis:7"})
    assert fired(g.prod_images_pinned_by_digest, g.CONTAINER, {"image": "registry.example/app:1.2"})
    # An image ID from a RemoteImage output is already immutable.
    assert fired(g.prod_images_pinned_by_digest, g.CONTAINER, {"image": "sha256:" + "cd" * 32}) == []


def test_backup_rule_needs_a_remote_command_with_the_backup_role():
    cmd = g.REMOTE_COMMAND
    assert g.backups_scheduled([R(cmd, "xqfc-prod-runtime-backup", {})], "prod") == []
    assert g.backups_scheduled([R(cmd, "xqfc-prod-backup-timer", {})], "prod") == []
    assert g.backups_scheduled([R(cmd, "xqfc-prod-backupish", {}), R("docker:index/container:Container", "xqfc-prod-backup", {})], "prod")
    assert g.check_stack([], "dev")


def test_environment_comes_from_the_stack_name():
    assert [g.environment_of(s) for s in ("prod", "acme/xqfc/prod", "prod-eu", "staging", "dev", "production-like")] == [
        "prod", "prod", "prod", "staging", "dev", "production-like"]
    assert g.stack_of_urn("urn:pulumi:prod::xqfc::tencentcloud:Cos/bucket:Bucket::b") == "prod"


def test_rules_import_without_pulumi_or_pydantic():
    """The policy pack's venv holds only pulumi-policy; the rules must not need the program's deps."""
    import subprocess
    import sys

    from components.plan.run import ROOT

    probe = "import sys, components.guardrails; print(sorted({'pulumi', 'pydantic', 'yaml', 'jinja2'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("command, ok", [
    (["--web.listen-address", "172.30.3.1:9100"], True),
    (["--web.listen-address=10.40.1.5:9100"], True),
    (["--web.listen-address", object()], True),  # the host's private IP, unknown before the VM exists
    (["--web.listen-address", ":9100"], False),
    (["--web.listen-address=0.0.0.0:9100"], False),
    (["--web.listen-address", "8.8.8.8:9100"], False),
    (["--path.rootfs=/host"], False),
    (None, False),
])
def test_host_networking_only_with_a_private_listen_address(command, ok):
    from components.guardrails import containers_publish_only_web

    found = containers_publish_only_web("docker:index/container:Container", {"networkMode": "host", "command": command}, "prod")
    assert (found == []) is ok, found
