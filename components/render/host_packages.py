"""The Docker Engine packages the VM runs, pinned: a sourced data table.

Upgrading the engine is a reviewed one-line change here (then `pulumi up` on a new VM, or the
manual steps of docs/images.md on a running one). cloud-init installs exactly these versions
and `apt-mark hold`s them, so neither unattended-upgrades nor an `apt-get upgrade` moves them.

Version strings are Docker's apt repository's for Ubuntu 24.04 (noble):
`5:<engine>-1~ubuntu.24.04~noble` (docker/docs content/manuals/engine/install/ubuntu.md,
"Specific version": `VERSION_STRING=5:{docker_ce_version}-1~ubuntu.24.04~noble`).

Why Engine 28 and not 29 (the docs' current line, 29.2.1 in docker/docs hugo.yaml):
  * Engine 29 refuses API clients older than 1.44 (docs.docker.com/engine/release-notes/29,
    moby/moby docker-v29.0.0 release). cAdvisor v0.52.1 (our cadvisor_image) talks API 1.41:
    its Docker factory fails to register (google/cadvisor#3790, #3793).
  * Engine 29 makes the containerd image store the default on fresh installs; cAdvisor before
    v0.54.0 cannot find a container's layers there ("failed to identify the read-write layer
    ID", google/cadvisor#3643, fixed by #3709 in v0.54.0).
  So the engine moves to 29 together with cadvisor_image >= v0.54 (components/runtime/
  image_contracts.py records each image's engine range; tests check them against ENGINE).
28.5.2 is the last 28.x release; containerd.io 1.7.28 is the containerd 1.7 build Docker 28
ships with (docker/docs release-notes/28.md 28.4.0: "Update containerd ... to v1.7.28"); the
compose plugin 2.40.3 is the one in Docker's noble pool alongside 28.5.x (apt logs of
download.docker.com/linux/ubuntu noble/stable: docker-compose-plugin 2.40.3-1~ubuntu.24.04~noble).
"""
from __future__ import annotations

import re

# The VM images both clouds boot (settings image_name_regex: Ubuntu Server 24.04).
CODENAME = "noble"
UBUNTU_SUFFIX = f"-1~ubuntu.24.04~{CODENAME}"

# The engine release: what the image contracts are checked against.
ENGINE = "28.5.2"
# The image store that engine uses on a fresh install (overlay2 graph driver; Engine 29 would
# default to the containerd snapshotter).
IMAGE_STORE = "overlay2"

# apt package -> exact version string in Docker's noble repository.
DOCKER_PACKAGES: dict[str, str] = {
    "docker-ce": f"5:{ENGINE}{UBUNTU_SUFFIX}",
    "docker-ce-cli": f"5:{ENGINE}{UBUNTU_SUFFIX}",
    "containerd.io": f"1.7.28{UBUNTU_SUFFIX}",
    "docker-compose-plugin": f"2.40.3{UBUNTU_SUFFIX}",
}

# Debian policy version: [epoch:]upstream[-revision]; what `apt-get install pkg=VERSION` takes.
_VERSION = re.compile(r"^(\d+:)?[0-9][A-Za-z0-9.+~]*-[A-Za-z0-9.+~]+\Z")


def install_arguments(packages: dict[str, str] = DOCKER_PACKAGES) -> list[str]:
    """`pkg=version` words for apt-get install; refuses a malformed version rather than let apt
    fall back to whatever is newest."""
    bad = {p: v for p, v in packages.items() if not _VERSION.match(v)}
    if bad:
        raise ValueError(f"not apt version strings: {bad}")
    return [f"{p}={v}" for p, v in packages.items()]


def engine_tuple(version: str = ENGINE) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))
