"""Zero-downtime proof: HTTPS load through a real nginx while scripts/release.sh switches
the app, with no failed request; a failing release leaves the old version serving.

Figures are printed (pytest -s not needed); docs/releases.md quotes them.
"""
from __future__ import annotations

import time

import pytest

from components.render.nginx import render_upstream
from tests.release_harness import APP_NAME, Load, release_env

MIN_REQUESTS = 2000


@pytest.fixture
def env(tmp_path):
    with release_env(tmp_path) as renv:
        yield renv


def release_under_load(env, capsys, label, *args, min_requests=MIN_REQUESTS, **extra_env):
    with Load(env) as load:
        load.wait_for(200)  # traffic is flowing before the release starts
        switch_start = time.monotonic()
        result = env.release(*args, **extra_env)
        switch_end = time.monotonic()
        load.wait_for(load.count() + 200)  # and keeps flowing after it ends
        load.wait_for(min_requests)
    samples = sorted(load.samples, key=lambda s: s.end)
    with capsys.disabled():
        versions = {}
        for s in samples:
            versions[s.version] = versions.get(s.version, 0) + 1
        fast = sorted(s.end - s.start for s in samples
                      if s.path == "/" and switch_start <= s.start <= switch_end)
        p99 = fast[int(len(fast) * 0.99) - 1] if fast else float("nan")
        worst = fast[-1] if fast else float("nan")
        print(f"\n[{label}] exit={result.returncode} requests={len(samples)} "
              f"failures={len(load.failures)} release_s={switch_end - switch_start:.2f} "
              f"latency_during_release_ms p99={p99 * 1000:.0f} max={worst * 1000:.0f} "
              f"versions={versions}")
    return result, samples, load, switch_start, switch_end


def test_release_switches_with_zero_failed_requests(env, capsys):
    result, samples, load, start, end = release_under_load(
        env, capsys, "deploy v2", "deploy", "registry.local/xqfc-app:v2")
    assert result.returncode == 0, result.stderr
    assert len(samples) >= MIN_REQUESTS
    assert load.failures == [], load.failures[:5]
    first_new = min(s.end for s in samples if s.version == "v2")
    with capsys.disabled():
        print(f"[deploy v2] first v2 response {first_new - start:.2f}s after release start")
    # Once the release returned, the old colour is gone: everything after is v2.
    assert {s.version for s in samples if s.start > end} == {"v2"}
    assert env.serving_version() == "v2"

    containers = env.containers()
    assert set(containers) == {f"{APP_NAME}-green"}
    # The script's upstream file is exactly what the Python renderer produces.
    assert env.layout.upstream.read_text() == render_upstream([env.target_of(f"{APP_NAME}-green")])
    assert env.state() == {"CURRENT_COLOR": "green", "CURRENT_IMAGE": "registry.local/xqfc-app:v2",
                           "PREVIOUS_IMAGE": "registry.local/xqfc-app:v1"}
    migration = env.migrations()[-1]
    assert migration["image"] == "registry.local/xqfc-app:v2"
    assert migration["command"] == ["alembic", "upgrade", "head"]
    assert migration["networks"] == ["xqfc-backend"]


def test_rollback_under_load_returns_to_previous_image_without_migrating(env, capsys):
    assert env.release("deploy", "registry.local/xqfc-app:v2").returncode == 0
    migrations_before = len(env.migrations())
    result, samples, load, _, end = release_under_load(
        env, capsys, "rollback", "rollback", min_requests=600)
    assert result.returncode == 0, result.stderr
    assert load.failures == []
    assert {s.version for s in samples if s.start > end} == {"v1"}
    assert len(env.migrations()) == migrations_before  # old code must not run migrations
    assert env.state()["CURRENT_IMAGE"] == "registry.local/xqfc-app:v1"
    assert env.state()["PREVIOUS_IMAGE"] == "registry.local/xqfc-app:v2"
    assert set(env.containers()) == {f"{APP_NAME}-blue"}


def test_unhealthy_release_keeps_old_version_serving(env, capsys):
    upstream_before = env.layout.upstream.read_text()
    state_before = env.state()
    result, samples, load, _, _ = release_under_load(
        env, capsys, "unhealthy v3", "deploy", "registry.local/xqfc-app:v3-unhealthy",
        min_requests=MIN_REQUESTS, HEALTH_TIMEOUT="2")
    assert result.returncode == 5, result.stderr
    assert "never became healthy" in result.stderr
    assert load.failures == []
    assert {s.version for s in samples} == {"v1"}
    assert env.layout.upstream.read_text() == upstream_before
    assert env.state() == state_before
    assert set(env.containers()) == {f"{APP_NAME}-blue"}


def test_failed_migration_keeps_old_version_serving(env, capsys):
    upstream_before = env.layout.upstream.read_text()
    result, samples, load, _, _ = release_under_load(
        env, capsys, "bad migration", "deploy", "registry.local/xqfc-app:v3-bad-migration",
        min_requests=400)
    assert result.returncode == 3, result.stderr
    assert load.failures == []
    assert {s.version for s in samples} == {"v1"}
    assert env.layout.upstream.read_text() == upstream_before
    assert set(env.containers()) == {f"{APP_NAME}-blue"}
    # The new image never ran as a service.
    assert not [c for c in env.calls() if c[:2] == ["run", "-d"] and c[-1].endswith("bad-migration")]
