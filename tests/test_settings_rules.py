"""Issue 12, "say no before the cloud does": every key validated, each problem on the key that is wrong.

One row per rule: an input that breaks it, the key the report must name and a fragment of what
is allowed. The bulk runs in process (from_mapping); a handful go through `python -m
components.plan` to show the user's command exits 2 naming the key.
"""
from __future__ import annotations

import secrets
import subprocess
import sys
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
import pytest

from components.plan.run import ROOT
from components.plan.stack_config import read_stack_config
from components.settings import Settings, SettingsError, from_mapping
from components.settings.errors import HIDDEN
from tests.test_settings import valid

EMAIL = {"alertEmailTo": "ops@xqfc.example", "alertEmailFrom": "alerts@xqfc.example", "alertSmtpHost": "smtp.exmail.qq.com:465"}
WECOM = {"alertWecomCorpId": "ww0123456789abcdef", "alertWecomAgentId": "1000002", "alertWecomToParty": "2"}
REGISTRY = {"registryServer": "ccr.ccs.tencentyun.com", "registryUsername": "100000000001"}
# Made fresh each run, so no key-shaped text sits in the repository.
PEM = Ed25519PrivateKey.generate().private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()).decode()
TOKEN = "AKID" + secrets.token_hex(16)  # shaped like a Tencent SecretId


@dataclass
class Case:
    name: str
    raw: dict
    key: str
    fragment: str
    stack: str = "dev"
    foreign: dict = field(default_factory=dict)


CASES = [
    # --- adminCidrs: IPv4 rules of both clouds, no duplicates, never the world in pieces -------
    Case("admin CIDR in IPv6", valid(adminCidrs='["2001:db8::/32"]'), "adminCidrs", "IPv4"),
    Case("admin CIDR listed twice", valid(adminCidrs='["203.0.113.10/32", "203.0.113.10/32"]'), "adminCidrs", "more than once"),
    Case("admin CIDR inside another", valid(adminCidrs='["203.0.113.0/24", "203.0.113.10/32"]'), "adminCidrs", "covered"),
    Case("the world in two halves", valid(adminCidrs='["0.0.0.0/1", "128.0.0.0/1"]'), "adminCidrs", "world in effect"),
    Case("one prefix broader than a /8", valid(adminCidrs='["64.0.0.0/2"]'), "adminCidrs", "one /8"),
    Case("blocks adding up past a /8", valid(adminCidrs='["1.0.0.0/9", "2.0.0.0/9", "3.0.0.0/9"]'), "adminCidrs", "world in effect"),
    # --- VPC ranges clear of Docker's networks on the host --------------------------------------
    Case("VPC over the runtime's networks", valid(vpcCidr="172.30.0.0/16", subnetCidr="172.30.8.0/24"), "vpcCidr", "runtime's"),
    Case("VPC on Docker's default bridge", valid(vpcCidr="172.17.0.0/16", subnetCidr="172.17.1.0/24"), "vpcCidr", "docker0"),
    Case("subnet in Docker's default pool", valid(vpcCidr="192.168.0.0/16", subnetCidr="192.168.1.0/24"), "subnetCidr", "default address pool"),
    # --- the stack and its environment ---------------------------------------------------------
    Case("dev settings in the prod stack", valid("dev"), "environment", "stack's name", stack="prod"),
    Case("prod settings in the staging stack", valid("prod"), "environment", "'staging'", stack="staging"),
    # --- registry --------------------------------------------------------------------------------
    Case("registry with a scheme", valid(**{**REGISTRY, "registryServer": "https://ccr.ccs.tencentyun.com"}), "registryServer", "no scheme"),
    Case("registry port out of range", valid(**{**REGISTRY, "registryServer": "ccr.ccs.tencentyun.com:99999"}), "registryServer", "1-65535"),
    Case("registry no image comes from", valid(**{**REGISTRY, "registryServer": "registry.example:5000"}), "registryServer", "no image"),
    Case("registry user with a space", valid(**{**REGISTRY, "registryUsername": "ops team"}), "registryUsername", "no spaces"),
    Case("registry user with a colon", valid(**{**REGISTRY, "registryUsername": "ops:secret"}), "registryUsername", "':'"),
    # --- the app and its images -----------------------------------------------------------------
    Case("migration over two lines", valid(appMigrationCommand="alembic upgrade head\nrm -rf /data"), "appMigrationCommand", "one line"),
    Case("blank migration", valid(appMigrationCommand="   "), "appMigrationCommand", "blank"),
    Case("image without a tag", valid(appImage="ccr.ccs.tencentyun.com/xqfc/app"), "appImage", "tag"),
    Case("image on latest", valid(redisImage="redis:latest"), "redisImage", "latest"),
    Case("image with an empty path component", valid(appImage="ccr.ccs.tencentyun.com/xqfc//app:1.0.0"), "appImage", "image reference"),
    Case("tag starting with a dash", valid(nginxImage="nginx:-rc1"), "nginxImage", "image reference"),
    Case("database role pg_*", valid(dbUser="pg_app"), "dbUser", "reserved"),
    Case("database role postgres", valid(dbUser="postgres"), "dbUser", "reserved"),
    Case("template database", valid(dbName="template1"), "dbName", "reserved"),
    # --- alerting ------------------------------------------------------------------------------
    Case("SMTP port out of range", valid(**{**EMAIL, "alertSmtpHost": "smtp.exmail.qq.com:99999"}), "alertSmtpHost", "1-65535"),
    Case("SMTP host not a host name", valid(**{**EMAIL, "alertSmtpHost": "-smtp.example.com:465"}), "alertSmtpHost", "host name"),
    Case("SMTP user with a space", valid(**EMAIL, alertSmtpUser="alerts @xqfc.example"), "alertSmtpUser", "no spaces"),
    Case("SMTP user without a host", valid(alertSmtpUser="alerts@xqfc.example"), "alertSmtpUser", "alertSmtpHost"),
    Case("email without its SMTP host", valid(**{**EMAIL, "alertSmtpHost": ""}), "alertSmtpHost", "together"),
    Case("WeCom agent without its corp id", valid(alertWecomAgentId="1000002"), "alertWecomCorpId", "together"),
    Case("two senders", valid(**{**EMAIL, "alertEmailFrom": "a@xqfc.example,b@xqfc.example"}), "alertEmailFrom", "one sender"),
    Case("recipient listed twice", valid(**{**EMAIL, "alertEmailTo": "ops@xqfc.example,ops@xqfc.example"}), "alertEmailTo", "more than once"),
    Case("WeCom corp id too short", valid(**{**WECOM, "alertWecomCorpId": "ww1"}), "alertWecomCorpId", "16 hex"),
    Case("WeCom agent id not numeric", valid(**{**WECOM, "alertWecomAgentId": "alerts"}), "alertWecomAgentId", "numeric AgentId"),
    Case("WeCom users split by commas", valid(**WECOM, alertWecomToUser="zhangsan,lisi"), "alertWecomToUser", "joined by |"),
    Case("WeCom department by name", valid(**{**WECOM, "alertWecomToParty": "ops team"}), "alertWecomToParty", "numeric"),
    # --- schedules (systemd calendar) and object storage ----------------------------------------
    Case("schedule in prose", valid(backupSchedule="every day"), "backupSchedule", "systemd calendar"),
    Case("hour 24", valid(backupSchedule="*-*-* 24:00:00"), "backupSchedule", "systemd calendar"),
    Case("schedule with a trailing space", valid(backupSchedule="daily "), "backupSchedule", "surrounding spaces"),
    Case("drill on a past date", valid(drillSchedule="2020-01-01 04:00:00"), "drillSchedule", "never elapses"),
    Case("drill at a sub-second", valid(drillSchedule="Sun *-*-* 04:00:00.5"), "drillSchedule", "sub-second"),
    Case("snapshot once only", valid(redisSnapshotSchedule="2099-01-01 03:30:00"), "redisSnapshotSchedule", "only once"),
    Case("S3 region in words", valid(s3Region="US East 1"), "s3Region", "us-east-1"),
    # --- SSH ---------------------------------------------------------------------------------
    Case("private key pasted as its path", valid(sshPrivateKeyPath=PEM), "sshPrivateKeyPath", "not the key itself"),
    Case("public key as the private key", valid(sshPrivateKeyPath="~/.ssh/id_ed25519.pub"), "sshPrivateKeyPath", "public key"),
    Case("SSH host that is an option", valid(sshHosts='["-oops.example"]'), "sshHosts", "not host addresses"),
    Case("image regex that does not compile", valid(imageNameRegex="^Ubuntu ("), "imageNameRegex", "regular expression"),
    # --- config outside xqfc: ----------------------------------------------------------------------
    Case("namespace typo", valid(), "xqcf:domain", "did you mean xqfc:domain", foreign={"xqcf:domain": "dev.xqfc.example"}),
    Case("stack name in the namespace", valid(), "xqfc-dev:backupSchedule", "xqfc:backupSchedule", foreign={"xqfc-dev:backupSchedule": "daily"}),
    Case("our key under a provider", valid(), "tencentcloud:adminCidrs", "set xqfc:adminCidrs", foreign={"tencentcloud:adminCidrs": "[]"}),
    Case("Tencent secret id in the stack file", valid(), "tencentcloud:secretId", "TENCENTCLOUD_SECRET_ID", foreign={"tencentcloud:secretId": TOKEN}),
    Case("Tencent secret key in the stack file", valid(), "tencentcloud:secretKey", "environment", foreign={"tencentcloud:secretKey": TOKEN}),
    Case("Alibaba access key in the stack file", valid(cloud="alicloud"), "alicloud:accessKey", "ALICLOUD_ACCESS_KEY", foreign={"alicloud:accessKey": TOKEN}),
    Case("Alibaba secret key in the stack file", valid(cloud="alicloud"), "alicloud:secretKey", "environment", foreign={"alicloud:secretKey": TOKEN}),
]


def refused(case: Case) -> list:
    with pytest.raises(SettingsError) as info:
        from_mapping(case.raw, case.stack, foreign=case.foreign)
    return info.value.problems


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_rule_names_its_key_and_what_is_allowed(case):
    found = refused(case)
    named = [p for p in found if p.key == case.key]
    assert named, f"no problem names {case.key}: {[str(p) for p in found]}"
    assert any(case.fragment in p.message for p in named), [str(p) for p in named]
    report = str(SettingsError(case.stack, found))
    assert (case.key if ":" in case.key else f"xqfc:{case.key}") in report
    # Never echoed, whatever key it was put under.
    assert "BEGIN OPENSSH" not in report and "b3BlbnNzaC1rZXkt" not in report and TOKEN not in report


def test_there_is_a_row_per_rule():
    assert len(CASES) >= 40 and len({c.name for c in CASES}) == len(CASES)


# --- values the rules must keep accepting -----------------------------------------------------

ACCEPTED = [
    valid(adminCidrs='["203.0.113.10/32", "198.51.100.0/28", "100.64.0.0/10"]'),
    valid(**REGISTRY),
    valid(registryServer="registry.example:5000", registryUsername="ci", appImage="registry.example:5000/xqfc/app:1.0.0"),
    valid(registryServer="[2001:db8::5]:5000", registryUsername="ci", appImage="[2001:db8::5]:5000/xqfc/app:1.0.0"),
    valid(**EMAIL, alertSmtpUser="alerts@xqfc.example"),
    valid(**{**EMAIL, "alertEmailTo": "ops@xqfc.example,oncall@xqfc.example", "alertSmtpHost": "[2001:db8::25]:587"}),
    valid(**WECOM, alertWecomToUser="@all"),
    valid(**WECOM, alertWecomToUser="zhang.san|li-si|ops@xqfc"),
    valid(backupSchedule="*-*-* 00/6:00:00", drillSchedule="Sun *-*-* 04:00:00 Asia/Shanghai", redisSnapshotSchedule="hourly"),
    valid(appMigrationCommand=""),
    valid(sshPrivateKeyPath="~/.ssh/id_ed25519", s3Region="cn-hangzhou", vpcCidr="172.16.0.0/16", subnetCidr="172.16.1.0/24"),
    valid(appImage="ccr.ccs.tencentyun.com/xqfc/app:1.0.0@sha256:" + "ab" * 32),
]


@pytest.mark.parametrize("raw", ACCEPTED)
def test_good_values_pass(raw):
    assert isinstance(from_mapping(raw, "dev"), Settings)


def test_provider_keys_of_their_own_pass():
    # tencentcloud:region is the provider's own setting, not a misplaced xqfc:region.
    assert from_mapping(valid(), "dev", foreign={"tencentcloud:region": "ap-guangzhou", "pulumi:template": "x"})


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_stack_files_have_nothing_outside_the_rules(stack):
    config, secret = read_stack_config(ROOT, stack)
    raw = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("xqfc:")}
    foreign = {k: v for k, v in config.items() if not k.startswith("xqfc:")}
    assert from_mapping(raw, stack, {k.split(":", 1)[1] for k in secret}, foreign).environment == stack


# --- one report: field errors and cross-field errors together ----------------------------------


def test_a_field_error_no_longer_hides_the_cross_checks():
    found = {p.key for p in refused(Case("", valid("prod", domain="BAD", deletionProtection="false", backupRetentionDays="7"), "", "", "prod"))}
    assert {"domain", "deletionProtection", "backupRetentionDays"} <= found


def test_a_check_whose_input_was_refused_is_skipped():
    # cloud is refused: region, zone and disk checks would judge a placeholder, so they stay quiet.
    found = refused(Case("", valid(cloud="aws", region="cn-hangzhou", zone="cn-hangzhou-h"), "", ""))
    assert [p.key for p in found] == ["cloud"]
    # a refused vpcCidr: no "subnet outside the VPC" about a range the user did not choose.
    assert [p.key for p in refused(Case("", valid(vpcCidr="8.8.0.0/16"), "", ""))] == ["vpcCidr"]


# --- secrets never echoed --------------------------------------------------------------------


@pytest.mark.parametrize("key", ["domain", "dbName", "alertEmailTo", "sshPublicKey"])
def test_secret_looking_values_are_masked_whatever_the_key(key):
    for secret in (PEM, TOKEN, f"x {TOKEN} y"):
        report = str(SettingsError("dev", refused(Case("", valid(**{key: secret}), key, ""))))
        assert TOKEN not in report and "BEGIN OPENSSH" not in report and "b3BlbnNzaC1rZXkt" not in report, report
        assert f"xqfc:{key}" in report and HIDDEN in report


def test_image_digests_are_not_mistaken_for_secrets():
    image = "redis:latest@sha256:" + "ab" * 32
    report = str(SettingsError("dev", refused(Case("", valid(redisImage=image), "redisImage", ""))))
    assert image in report and HIDDEN not in report


# --- the user's command: exit 2 and the key named ------------------------------------------------

CLI = [
    ("adminCidrs", ["--set", 'adminCidrs=["0.0.0.0/1", "128.0.0.0/1"]'], "xqfc:adminCidrs"),
    ("backupSchedule", ["--set", "backupSchedule=every day"], "xqfc:backupSchedule"),
    ("environment", ["--set", "environment=prod"], "xqfc:environment"),
    ("namespace typo", ["--set", "xqcf:domain=dev.xqfc.example"], "xqcf:domain"),
    ("credentials", ["--set", f"tencentcloud:secretId={TOKEN}"], "tencentcloud:secretId"),
    ("WeCom corp id", ["--set", "alertWecomCorpId=corp", "--set", "alertWecomAgentId=1000002"], "xqfc:alertWecomCorpId"),
]


@pytest.mark.parametrize("args,key", [c[1:] for c in CLI], ids=[c[0] for c in CLI])
def test_plan_refuses_with_exit_2_naming_the_key(args, key, tmp_path):
    result = subprocess.run([sys.executable, "-m", "components.plan", "--stack", "dev", "--out", str(tmp_path), *args],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert key in result.stderr and "Traceback" not in result.stderr
    assert TOKEN not in result.stderr and not (tmp_path / "dev").exists()
