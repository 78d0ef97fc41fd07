"""Every container of every stack, on both topologies, against its upstream image's contract
(components/runtime/image_contracts.py): what the image does that the hardening must allow."""
from __future__ import annotations

import re

import pytest

from components.runtime.image_contracts import CONTRACTS

CONTAINER = "docker:index/container:Container"
IMAGE = "docker:index/remoteImage:RemoteImage"
# Binaries a health command may call; each must exist in the image (contract health_binaries).
HEALTH_TOOLS = {"wget", "curl", "pg_isready", "redis-cli", "sed", "grep", "nc", "psql"}


def contract_of(plan, container) -> tuple[str, object]:
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


def violations(plan) -> list[str]:
    out = []
    for c in plan.of_type(CONTAINER):
        i = c.inputs
        key, contract = contract_of(plan, c)
        name = i["name"]
        adds = set(i["capabilities"].get("adds") or [])
        # The stop signal must reach the main process: an init running as root with every
        # capability dropped may not signal a process that switched to another uid.
        if i.get("init") and start_uid(i, contract) == 0 and contract.signalled_uid != 0 and "KILL" not in adds:
            out.append(f"{name} ({key}): init runs as root without CAP_KILL, but the main process runs as uid "
                       f"{contract.signalled_uid}: docker stop would be a kill")
        # An image that drops privileges itself needs the capabilities to do so.
        if contract.starts_as_root and start_uid(i, contract) == 0 and contract.signalled_uid != 0:
            missing = {"SETUID", "SETGID"} - adds
            if missing:
                out.append(f"{name} ({key}): the entrypoint drops to uid {contract.uid} but {sorted(missing)} are dropped")
        hc = (i.get("healthcheck") or {}).get("tests") or []
        command = " ".join(hc[1:])
        for tool in sorted(HEALTH_TOOLS & set(re.findall(r"[a-z][a-z0-9_-]*", command))):
            if tool not in contract.health_binaries:
                out.append(f"{name} ({key}): the health check runs {tool}, which {contract.upstream} does not have")
    return out


def test_every_container_honours_its_images_contract(plan):
    assert violations(plan) == []


@pytest.mark.parametrize("stack", ["prod"])
def test_the_ha_topology_honours_the_contracts_too(plan_of, stack, cloud):
    assert violations(plan_of(stack, cloud, topology="ha")) == []


def test_the_rules_fire(plan_of):
    plan = plan_of("dev")
    pg = next(r for r in plan.of_type(CONTAINER) if r.inputs["name"] == "xqfc-postgres")
    redis = next(r for r in plan.of_type(CONTAINER) if r.inputs["name"] == "xqfc-redis")
    saved = (dict(pg.inputs), dict(redis.inputs))
    try:
        pg.inputs["init"] = True
        pg.inputs["capabilities"] = {"drops": ["ALL"], "adds": ["CHOWN"]}
        redis.inputs["healthcheck"] = {"tests": ["CMD-SHELL", "curl -fs http://127.0.0.1:6379/ || exit 1"]}
        found = violations(plan)
    finally:
        pg.inputs.clear(), pg.inputs.update(saved[0]), redis.inputs.clear(), redis.inputs.update(saved[1])
    assert any("xqfc-postgres" in v and "CAP_KILL" in v for v in found), found
    assert any("xqfc-postgres" in v and "SETGID" in v for v in found), found
    assert any("xqfc-redis" in v and "curl" in v for v in found), found
