"""The guardrails rule by rule, on hand-built inputs: exact boundaries, both clouds' rule shapes,
a bad entry anywhere in a list, and each rule reporting what it must report.

No plan and no Pulumi: these run in a second and are what `make mutation-ci` kills the
guardrails' mutants with (docs/testing.md). The graph-level tests stay in test_guardrails.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from components import guardrails as g

DIGEST = "@sha256:" + "ab" * 32
WORLD4, WORLD6, ADMIN = "0.0.0.0/0", "::/0", "203.0.113.0/24"


@dataclass
class R:
    type: str
    name: str
    inputs: dict[str, Any]


def tencent_set(*ingresses: dict) -> dict:
    return {"ingresses": list(ingresses), "egresses": [{"action": "ACCEPT", "protocol": "ALL", "port": "ALL", "cidrBlock": WORLD4}]}


def accept(port: str, cidr: str | None = WORLD4, protocol: str = "TCP", **more) -> dict:
    return {"action": "ACCEPT", "protocol": protocol, "port": port, "cidrBlock": cidr, **more}


def ali(port: str, cidr: str | None = WORLD4, protocol: str = "tcp", **more) -> dict:
    return {"type": "ingress", "ipProtocol": protocol, "portRange": port, "cidrIp": cidr, "policy": "accept", **more}


def tencent_rule(port: str, cidr: str | None = WORLD4, protocol: str = "TCP", **more) -> dict:
    return {"type": "ingress", "ipProtocol": protocol, "portRange": port, "cidrIp": cidr, "policy": "ACCEPT", **more}


def world(type_: str, inputs: dict) -> list[str]:
    return g.world_ingress_only_web(type_, inputs, "dev")


def ssh(type_: str, inputs: dict) -> list[str]:
    return g.ssh_only_from_admin_networks(type_, inputs, "dev")


# --- what counts as "the internet" ----------------------------------------------------------


@pytest.mark.parametrize("cidr", [WORLD4, WORLD6, "0.0.0.0/00", "not-a-cidr", "10.0.0.0/33"])
def test_world_and_unparsable_sources_are_untrusted(cidr):
    """An unparsable source is treated as the whole internet, not ignored."""
    assert len(world(g.TENCENT_RULE_SET, tencent_set(accept("5432", cidr)))) == 1


@pytest.mark.parametrize("cidr", ["0.0.0.0/1", "128.0.0.0/1", ADMIN, "203.0.113.7/24", "10.0.0.0/8"])
def test_any_network_narrower_than_the_internet_is_not_world(cidr):
    # 203.0.113.7/24 has host bits set: a sloppy admin entry, still one /24 and not the world.
    assert world(g.TENCENT_RULE_SET, tencent_set(accept("5432", cidr))) == []
    assert ssh(g.TENCENT_RULE_SET, tencent_set(accept("22", cidr))) == []


def test_a_rule_without_a_cidr_source_is_not_world():
    """A Tencent rule sourced from a security group (no cidrIp) reaches no internet address."""
    assert world(g.TENCENT_RULE, tencent_rule("5432", cidr=None, sourceSgid="sg-123")) == []
    assert world(g.TENCENT_RULE, tencent_rule("5432", cidr="", sourceSgid="sg-123")) == []
    assert ssh(g.TENCENT_RULE, tencent_rule("22", cidr=None, sourceSgid="sg-123")) == []


# --- port specs, both clouds' spellings ------------------------------------------------------


@pytest.mark.parametrize("spec", ["80", "443", "80,443", "443,80", " 80 , 443 ", "80-80", "443-443"])
def test_web_ports_in_every_tencent_spelling_pass(spec):
    assert world(g.TENCENT_RULE_SET, tencent_set(accept(spec))) == []


@pytest.mark.parametrize("spec", ["80/80", "443/443"])
def test_web_ports_in_alibaba_spelling_pass(spec):
    assert world(g.ALI_RULE, ali(spec)) == []


@pytest.mark.parametrize("spec, named", [
    ("81", "81"), ("442", "442"), ("444", "444"), ("79-80", "79"), ("443-444", "444"),
    ("80,5432", "5432 (postgresql)"), ("ALL", "all ports"), ("all", "all ports"), ("-1/-1", "all ports"),
    ("1-65535", "all ports"), ("", "all ports"), ("eighty", "all ports"), (None, "all ports"),
])
def test_any_port_beside_80_and_443_is_reported(spec, named):
    (message,) = world(g.TENCENT_RULE_SET, tencent_set(accept(spec)))
    assert named in message


def test_a_wide_range_counts_as_all_ports_from_1025_ports_on():
    """Ranges of more than 1025 ports are read as "all ports" (cheap and conservative); up to
    1025 ports they are expanded, so a range that skips 22 does not count as SSH."""
    (expanded,) = world(g.TENCENT_RULE_SET, tencent_set(accept("1000-2024")))  # 1025 ports
    assert "all ports" not in expanded and "1000" in expanded
    assert ssh(g.TENCENT_RULE_SET, tencent_set(accept("1000-2024"))) == []
    (wide,) = world(g.TENCENT_RULE_SET, tencent_set(accept("1000-2025")))  # 1026 ports
    assert "all ports" in wide
    assert len(ssh(g.TENCENT_RULE_SET, tencent_set(accept("1000-2025")))) == 1


def test_a_range_includes_both_ends():
    assert len(ssh(g.ALI_RULE, ali("20/22"))) == 1
    assert len(ssh(g.ALI_RULE, ali("22/24"))) == 1
    assert ssh(g.ALI_RULE, ali("23/30")) == []
    assert ssh(g.ALI_RULE, ali("10/21")) == []


def test_reported_ports_name_the_sensitive_ones_and_stop_after_eight():
    (eight,) = world(g.TENCENT_RULE_SET, tencent_set(accept("1000-1007")))
    assert "1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007;" in eight and "..." not in eight
    (nine,) = world(g.TENCENT_RULE_SET, tencent_set(accept("1000-1008")))
    assert "1007 ...;" in nine and "1008" not in nine
    (named,) = world(g.TENCENT_RULE_SET, tencent_set(accept("5432,6379,8080")))
    assert "5432 (postgresql), 6379 (redis), 8080;" in named


# --- world ingress: every entry, every action and protocol -----------------------------------


def test_a_bad_ingress_anywhere_in_the_rule_set_is_reported():
    fine = [accept("80"), accept("443"), accept("22", ADMIN), {**accept("ALL", protocol="ALL"), "action": "DROP"}]
    for at in range(len(fine) + 1):
        ingresses = [*fine[:at], accept("5432"), *fine[at:]]
        (message,) = world(g.TENCENT_RULE_SET, tencent_set(*ingresses))
        assert "5432 (postgresql)" in message, at


def test_every_bad_ingress_is_reported_not_only_the_first():
    got = world(g.TENCENT_RULE_SET, tencent_set(accept("ALL", protocol="ICMP"), accept("80"), accept("6379"),
                                                accept("ALL", protocol="ALL"), accept("9090")))
    assert len(got) == 4
    assert "protocol ICMP" in got[0] and "6379 (redis)" in got[1] and "protocol ALL" in got[2] and "9090" in got[3]


def test_non_tcp_udp_protocols_from_the_world_are_reported_whatever_the_port():
    (message,) = world(g.TENCENT_RULE_SET, tencent_set(accept("443", protocol="ICMP")))
    assert "protocol ICMP" in message
    assert world(g.TENCENT_RULE_SET, tencent_set(accept("443", protocol="UDP"))) == []


def test_drops_from_the_world_are_fine():
    drop = {**accept("ALL", protocol="ALL"), "action": "DROP"}
    assert world(g.TENCENT_RULE_SET, tencent_set(drop)) == []
    assert ssh(g.TENCENT_RULE_SET, tencent_set({**accept("22"), "action": "DROP"})) == []
    assert world(g.ALI_RULE, ali("-1/-1", protocol="all", policy="drop")) == []


def test_tencent_rule_set_checks_ipv4_and_ipv6_sources_of_one_entry():
    both = accept("5432", ADMIN, ipv6CidrBlock=WORLD6)
    (message,) = world(g.TENCENT_RULE_SET, tencent_set(both))
    assert WORLD6 in message
    assert world(g.TENCENT_RULE_SET, tencent_set(accept("5432", WORLD4, ipv6CidrBlock="2001:db8::/32"))) != []


def test_alibaba_rule_accepts_by_default_and_checks_ipv6():
    no_policy = {k: v for k, v in ali("5432").items() if k != "policy"}
    assert len(world(g.ALI_RULE, no_policy)) == 1
    v6 = {**ali("5432", cidr=None), "ipv6CidrIp": WORLD6}
    (message,) = world(g.ALI_RULE, v6)
    assert WORLD6 in message
    assert len(ssh(g.ALI_RULE, {**ali("22/22", cidr=None), "ipv6CidrIp": WORLD6})) == 1


@pytest.mark.parametrize("type_, rule", [(g.ALI_RULE, ali("-1/-1", protocol="all")),
                                         (g.TENCENT_RULE, tencent_rule("ALL", protocol="ALL"))])
def test_egress_rules_are_not_ingress(type_, rule):
    egress = {**rule, "type": "egress"}
    assert world(type_, egress) == [] and ssh(type_, egress) == []
    assert world(type_, rule) != [] and ssh(type_, rule) != []


def test_single_tencent_rule_is_checked():
    assert "6379 (redis)" in world(g.TENCENT_RULE, tencent_rule("6379"))[0]
    assert world(g.TENCENT_RULE, tencent_rule("443")) == []
    assert world(g.TENCENT_RULE, {**tencent_rule("6379"), "policy": "DROP"}) == []
    assert len(ssh(g.TENCENT_RULE, tencent_rule("22"))) == 1


def test_rules_ignore_resources_that_are_not_security_rules():
    bucket_like = {"ingresses": [accept("ALL", protocol="ALL")], "type": "ingress", "cidrIp": WORLD4, "portRange": "ALL"}
    assert world(g.TENCENT_BUCKET, bucket_like) == [] and ssh(g.TENCENT_BUCKET, bucket_like) == []


# --- SSH -------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule, fires", [
    (accept("22"), True), (accept("ALL", protocol="ALL"), True), (accept("20-25"), True),
    (accept("22", protocol="UDP"), False), (accept("23"), False), (accept("22", ADMIN), False),
    ({**accept("22"), "action": "DROP"}, False),
])
def test_ssh_rule_fires_only_on_accepted_tcp_22_from_the_world(rule, fires):
    got = ssh(g.TENCENT_RULE_SET, tencent_set(rule))
    assert len(got) == (1 if fires else 0)
    if fires:
        assert f"port {g.SSH_PORT}" in got[0] and WORLD4 in got[0] and "adminCidrs" in got[0]


def test_ssh_open_anywhere_in_the_list_is_reported():
    rules = [accept("80"), accept("22", ADMIN), accept("443"), accept("22"), accept("22", WORLD4, ipv6CidrBlock=WORLD6)]
    assert len(ssh(g.TENCENT_RULE_SET, tencent_set(*rules))) == 3


# --- buckets ---------------------------------------------------------------------------------

TENCENT_GOOD = {"bucket": "xqfc-prod-1250000000", "acl": "private", "versioningEnable": True, "encryptionAlgorithm": "AES256"}
ALI_GOOD = {"bucket": "xqfc-prod", "acl": "private", "versioning": {"status": "Enabled"},
            "serverSideEncryptionRule": {"sseAlgorithm": "KMS"}}


def bucket(type_: str, inputs: dict) -> list[str]:
    return g.buckets_private_versioned_encrypted(type_, inputs, "dev")


@pytest.mark.parametrize("algorithm", sorted(g.BUCKET_ENCRYPTION))
def test_compliant_buckets_pass(algorithm):
    assert bucket(g.TENCENT_BUCKET, {**TENCENT_GOOD, "encryptionAlgorithm": algorithm}) == []
    assert bucket(g.ALI_BUCKET, {**ALI_GOOD, "serverSideEncryptionRule": {"sseAlgorithm": algorithm}}) == []
    assert bucket(g.ALI_BUCKET_SSE, {"bucket": "b", "sseAlgorithm": algorithm}) == []


@pytest.mark.parametrize("change, named", [
    ({"acl": "public-read"}, "'public-read'; must be 'private'"), ({"acl": None}, "None; must be 'private'"),
    ({"versioningEnable": False}, "versioningEnable=true"), ({"versioningEnable": "true"}, "versioningEnable=true"),
    ({"encryptionAlgorithm": None}, "encryption is None"), ({"encryptionAlgorithm": "aes"}, "encryption is 'aes'"),
])
def test_tencent_bucket_reports_each_missing_protection_alone(change, named):
    (message,) = bucket(g.TENCENT_BUCKET, {**TENCENT_GOOD, **change})
    assert named in message


def test_tencent_bucket_reports_every_missing_protection():
    assert len(bucket(g.TENCENT_BUCKET, {"bucket": "b"})) == 3


def test_alibaba_bucket_leaves_absent_settings_to_their_own_resources():
    assert bucket(g.ALI_BUCKET, {"bucket": "b"}) == []
    assert bucket(g.ALI_BUCKET, {"bucket": "b", "acl": None}) == []


@pytest.mark.parametrize("change, named", [
    ({"acl": "public-read-write"}, "'public-read-write'; must be 'private'"),
    ({"versioning": {"status": "Suspended"}}, "versioning is not Enabled"),
    ({"versioning": {}}, "versioning is not Enabled"),
    ({"serverSideEncryptionRule": {"sseAlgorithm": "none"}}, "encryption is 'none'"),
    ({"serverSideEncryptionRule": {}}, "encryption is None"),
])
def test_alibaba_inline_settings_are_checked_one_by_one(change, named):
    (message,) = bucket(g.ALI_BUCKET, {**ALI_GOOD, **change})
    assert named in message


@pytest.mark.parametrize("type_, good, bad, named", [
    (g.ALI_BUCKET_ACL, {"acl": "private"}, {"acl": "public-read"}, "'public-read'; must be 'private'"),
    (g.ALI_BUCKET_VERSIONING, {"status": "Enabled"}, {"status": "Suspended"}, "'Suspended'; must be 'Enabled'"),
    (g.ALI_BUCKET_SSE, {"sseAlgorithm": "AES256"}, {"sseAlgorithm": "none"}, "encryption is 'none'"),
])
def test_alibaba_separate_bucket_resources(type_, good, bad, named):
    assert bucket(type_, {"bucket": "b", **good}) == []
    (message,) = bucket(type_, {"bucket": "b", **bad})
    assert named in message


def test_bucket_rule_ignores_other_resources():
    for type_ in (g.TENCENT_VM, g.ALI_RULE, g.CONTAINER):
        assert bucket(type_, {"acl": "public-read", "status": "Off", "sseAlgorithm": "none"}) == []


def test_each_alibaba_bucket_needs_versioning_and_encryption_from_somewhere():
    a, b = R(g.ALI_BUCKET, "xqfc-a", {"bucket": "xqfc-a"}), R(g.ALI_BUCKET, "xqfc-b", {"bucket": "xqfc-b"})
    by_name = [R(g.ALI_BUCKET_VERSIONING, "va", {"bucket": "xqfc-a"}), R(g.ALI_BUCKET_SSE, "ea", {"bucket": "xqfc-a"})]
    # Before the bucket exists, a separate resource names it by the bucket's id output (`<name>-id` in mocks).
    by_id = [R(g.ALI_BUCKET_VERSIONING, "vb", {"bucket": "xqfc-b-id"}), R(g.ALI_BUCKET_SSE, "eb", {"bucket": "xqfc-b-id"})]
    assert g.alicloud_buckets_complete([a, b, *by_name, *by_id], "prod") == []
    assert g.alicloud_buckets_complete([a, b, *by_name], "prod") == [
        "OSS bucket xqfc-b has no versioning", "OSS bucket xqfc-b has no server-side encryption"]
    assert g.alicloud_buckets_complete([a, b, by_name[0], by_id[1]], "prod") == [
        "OSS bucket xqfc-a has no server-side encryption", "OSS bucket xqfc-b has no versioning"]
    inline = R(g.ALI_BUCKET, "c", {"bucket": "c", "versioning": {"status": "Enabled"}, "serverSideEncryptionRule": {}})
    assert g.alicloud_buckets_complete([inline], "prod") == []
    # A versioning resource is not an encryption resource.
    assert g.alicloud_buckets_complete([a, R(g.ALI_BUCKET_VERSIONING, "v", {"bucket": "xqfc-a"})], "prod") == [
        "OSS bucket xqfc-a has no server-side encryption"]
    assert g.check_stack([a, R(g.REMOTE_COMMAND, "xqfc-prod-backup", {})], "prod") == [
        "OSS bucket xqfc-a has no versioning", "OSS bucket xqfc-a has no server-side encryption"]


# --- prod VMs --------------------------------------------------------------------------------


@pytest.mark.parametrize("type_, flag", [(g.TENCENT_VM, "disableApiTermination"), (g.ALI_VM, "deletionProtection")])
def test_prod_vm_needs_its_clouds_protection_flag(type_, flag):
    other = "deletionProtection" if flag == "disableApiTermination" else "disableApiTermination"
    disks = [{"deleteWithInstance": False}]
    assert g.prod_vms_deletion_protected(type_, {flag: True, "dataDisks": disks}, "prod") == []
    for value in (False, None, "true"):
        (message,) = g.prod_vms_deletion_protected(type_, {flag: value, other: True, "dataDisks": disks}, "prod")
        assert f"set {flag}=true" in message


def test_every_disposable_prod_data_disk_is_reported():
    disks = [{"deleteWithInstance": False}, {"deleteWithInstance": True}, {}, {"deleteWithInstance": False}]
    got = g.prod_vms_deletion_protected(g.ALI_VM, {"deletionProtection": True, "dataDisks": disks}, "prod")
    assert got == [f"prod VM data disk {n} would be deleted with the instance; set deleteWithInstance=false" for n in (1, 2)]
    assert g.prod_vms_deletion_protected(g.TENCENT_VM, {"disableApiTermination": True}, "prod") == []


def test_vm_rule_is_for_prod_vms_only():
    bare = {"dataDisks": [{"deleteWithInstance": True}]}
    for env in ("dev", "staging", "production"):
        assert g.prod_vms_deletion_protected(g.TENCENT_VM, bare, env) == []
    assert g.prod_vms_deletion_protected(g.CONTAINER, bare, "prod") == []
    assert len(g.prod_vms_deletion_protected(g.ALI_VM, bare, "prod")) == 2


# --- containers ------------------------------------------------------------------------------


def publish(*ports: dict, **more) -> list[str]:
    return g.containers_publish_only_web(g.CONTAINER, {"name": "c", "ports": list(ports), **more}, "dev")


def test_only_host_ports_80_and_443_may_be_published():
    assert publish({"internal": 8080, "external": 80}, {"internal": 8443, "external": 443}) == []
    for port in (79, 81, 442, 444, 5432):
        (message,) = publish({"internal": port, "external": port})
        assert f"host port {port}" in message


def test_a_bad_published_port_anywhere_is_reported():
    loop = {"internal": 3000, "external": 3000, "ip": "127.0.0.1"}
    got = publish(loop, {"internal": 8080, "external": 80}, {"internal": 5432, "external": 5432}, loop,
                  {"internal": 9090}, {"internal": 6379, "external": 6379, "ip": "::"})
    assert len(got) == 3
    assert "5432 (postgresql)" in got[0] and "9090 (prometheus) is published on a random host port" in got[1]
    assert "6379 (redis)" in got[2]


@pytest.mark.parametrize("ip, published", [("127.0.0.1", False), ("127.0.0.53", False), ("::1", False),
                                          ("0.0.0.0", True), ("::", True), ("10.0.0.5", True), (None, True), ("", True),
                                          ("localhost", True)])
def test_only_loopback_binds_stay_private(ip, published):
    got = publish({"internal": 5432, "external": 5432, **({"ip": ip} if ip is not None else {})})
    assert len(got) == (1 if published else 0)


def test_host_networking_is_reported_in_any_case():
    for mode in ("host", "HOST"):
        (message,) = publish(networkMode=mode)
        assert "host networking" in message
    assert publish(networkMode="bridge") == [] and publish(networkMode="xqfc") == []


def test_container_rule_ignores_other_resources():
    assert g.containers_publish_only_web(g.REMOTE_IMAGE, {"ports": [{"internal": 5432, "external": 5432}],
                                                          "networkMode": "host"}, "dev") == []


def test_read_only_container_with_any_upload_is_reported():
    uploads = [{"file": "/etc/a.conf", "content": "a"}, {"file": "/etc/b.conf", "content": "b"}]
    (message,) = g.read_only_containers_take_files_by_mount(g.CONTAINER, {"readOnly": True, "uploads": uploads}, "dev")
    assert "['/etc/a.conf', '/etc/b.conf']" in message
    for inputs in ({"readOnly": False, "uploads": uploads}, {"uploads": uploads}, {"readOnly": "true", "uploads": uploads},
                   {"readOnly": True, "uploads": []}, {"readOnly": True}):
        assert g.read_only_containers_take_files_by_mount(g.CONTAINER, inputs, "dev") == [], inputs
    assert g.read_only_containers_take_files_by_mount(g.REMOTE_IMAGE, {"readOnly": True, "uploads": uploads}, "dev") == []


# --- images ----------------------------------------------------------------------------------


def pinned(type_: str, inputs: dict, env: str = "prod") -> list[str]:
    return g.prod_images_pinned_by_digest(type_, inputs, env)


@pytest.mark.parametrize("name", ["postgres:17", "registry.example/app:1.2", "nginx", "", None, "app@sha256"])
def test_prod_remote_images_must_name_a_digest(name):
    (message,) = pinned(g.REMOTE_IMAGE, {"name": name})
    assert repr(name) in message and "name@sha256:<digest>" in message
    assert pinned(g.REMOTE_IMAGE, {"name": name}, "staging") == []


@pytest.mark.parametrize("image", ["redis:7", "registry.example/app", "registry.example:5000/app:1.2", "app:" + DIGEST[1:]])
def test_prod_containers_must_not_run_a_tag(image):
    (message,) = pinned(g.CONTAINER, {"image": image})
    assert repr(image) in message
    assert pinned(g.CONTAINER, {"image": image}, "dev") == []


@pytest.mark.parametrize("image", ["redis:7" + DIGEST, "registry.example/app" + DIGEST, "sha256:" + "cd" * 32,
                                   "[unknown:image]", "[unknown/image]", None, 42,
                                   # pulumi-policy's unknown string during preview (pulumi_policy/proxy.py
                                   # UNKNOWN_STRING_VALUE): a bare word, so bare words pass (a bare
                                   # `nginx` does too: docs/testing.md)
                                   "04da6b54-80e4-46f7-96ec-b56ff0331ba9"])
def test_prod_containers_may_run_digests_image_ids_and_unknowns(image):
    assert pinned(g.CONTAINER, {"image": image}) == []


def test_image_rule_reads_the_right_field_of_each_type():
    assert pinned(g.CONTAINER, {"name": "redis:7", "image": "redis:7" + DIGEST}) == []
    assert pinned(g.REMOTE_IMAGE, {"name": "redis:7" + DIGEST, "image": "redis:7"}) == []
    assert pinned(g.TENCENT_VM, {"name": "redis:7", "image": "redis:7"}) == []


def test_check_resource_runs_every_rule():
    inputs = {"ports": [{"internal": 5432, "external": 5432}], "image": "redis:7", "readOnly": True,
              "uploads": [{"file": "/x"}]}
    assert len(g.check_resource(g.CONTAINER, inputs, "prod")) == 3
    assert len(g.check_resource(g.CONTAINER, inputs, "dev")) == 2


# --- stack rules and names -------------------------------------------------------------------


@pytest.mark.parametrize("names, scheduled", [
    (["xqfc-prod-backup"], True), (["xqfc-prod-network", "xqfc-prod-backup-timer"], True),
    (["backup"], True), (["xqfc-prod-backups", "xqfc-prod-nobackup", "xqfc-prod-backup_x"], False), ([], False),
])
def test_backups_scheduled_needs_a_remote_command_with_the_backup_role(names, scheduled):
    resources = [R(g.REMOTE_COMMAND, n, {}) for n in names]
    got = g.backups_scheduled(resources, "prod")
    assert got == ([] if scheduled else [f"no {g.REMOTE_COMMAND} with role 'backup' installs the backup timer; "
                                         "backups are not scheduled"])


def test_a_backup_named_resource_of_another_type_does_not_schedule_backups():
    others = [R(g.CONTAINER, "xqfc-prod-backup", {}), R(g.REMOTE_IMAGE, "xqfc-prod-backup", {})]
    assert len(g.backups_scheduled(others, "prod")) == 1
    assert g.backups_scheduled([*others, R(g.REMOTE_COMMAND, "xqfc-prod-backup", {})], "prod") == []


@pytest.mark.parametrize("stack, env", [
    ("prod", "prod"), ("org/xqfc/prod", "prod"), ("prod-eu", "prod"), ("org/xqfc/prod-eu", "prod"),
    ("production", "production"), ("preprod", "preprod"), ("staging", "staging"), ("org/xqfc/dev", "dev"),
    ("prod/xqfc/dev", "dev"), ("org/prod", "prod"),
])
def test_environment_of_reads_the_last_path_part(stack, env):
    assert g.environment_of(stack) == env


def test_stack_of_urn():
    assert g.stack_of_urn("urn:pulumi:prod-eu::xqfc::tencentcloud:Cos/bucket:Bucket::b") == "prod-eu"
    assert g.stack_of_urn("urn:pulumi:dev::xqfc::docker:index/container:Container::xqfc-dev-redis") == "dev"
