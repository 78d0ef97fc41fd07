"""Every container of every stack, on both topologies, both clouds and an existing host, against
its upstream image's contract (components/runtime/image_contracts.py): what the image does that
the hardening must allow. Each finding names the container and the contract field."""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace

import pytest

from components.guardrails import _listens_privately
from components.render.cloud_init import CONFIG_ROOT
from components.render.host_packages import ENGINE, IMAGE_STORE, engine_tuple
from components.runtime.image_contracts import CONTRACTS, EngineSupport, HostAccess, ImageContract
from components.runtime.health import HOST_BUSYBOX, PROBE_BUSYBOX

CONTAINER = "docker:index/container:Container"
COMMAND = "command:remote:Command"
# Binaries a health command may call; each must exist in the image (contract health_binaries).
HEALTH_TOOLS = {"wget", "curl", "pg_isready", "redis-cli", "sed", "grep", "nc", "psql"}
# The account `FileSpec(owner=None)` leaves a file to: the deploy user, never a container's.
DEPLOY_UID = -1


def contract_of(plan, container) -> tuple[str, ImageContract]:
    """The settings key and contract of the image a container runs."""
    keys = [k for k, v in plan.config.items() if k.endswith("Image") and v == container.inputs["image"]]
    assert keys, f"{container.inputs['name']} runs {container.inputs.get('image')}, which no image setting names"
    key = re.sub(r"(?<!^)([A-Z])", r"_\1", keys[0].split(":", 1)[1]).lower()
    return key, CONTRACTS[key]


def start_uid(inputs, contract) -> int:
    """The uid the container's first process (Docker's init, when on) runs as."""
    user = inputs.get("user") or contract.image_user or "0"
    head = user.split(":", 1)[0]
    if head.isdigit():
        return int(head)
    return contract.uid if head == contract.user else -1


@dataclass(frozen=True)
class Delivered:
    path: str   # on the host
    mode: int
    owner: int  # uid, DEPLOY_UID when not chowned


_WRITE = re.compile(r"chmod (?P<mode>[0-7]{3,4}) (?P<tmp>\S+)\.tmp; (?:sudo chown (?P<owner>\S+) \S+; )?mv -f ")


def delivered_files(plan) -> list[Delivered]:
    """Files written on the host by files.write_command, read back from the commands' text."""
    out = []
    for cmd in plan.of_type(COMMAND):
        create = cmd.inputs.get("create")
        m = _WRITE.search(create) if isinstance(create, str) else None
        if m:
            owner = m.group("owner")
            out.append(Delivered(shlex.split(m.group("tmp"))[0], int(m.group("mode"), 8),
                                 int(owner.split(":")[0]) if owner else DEPLOY_UID))
    return out


def binds(inputs) -> list[tuple[str, str, bool]]:
    """(host path, container path, read-only) of every bind mount."""
    out = [(v["hostPath"], v["containerPath"], bool(v.get("readOnly"))) for v in inputs.get("volumes") or [] if v.get("hostPath")]
    out += [(m["source"], m["target"], bool(m.get("readOnly"))) for m in inputs.get("mounts") or [] if m.get("type") == "bind"]
    return out


def writable(inputs, path: str) -> bool:
    """Whether `path` in the container can be written under a read-only root."""
    if not inputs.get("readOnly"):
        return True
    places = [v["containerPath"] for v in inputs.get("volumes") or [] if v.get("volumeName")]
    places += list(inputs.get("tmpfs") or {})
    places += [c for _, c, ro in binds(inputs) if not ro]
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in places)


def readable(f: Delivered, uid: int, caps: set[str]) -> bool:
    if uid == 0 and caps & {"CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH"}:
        return True
    if f.owner == uid:
        return bool(f.mode & 0o400)
    return bool(f.mode & 0o004)


def engine_ok(engine: EngineSupport, version: str, store: str) -> bool:
    v = engine_tuple(version)
    if engine.at_least and v < engine_tuple(engine.at_least):
        return False
    if engine.below and v[: len(engine_tuple(engine.below))] >= engine_tuple(engine.below):
        return False
    return store in engine.image_stores


def docker_root_of(plan) -> str:
    """Docker's data root as the stack configures it (Settings.docker_root)."""
    cfg = plan.config
    if cfg.get("xqfc:cloud") == "ssh":
        return cfg.get("xqfc:dockerRootDir") or "/var/lib/docker"
    return f"{cfg['xqfc:dataMountPath']}/docker"


def violations(plan) -> list[str]:
    out = []
    docker_root = docker_root_of(plan)
    files = delivered_files(plan)
    for c in plan.of_type(CONTAINER):
        i = c.inputs
        key, contract = contract_of(plan, c)
        name = i["name"]
        where = f"{name} ({key})"
        adds = set(i["capabilities"].get("adds") or [])
        uid0 = start_uid(i, contract)
        # The stop signal must reach the main process: an init running as root with every
        # capability dropped may not signal a process that switched to another uid.
        if i.get("init") and uid0 == 0 and contract.signalled_uid != 0 and "CAP_KILL" not in adds:
            out.append(f"{where} signalled_uid: init runs as root without CAP_KILL, but the main process runs as uid "
                       f"{contract.signalled_uid}: docker stop would be a kill")
        # An entrypoint that starts as root needs its root phase's capabilities (chown, setuid, ...).
        if contract.starts_as_root and uid0 == 0:
            missing = set(contract.root_caps) - adds
            if missing:
                out.append(f"{where} root_caps: the entrypoint as root needs {sorted(missing)}, which are dropped")
        service_uid = contract.uid if (contract.starts_as_root and uid0 == 0) else uid0
        # Health commands only call what the image has.
        hc = (i.get("healthcheck") or {}).get("tests") or []
        if hc[:2] == ["CMD", PROBE_BUSYBOX]:
            # The host's static busybox, not the image's: it must be bound in, read-only.
            if (HOST_BUSYBOX, PROBE_BUSYBOX, True) not in binds(i):
                out.append(f"{where} health_binaries: the health check runs {PROBE_BUSYBOX}, which is not "
                           f"{HOST_BUSYBOX} bound read-only")
            hc = []
        for tool in sorted(HEALTH_TOOLS & set(re.findall(r"[a-z][a-z0-9_-]*", " ".join(hc[1:])))):
            if tool not in contract.health_binaries:
                out.append(f"{where} health_binaries: the health check runs {tool}, which {contract.upstream} does not have")
        # What the service writes must be writable under the read-only root.
        envs = set(i.get("envs") or [])
        opted_out = {path for path, env in contract.write_opt_outs if env in envs}
        for path in contract.writes:
            if path not in opted_out and not writable(i, path):
                out.append(f"{where} writes: {path} is written by {contract.upstream} but is neither a volume, a tmpfs "
                           "nor a writable bind on a read-only root")
        # Each file delivered into the container (under the stack's config root) is readable by
        # the uid that reads it.
        for host, inside, _ in binds(i):
            if not (host + "/").startswith(CONFIG_ROOT + "/"):
                continue
            for f in files:
                if not f.path.startswith(host.rstrip("/") + "/"):
                    continue
                readers = {service_uid}
                if contract.starts_as_root and uid0 == 0 and any(r.reader == "root" for r in contract.reads):
                    readers.add(0)
                if not any(readable(f, u, adds if u == 0 else set()) for u in readers):
                    out.append(f"{where} reads: {inside}{f.path[len(host):]} is {f.mode:04o} owned by "
                               f"{'the deploy user' if f.owner == DEPLOY_UID else f'uid {f.owner}'}, "
                               f"unreadable by uid {sorted(readers)}")
        # The memory limit is at least the image's floor.
        if contract.memory_floor_mb and (i.get("memory") or 0) < contract.memory_floor_mb:
            out.append(f"{where} memory_floor_mb: limit {i.get('memory')} MiB is below the floor of "
                       f"{contract.memory_floor_mb} MiB ({contract.memory_source})")
        # Host access an exporter needs to report the host's numbers.
        out += host_access_violations(where, i, contract.host_access, docker_root)
        if not engine_ok(contract.engine, ENGINE, IMAGE_STORE):
            out.append(f"{where} engine: {contract.upstream} does not work with the pinned Docker Engine {ENGINE} "
                       f"({IMAGE_STORE}): {contract.engine.why}")
    return out


def host_access_violations(where: str, i: dict, need: HostAccess, docker_root: str) -> list[str]:
    out = []
    if need.pid_host and i.get("pidMode") != "host":
        out.append(f"{where} host_access: needs the host's pid namespace (pid_mode host)")
    if need.network_host and i.get("networkMode") != "host":
        out.append(f"{where} host_access: needs the host's network namespace (network_mode host), or it reports its own interfaces")
    if i.get("networkMode") == "host" and not _listens_privately(i.get("command")):
        # In the host's namespace nothing but its listen address keeps it off the public interface.
        out.append(f"{where} host_access: in the host's network it must listen on one private address (--web.listen-address)")
    have = {(h, c) for h, c, ro in binds(i) if ro}
    for host, inside in need.mounts:
        host = host.replace("{docker_root}", docker_root)
        if (host, inside) not in have:
            out.append(f"{where} host_access: needs {host} mounted read-only at {inside}")
    devices = {d.get("hostPath") for d in i.get("devices") or []}
    for dev in need.devices:
        if dev not in devices:
            out.append(f"{where} host_access: needs the device {dev}")
    return out


def test_every_container_honours_its_images_contract(plan):
    assert violations(plan) == []


@pytest.mark.parametrize("stack", ["prod"])
def test_the_ha_topology_honours_the_contracts_too(plan_of, stack, cloud):
    assert violations(plan_of(stack, cloud, topology="ha")) == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_an_existing_host_honours_the_contracts_too(plan_of, stack):
    assert violations(plan_of(stack, "ssh")) == []


def test_every_contract_is_complete_and_sourced():
    for key, c in CONTRACTS.items():
        assert c.sources, key
        assert c.memory_floor_mb > 0 and c.memory_source, f"{key}: memory_floor_mb unsourced"
        assert c.reads or not c.config_paths, f"{key}: reads"
        assert all(w.startswith("/") for w in c.writes), f"{key}: writes"
        if c.starts_as_root:
            assert c.root_caps, f"{key}: root_caps"
        assert c.engine.why, f"{key}: engine"


def test_the_contracts_accept_the_pinned_engine_and_would_refuse_29():
    assert all(engine_ok(c.engine, ENGINE, IMAGE_STORE) for c in CONTRACTS.values())
    refused = [k for k, c in CONTRACTS.items() if not engine_ok(c.engine, "29.2.1", "containerd")]
    assert refused == ["cadvisor_image"]


def _with(plan, name: str, **changes):
    """The plan with one container's inputs changed (restored by the caller)."""
    c = next(r for r in plan.of_type(CONTAINER) if r.inputs["name"] == name)
    saved = dict(c.inputs)
    c.inputs.update(changes)
    return c, saved


@pytest.mark.parametrize("name, changes, field", [
    ("xqfc-postgres", {"init": True, "capabilities": {"drops": ["ALL"], "adds": ["CAP_CHOWN"]}}, "signalled_uid"),
    ("xqfc-postgres", {"capabilities": {"drops": ["ALL"], "adds": ["CAP_CHOWN", "CAP_SETUID", "CAP_SETGID"]}}, "root_caps"),
    ("xqfc-redis", {"healthcheck": {"tests": ["CMD-SHELL", "curl -fs http://127.0.0.1:6379/ || exit 1"]}}, "health_binaries"),
    ("xqfc-postgres", {"tmpfs": {"/tmp": "rw"}}, "writes"),
    ("xqfc-grafana", {"envs": []}, "writes"),
    ("xqfc-redis", {"user": "999:1000", "readOnly": True}, None),
    ("xqfc-redis", {"memory": 16}, "memory_floor_mb"),
    ("xqfc-node-exporter", {"pidMode": None}, "host_access"),
    ("xqfc-node-exporter", {"networkMode": None}, "host_access"),
    ("xqfc-cadvisor", {"volumes": []}, "host_access"),
    ("xqfc-node-exporter", {"command": ["--path.rootfs=/host", "--web.listen-address=:9100"]}, "host_access"),
])
def test_a_wrong_spec_is_named_with_its_field(plan_of, name, changes, field):
    plan = plan_of("dev")
    c, saved = _with(plan, name, **changes)
    try:
        found = violations(plan)
    finally:
        c.inputs.clear()
        c.inputs.update(saved)
    if field is None:  # a harmless change: nothing to report
        assert found == []
    else:
        assert any(name in v and f" {field}:" in v for v in found), found


def test_an_unreadable_delivered_file_is_named(plan_of):
    # The postgres exporter reads its password file as nobody: owned by anyone else at 0400, it cannot.
    plan = plan_of("dev")
    cmd = next(r for r in plan.of_type(COMMAND) if "pg-password" in str(r.inputs.get("create")))
    saved = cmd.inputs["create"]
    cmd.inputs["create"] = saved.replace("sudo chown 65534 ", "sudo chown 0:0 ")
    try:
        found = violations(plan)
    finally:
        cmd.inputs["create"] = saved
    assert any("xqfc-postgres-exporter" in v and " reads:" in v and "pg-password" in v for v in found), found


def test_a_contract_that_refuses_the_pinned_engine_is_named(plan_of, monkeypatch):
    plan = plan_of("dev")
    old = CONTRACTS["cadvisor_image"]
    monkeypatch.setitem(CONTRACTS, "cadvisor_image", replace(old, engine=replace(old.engine, below="28")))
    found = violations(plan)
    assert any("xqfc-cadvisor" in v and " engine:" in v for v in found), found


def test_docs_images_md_is_the_rendering_of_the_contracts():
    from pathlib import Path

    from components.runtime.image_contracts_doc import render_images_markdown

    doc = Path(__file__).resolve().parents[1] / "docs" / "images.md"
    assert doc.read_text() == render_images_markdown(), (
        "docs/images.md is stale: python -m components.runtime.image_contracts_doc > docs/images.md")


def test_the_doc_rendering_follows_the_table(monkeypatch):
    from components.runtime.image_contracts_doc import render_images_markdown

    before = render_images_markdown()
    monkeypatch.setitem(CONTRACTS, "redis_image", replace(CONTRACTS["redis_image"], memory_floor_mb=48))
    after = render_images_markdown()
    assert before != after and "| memory floor | 48 MiB" in after
