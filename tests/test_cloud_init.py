"""The VM's cloud-init user data, checked by cloud-init itself, shellcheck and by meaning."""
from __future__ import annotations

import json
import re
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
import re
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
    # The image store the contracts assume (docs.docker.com/engine/storage/containerd: the
    # `containerd-snapshotter` feature flag selects it).
    from components.render.host_packages import IMAGE_STORE

    assert daemon["features"] == {"containerd-snapshotter": IMAGE_STORE == "containerd"} and IMAGE_STORE == "overlay2"


def test_firewall_mirrors_the_security_group():
    script = bootstrap_script(SPEC)
    assert "ufw default deny incoming" in script and "ufw --force enable" in script
    for cidr in SPEC.admin_cidrs:
        assert f"ufw allow proto tcp from {cidr} to any port 22" in script
    opened = [line for line in script.splitlines() if line.startswith("ufw allow")]
    assert len(opened) == len(SPEC.admin_cidrs) + 2 and "ufw allow 443/tcp" in opened


def test_node_exporter_is_reachable_from_the_metrics_sources_only():
    spec = replace(SPEC, metrics_sources=("172.30.3.0/24", "10.40.0.0/16"))
    opened = [ln for ln in bootstrap_script(spec).splitlines() if "port 9100" in ln]
    assert opened == [f"ufw allow proto tcp from {c} to any port 9100 comment 'node-exporter scrape'" for c in spec.metrics_sources]
    assert not [ln for ln in bootstrap_script(SPEC).splitlines() if "9100" in ln]


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


# --- pinned Docker Engine (components/render/host_packages.py) ------------------------------

def _installed_and_held(script: str) -> tuple[dict[str, str], list[str]]:
    """What the bootstrap installs (package -> version) and holds, read from its apt lines."""
    lines = script.splitlines()
    (install,) = [ln for ln in lines if ln.startswith("apt-get install") and "docker-ce" in ln]
    (hold,) = [ln for ln in lines if ln.startswith("apt-mark hold")]
    words = [w for w in install.split()[2:] if not w.startswith("-")]
    pinned = dict(w.split("=", 1) for w in words)
    assert all("=" in w for w in words), f"an unpinned package: {install}"
    return pinned, hold.split()[2:]


def test_docker_packages_are_pinned_and_held_exactly_as_the_table():
    from components.render.host_packages import DOCKER_PACKAGES

    pinned, held = _installed_and_held(bootstrap_script(SPEC))
    assert pinned == DOCKER_PACKAGES
    assert sorted(held) == sorted(DOCKER_PACKAGES)
    # Docker's noble version strings (docker/docs engine/install/ubuntu.md, "Specific version").
    assert all(v.endswith("-1~ubuntu.24.04~noble") for v in pinned.values())
    assert pinned["docker-ce"].startswith("5:") and pinned["docker-ce"] == pinned["docker-ce-cli"]


def test_each_stacks_user_data_pins_the_table(plan_of, cloud):
    from components.render.host_packages import DOCKER_PACKAGES

    doc = yaml.safe_load(plan_of("prod", cloud).artifacts["cloud-init.yaml"])
    script = next(f for f in doc["write_files"] if f["path"] == BOOTSTRAP_PATH)["content"]
    pinned, held = _installed_and_held(script)
    assert pinned == DOCKER_PACKAGES and sorted(held) == sorted(DOCKER_PACKAGES)


def test_a_malformed_pin_is_refused():
    from components.render.host_packages import install_arguments

    with pytest.raises(ValueError, match="docker-ce"):
        install_arguments({"docker-ce": "latest"})
    assert install_arguments({"docker-ce": "5:28.5.2-1~ubuntu.24.04~noble"}) == ["docker-ce=5:28.5.2-1~ubuntu.24.04~noble"]


def test_bootstrap_refuses_another_ubuntu_release(tmp_path):
    # Run the guard itself with a fake os-release: the pins only exist for noble.
    script = bootstrap_script(SPEC)
    guard = script[script.index(". /etc/os-release"):script.index("install -m 0755")]
    for codename, ok in (("noble", True), ("jammy", False)):
        (tmp_path / "os-release").write_text(f"ID=ubuntu\nVERSION_CODENAME={codename}\n")
        text = "set -eu\n" + guard.replace("/etc/os-release", str(tmp_path / "os-release")) + "echo passed\n"
        r = subprocess.run(["sh", "-c", text], capture_output=True, text=True)
        assert (r.returncode == 0) is ok, r.stderr
        assert ok or "jammy" in r.stderr


# --- update and reboot policy (components/render/host_updates.py) ---------------------------

def apt_config_dump(path) -> dict[str, list[str]]:
    """apt's own parser: the merged configuration with `path` read last, key -> values."""
    r = subprocess.run([require_tool("apt-config"), "-c", str(path), "dump"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out: dict[str, list[str]] = {}
    for line in r.stdout.splitlines():
        key, _, value = line.partition(" ")
        out.setdefault(key, []).append(value.rstrip(";").strip('"'))
    return out


def _unattended(doc) -> str:
    from components.render.host_updates import CONFIG_PATH

    return next(f for f in doc["write_files"] if f["path"] == CONFIG_PATH)["content"]


def test_unattended_upgrades_take_security_updates_only_and_reboot_in_the_window(tmp_path):
    from components.render.host_updates import REBOOT_TIMES

    doc = yaml.safe_load(render_cloud_init(SPEC))
    # A stand-in for Ubuntu's 50unattended-upgrades with -updates enabled, read first: our file
    # must replace that list, not append to it.
    base = tmp_path / "50unattended-upgrades"
    base.write_text('Unattended-Upgrade::Allowed-Origins { "${distro_id}:${distro_codename}-updates"; };\n')
    ours = tmp_path / "52xqfc"
    ours.write_text(f'#include "{base}";\n' + _unattended(doc))
    cfg = apt_config_dump(ours)
    origins = cfg["Unattended-Upgrade::Allowed-Origins::"]
    assert origins and all(o.endswith("security") or o == "${distro_id}:${distro_codename}" for o in origins), origins
    assert not any("updates" in o or "docker" in o.lower() for o in origins)
    assert cfg["Unattended-Upgrade::Automatic-Reboot"] == ["true"]
    assert cfg["Unattended-Upgrade::Automatic-Reboot-WithUsers"] == ["false"]
    assert cfg["Unattended-Upgrade::Automatic-Reboot-Time"] == [REBOOT_TIMES[0]]


def test_apt_config_check_can_fail(tmp_path):
    bad = tmp_path / "bad"
    bad.write_text('Unattended-Upgrade::Automatic-Reboot "true"\n')  # no semicolon
    r = subprocess.run([require_tool("apt-config"), "-c", str(bad), "dump"], capture_output=True, text=True)
    assert r.returncode != 0


def test_reboot_time_is_validated():
    from components.render.host_updates import render_unattended_upgrades

    with pytest.raises(ValueError, match="HH:MM"):
        render_unattended_upgrades("5am")


def test_each_host_of_a_stack_reboots_at_its_own_time():
    from components.render.host_updates import REBOOT_TIMES, reboot_time

    assert len(set(REBOOT_TIMES)) == len(REBOOT_TIMES) >= 2
    assert reboot_time(0) != reboot_time(1)
    second = yaml.safe_load(render_cloud_init(replace(SPEC, reboot_at=reboot_time(1))))
    assert f'Automatic-Reboot-Time "{REBOOT_TIMES[1]}"' in _unattended(second)


def timer_starts(on_calendar: str, iterations: int = 30) -> list[int]:
    """Minutes of day at which a systemd OnCalendar expression fires, by systemd itself."""
    r = subprocess.run([require_tool("systemd-analyze"), "calendar", f"--iterations={iterations}", on_calendar],
                       capture_output=True, text=True, env={"TZ": "UTC", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    times = re.findall(r"(?:Next elapse|Iter\. #\d+): \w+ [\d-]+ (\d\d):(\d\d):\d\d", r.stdout)
    assert times, r.stdout
    return sorted({int(h) * 60 + int(m) for h, m in times})


def collisions(schedules: dict[str, str], reboot_times: tuple[str, ...], allowance: int, delay: int) -> list[str]:
    from components.render.host_updates import minutes_of_day

    out = []
    for name, expr in schedules.items():
        for start in timer_starts(expr):
            for at in reboot_times:
                # A job started in the allowance (plus its randomized delay) before the reboot is cut.
                if 0 <= (minutes_of_day(at) - start) % 1440 <= allowance + delay:
                    out.append(f"{name} ({expr}) starts at {start // 60:02d}:{start % 60:02d}, within {allowance} min before the {at} reboot")
    return out


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_reboot_window_clears_every_stacks_backup_timers(plan_of, stack):
    from components.render.backup_schedule import BackupScheduleSettings
    from components.render.host_updates import JOB_ALLOWANCE_MIN, REBOOT_TIMES

    cfg = plan_of(stack).config
    schedules = {k: cfg[f"xqfc:{k}"] for k in ("backupSchedule", "drillSchedule", "redisSnapshotSchedule")}
    delay = BackupScheduleSettings.__dataclass_fields__["randomized_delay_sec"].default // 60
    assert collisions(schedules, REBOOT_TIMES, JOB_ALLOWANCE_MIN, delay) == []
    # The check bites: a snapshot at 04:30 would collide with the 05:00 reboot.
    assert collisions({"redisSnapshotSchedule": "*-*-* 04:30:00"}, REBOOT_TIMES, JOB_ALLOWANCE_MIN, delay)


def test_docker_waits_for_the_data_disk_at_boot(tmp_path):
    from components.render.cloud_init import DOCKER_MOUNT_DROP_IN

    doc = yaml.safe_load(render_cloud_init(SPEC))
    drop_in = next(f for f in doc["write_files"] if f["path"] == DOCKER_MOUNT_DROP_IN)["content"]
    unit = tmp_path / "docker.service"
    unit.write_text("[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\n")
    (tmp_path / "docker.service.d").mkdir()
    (tmp_path / "docker.service.d" / "10.conf").write_text(drop_in)
    # systemd's own parser reads the drop-in (unknown keys would be reported).
    def verify() -> str:
        # Drop-ins are read from the unit search path, hence SYSTEMD_UNIT_PATH.
        env = {"PATH": "/usr/bin:/bin", "SYSTEMD_UNIT_PATH": f"{tmp_path}:"}
        r = subprocess.run([require_tool("systemd-analyze"), "verify", "--man=no", "docker.service"],
                           capture_output=True, text=True, env=env)
        return r.stdout + r.stderr

    assert "10.conf" not in verify()
    (tmp_path / "docker.service.d" / "10.conf").write_text(drop_in.replace("RequiresMountsFor", "RequiresMountFor"))
    assert "Unknown key" in verify()  # the parser did read the drop-in
    assert drop_in.splitlines() == ["[Unit]", f"RequiresMountsFor={SPEC.data_mount_path}"]
