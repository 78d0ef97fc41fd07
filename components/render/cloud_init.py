"""cloud-init user data for the platform VM: hardened SSH, Docker from a mirror, data disk.

The bootstrap steps that need logic live in one shell script (written by cloud-init and run
once) so that shellcheck can verify them; the rest is declarative cloud-config.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import yaml

from components.render.host_packages import CODENAME, DOCKER_PACKAGES, IMAGE_STORE, install_arguments
from components.render.host_updates import CONFIG_PATH as UNATTENDED_CONFIG
from components.render.host_updates import render_unattended_upgrades, reboot_time

# The VM is ready for the Docker provider once this file exists (see runtime readiness).
READY_MARKER = "/var/lib/xqfc/bootstrap-done"
BOOTSTRAP_PATH = "/usr/local/sbin/xqfc-bootstrap"
CONFIG_ROOT = "/srv/xqfc"
DOCKER_MOUNT_DROP_IN = "/etc/systemd/system/docker.service.d/10-xqfc-data-disk.conf"


@dataclass(frozen=True)
class CloudInitSpec:
    hostname: str
    deploy_user: str
    ssh_public_keys: tuple[str, ...]
    admin_cidrs: tuple[str, ...]
    docker_apt_mirror: str
    docker_registry_mirror: str | None
    data_disk_device: str
    data_mount_path: str
    timezone: str = "Asia/Shanghai"
    open_tcp_ports: tuple[int, ...] = field(default=(80, 443))
    # Who may reach node-exporter, which runs in the host's network namespace (the Docker
    # monitoring subnet; on ha also the VPC, for the first host's Prometheus).
    metrics_sources: tuple[str, ...] = ()
    metrics_port: int = 9100
    # When unattended-upgrades reboots for a kernel update (components/render/host_updates.py).
    reboot_at: str = reboot_time(0)


def docker_daemon_config(spec: CloudInitSpec) -> dict:
    cfg: dict = {
        # Container data on the data disk, so a system disk rebuild keeps volumes.
        "data-root": f"{spec.data_mount_path}/docker",
        "log-driver": "json-file",
        "log-opts": {"max-size": "20m", "max-file": "5"},
        # Containers keep running while dockerd restarts for an upgrade.
        "live-restore": True,
        "no-new-privileges": True,
        "userland-proxy": False,
        # The image store the image contracts are checked against (host_packages.IMAGE_STORE),
        # stated rather than left to the engine's default, which Engine 29 changed.
        "features": {"containerd-snapshotter": IMAGE_STORE == "containerd"},
    }
    if spec.docker_registry_mirror:
        cfg["registry-mirrors"] = [spec.docker_registry_mirror]
    return cfg


def sshd_hardening(spec: CloudInitSpec) -> str:
    lines = [
        "PermitRootLogin no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        f"AllowUsers {spec.deploy_user}",
        "X11Forwarding no",
        "MaxAuthTries 3",
        "LoginGraceTime 30",
        "ClientAliveInterval 300",
    ]
    return "\n".join(lines) + "\n"


def bootstrap_script(spec: CloudInitSpec) -> str:
    """The one-shot bootstrap run by cloud-init; idempotent so a re-run is harmless."""
    ufw_ssh = "\n".join(
        f"ufw allow proto tcp from {cidr} to any port 22 comment 'ssh from admin'"
        for cidr in spec.admin_cidrs
    )
    ufw_open = "\n".join(
        [f"ufw allow {port}/tcp" for port in spec.open_tcp_ports]
        + [f"ufw allow proto tcp from {cidr} to any port {spec.metrics_port} comment 'node-exporter scrape'"
           for cidr in spec.metrics_sources]
    )
    mirror = spec.docker_apt_mirror
    return f"""#!/bin/sh
# Installs Docker from {mirror}, turns on the host firewall, marks the VM ready.
set -eu

export DEBIAN_FRONTEND=noninteractive
# shellcheck source=/dev/null
. /etc/os-release
if [ "$VERSION_CODENAME" != {CODENAME} ]; then
  echo "xqfc-bootstrap: the pinned Docker packages are built for Ubuntu {CODENAME}, this is $VERSION_CODENAME" >&2
  exit 1
fi

install -m 0755 -d /etc/apt/keyrings
if [ ! -s /etc/apt/keyrings/docker.asc ]; then
  curl -fsSL --retry 5 "{mirror}/linux/$ID/gpg" -o /etc/apt/keyrings/docker.asc
  chmod a+r /etc/apt/keyrings/docker.asc
fi
arch=$(dpkg --print-architecture)
echo "deb [arch=$arch signed-by=/etc/apt/keyrings/docker.asc] {mirror}/linux/$ID $VERSION_CODENAME stable" \\
  > /etc/apt/sources.list.d/docker.list
apt-get update -q
# Exact versions (components/render/host_packages.py), held so no upgrade moves them.
apt-get install -y -q --allow-downgrades {" ".join(install_arguments())}
apt-mark hold {" ".join(DOCKER_PACKAGES)}

systemctl enable --now docker
usermod -aG docker {spec.deploy_user}

# Host firewall as a second line behind the cloud security group. Docker publishes
# only nginx's 80/443, which the security group allows anyway.
ufw default deny incoming
ufw default allow outgoing
{ufw_ssh}
{ufw_open}
ufw --force enable

systemctl restart ssh || systemctl restart sshd
# Config files Pulumi writes over SSH (nginx, monitoring, env files) live here.
install -d -o {spec.deploy_user} -g {spec.deploy_user} -m 0750 {CONFIG_ROOT}
install -d -m 0755 "$(dirname {READY_MARKER})"
date -u +%Y-%m-%dT%H:%M:%SZ > {READY_MARKER}
"""


def render_cloud_init(spec: CloudInitSpec) -> str:
    dev = spec.data_disk_device
    config = {
        "hostname": spec.hostname,
        "timezone": spec.timezone,
        "disable_root": True,
        "ssh_pwauth": False,
        "users": [
            {
                "name": spec.deploy_user,
                "groups": ["sudo"],
                "shell": "/bin/bash",
                "lock_passwd": True,
                # Docker group membership is root-equivalent anyway; say so with sudo rather than hide it.
                "sudo": "ALL=(ALL) NOPASSWD:ALL",
                "ssh_authorized_keys": list(spec.ssh_public_keys),
            }
        ],
        "package_update": True,
        "package_upgrade": True,
        # python3-boto3 and zstd: the backup job runs on the host (components/backup).
        "packages": ["ca-certificates", "curl", "gnupg", "ufw", "unattended-upgrades", "fail2ban", "zstd", "python3-boto3",
                     # /bin/busybox, static: the health checks of images with no HTTP client (runtime/health.py)
                     "busybox-static"],
        "disk_setup": {dev: {"table_type": "gpt", "layout": True, "overwrite": False}},
        "fs_setup": [
            {"label": "xqfc-data", "filesystem": "ext4", "device": dev, "partition": "auto", "overwrite": False}
        ],
        "mounts": [["LABEL=xqfc-data", spec.data_mount_path, "ext4", "defaults,nofail,noatime", "0", "2"]],
        "write_files": [
            {"path": "/etc/ssh/sshd_config.d/90-xqfc.conf", "permissions": "0644", "content": sshd_hardening(spec)},
            {
                "path": "/etc/apt/apt.conf.d/20auto-upgrades",
                "permissions": "0644",
                "content": 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n',
            },
            {"path": UNATTENDED_CONFIG, "permissions": "0644", "content": render_unattended_upgrades(spec.reboot_at)},
            {
                # The data disk is mounted `nofail`, which systemd does not order before
                # local-fs.target (systemd.mount(5)): without this, dockerd could start at boot
                # before /data is there and begin an empty data root on the system disk.
                "path": DOCKER_MOUNT_DROP_IN,
                "permissions": "0644",
                "content": f"[Unit]\nRequiresMountsFor={spec.data_mount_path}\n",
            },
            {
                "path": "/etc/docker/daemon.json",
                "permissions": "0644",
                "content": json.dumps(docker_daemon_config(spec), indent=2) + "\n",
            },
            {"path": BOOTSTRAP_PATH, "permissions": "0755", "content": bootstrap_script(spec)},
        ],
        "runcmd": [
            ["mkdir", "-p", f"{spec.data_mount_path}/docker"],
            ["systemctl", "enable", "--now", "unattended-upgrades", "fail2ban"],
            [BOOTSTRAP_PATH],
        ],
    }
    body = yaml.safe_dump(config, sort_keys=False, default_flow_style=False, width=1000)
    return "#cloud-config\n" + body
