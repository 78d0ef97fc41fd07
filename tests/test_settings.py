"""Bad configuration is refused with a message naming the key, the value and what is allowed."""
from __future__ import annotations

import pytest
from pydantic.alias_generators import to_camel

from components.plan.run import ROOT
from components.plan.stack_config import read_stack_config
from components.settings import (
    CLOUD_DEFAULTS,
    CLOUDS,
    DISK_TYPES,
    REGIONS,
    Settings,
    SettingsError,
    from_mapping,
)

DIGEST = "@sha256:" + "ab" * 32
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM/x0NSt3Px2UDd5ZICU+UpRja2RLYY+gcmLsPJwtXUM ops@xqfc.example"


def valid(env: str = "dev", **extra) -> dict:
    base = {
        "environment": env,
        "domain": "dev.xqfc.example" if env != "prod" else "xqfc.example",
        "dnsZone": "xqfc.example",
        "adminCidrs": '["203.0.113.10/32"]',
        "sshPublicKey": KEY,
        "appImage": "ccr.ccs.tencentyun.com/xqfc/app:1.0.0",
    }
    if env == "prod":
        base.update(deletionProtection="true", backupRetentionDays="30", vmMemoryGb="16", instanceType="S5.LARGE16")
        base.update(alertEmailTo="ops@xqfc.example", alertEmailFrom="alerts@xqfc.example", alertSmtpHost="smtp.example.com:465")
        for field in Settings.model_fields.values():
            if field.alias.endswith("Image"):
                base[field.alias] = (base.get(field.alias) or field.default) + DIGEST
    base.update(extra)
    return base


def stack_of(raw: dict) -> str:
    """Each stack's environment is its name: a valid environment names the stack under test."""
    env = raw.get("environment")
    return env if env in ("dev", "staging", "prod") else "dev"


def problems(raw: dict, stack: str | None = None) -> list:
    stack = stack or stack_of(raw)
    with pytest.raises(SettingsError) as info:
        from_mapping(raw, stack)
    return info.value.problems


# (description, raw config, the key that must be named, a fragment of the message)
INVALID = [
    ("unknown environment", valid(environment="production"), "environment", "'dev', 'staging' or 'prod'"),
    ("unknown cloud", valid(cloud="aws"), "cloud", "'tencentcloud', 'alicloud' or 'ssh'"),
    ("region of no cloud", valid(region="us-east-1"), "region", "ap-guangzhou"),
    ("zone outside the region", valid(zone="ap-shanghai-2"), "zone", "ap-guangzhou"),
    ("Alibaba zone on Tencent", valid(zone="cn-hangzhou-h"), "zone", "alicloud zone but cloud is tencentcloud"),
    ("Tencent zone on Alibaba", valid(cloud="alicloud", region="cn-hangzhou", zone="ap-guangzhou-3"), "zone", "tencentcloud zone but cloud is alicloud"),
    ("Tencent region on Alibaba", valid(cloud="alicloud", region="ap-guangzhou", zone="ap-guangzhou-3"), "region", "tencentcloud region but cloud is alicloud"),
    ("Alibaba region without its zone", valid(cloud="alicloud", region="cn-shanghai"), "zone", "cn-shanghai-h"),
    ("Alibaba zone after a digit has no hyphen", valid(cloud="alicloud", region="ap-southeast-1", zone="ap-southeast-1-a"), "zone", "ap-southeast-1a"),
    ("Tencent disk type on Alibaba", valid(cloud="alicloud", dataDiskType="CLOUD_SSD"), "dataDiskType", "cloud_essd"),
    ("APPID on an Alibaba stack", valid(cloud="alicloud", tencentAppId="1250000000"), "tencentAppId", "only used on tencentcloud"),
    ("ACME directory over plain http", valid(acmeServerUrl="http://acme.example/directory"), "acmeServerUrl", "https://"),
    ("certificate email not an address", valid(certificateEmail="ops"), "certificateEmail", "email address"),
    ("renewal window too short", valid(certificateRenewDays="3"), "certificateRenewDays", "greater than or equal to 7"),
    ("domain with capitals and underscore", valid(domain="Dev_XQFC.example"), "domain", "DNS name"),
    ("domain outside the DNS zone", valid(domain="dev.other.example"), "domain", "xqfc.example"),
    ("admin CIDR not a CIDR", valid(adminCidrs='["203.0.113.10/33"]'), "adminCidrs", "CIDR"),
    ("admin CIDRs empty", valid(adminCidrs="[]"), "adminCidrs", "at least 1"),
    ("admin CIDRs not a list", valid(adminCidrs="203.0.113.10/32"), "adminCidrs", "must be a list"),
    ("SSH open to the world in prod", valid("prod", adminCidrs='["0.0.0.0/0"]'), "adminCidrs", "world"),
    ("SSH open to the world in staging", valid("staging", adminCidrs='["0.0.0.0/0"]'), "adminCidrs", "world"),
    ("prod without deletion protection", valid("prod", deletionProtection="false"), "deletionProtection", "true in prod"),
    ("prod retention below 30 days", valid("prod", backupRetentionDays="7"), "backupRetentionDays", "30"),
    ("retention zero", valid(backupRetentionDays="0"), "backupRetentionDays", "greater than or equal to 1"),
    ("retention not a number", valid(backupRetentionDays="a week"), "backupRetentionDays", "integer"),
    ("SSH key not a public key", valid(sshPublicKey="b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ (a private key's body)"), "sshPublicKey", "OpenSSH public key"),
    ("system disk too small", valid(systemDiskSize="10"), "systemDiskSize", "greater than or equal to 20"),
    ("disk type of another cloud", valid(systemDiskType="cloud_essd"), "systemDiskType", "CLOUD_PREMIUM"),
    ("bandwidth too high", valid(bandwidthMbps="1000"), "bandwidthMbps", "less than or equal to 200"),
    ("public VPC range", valid(vpcCidr="8.8.0.0/16"), "vpcCidr", "private"),
    ("subnet outside the VPC", valid(subnetCidr="10.99.1.0/24"), "subnetCidr", "inside vpcCidr"),
    ("root as deploy user", valid(deployUser="root"), "deployUser", "other than root"),
    ("bucket name with capitals", valid(bucketName="XQFC_Bucket"), "bucketName", "a-z"),
    ("APPID not numeric", valid(tencentAppId="appid-abc"), "tencentAppId", "numeric"),
    ("mirror over plain http", valid(dockerAptMirror="http://mirrors.example/docker-ce"), "dockerAptMirror", "https://"),
    ("boolean that is not one", valid(cdnEnabled="maybe"), "cdnEnabled", "boolean"),
    ("misspelt key", valid(adminCidr='["203.0.113.10/32"]'), "adminCidr", "not a known setting"),
    ("prod image by tag only", valid("prod", redisImage="redis:7-alpine"), "redisImage", "pinned by digest"),
    ("logs on a 4 GB VM", valid(logsEnabled="true"), "logsEnabled", "vmMemoryGb >= 8"),
    ("logs with retention under a day", valid(logsEnabled="true", vmMemoryGb="8", prometheusRetention="12h"), "prometheusRetention", "24h"),
    ("prod Loki image by tag only", valid("prod", lokiImage="grafana/loki:3.5.3"), "lokiImage", "pinned by digest"),
    ("image reference with spaces", valid(appImage="my app:latest"), "appImage", "image reference"),
    ("digest that is not sha256 hex", valid(appImage="app@sha256:xyz"), "appImage", "image reference"),
    ("unknown eviction policy", valid(redisEvictionPolicy="lru"), "redisEvictionPolicy", "allkeys-lru"),
    ("memory budget over the VM", valid(postgresMemoryMb="4096", appMemoryMb="1024"), "postgresMemoryMb", "vmMemoryGb"),
    ("registry user without server", valid(registryUsername="100001"), "registryServer", "registryUsername"),
    ("secret in plain text", valid(registryPassword="hunter2"), "registryPassword", "--secret"),
    ("SQL identifier with a dash", valid(dbName="xqfc-db"), "dbName", "SQL identifier"),
    ("health path without slash", valid(appHealthPath="health"), "appHealthPath", "URL path"),
    ("prod without any alert receiver", {k: v for k, v in valid("prod").items() if not k.startswith(("alertE", "alertS"))}, "alertEmailTo", "alert receiver"),
    ("email receiver half configured", valid(alertEmailTo="ops@xqfc.example"), "alertEmailFrom", "together"),
    ("malformed alert address", valid(alertEmailTo="ops at xqfc"), "alertEmailTo", "email address"),
    ("SMTP host without port", valid(alertSmtpHost="smtp.exmail.qq.com"), "alertSmtpHost", "host:port"),
    ("retention not a duration", valid(prometheusRetention="30 days"), "prometheusRetention", "15d"),
    ("local copies kept longer than retention", valid(backupLocalDays="10"), "backupLocalDays", "backupRetentionDays"),
    ("WeCom without a recipient", valid(alertWecomCorpId="ww0123456789abcdef", alertWecomAgentId="1000002"), "alertWecomToParty", "recipient"),
    ("required key missing", {k: v for k, v in valid().items() if k != "domain"}, "domain", "required"),
]


@pytest.mark.parametrize("raw,key,fragment", [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_input_names_key_value_and_allowed(raw, key, fragment):
    found = problems(raw)
    named = [p for p in found if p.key == key]
    assert named, f"no problem names {key}: {[str(p) for p in found]}"
    assert any(fragment in p.message for p in named), [str(p) for p in named]
    message = str(SettingsError("test", found))
    assert f"xqfc:{key}" in message


def test_every_problem_is_reported_at_once():
    raw = valid(environment="dev", domain="BAD", adminCidrs='["x"]', systemDiskSize="1", cloud="gcp")
    keys = {p.key for p in problems(raw)}
    assert {"domain", "adminCidrs", "systemDiskSize", "cloud"} <= keys


def test_cross_checks_are_reported_together():
    raw = valid("prod", deletionProtection="false", backupRetentionDays="7", adminCidrs='["0.0.0.0/0"]', zone="ap-beijing-1")
    keys = {p.key for p in problems(raw)}
    assert keys == {"deletionProtection", "backupRetentionDays", "adminCidrs", "zone"}


def test_bad_value_is_shown():
    (p,) = problems(valid(bandwidthMbps="1000"))
    assert "1000" in str(p)


def test_prod_dingtalk_secret_counts_as_a_receiver():
    raw = {k: v for k, v in valid("prod").items() if not k.startswith("alertE") and not k.startswith("alertS")}
    s = from_mapping({**raw, "alertDingtalkWebhook": "x"}, "prod", secret_keys={"alertDingtalkWebhook"})
    assert s.is_prod


def test_secret_keys_are_accepted_when_encrypted():
    s = from_mapping(valid(registryPassword="ciphertext"), "dev", secret_keys={"registryPassword"})
    assert not hasattr(s, "registry_password")


def test_valid_minimal_config_gets_defaults():
    s = from_mapping(valid(), "dev")
    assert s.cloud == "tencentcloud" and s.system_disk_size == 50 and s.admin_cidrs == ["203.0.113.10/32"]
    assert s.record_name("dev.xqfc.example") == "dev" and s.record_name("www.dev.xqfc.example") == "www.dev"


def test_empty_optional_strings_mean_unset():
    s = from_mapping(valid(imageId="", bucketName="", certificateEmail=""), "dev")
    assert s.image_id is None and s.bucket_name is None and s.certificate_email is None
    assert s.bucket_base_name == "xqfc-dev"


def test_registry_mirror_none_turns_it_off():
    # "" now means the cloud's mirror (Tencent's only works inside Tencent), so "off" is spelt out.
    assert from_mapping(valid(dockerRegistryMirror="none"), "dev").docker_registry_mirror is None
    assert from_mapping(valid(dockerRegistryMirror=""), "dev").docker_registry_mirror == CLOUD_DEFAULTS["tencentcloud"]["docker_registry_mirror"]


@pytest.mark.parametrize("cloud", CLOUDS)
def test_empty_cloud_keys_take_that_clouds_defaults(cloud):
    blank = {to_camel(k): "" for k in CLOUD_DEFAULTS[cloud]}
    s = from_mapping(valid(cloud=cloud, **blank), "dev")
    for field, default in CLOUD_DEFAULTS[cloud].items():
        assert getattr(s, field) == default, field
    # ...and each cloud's defaults pass that cloud's own region, zone and disk checks.
    assert s.region in REGIONS[cloud] and s.system_disk_type in DISK_TYPES[cloud]


def test_explicit_values_win_over_cloud_defaults():
    s = from_mapping(valid(cloud="alicloud", region="ap-southeast-1", zone="ap-southeast-1a", instanceType="ecs.u1-c1m2.large",
                           systemDiskType="cloud_auto", dockerRegistryMirror="https://abc123.mirror.aliyuncs.com"), "dev")
    assert (s.region, s.zone, s.instance_type, s.system_disk_type) == ("ap-southeast-1", "ap-southeast-1a", "ecs.u1-c1m2.large", "cloud_auto")
    assert s.data_disk_type == CLOUD_DEFAULTS["alicloud"]["data_disk_type"]
    assert s.docker_registry_mirror == "https://abc123.mirror.aliyuncs.com"


def test_no_cloud_default_is_valid_on_the_other_cloud():
    # The point of per-cloud defaults: a forgotten Tencent value cannot slip onto Alibaba unnoticed.
    for cloud in CLOUDS:
        for other in CLOUDS:
            if other != cloud:
                d = CLOUD_DEFAULTS[other]
                assert d["region"] not in REGIONS[cloud] and d["system_disk_type"] not in DISK_TYPES[cloud]


def test_world_ssh_refused_in_dev_too():
    assert [p.key for p in problems(valid(adminCidrs='["0.0.0.0/0"]'))] == ["adminCidrs"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_stack_files_are_valid_and_never_open_ssh_to_the_world(stack):
    config, secret = read_stack_config(ROOT, stack)
    raw = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("xqfc:")}
    s = from_mapping(raw, stack, {k.split(":", 1)[1] for k in secret})
    assert s.environment == stack
    assert all(not c.endswith("/0") for c in s.admin_cidrs)


def test_stacks_differ_where_they_should():
    loaded = {}
    for stack in ("dev", "staging", "prod"):
        config, _ = read_stack_config(ROOT, stack)
        loaded[stack] = from_mapping({k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("xqfc:")}, stack)
    dev, prod = loaded["dev"], loaded["prod"]
    assert dev.instance_type == "S5.MEDIUM4" and not dev.deletion_protection and not dev.cdn_enabled
    assert prod.deletion_protection and prod.cdn_enabled
    assert prod.backup_retention_days == max(s.backup_retention_days for s in loaded.values())
    assert dev.backup_retention_days == min(s.backup_retention_days for s in loaded.values())
    assert prod.domain == prod.dns_zone and dev.domain != dev.dns_zone


def test_pulumi_yaml_declares_every_setting_with_matching_default():
    import yaml

    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    fields = {f.alias: f for f in Settings.model_fields.values()}
    assert set(declared) == set(fields)
    for key, decl in declared.items():
        assert decl.get("description"), f"{key} has no description"
        field = fields[key]
        if field.is_required():
            assert "default" not in decl, f"{key} is required but Pulumi.yaml gives a default"
        else:
            default = "" if field.default is None else field.default
            if isinstance(default, float):
                # Declared as a string (the CLI has no number type); the settings parse it.
                assert decl["type"] == "string" and float(decl["default"]) == default, key
                continue
            assert decl["default"] == default, f"{key}: Pulumi.yaml {decl['default']!r} != settings {default!r}"


# The types the Pulumi CLI accepts for project config (sdk/go/common/workspace/project.json,
# SimpleConfigType, v3.274.1): any other type fails every command run in the project with
# "#/config/<key>/type: value must be one of ...". Found by the real CLI: appCpus was `number`.
CLI_CONFIG_TYPES = {"string", "integer", "boolean", "array", "object"}


def test_pulumi_yaml_uses_only_types_the_cli_accepts():
    import yaml

    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    bad = {key: decl.get("type") for key, decl in declared.items() if decl.get("type") not in CLI_CONFIG_TYPES}
    assert not bad, bad
    for key, decl in declared.items():
        if decl.get("type") == "array":
            assert decl.get("items", {}).get("type") in CLI_CONFIG_TYPES, key
