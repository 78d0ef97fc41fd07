"""The e2e applier's engine behaviour, without a host: scheduling, checkpoints, read-back and diff rules."""
from __future__ import annotations

import threading
import time

import pytest

from components.plan.mocks import Registration
from tests.e2e import applier, readback

CONTAINER = "docker:index/container:Container"


def reg(name: str, deps: tuple[str, ...] = (), type_: str = "command:remote:Command", parent: str | None = None,
        custom: bool = True, provider: str | None = None) -> Registration:
    return Registration(type=type_, name=name, urn=f"urn:{name}", parent_urn=parent and f"urn:{parent}", custom=custom,
                        inputs={}, secret_inputs={}, dependencies=[f"urn:{d}" for d in deps], provider=provider)


def test_independent_steps_run_at_the_same_time_and_dependants_wait():
    graph = [reg("gate"), reg("a", ("gate",)), reg("b", ("gate",)), reg("c", ("a", "b"))]
    started, finished, lock = {}, {}, threading.Lock()

    def step(r):
        with lock:
            started[r.name] = time.monotonic()
        time.sleep(0.3)
        with lock:
            finished[r.name] = time.monotonic()

    assert applier.run_graph(graph, step, parallel=8) == []
    assert started["a"] >= finished["gate"] and started["b"] >= finished["gate"]
    assert abs(started["a"] - started["b"]) < 0.2  # one wave
    assert started["c"] >= max(finished["a"], finished["b"])


def test_a_component_dependency_waits_for_its_children_and_a_resource_for_its_provider():
    graph = [reg("comp", custom=False), reg("child", parent="comp"), reg("prov", ("child",), type_="pulumi:providers:docker"),
             reg("box", type_=CONTAINER, provider="urn:prov::prov-id"), reg("after", ("comp",))]
    deps = applier.dependencies(graph)
    assert deps["urn:box"] == {"urn:prov"}
    assert deps["urn:after"] == {"urn:child"}


def test_a_failure_starts_nothing_new_and_lets_steps_in_flight_finish():
    graph = [reg("bad"), reg("slow"), reg("after-bad", ("bad",)), reg("after-slow", ("slow",))]
    ran = []

    def step(r):
        if r.name == "bad":
            raise RuntimeError("boom")
        time.sleep(0.3)
        ran.append(r.name)

    failures = applier.run_graph(graph, step, parallel=8)
    assert [n for n, _ in failures] == ["bad"]
    assert ran == ["slow"]  # finished, recorded; nothing after the failure started


def test_default_parallel_is_the_clis(monkeypatch):
    monkeypatch.delenv("PULUMI_PARALLEL", raising=False)
    monkeypatch.setattr(applier.os, "cpu_count", lambda: 2)
    assert applier.default_parallel() == 8
    monkeypatch.setenv("PULUMI_PARALLEL", "3")
    assert applier.default_parallel() == 3


def test_the_checkpoint_records_an_operation_in_flight(tmp_path):
    state = applier.State(tmp_path)
    state.begin("urn:x", CONTAINER, "creating", {"name": "x"})
    # A kill here: a new reader sees the pending create and no resource.
    seen = applier.State(tmp_path)
    assert [{k: p[k] for k in ("urn", "operation", "inputs")} for p in seen.pending] == \
        [{"urn": "urn:x", "operation": "creating", "inputs": {"name": "x"}}]
    assert "urn:x" not in seen.resources
    assert "interrupted while creating" in applier.pending_warning(seen)
    state.end("urn:x", {"type": CONTAINER, "inputs": {"name": "x"}})
    seen = applier.State(tmp_path)
    assert seen.pending == [] and "urn:x" in seen.resources


def test_a_pending_create_outlives_the_next_run_until_a_refresh_resolves_it(tmp_path):
    killed = applier.State(tmp_path)
    killed.begin("urn:x", CONTAINER, "creating", {"name": "x"})
    killed.begin("urn:y", CONTAINER, "updating", {"name": "y"})
    rerun = applier.State(tmp_path)
    rerun.carry_pending_creates()
    assert [p["urn"] for p in rerun.pending] == ["urn:x"]
    # The rerun's own create of x fails (it exists): its pending op goes, the earlier one stays.
    rerun.begin("urn:x", CONTAINER, "creating", {"name": "x"})
    rerun.end("urn:x", None)
    assert [p["urn"] for p in applier.State(tmp_path).pending] == ["urn:x"]


def test_go_durations_and_cpus_read_back_as_the_provider_writes_them():
    assert readback.go_duration(10 * 10**9) == "10s"
    assert readback.go_duration(90 * 10**9) == "1m30s"
    assert readback.go_duration(0) == "0s"
    assert readback.go_duration(500 * 10**6) == "500ms"
    assert readback.nano_decimal(1_000_000_000) == "1.0"
    assert readback.nano_decimal(1_500_000_000) == "1.5"
    assert readback.nano_decimal(250_000_000) == "0.25"


def test_sets_are_not_lists_and_a_forcenew_change_replaces():
    declared = {"name": "c", "image": "i", "securityOpts": ["a", "b"], "command": ["x", "y"]}
    same = readback.diff("c", CONTAINER, declared, {**declared, "securityOpts": ["b", "a"]})
    assert same == []
    moved = readback.diff("c", CONTAINER, declared, {**declared, "command": ["y", "x"]})
    assert [(d.key, d.replace) for d in moved] == [("command", True)]
    engine = readback.diff("c", CONTAINER, declared, {**declared, "securityOpts": ["a", "b", "label=disable"]})
    assert [(d.key, d.replace) for d in engine] == [("securityOpts", True)]


def test_undeclared_computed_or_suppressed_attributes_do_not_diff_and_an_unknown_input_fails():
    declared = {"name": "c", "image": "i", "memory": 64}
    state = {**declared, "hostname": "abc123", "workingDir": "/srv", "user": "nobody", "stopSignal": "SIGTERM",
             "restart": "no", "networkMode": "bridge"}
    assert readback.diff("c", CONTAINER, declared, state) == []
    assert [(d.key, d.replace) for d in readback.diff("c", CONTAINER, declared, {**state, "memory": 128})] == [("memory", False)]
    with pytest.raises(readback.ReadBackError):
        readback.diff("c", CONTAINER, {**declared, "notAnInput": 1}, state)


def test_a_declared_attribute_the_read_should_set_but_did_not_fails_the_refresh():
    with pytest.raises(readback.ReadBackError):
        readback.refreshed("c", CONTAINER, {"name": "c", "image": "i", "sysctls": {"a": "1"}}, {"name": "c", "image": "i"})
