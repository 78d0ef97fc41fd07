"""The VM's cloud-init user data, checked by cloud-init itself, shellcheck and by meaning."""
from __future__ import annotations

import json
import subprocess
from dataclasses import replace

import pytest
import yaml

from components.render.cloud_init import (
    BOOTSTRAP_PATH,
    READY_MARKER,
    CloudInitSpec,
    bootstrap_script,
    render_cloud_init,
)
from tests.tools import require_tool

SPEC = CloudInitSpec(
    hostname="xqfc-dev",
    deploy_user="deploy",
    ssh_public_keys=("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM/x0NSt3Px2UDd5ZICU+UpRja2RLYY+gcmLsPJwtXUM ops",),
    admin_cidrs=("203.0.113.10/32", "198.51.100.0/28"),
    docker_apt_mirror="https://mirrors.cloud.tencent.com/docker-ce",
    docker_registry_mirror="https://mirror.ccs.tencentyun.com",
    data_disk_device="/dev/vdb",
    data_mount_path="/data",
)

# cloud-init's own schema, read with Debian's python (cloud-init is not in the venv):
# `cloud-init schema` does not report unknown top-level keys, so they are checked here.
KNOWN_KEYS = """
import json
from cloudinit.config.schema import get_schema
s = get_schema()
keys = set()
for part in s["allOf"]:
    ref = part.get("$ref")
    if ref:
        keys |= set(s["$defs"][ref.split("/")[-1]].get("properties", {}))
    keys |= set(part.get("properties", {}))
print(json.dumps(sorted(keys)))
"""


def cloud_init_schema(path) -> subprocess.CompletedProcess:
    return subprocess.run([require_tool("cloud-init"), "schema", "--config-file", str(path)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def known_top_level_keys() -> set[str]:
    require_tool("cloud-init")
    out = subprocess.run(["/usr/bin/python3", "-c", KNOWN_KEYS], capture_output=True, text=True, check=True)
    keys = set(json.loads(out.stdout))
    assert len(keys) > 50  # the schema really was read
    return keys


def test_rendered_user_data_passes_cloud_init_schema(tmp_path):
    path = tmp_path / "user-data.yaml"
    path.write_text(render_cloud_init(SPEC))
    result = cloud_init_schema(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid cloud-config" in result.stdout


def test_schema_check_catches_a_broken_document(tmp_path):
    # Proves the tool call above can fail: the same document with a wrong type is refused.
    doc = yaml.safe_load(render_cloud_init(SPEC))
    doc["users"] = 5
    path = tmp_path / "broken.yaml"
    path.write_text("#cloud-config\n" + yaml.safe_dump(doc))
    assert cloud_init_schema(path).returncode != 0


def test_every_top_level_key_is_known_to_cloud_init(known_top_level_keys):
    doc = yaml.safe_load(render_cloud_init(SPEC))
    unknown = set(doc) - known_top_level_keys
    assert not unknown, f"cloud-init would silently ignore {unknown}"
    assert "bogus_key" not in known_top_level_keys


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_each_stacks_user_data_is_valid(tmp_path, plan_of, stack, cloud, known_top_level_keys):
    text = plan_of(stack, cloud).artifacts["cloud-init.yaml"]
    path = tmp_path / "user-data.yaml"
    path.write_text(text)
    result = cloud_init_schema(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(yaml.safe_load(text)) <= known_top_level_keys


def test_bootstrap_script_passes_shellcheck(tmp_path):
    path = tmp_path / "bootstrap.sh"
    path.write_text(bootstrap_script(SPEC))
    result = subprocess.run([require_tool("shellcheck"), "-s", "sh", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_ssh_is_key_only_and_root_is_locked_out():
    doc = yaml.safe_load(render_cloud_init(SPEC))
    assert doc["disable_root"] is True and doc["ssh_pwauth"] is False
    (user,) = doc["users"]
    assert user["name"] == "deploy" and user["lock_passwd"] is True
    assert user["ssh_authorized_keys"] == list(SPEC.ssh_public_keys)
    sshd = next(f for f in doc["write_files"] if f["path"].startswith("/etc/ssh/sshd_config.d/"))["content"]
    directives = dict(line.split(" ", 1) for line in sshd.splitlines())
    assert directives["PermitRootLogin"] == "no"
    assert directives["PasswordAuthentication"] == "no"
    assert directives["AllowUsers"] == "deploy"


def test_docker_comes_from_the_mirror_and_the_deploy_user_may_use_it():
    script = bootstrap_script(SPEC)
    assert f"{SPEC.docker_apt_mirror}/linux/$ID/gpg" in script
    assert "download.docker.com" not in script
    assert "usermod -aG docker deploy" in script
    doc = yaml.safe_load(render_cloud_init(SPEC))
    daemon = json.loads(next(f for f in doc["write_files"] if f["path"] == "/etc/docker/daemon.json")["content"])
    assert daemon["registry-mirrors"] == [SPEC.docker_registry_mirror]
    assert daemon["data-root"] == "/data/docker" and daemon["log-opts"]["max-size"]
    no_mirror = json.loads(
        next(f for f in yaml.safe_load(render_cloud_init(replace(SPEC, docker_registry_mirror=None)))["write_files"] if f["path"] == "/etc/docker/daemon.json")["content"]
    )
    assert "registry-mirrors" not in no_mirror


def test_firewall_mirrors_the_security_group():
    script = bootstrap_script(SPEC)
    assert "ufw default deny incoming" in script and "ufw --force enable" in script
    for cidr in SPEC.admin_cidrs:
        assert f"ufw allow proto tcp from {cidr} to any port 22" in script
    opened = [line for line in script.splitlines() if line.startswith("ufw allow")]
    assert len(opened) == len(SPEC.admin_cidrs) + 2 and "ufw allow 443/tcp" in opened


def test_unattended_upgrades_and_data_disk():
    doc = yaml.safe_load(render_cloud_init(SPEC))
    assert "unattended-upgrades" in doc["packages"]
    auto = next(f for f in doc["write_files"] if f["path"] == "/etc/apt/apt.conf.d/20auto-upgrades")["content"]
    assert 'Unattended-Upgrade "1"' in auto
    (fs,) = doc["fs_setup"]
    assert fs["device"] == "/dev/vdb" and fs["overwrite"] is False  # never reformat a disk with data
    (mount,) = doc["mounts"]
    assert mount[0] == f"LABEL={fs['label']}" and mount[1] == "/data" and "nofail" in mount[3]


def test_bootstrap_runs_last_and_marks_readiness():
    doc = yaml.safe_load(render_cloud_init(SPEC))
    assert doc["runcmd"][-1] == [BOOTSTRAP_PATH]
    assert bootstrap_script(SPEC).rstrip().endswith(READY_MARKER)
