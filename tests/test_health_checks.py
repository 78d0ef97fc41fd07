"""Issue 22, hardening: every long-running container gets a health check its image can run and a
CPU limit sized from the VM (components/runtime/health.py, components/render/cpu_budget.py).

The live side (each container reaches `healthy` with these limits) is the e2e's hardening test.
"""
from __future__ import annotations

import re

import pytest

from components.render.cpu_budget import FLOOR, SHARES, cpu_budget, cpu_limit
from components.runtime.health import HOST_BUSYBOX, PROBE_BUSYBOX, PROBES
from components.runtime.image_contracts import CONTRACTS

CONTAINER = "docker:index/container:Container"
CLIENTS = {"wget", "curl"}


def test_every_role_has_a_probe():
    # postgres, redis and nginx keep their own checks (components/runtime/data.py, edge.py).
    assert set(PROBES) == set(SHARES) - {"postgres", "redis", "nginx"}


@pytest.mark.parametrize("role", sorted(r for r, p in PROBES.items() if not p.host_busybox))
def test_each_probe_runs_a_binary_its_image_has(role):
    probe = PROBES[role]
    assert probe.binary in CONTRACTS[probe.image_key].health_binaries, (role, probe.binary)


@pytest.mark.parametrize("role", sorted(r for r, p in PROBES.items() if p.host_busybox))
def test_only_an_image_without_a_client_borrows_the_hosts_busybox(role):
    probe = PROBES[role]
    assert not CLIENTS & set(CONTRACTS[probe.image_key].health_binaries), role
    assert probe.binary == PROBE_BUSYBOX and " -T" not in probe.command, probe.command
    hc = probe.args()
    # Exec form, word for word: these images have no shell to run a CMD-SHELL line.
    assert hc.tests == ["CMD", PROBE_BUSYBOX, "wget", "-q", "-O", "/dev/null", probe.command.split()[-1]]


def _go_duration(text: str) -> str:
    """time.Duration.String() of a whole number of seconds: 30s, 1m0s, 2m30s, 1h0m0s."""
    seconds = sum(int(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in re.findall(r"(\d+)([hms])", text))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m}m{s}s" if h else f"{m}m{s}s" if m else f"{s}s"


@pytest.mark.parametrize("role", sorted(PROBES))
def test_durations_are_spelled_as_the_provider_reads_them_back(role):
    p = PROBES[role]
    for d in (p.interval, p.timeout, p.start_period):
        assert d == _go_duration(d), (role, d)


@pytest.mark.parametrize("vm_cpus", [1, 2, 4, 8, 64])
def test_cpu_limits_stay_below_the_vm_and_above_the_floor(vm_cpus):
    for role, cpus in cpu_budget(vm_cpus).items():
        assert FLOOR <= cpus < vm_cpus, (role, vm_cpus, cpus)


def _read_back(cpus: str) -> str:
    """What terraform-provider-docker v4.5.0 reads back into `cpus` (internal/provider/helpers.go,
    nanoInt64ToDecimalString): 9 decimals, then "x.y" when the string holds exactly nine zeros,
    else trailing zeros trimmed. Reimplemented here from its description, to compare strings."""
    nano = round(float(cpus) * 1e9)
    text = f"{nano // 10**9}.{nano % 10**9:09d}"
    if text.count("0") == 9:
        return f"{nano / 1e9:.1f}"
    return text.rstrip("0")


@pytest.mark.parametrize("vm_cpus", range(1, 65))
def test_the_provider_reads_each_limit_back_as_sent(vm_cpus):
    # `cpus` is ForceNew: a read-back that differs from what was sent replaces the container on every up.
    for role, cpus in cpu_budget(vm_cpus).items():
        assert _read_back(str(cpus)) == str(cpus), (role, vm_cpus, cpus)


def test_cpu_limits_grow_with_the_vm():
    assert all(cpu_limit(r, 8) > cpu_limit(r, 2) for r in SHARES)
    assert cpu_limit("postgres", 2) > cpu_limit("prometheus", 2) > cpu_limit("node-exporter", 2)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_planned_container_has_a_cpu_limit_within_vm_cpus_and_a_health_check(plan_of, stack):
    plan = plan_of(stack)
    vm_cpus = {"dev": 2, "prod": 4}[stack]  # S5.MEDIUM4, S5.LARGE16
    found = {r.inputs["name"]: r.inputs for r in plan.of_type(CONTAINER)}
    assert found
    for name, i in found.items():
        assert 0 < float(i["cpus"]) < vm_cpus, (name, i.get("cpus"))
        role = name.removeprefix("xqfc-")
        hc = i["healthcheck"]
        assert hc["interval"] and hc["startPeriod"] and hc["retries"], (name, hc)
        binds = {v["containerPath"]: v for v in i.get("volumes") or [] if v.get("hostPath")}
        if role in PROBES and PROBES[role].host_busybox:
            assert hc["tests"][:2] == ["CMD", PROBE_BUSYBOX], (name, hc)
            assert binds[PROBE_BUSYBOX] == {"hostPath": HOST_BUSYBOX, "containerPath": PROBE_BUSYBOX, "readOnly": True}, name
        else:
            assert hc["tests"][0] == "CMD-SHELL", (name, hc)
            assert PROBE_BUSYBOX not in binds, name


def test_node_exporter_is_probed_where_it_listens(plan_of):
    i = next(r.inputs for r in plan_of("dev").of_type(CONTAINER) if r.inputs["name"] == "xqfc-node-exporter")
    listen = i["command"][i["command"].index("--web.listen-address") + 1]
    assert f"http://{listen}/" in i["healthcheck"]["tests"][1]
