"""Every folder a container bind-mounts is made, owned as intended, by a command the container waits for.

dockerd creates a missing bind-mount source itself, as root (moby daemon/volume/mounts
`createIfNotExists` for `-v`/`volumes`), and the deploy user can never write into it again:
the next file write into it fails with `mkdir: ... Permission denied` (issue 19). The engine
runs every step whose dependencies are done at the same time (tests/e2e/applier.py run_graph),
so the order has to be in the graph, not in the registration order.
"""
from __future__ import annotations

import re

import pytest

from components.render.host_readiness import HOST_BUSYBOX, static_busybox
from components.settings import CLOUDS
from tests.conftest import STACKS, _plan
from tests.e2e.applier import dependencies

CONTAINER = "docker:index/container:Container"
COMMAND = "command:remote:Command"
# Paths that exist before the platform: the kernel's and the distribution's (Filesystem
# Hierarchy Standard 3.0: /, /sys, /var/run -> /run, /dev/disk by udev) and dockerd's own
# socket. The Docker data root is matched by where it is mounted (cAdvisor's /var/lib/docker):
# dockerd creates it at start.
HOST_PATHS = {"/", "/sys", "/var/run", "/dev/disk", "/var/run/docker.sock"}
DOCKER_ROOT_TARGET = "/var/lib/docker"
READY_SUFFIX = "-access-ready"
# Not made by any command, but refused by the readiness gate when missing or not static
# (components/render/host_readiness.py static_busybox): a container waiting for the gate finds it.
GATED_PATHS = {HOST_BUSYBOX}


def closure(deps: dict[str, set[str]], urn: str) -> set[str]:
    seen: set[str] = set()
    todo = [urn]
    while todo:
        for d in deps[todo.pop()]:
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


def created_paths(create: str) -> set[str]:
    """Folders a remote command's `create` makes: file writes (files.write_command: `mkdir -p` of the
    file's folder, then `mv -f tmp path`) and `install -d` / `mkdir -p` arguments, each with its
    parents."""
    made = set()
    for m in re.finditer(r"mv -f \S+ (\S+)", create):
        made.add(m.group(1).strip("'\"").rsplit("/", 1)[0])
    for m in re.finditer(r"(?:install\s+-d|mkdir\s+-p)((?:\s+(?:-[og]\s+\S+|-m\s+\S+|\"?[^\s;&|]+\"?))+)", create):
        words = m.group(1).split()
        skip = False
        for w in words:
            if skip:
                skip = False
            elif w in ("-o", "-g", "-m"):
                skip = True
            elif w.strip("'\"").startswith("/"):
                made.add(w.strip("'\""))
    parents = set()
    for p in made:
        parts = p.rstrip("/").split("/")
        parents |= {"/".join(parts[:i]) for i in range(2, len(parts) + 1)}
    return parents


def bind_sources(inputs: dict) -> list[tuple[str, str]]:
    out = [(v["hostPath"], v["containerPath"]) for v in inputs.get("volumes") or [] if v.get("hostPath")]
    out += [(m["source"], m["target"]) for m in inputs.get("mounts") or [] if m.get("type") == "bind"]
    return out


_DEPS: dict[int, dict[str, set[str]]] = {}


@pytest.fixture(params=[(s, c) for c in (*CLOUDS, "ssh") for s in STACKS], ids=lambda p: f"{p[0]}-{p[1]}")
def plan(request):
    """Every stack on every cloud, and on an existing host (cloud: ssh), whose readiness gate differs."""
    return _plan(*request.param)


def _deps(plan):
    return _DEPS.setdefault(id(plan), dependencies(plan.resources))


def test_every_bind_mount_source_is_made_by_a_command_the_container_waits_for(plan):
    by_urn = {r.urn: r for r in plan.resources}
    deps = _deps(plan)
    missing = []
    for c in plan.of_type(CONTAINER):
        before = [by_urn[u] for u in closure(deps, c.urn)]
        made = set().union(*(created_paths(r.inputs.get("create") or "") for r in before if r.type == COMMAND))
        for source, target in bind_sources(c.inputs):
            if source in HOST_PATHS or target == DOCKER_ROOT_TARGET:
                continue
            if source in GATED_PATHS and any(r.name.endswith(READY_SUFFIX) and static_busybox() in (r.inputs.get("create") or "")
                                             for r in before if r.type == COMMAND):
                continue
            if source not in made:
                missing.append(f"{c.inputs['name']}: {source} (mounted at {target})")
    assert not missing, "bind-mount sources no earlier command makes (dockerd would create them as root):\n" + "\n".join(missing)


def test_every_remote_command_waits_for_the_readiness_gate(plan):
    """The gate prepares the host (an existing host's folders; a VM's bootstrap is done): a command
    that runs beside it races it (a file write into /srv/xqfc before the gate made it)."""
    by_urn = {r.urn: r for r in plan.resources}
    deps = _deps(plan)
    gates = {r.urn for r in plan.of_type(COMMAND) if r.name.endswith(READY_SUFFIX)}
    assert gates
    early = sorted(r.name for r in plan.of_type(COMMAND)
                   if r.urn not in gates and not (closure(deps, r.urn) & gates))
    assert not early, f"commands that do not wait for the readiness gate: {early}"
    assert by_urn  # the plan registered resources


def test_created_paths_reads_the_programs_command_shapes():
    assert created_paths("set -eu; umask 022; mkdir -p \"$(dirname '/srv/xqfc/nginx/certs/x.pem')\"; "
                         "cat > '/srv/xqfc/nginx/certs/x.pem.tmp'; mv -f '/srv/xqfc/nginx/certs/x.pem.tmp' '/srv/xqfc/nginx/certs/x.pem'") \
        >= {"/srv/xqfc", "/srv/xqfc/nginx", "/srv/xqfc/nginx/certs"}
    made = created_paths("sudo install -d -m 0755 /var/lib/prometheus/node-exporter /data/backups; sudo systemctl daemon-reload")
    assert {"/var/lib/prometheus/node-exporter", "/data/backups", "/var/lib/prometheus"} <= made
    assert "0755" not in made and "/etc/systemd" not in made
