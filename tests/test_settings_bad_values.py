"""Issue 22, "bad values that still plan": each class refused with the key and what is allowed,
then the same class in every other key that takes a device, address, URL, port, path or code.

One row per bad value, in the style of tests/test_settings_rules.py: the input, the key the
report must name and a fragment of what is allowed.
"""
from __future__ import annotations

import pytest

from components.settings import Settings, SettingsError, from_mapping
from components.settings.lego_providers import LEGO_DNS_PROVIDERS, SOURCE_VERSION
from tests.test_existing_host import SECRETS, ssh_stack
from tests.test_settings import valid

WECOM = {"alertWecomCorpId": "ww0123456789abcdef", "alertWecomAgentId": "1000002", "alertWecomToParty": "2"}
EMAIL = {"alertEmailTo": "ops@xqfc.example", "alertEmailFrom": "alerts@xqfc.example", "alertSmtpHost": "smtp.exmail.qq.com:465"}
REGISTRY = {"registryServer": "ccr.ccs.tencentyun.com", "registryUsername": "100000000001"}

CASES = [
    # --- the data disk is never the system disk (nor one of its partitions) ---------------------
    ("data disk on the system disk", valid(dataDiskDevice="/dev/vda"), "dataDiskDevice", "system disk"),
    ("data disk on a system partition", valid(dataDiskDevice="/dev/vda1"), "dataDiskDevice", "system disk"),
    ("data disk on the Xen system disk", valid(cloud="alicloud", dataDiskDevice="/dev/xvda"), "dataDiskDevice", "system disk"),
    ("data disk on the NVMe system disk", valid(dataDiskDevice="/dev/nvme0n1"), "dataDiskDevice", "system disk"),
    ("data disk on the NVMe system partition", valid(dataDiskDevice="/dev/nvme0n1p1"), "dataDiskDevice", "system disk"),
    ("data disk on the SCSI system disk", valid(dataDiskDevice="/dev/sda"), "dataDiskDevice", "system disk"),
    ("data disk path that climbs", valid(dataDiskDevice="/dev/../dev/vda"), "dataDiskDevice", "block device"),
    ("data disk with an empty component", valid(dataDiskDevice="/dev//vdb"), "dataDiskDevice", "block device"),
    # --- an SSH host that can be a host -------------------------------------------------------
    ("SSH host 0.0.0.0", ssh_stack(sshHosts='["0.0.0.0"]'), "sshHosts", "not a host"),
    ("SSH host 0.0.0.0 with a port", ssh_stack(sshHosts='["0.0.0.0:22"]'), "sshHosts", "not a host"),
    ("SSH host ::", ssh_stack(sshHosts='["[::]:22"]'), "sshHosts", "not a host"),
    ("SSH host multicast", ssh_stack(sshHosts='["224.0.0.1"]'), "sshHosts", "multicast"),
    ("SSH host IPv6 multicast", ssh_stack(sshHosts='["[ff02::1]"]'), "sshHosts", "multicast"),
    ("SSH host broadcast", ssh_stack(sshHosts='["255.255.255.255"]'), "sshHosts", "broadcast"),
    ("SSH host port 0", ssh_stack(sshHosts='["203.0.113.50:0"]'), "sshHosts", "1-65535"),
    # ... and every other address a key takes
    ("SMTP host 0.0.0.0", valid(**{**EMAIL, "alertSmtpHost": "0.0.0.0:465"}), "alertSmtpHost", "not a host"),
    ("SMTP host multicast", valid(**{**EMAIL, "alertSmtpHost": "239.1.2.3:465"}), "alertSmtpHost", "multicast"),
    ("SMTP port 0", valid(**{**EMAIL, "alertSmtpHost": "smtp.exmail.qq.com:0"}), "alertSmtpHost", "1-65535"),
    ("registry on ::", valid(**{**REGISTRY, "registryServer": "[::]:5000"}, appImage="[::]:5000/xqfc/app:1.0.0"),
     "registryServer", "not a host"),
    ("admin CIDR of multicast", valid(adminCidrs='["224.0.0.0/24"]'), "adminCidrs", "multicast"),
    ("admin CIDR 0.0.0.0/32", valid(adminCidrs='["0.0.0.0/32"]'), "adminCidrs", "unspecified"),
    # --- URL ports 1-65535 and hosts that are hosts, in every URL key ----------------------------
    ("ACME URL port 99999", valid(acmeServerUrl="https://acme.example:99999/directory"), "acmeServerUrl", "1-65535"),
    ("ACME URL port 0", valid(acmeServerUrl="https://acme.example:0/directory"), "acmeServerUrl", "1-65535"),
    ("ACME URL host of dots", valid(acmeServerUrl="https://.../directory"), "acmeServerUrl", "host"),
    ("apt mirror port 70000", valid(dockerAptMirror="https://mirrors.cloud.tencent.com:70000/docker-ce"), "dockerAptMirror", "1-65535"),
    ("registry mirror on 0.0.0.0", valid(dockerRegistryMirror="https://0.0.0.0"), "dockerRegistryMirror", "not a host"),
    ("S3 endpoint port 65536", ssh_stack(s3Endpoint="https://s3.example.net:65536"), "s3Endpoint", "1-65535"),
    ("S3 endpoint port 0 on loopback", ssh_stack(s3Endpoint="http://127.0.0.1:0"), "s3Endpoint", "1-65535"),
    # --- lego's own provider codes ------------------------------------------------------------
    ("lego code lego lacks", ssh_stack(acmeDnsProvider="cloudflar"), "acmeDnsProvider", "lego"),
    ("lego code in capitals", ssh_stack(acmeDnsProvider="Cloudflare"), "acmeDnsProvider", "cloudflare"),
    ("lego manual provider", ssh_stack(acmeDnsProvider="manual"), "acmeDnsProvider", "interactive"),
    # --- paths that climb out with .. -----------------------------------------------------------
    ("docker root climbing out", ssh_stack(dockerRootDir="/var/lib/docker/../../../etc"), "dockerRootDir", ".."),
    ("docker root on /", ssh_stack(dockerRootDir="/"), "dockerRootDir", "own"),
    ("docker root on /etc", ssh_stack(dockerRootDir="/etc"), "dockerRootDir", "own"),
    ("health path climbing out", valid(appHealthPath="/health/../admin"), "appHealthPath", ".."),
    ("data mount on /proc", valid(dataMountPath="/proc"), "dataMountPath", "own"),
    ("data mount under /sys", valid(dataMountPath="/sys/data"), "dataMountPath", "own"),
    ("data mount with an empty component", valid(dataMountPath="/data//x"), "dataMountPath", "absolute path"),
    # --- a trailing newline is not the value ------------------------------------------------------
    ("domain with a trailing newline", valid(domain="dev.xqfc.example\n"), "domain", "DNS name"),
    ("deploy user with a trailing newline", valid(deployUser="deploy\n"), "deployUser", "Unix user"),
    ("bucket with a trailing newline", valid(bucketName="xqfc-dev\n"), "bucketName", "3-40"),
    ("S3 bucket with a trailing newline", ssh_stack(s3Bucket="xqfc-backups\n"), "s3Bucket", "S3 bucket"),
    ("zone with a trailing newline", valid(zone="ap-guangzhou-3\n"), "zone", "not a zone"),
    ("image with a trailing newline", valid(redisImage="redis:7-alpine\n"), "redisImage", "image reference"),
    ("lego code with a trailing newline", ssh_stack(acmeDnsProvider="cloudflare\n"), "acmeDnsProvider", "lego"),
    ("digest with a trailing newline", valid("prod", appImage="ccr.ccs.tencentyun.com/xqfc/app:1.0.0@sha256:" + "ab" * 32 + "\n"),
     "appImage", "image reference"),
    ("SSH key with a trailing newline inside", valid(sshPublicKey="ssh-ed25519 " + "A" * 68 + "\nssh-rsa " + "B" * 68),
     "sshPublicKey", "one OpenSSH public key line"),
    # --- vmCpus sizes the CPU limits: it is the VM's, and appCpus fits it ----------------------------
    ("vmCpus not the instance type's", valid(vmCpus="8"), "vmCpus", "S5.MEDIUM4 has 2 vCPUs"),
    ("appCpus above the host's vmCpus", ssh_stack(appCpus="3"), "appCpus", "vmCpus"),
    # --- WeCom recipients need the corp that sends to them ---------------------------------------
    ("WeCom user without a corp id", valid(alertWecomToUser="@all"), "alertWecomToUser", "alertWecomCorpId"),
    ("WeCom department without a corp id", valid(alertWecomToParty="2"), "alertWecomToParty", "alertWecomCorpId"),
]


def refused(raw: dict) -> list:
    secret = SECRETS if raw.get("cloud") == "ssh" else set()
    stack = raw.get("environment", "dev")
    with pytest.raises(SettingsError) as info:
        from_mapping(raw, stack, secret)
    return info.value.problems


@pytest.mark.parametrize("raw,key,fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_bad_value_names_its_key_and_what_is_allowed(raw, key, fragment):
    found = refused(raw)
    named = [p for p in found if p.key == key]
    assert named, f"no problem names {key}: {[str(p) for p in found]}"
    assert any(fragment in p.message for p in named), [str(p) for p in named]


ACCEPTED = [
    valid(dataDiskDevice="/dev/vdc"),
    valid(dataDiskDevice="/dev/nvme1n1"),
    valid(dataDiskDevice="/dev/disk/by-id/virtio-disk-data"),
    valid(acmeServerUrl="https://acme-staging-v02.api.letsencrypt.org:443/directory"),
    valid(**{**EMAIL, "alertSmtpHost": "[2001:db8::25]:587"}),
    valid(**WECOM, alertWecomToUser="@all"),
    valid(appHealthPath="/health/ready.json"),
    valid(dataMountPath="/srv/data"),
    ssh_stack(sshHosts='["127.0.0.1:2222"]'),
    ssh_stack(sshHosts='["[2001:db8::5]:22"]'),
    ssh_stack(acmeDnsProvider="tencentcloud"),
    ssh_stack(acmeDnsProvider="acme-dns"),
    ssh_stack(dockerRootDir="/root/.cache/xqfc/docker"),
    ssh_stack(s3Endpoint="http://127.0.0.1:9000"),
]


@pytest.mark.parametrize("raw", ACCEPTED)
def test_good_values_pass(raw):
    secret = SECRETS if raw.get("cloud") == "ssh" else set()
    assert isinstance(from_mapping(raw, "dev", secret), Settings)


def test_the_lego_table_names_its_version_and_holds_the_providers_the_adapters_use():
    # The adapters' own codes (components/cloud/tencent.py, alicloud.py) are in the table.
    assert {"tencentcloud", "alidns", "cloudflare"} <= set(LEGO_DNS_PROVIDERS)
    assert SOURCE_VERSION.startswith("lego v4.")
