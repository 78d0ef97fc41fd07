"""The settings' cross-field checks at their exact boundaries, through the public API only
(`from_mapping`, `SettingsError`), so the tests hold whichever module each check lives in.

Each case changes one thing in a valid stack and expects exactly the keys it breaks to be named
(docs/testing.md, mutation benchmark).
"""
from __future__ import annotations

import pytest

from components.settings import SettingsError, from_mapping

DIGEST = "@sha256:" + "ab" * 32
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM/x0NSt3Px2UDd5ZICU+UpRja2RLYY+gcmLsPJwtXUM ops@xqfc.example"
S3_KEYS = {"s3AccessKeyId", "s3SecretAccessKey"}
PEM_KEYS = {"tlsCertificatePem", "tlsPrivateKeyPem"}
SECRETS = S3_KEYS | PEM_KEYS


def cloud(**extra) -> dict:
    base = {"environment": "dev", "domain": "dev.xqfc.example", "dnsZone": "xqfc.example",
            "adminCidrs": '["203.0.113.10/32"]', "sshPublicKey": KEY, "appImage": "registry.example/xqfc/app:1.0.0"}
    return {k: v for k, v in {**base, **extra}.items() if v is not None}


def ali(**extra) -> dict:
    return cloud(cloud="alicloud", region="cn-hangzhou", zone="cn-hangzhou-h", **extra)


def ssh(**extra) -> dict:
    base = {"environment": "dev", "cloud": "ssh", "domain": "dev.xqfc.example", "adminCidrs": '["203.0.113.10/32"]',
            "appImage": "registry.example/xqfc/app:1.0.0", "sshHosts": '["203.0.113.50"]',
            "s3Endpoint": "https://s3.example.net", "s3Bucket": "xqfc-backups", "s3AccessKeyId": "placeholder",
            "s3SecretAccessKey": "placeholder", "acmeDnsProvider": "cloudflare"}
    return {k: v for k, v in {**base, **extra}.items() if v is not None}


def prod(**extra) -> dict:
    raw = cloud(environment="prod", domain="xqfc.example", deletionProtection="true", backupRetentionDays="30",
                vmMemoryGb="16", alertEmailTo="ops@xqfc.example", alertEmailFrom="alerts@xqfc.example",
                alertSmtpHost="smtp.example.com:465")
    images = {k: v for k, v in from_mapping(cloud(), "dev").images().items()}
    raw.update({key: image + DIGEST for key, image in images.items()})
    return {k: v for k, v in {**raw, **extra}.items() if v is not None}


def ha(**extra) -> dict:
    return cloud(**{"topology": "ha", "secondaryZone": "ap-guangzhou-4", **extra})


# An instance type of the memory a case sets (components/cloud/catalog.py), so that a case about
# another rule is not refused for a vmMemoryGb its type does not have.
_TYPE_OF = {"tencentcloud": {2: "S5.SMALL2", 4: "S5.MEDIUM4", 8: "S5.LARGE8", 16: "S5.LARGE16", 32: "S5.2XLARGE32"},
            "alicloud": {4: "ecs.c7.large", 8: "ecs.g7.large", 16: "ecs.g7.xlarge", 32: "ecs.g7.2xlarge"}}


def _typed(raw: dict) -> dict:
    types = _TYPE_OF.get(raw.get("cloud", "tencentcloud"), {})
    if "vmMemoryGb" in raw and "instanceType" not in raw and str(raw["vmMemoryGb"]).isdigit() and int(raw["vmMemoryGb"]) in types:
        return {**raw, "instanceType": types[int(raw["vmMemoryGb"])]}
    return raw


def named(raw: dict) -> dict[str, list[str]]:
    """{key: [messages]} of every problem; {} when the stack is valid."""
    try:
        from_mapping(_typed(raw), str(raw.get("environment")), SECRETS & set(raw))
    except SettingsError as err:
        out: dict[str, list[str]] = {}
        for p in err.problems:
            out.setdefault(p.key, []).append(p.message)
        return out
    return {}


def error_text(raw: dict) -> str:
    with pytest.raises(SettingsError) as info:
        from_mapping(_typed(raw), str(raw.get("environment")), SECRETS & set(raw))
    return str(info.value)


@pytest.mark.parametrize("raw", [cloud(), ali(), ssh(), prod(), ha(), prod(cloud="alicloud", region="cn-hangzhou", zone="cn-hangzhou-h")],
                         ids=["tencent", "alicloud", "ssh", "prod", "ha", "prod-alicloud"])
def test_the_base_stacks_are_valid(raw):
    assert named(raw) == {}


# --- domain under the DNS zone -------------------------------------------------------------------


@pytest.mark.parametrize("domain, ok", [("xqfc.example", True), ("dev.xqfc.example", True), ("a.b.xqfc.example", True),
                                        ("xqfc.example.org", False), ("devxqfc.example", False), ("other.example", False)])
def test_domain_must_be_the_zone_or_under_it(domain, ok):
    assert named(cloud(domain=domain)) == ({} if ok else {"domain": ["must be xqfc.example or a name under it (dnsZone)"]})


# --- cloud ssh -----------------------------------------------------------------------------------


@pytest.mark.parametrize("hosts, ok", [('["203.0.113.50"]', True), ("[]", False), ('["a.example", "b.example"]', False)])
def test_existing_host_needs_exactly_one_host(hosts, ok):
    assert ("sshHosts" not in named(ssh(sshHosts=hosts))) is ok


@pytest.mark.parametrize("change, keys", [
    ({"topology": "ha", "secondaryZone": "ap-guangzhou-4"}, {"topology"}),
    ({"cdnEnabled": "true"}, {"cdnEnabled"}),
    ({"tencentAppId": "1250000000"}, {"tencentAppId"}),
    ({"bucketName": "xqfc-dev"}, {"bucketName"}),
    ({"imageId": "img-abc12345"}, {"imageId"}),
    ({"tencentAppId": "1250000000", "bucketName": "xqfc-dev", "imageId": "img-abc12345"}, {"tencentAppId", "bucketName", "imageId"}),
    ({"s3Endpoint": None}, {"s3Endpoint"}),
    ({"s3Bucket": None}, {"s3Bucket"}),
    ({"s3AccessKeyId": None}, {"s3AccessKeyId"}),
    ({"s3SecretAccessKey": None}, {"s3SecretAccessKey"}),
    ({"acmeDnsProvider": None}, {"acmeDnsProvider"}),
    ({"tlsSource": "provided", "acmeDnsProvider": None}, PEM_KEYS),
])
def test_existing_host_names_each_missing_or_cloud_only_setting(change, keys):
    assert set(named(ssh(**change))) == keys


def test_existing_host_with_provided_tls_needs_both_pems_and_no_dns_provider():
    only_cert = named(ssh(tlsSource="provided", acmeDnsProvider=None, tlsCertificatePem="x"))
    assert "tlsPrivateKeyPem" in only_cert and "tlsCertificatePem" not in only_cert and "acmeDnsProvider" not in only_cert
    only_key = named(ssh(tlsSource="provided", acmeDnsProvider=None, tlsPrivateKeyPem="x"))
    assert "tlsCertificatePem" in only_key and "tlsPrivateKeyPem" not in only_key


def test_existing_host_problems_show_the_offending_value():
    assert "cdnEnabled = true" in error_text(ssh(cdnEnabled="true"))


# --- cloud stacks --------------------------------------------------------------------------------


@pytest.mark.parametrize("change, keys", [
    ({"dnsZone": None}, {"dnsZone"}),
    ({"sshPublicKey": None}, {"sshPublicKey"}),
    ({"sshHosts": '["203.0.113.50"]'}, {"sshHosts"}),
    ({"s3Endpoint": "https://s3.example.net"}, {"s3Endpoint"}),
    ({"s3Bucket": "xqfc-backups"}, {"s3Bucket"}),
    ({"acmeDnsProvider": "cloudflare"}, {"acmeDnsProvider"}),
    ({"dockerRootDir": "/srv/docker"}, {"dockerRootDir"}),
    ({"tlsSource": "provided"}, {"tlsSource"}),
    ({"s3AccessKeyId": "placeholder"}, {"s3AccessKeyId"}),
    ({"s3SecretAccessKey": "placeholder"}, {"s3SecretAccessKey"}),
    ({"tlsCertificatePem": "x"}, {"tlsCertificatePem"}),
    ({"tlsPrivateKeyPem": "x"}, {"tlsPrivateKeyPem"}),
])
def test_cloud_stack_names_each_missing_or_ssh_only_setting(change, keys):
    assert set(named(cloud(**change))) == keys


def test_cloud_stack_never_echoes_a_secret():
    assert "placeholder" not in error_text(cloud(s3AccessKeyId="placeholder", s3SecretAccessKey="placeholder"))


@pytest.mark.parametrize("raw, key, fragment", [
    (cloud(region="cn-hangzhou"), "region", "cn-hangzhou is a alicloud region but cloud is tencentcloud; not a tencentcloud region"),
    (cloud(zone="ap-shanghai-2"), "zone", "not a zone of tencentcloud region ap-guangzhou"),
    (cloud(zone="cn-hangzhou-h"), "zone", "cn-hangzhou-h is a alicloud zone but cloud is tencentcloud"),
])
def test_region_and_zone_belong_to_the_cloud(raw, key, fragment):
    (message,) = named(raw)[key]
    assert fragment in message
    assert set(named(raw)) == {key}


def test_a_wrong_zone_of_the_same_cloud_gets_no_other_cloud_hint():
    (message,) = named(cloud(zone="ap-shanghai-2"))["zone"]
    assert "but cloud is" not in message


@pytest.mark.parametrize("key", ["systemDiskType", "dataDiskType"])
def test_each_disk_type_is_checked_against_the_cloud(key):
    assert set(named(ali(**{key: "CLOUD_SSD"}))) == {key}
    assert set(named(cloud(**{key: "cloud_essd"}))) == {key}


def test_tencent_app_id_only_on_tencent():
    assert named(cloud(tencentAppId="1250000000")) == {}
    assert set(named(ali(tencentAppId="1250000000"))) == {"tencentAppId"}


def test_subnet_inside_the_vpc():
    assert named(cloud(vpcCidr="10.20.0.0/16", subnetCidr="10.20.255.0/24")) == {}
    assert set(named(cloud(vpcCidr="10.20.0.0/16", subnetCidr="10.21.0.0/24"))) == {"subnetCidr"}


# --- checks every stack passes -------------------------------------------------------------------


@pytest.mark.parametrize("cidrs", ['["0.0.0.0/0"]', '["::/0"]', '["203.0.113.0/24", "::/0", "0.0.0.0/0"]',
                                   '["0.0.0.0/1", "128.0.0.0/1"]'])
def test_ssh_from_the_world_is_refused_in_every_environment(cidrs):
    # The world whole, in IPv6 (security-group rules here are IPv4) or in pieces: all refused.
    assert set(named(cloud(adminCidrs=cidrs))) == {"adminCidrs"}
    assert set(named(prod(adminCidrs=cidrs))) == {"adminCidrs"}


@pytest.mark.parametrize("days, ok", [(29, False), (30, True), (31, True), (1, False)])
def test_prod_keeps_backups_at_least_30_days(days, ok):
    got = named(prod(backupRetentionDays=str(days), backupLocalDays="1"))
    assert got == ({} if ok else {"backupRetentionDays": ["prod keeps backups at least 30 days"]})
    assert named(cloud(backupRetentionDays=str(days), backupLocalDays="1")) == {}


def test_prod_needs_deletion_protection():
    assert named(prod(deletionProtection="false")) == {"deletionProtection": ["must be true in prod"]}
    assert "deletionProtection = false" in error_text(prod(deletionProtection="false"))
    assert named(cloud(deletionProtection="false")) == {}


def test_prod_names_each_image_without_a_digest():
    images = sorted(from_mapping(cloud(), "dev").images())
    for key in (images[0], images[len(images) // 2], images[-1]):
        unpinned = prod(**{key: "registry.example/xqfc/x:1.0"})
        assert set(named(unpinned)) == {key}, key


@pytest.mark.parametrize("server, user, missing", [(None, None, set()), ("registry.example", "ci", set()),
                                                   ("registry.example", None, {"registryUsername"}), (None, "ci", {"registryServer"})])
def test_registry_server_and_username_come_together(server, user, missing):
    # A missing half is named on the key that is missing.
    got = named(cloud(registryServer=server, registryUsername=user))
    assert set(got) & {"registryServer", "registryUsername"} == missing


def test_memory_budget_may_reach_exactly_80_percent_of_the_vm():
    # 5 GiB * 80 % = 4096 MiB exactly.
    # A well-formed type the catalog does not list passes with its stated memory (cloud/rules.py).
    at = {"instanceType": "S6.MEDIUM5", "vmMemoryGb": "5", "postgresMemoryMb": "2048", "appMemoryMb": "1024", "redisMaxmemoryMb": "1024"}
    assert named(cloud(**at)) == {}
    for key in ("postgresMemoryMb", "appMemoryMb", "redisMaxmemoryMb"):
        over = {**at, key: str(int(at[key]) + 1)}
        assert set(named(cloud(**over))) == {"postgresMemoryMb"}, key


@pytest.mark.parametrize("given, ok", [((), True), (("alertEmailTo", "alertEmailFrom", "alertSmtpHost"), True),
                                       (("alertEmailTo",), False), (("alertEmailFrom", "alertSmtpHost"), False),
                                       (("alertSmtpHost",), False)])
def test_email_alert_settings_come_together(given, ok):
    values = {"alertEmailTo": "ops@xqfc.example", "alertEmailFrom": "alerts@xqfc.example", "alertSmtpHost": "smtp.example.com:465"}
    got = named(cloud(**{k: values[k] for k in given}))
    assert (not set(got) & set(values)) is ok, got


@pytest.mark.parametrize("change, keys", [
    ({}, set()),
    ({"alertWecomCorpId": "ww0123456789abcdef", "alertWecomAgentId": "1000002", "alertWecomToUser": "@all"}, set()),
    ({"alertWecomCorpId": "ww0123456789abcdef", "alertWecomAgentId": "1000002", "alertWecomToParty": "2"}, set()),
    ({"alertWecomCorpId": "ww0123456789abcdef", "alertWecomAgentId": "1000002"}, {"alertWecomToParty"}),
    ({"alertWecomCorpId": "ww0123456789abcdef", "alertWecomToUser": "@all"}, {"alertWecomAgentId"}),
    ({"alertWecomAgentId": "1000002"}, {"alertWecomCorpId"}),
])
def test_wecom_alert_settings_come_together(change, keys):
    assert set(named(cloud(**change))) == keys


@pytest.mark.parametrize("local, retention, ok", [(7, 7, True), (6, 7, True), (8, 7, False), (1, 1, True), (2, 1, False)])
def test_local_copies_never_outlive_the_retention(local, retention, ok):
    got = named(cloud(backupLocalDays=str(local), backupRetentionDays=str(retention)))
    assert got == ({} if ok else {"backupLocalDays": [f"cannot exceed backupRetentionDays ({retention})"]})


def test_data_mount_is_not_the_device():
    assert set(named(cloud(dataMountPath="/dev/vdb", dataDiskDevice="/dev/vdb"))) == {"dataMountPath"}
    assert named(cloud(dataMountPath="/data", dataDiskDevice="/dev/vdb")) == {}


# --- logs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("gb, ok", [(8, True), (7, False), (16, True)])
def test_logs_need_an_8_gb_vm(gb, ok):
    got = named(cloud(logsEnabled="true", vmMemoryGb=str(gb)))
    assert ("logsEnabled" not in got) is ok
    if not ok:
        assert "logsEnabled = true" in error_text(cloud(logsEnabled="true", vmMemoryGb=str(gb)))
    assert named(cloud(logsEnabled="false", vmMemoryGb="4", prometheusRetention="1h")) == {}


@pytest.mark.parametrize("retention, ok", [("24h", True), ("23h", False), ("1d", True), ("1w", True), ("1y", True),
                                           ("48h", True), ("1h", False), ("12h", False)])
def test_logs_keep_at_least_a_day(retention, ok):
    got = named(cloud(logsEnabled="true", vmMemoryGb="8", prometheusRetention=retention))
    assert got == ({} if ok else {"prometheusRetention": [
        "with logsEnabled it is also Loki's retention: at least 24h (e.g. 1d)"]})


# --- ha --------------------------------------------------------------------------------------------


def test_ha_needs_a_second_zone_of_the_region_other_than_the_first():
    assert set(named(cloud(topology="ha"))) == {"secondaryZone"}
    assert named(ha(secondaryZone="ap-guangzhou-3"))["secondaryZone"][0].startswith("must differ from zone")
    assert named(ha(secondaryZone="ap-shanghai-2"))["secondaryZone"][0].startswith("not a zone of tencentcloud region")
    # single ignores the secondary settings.
    assert named(cloud(secondaryZone="ap-shanghai-2", secondarySubnetCidr="192.168.0.0/24")) == {}


def test_ha_with_an_unknown_region_reports_the_region_only():
    assert set(named(ha(region="eu-frankfurt-x"))) == {"region"}


OUTSIDE = "must lie inside vpcCidr 10.20.0.0/16 (empty: the range after subnetCidr)"


@pytest.mark.parametrize("change, problem", [
    ({"secondarySubnetCidr": "10.21.0.0/24"}, ("secondarySubnetCidr", OUTSIDE)),
    ({"dataSubnetCidr": "10.21.0.0/24"}, ("dataSubnetCidr", OUTSIDE)),
    ({"secondarySubnetCidr": "10.20.1.0/25"}, ("secondarySubnetCidr", "overlaps subnetCidr")),
    ({"dataSubnetCidr": "10.20.1.128/25"}, ("dataSubnetCidr", "overlaps subnetCidr")),
    ({"secondarySubnetCidr": "10.20.5.0/24", "dataSubnetCidr": "10.20.5.0/24"}, ("dataSubnetCidr", "overlaps secondarySubnetCidr")),
])
def test_ha_subnets_lie_in_the_vpc_and_do_not_overlap(change, problem):
    key, message = problem
    assert named(ha(**change)) == {key: [message]}


def test_ha_subnets_that_fit_pass():
    assert named(ha(secondarySubnetCidr="10.20.5.0/24", dataSubnetCidr="10.20.6.0/24")) == {}
