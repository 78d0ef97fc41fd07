"""The backup tool's packaging and the disaster-recovery script."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from components.backup.retention import expired
from tests.tools import require_tool

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DR = os.path.join(REPO, "scripts", "dr-restore.sh")
# boto3 and what it pulls in; anything else (pulumi, pydantic, yaml...) would not be on the VM.
ALLOWED_THIRD_PARTY = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six",
                       "certifi"}


def test_tool_runs_shipped_alone_with_only_stdlib_and_boto3(tmp_path):
    """What goes to the VM is components/__init__.py + components/backup/: it must run from
    there and import nothing but the standard library and boto3 (no pulumi, no pydantic)."""
    shipped = tmp_path / "components"
    shutil.copytree(os.path.join(REPO, "components", "backup"), shipped / "backup",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(os.path.join(REPO, "components", "__init__.py"), shipped / "__init__.py")
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['x', '--help']\n"
        "try:\n    runpy.run_module('components.backup', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code == 0, e.code\n"
        "tops = {m.split('.')[0] for m in sys.modules}\n"
        "print(' '.join(sorted(tops - set(sys.stdlib_module_names) - set(sys.builtin_module_names))))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env,
                            check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    third_party = set(result.stdout.splitlines()[-1].split()) - {"__main__", "__mp_main__",
                                                                  "_distutils_hack"}
    assert {"components", "boto3"} <= third_party
    assert third_party - {"components"} <= ALLOWED_THIRD_PARTY, third_party
    assert "usage:" in result.stdout


def test_retention_rule_directly():
    from datetime import UTC, datetime, timedelta

    from components.backup.naming import format_ts

    now = datetime(2026, 11, 22, tzinfo=UTC)
    ts = [format_ts(now - timedelta(days=d)) for d in (100, 90, 80, 2)]
    # Only one complete backup is young; the newest 3 complete ones are 2, 80, 90 days old.
    assert expired(ts, [True] * 4, now, 30, 3) == [ts[0]]
    # If the young one is a failed half-upload, it does not protect anything.
    assert expired(ts, [True, True, True, False], now, 30, 3) == []
    with pytest.raises(ValueError):
        expired(ts, [True] * 4, now, 30, 0)


def test_dr_script_passes_shellcheck():
    result = subprocess.run([require_tool("shellcheck"), "-S", "style", DR],
                            check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def _stub_bin(tmp_path, restore_ok: bool):
    """Stand-ins for pulumi and ssh that log their arguments; the remote restore fails on demand."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "calls.log"
    (bindir / "pulumi").write_text(
        f'#!/bin/sh\necho "pulumi $*" >> {log}\n'
        # Only the contract's output name answers: a stale default gets an empty host.
        'case "$*" in *"stack output --stack prod public_ip") echo 203.0.113.7;; esac\n')
    fail = "" if restore_ok else 'case "$*" in *"systemctl start xqfc-restore@"*) exit 1;; esac\n'
    (bindir / "ssh").write_text(f'#!/bin/sh\necho "ssh $*" >> {log}\n{fail}exit 0\n')
    for stub in ("pulumi", "ssh"):
        (bindir / stub).chmod(0o755)
    return bindir, log


@pytest.mark.parametrize("restore_ok", [True, False])
def test_dr_script_rebuilds_then_restores(tmp_path, restore_ok):
    bindir, log = _stub_bin(tmp_path, restore_ok)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}
    result = subprocess.run(["bash", DR, "prod"], env=env, check=False, capture_output=True, text=True)
    calls = log.read_text().splitlines()
    assert calls[0] == "pulumi up --yes --skip-preview --stack prod"
    restore = [i for i, c in enumerate(calls) if "systemctl start xqfc-restore@latest.service" in c]
    assert len(restore) == 1 and "deploy@203.0.113.7" in calls[restore[0]]
    drill = [i for i, c in enumerate(calls) if "systemctl start xqfc-restore-drill.service" in c]
    if restore_ok:
        assert result.returncode == 0, result.stderr
        assert drill and drill[0] > restore[0]
        # The timers are held from right after `pulumi up` until the restore is done.
        hold = next(i for i, c in enumerate(calls) if "systemctl stop xqfc-backup-postgres.timer" in c)
        assert hold < restore[0] < next(i for i, c in enumerate(calls) if "enable --now" in c)
        # After a DR restore the drill compares with the restored database (live mode).
        live = next(i for i, c in enumerate(calls) if "set-environment XQFC_BACKUP_DRILL_MODE=live" in c)
        assert live < drill[0]
    else:
        assert result.returncode == 1 and "restore failed" in result.stderr
        assert not drill and not any("enable --now" in c for c in calls)


def test_dr_script_rejects_a_bad_timestamp(tmp_path):
    bindir, log = _stub_bin(tmp_path, True)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}
    result = subprocess.run(["bash", DR, "prod", "yesterday; rm -rf /"], env=env,
                            check=False, capture_output=True, text=True)
    assert result.returncode == 2 and not log.exists()
