"""scripts/release.sh on its own: POSIX and shellcheck-clean, the docker command lines it
issues, its lock, its guards, and the nginx-rejects-the-switch path."""
from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys

import pytest

from tests.release_harness import APP_NAME, FAKE_DOCKER, RELEASE_SH, release_env
from tests.tools import require_tool


def test_shellcheck_clean():
    result = subprocess.run([require_tool("shellcheck"), "-s", "sh", "-S", "style", str(RELEASE_SH)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


@pytest.fixture
def bare(tmp_path):
    """The script with the fake docker but no nginx: NGINX_* commands must not be needed."""
    docker = tmp_path / "docker"
    docker.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_DOCKER}" "$@"\n')
    docker.chmod(0o755)
    (tmp_path / "fake").mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "RELEASE_CONFIG": str(tmp_path / "release.conf"),
        "DOCKER": str(docker),
        "FAKE_DOCKER_DIR": str(tmp_path / "fake"),
        "CURL": require_tool("curl"),
        "STATE_DIR": str(tmp_path / "state"),
        "UPSTREAM_FILE": str(tmp_path / "upstream" / "app.conf"),
        "APP_NETWORKS": "xqfc-backend xqfc-monitoring",
        "APP_ENV_FILE": "/etc/xqfc/app.env",
        "APP_IP_BLUE": "172.30.0.10",
        "APP_RUN_ARGS": "--memory 512m",
        "MIGRATE_CMD": "alembic upgrade head",
        "HEALTH_INTERVAL": "0.1",
        "DRAIN_SECONDS": "0",
        "NGINX_STATUS_CMD": "echo false",
        "NGINX_TEST_CMD": "false",
        "NGINX_RELOAD_CMD": "false",
    }

    def run(*args, **extra):
        return subprocess.run([require_tool("dash"), str(RELEASE_SH), *args],
                              env={**env, **extra}, capture_output=True, text=True, timeout=60,
                              check=False)

    def calls():
        path = tmp_path / "fake" / "calls.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    try:
        yield run, calls, tmp_path
    finally:
        for rec in (tmp_path / "fake").glob("containers/*.json"):
            try:
                os.kill(json.loads(rec.read_text())["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_first_release_without_nginx_writes_upstream_and_issues_expected_docker_calls(bare):
    run, calls, tmp = bare
    result = run("deploy", "registry.local/xqfc-app@sha256:" + "a" * 64)
    assert result.returncode == 0, result.stderr
    assert "nginx is not running" in result.stderr
    assert (tmp / "upstream" / "app.conf").read_text().startswith("upstream app {\n    server 127.0.0.1:")
    issued = calls()
    migrate = next(c for c in issued if c[:2] == ["run", "--rm"])
    assert migrate[-4:] == ["registry.local/xqfc-app@sha256:" + "a" * 64, "alembic", "upgrade", "head"]
    assert migrate[migrate.index("--network") + 1] == "xqfc-backend"
    assert migrate[migrate.index("--env-file") + 1] == "/etc/xqfc/app.env"
    start = next(c for c in issued if c[:2] == ["run", "-d"])
    assert start[start.index("--name") + 1] == f"{APP_NAME}-blue"
    assert start[start.index("--network") + 1] == "xqfc-edge"
    assert start[start.index("--ip") + 1] == "172.30.0.10"
    assert start[start.index("--restart") + 1] == "unless-stopped"
    assert start[start.index("--memory") + 1] == "512m"
    assert ["network", "connect", "xqfc-backend", f"{APP_NAME}-blue"] in issued
    assert ["network", "connect", "xqfc-monitoring", f"{APP_NAME}-blue"] in issued
    address_fmt = next(c for c in issued if c[0] == "inspect" and "IPAddress" in c[2])[2]
    assert '"xqfc-edge"' in address_fmt and address_fmt.endswith(":8000")


def test_alias_follows_the_app_onto_every_network(bare):
    # Prometheus reaches the app as `app` on the monitoring network, not only on the edge one.
    run, calls, _ = bare
    assert run("deploy", "app:v1", APP_NETWORK_ALIAS="app").returncode == 0
    issued = calls()
    start = next(c for c in issued if c[:2] == ["run", "-d"])
    assert start[start.index("--network-alias") + 1] == "app"
    for net in ("xqfc-backend", "xqfc-monitoring"):
        assert ["network", "connect", "--alias", "app", net, f"{APP_NAME}-blue"] in issued


def test_stale_container_of_target_colour_is_replaced(bare):
    run, calls, tmp = bare
    assert run("deploy", "app:v1").returncode == 0  # blue is live
    # An interrupted release left green behind; the next release must not trip over it.
    stale = subprocess.run([str(tmp / "docker"), "run", "-d", "--name", f"{APP_NAME}-green",
                            "--network", "xqfc-edge", "app:stale"],
                           env={"FAKE_DOCKER_DIR": str(tmp / "fake")}, capture_output=True,
                           check=False)
    assert stale.returncode == 0
    result = run("deploy", "app:v2")
    assert result.returncode == 0, result.stderr
    assert "removing stale" in result.stderr
    assert ["rm", "-f", f"{APP_NAME}-green"] in calls()


def test_config_file_settings_are_used(bare):
    run, calls, tmp = bare
    (tmp / "release.conf").write_text("APP_NAME=shop\nEDGE_NETWORK=front\nMIGRATE_CMD=\n")
    result = run("deploy", "app:v1")
    assert result.returncode == 0, result.stderr
    start = next(c for c in calls() if c[:2] == ["run", "-d"])
    assert start[start.index("--name") + 1] == "shop-blue"
    assert start[start.index("--network") + 1] == "front"
    assert not [c for c in calls() if c[:2] == ["run", "--rm"]]  # empty MIGRATE_CMD: none


def test_unpullable_image_changes_nothing(bare):
    run, calls, tmp = bare
    assert run("deploy", "app:v1").returncode == 0
    before = (tmp / "upstream" / "app.conf").read_text()
    result = run("deploy", "app:v2-missing")
    assert result.returncode == 4
    assert "cannot pull" in result.stderr
    assert not [c for c in calls() if c[0] == "run" and "app:v2-missing" in c]
    assert (tmp / "upstream" / "app.conf").read_text() == before


def test_without_pull_a_missing_image_changes_nothing_and_says_why(bare):
    # release.conf sets PULL=no: Pulumi pulls with the registry credentials the host lacks.
    run, calls, tmp = bare
    assert run("deploy", "app:v1", PULL="no").returncode == 0
    assert not [c for c in calls() if c[0] == "pull"]
    before = (tmp / "upstream" / "app.conf").read_text()
    result = run("deploy", "app:v2-missing", PULL="no")
    assert result.returncode == 4
    assert "not on this host" in result.stderr
    assert not [c for c in calls() if c[0] == "run" and "app:v2-missing" in c]
    assert (tmp / "upstream" / "app.conf").read_text() == before


def test_migration_runs_with_the_apps_hardening(bare):
    run, calls, _ = bare
    hardening = "--memory 512m --memory-swap 512m --security-opt no-new-privileges:true --cap-drop ALL --read-only --user 10001:10001"
    assert run("deploy", "app:v1", APP_RUN_ARGS=hardening).returncode == 0
    migrate = next(c for c in calls() if c[:2] == ["run", "--rm"])
    assert " ".join(migrate).find(hardening) > 0, migrate
    assert migrate[-4:] == ["app:v1", "alembic", "upgrade", "head"]


def test_a_colour_that_crashes_at_start_is_reported_with_its_logs_and_leaves_nothing_behind(bare):
    run, _, tmp = bare
    assert run("deploy", "app:v1").returncode == 0
    before = (tmp / "upstream" / "app.conf").read_text()
    result = run("deploy", "app:v2-crash")
    # 4: gone before it had an address; 5: gone before it answered. Either way at once, not
    # after HEALTH_TIMEOUT, and with the container's own error: its logs go with it.
    assert result.returncode in (4, 5), result.stderr
    assert "stopped running" in result.stderr or "exited at start" in result.stderr, result.stderr
    assert "deliberately broken at start" in result.stderr, result.stderr
    assert "blue still serving" in result.stderr
    assert (tmp / "upstream" / "app.conf").read_text() == before
    # No stale endpoint blocks the next release into that colour.
    retry = run("deploy", "app:v3")
    assert retry.returncode == 0, retry.stderr


def test_remove_clears_both_colours_and_state(bare):
    run, calls, tmp = bare
    assert run("deploy", "app:v1").returncode == 0
    assert run("deploy", "app:v2").returncode == 0
    result = run("remove")
    assert result.returncode == 0, result.stderr
    assert not list((tmp / "fake" / "containers").glob("*.json"))
    assert ["stop", "-t", "30", f"{APP_NAME}-green"] in calls()  # graceful, not just rm -f
    assert run("status").stdout.strip() == "no release yet"


def test_lock_refuses_concurrent_release(bare):
    run, calls, tmp = bare
    (tmp / "state").mkdir()
    with open(tmp / "state" / "release.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run("deploy", "app:v1")
    assert result.returncode == 7
    assert "another release" in result.stderr
    assert calls() == []


@pytest.mark.parametrize("args", [[], ["deploy"], ["deploy", "app v1"], ["deploy", "--rm"],
                                  ["deploy", "app:v1", "extra"], ["nonsense"]])
def test_usage_errors(bare, args):
    run, calls, _ = bare
    assert run(*args).returncode == 2
    assert calls() == []


def test_rollback_without_history_refused(bare):
    run, _, _ = bare
    result = run("rollback")
    assert result.returncode == 2
    assert "no previous image" in result.stderr


def test_status_reports_state(bare):
    run, _, _ = bare
    assert run("status").stdout.strip() == "no release yet"
    assert run("deploy", "app:v1").returncode == 0
    assert "CURRENT_IMAGE=app:v1" in run("status").stdout


def test_nginx_rejecting_switch_restores_upstream_and_keeps_old(tmp_path):
    with release_env(tmp_path) as env:
        before = env.layout.upstream.read_text()
        result = env.release("deploy", "registry.local/xqfc-app:v2", NGINX_TEST_CMD="false")
        assert result.returncode == 6, result.stderr
        assert env.layout.upstream.read_text() == before
        assert set(env.containers()) == {f"{APP_NAME}-blue"}
        assert env.serving_version() == "v1"
        assert env.state()["CURRENT_IMAGE"] == "registry.local/xqfc-app:v1"
