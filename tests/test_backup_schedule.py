"""The systemd units for backups: accepted by systemd itself, scheduled when we mean, and
wired to the option names the backup tool actually reads."""
from __future__ import annotations

import os
import shlex
import subprocess
from datetime import datetime
from itertools import pairwise

import pytest

from components.backup.cli import build_parser
from components.render.backup_schedule import (
    BackupScheduleSettings,
    render_backup_units,
    render_credentials_env,
)
from tests.tools import require_tool

# The assumed per-stack settings (backupSchedule, backupRetentionDays, backupKeepNewest,
# backupLocalDays, drillSchedule).
STACKS = {
    "dev": ("daily", 7, 3, 2),
    "staging": ("*-*-* 00/12:00:00", 14, 3, 3),
    "prod": ("*-*-* 00/6:00:00", 30, 3, 3),
}


def settings(stack: str, **over) -> BackupScheduleSettings:
    schedule, retention, keep, local = STACKS[stack]
    args = {"backup_schedule": schedule, "drill_schedule": "Sun *-*-* 04:00:00",
            "redis_schedule": "*-*-* 03:30:00", "retention_days": retention,
            "keep_newest": keep, "local_days": local, "bucket": "xqfc-backups-1250000000",
            "endpoint_url": "https://cos.ap-guangzhou.myqcloud.com", "region": "ap-guangzhou"}
    args.update(over)
    return BackupScheduleSettings(**args)


def unit_entries(text: str, section: str) -> list[tuple[str, str]]:
    current, out = None, []
    for line in text.splitlines():
        if line.startswith("["):
            current = line.strip("[]")
        elif "=" in line and current == section:
            key, value = line.split("=", 1)
            out.append((key, value))
    return out


def unit_env(text: str) -> dict[str, str]:
    env = {}
    for key, value in unit_entries(text, "Service"):
        if key == "Environment":
            name, val = shlex.split(value)[0].split("=", 1)
            env[name] = val.replace("%%", "%")
    return env


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_units_pass_systemd_analyze_verify(stack, tmp_path):
    tool = require_tool("systemd-analyze")
    units = render_backup_units(settings(stack))
    assert set(units) == {f"{b}.{ext}" for b in ("xqfc-backup-postgres", "xqfc-restore-drill",
                                                 "xqfc-backup-redis") for ext in ("service", "timer")
    } | {"xqfc-restore@.service"}
    for name, text in units.items():
        (tmp_path / name).write_text(text)
    # A template is verified through an instance, as systemd would load it.
    paths = [str(tmp_path / n) for n in sorted(units) if "@" not in n]
    paths.append(str(tmp_path / "xqfc-restore@20261122T060000Z.service"))
    result = subprocess.run([tool, "verify", *paths],
                            check=False, capture_output=True, text=True)
    # verify exits 0 on unknown keys and merely warns: any output is a failure here.
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), \
        result.stdout + result.stderr


def test_verify_catches_a_broken_unit(tmp_path):
    """The check above can fail: a misspelt key is reported."""
    text = render_backup_units(settings("prod"))["xqfc-backup-postgres.service"]
    (tmp_path / "x.service").write_text(text.replace("Nice=", "Nicety="))
    result = subprocess.run([require_tool("systemd-analyze"), "verify", str(tmp_path / "x.service")],
                            check=False, capture_output=True, text=True)
    assert "Nicety" in result.stderr


def _elapses(calendar: str, n: int) -> list[datetime]:
    out = subprocess.run([require_tool("systemd-analyze"), "calendar", f"--iterations={n}",
                          "--base-time=2026-11-22 01:00:00 UTC", calendar],
                         capture_output=True, text=True, check=True, env={**os.environ, "TZ": "UTC"}).stdout
    stamps = [line.split(":", 1)[1].strip() for line in out.splitlines()
              if "Next elapse" in line or line.strip().startswith("Iter.")]
    return [datetime.strptime(" ".join(s.split()[1:3]), "%Y-%m-%d %H:%M:%S") for s in stamps]


@pytest.mark.parametrize("stack,hours", [("dev", 24), ("staging", 12), ("prod", 6)])
def test_backup_timer_fires_at_the_intended_interval(stack, hours):
    timer = render_backup_units(settings(stack))["xqfc-backup-postgres.timer"]
    calendar = dict(unit_entries(timer, "Timer"))["OnCalendar"]
    times = _elapses(calendar, 5)
    assert len(times) == 5
    gaps = {(b - a).total_seconds() / 3600 for a, b in pairwise(times)}
    assert gaps == {hours}


def test_drill_timer_is_weekly_on_sunday():
    timer = render_backup_units(settings("prod"))["xqfc-restore-drill.timer"]
    times = _elapses(dict(unit_entries(timer, "Timer"))["OnCalendar"], 3)
    assert [t.weekday() for t in times] == [6, 6, 6]
    assert {(b - a).days for a, b in pairwise(times)} == {7}


@pytest.mark.parametrize("unit,command", [("xqfc-backup-postgres.service", "backup"),
                                          ("xqfc-restore-drill.service", "drill"),
                                          ("xqfc-restore@.service", "restore"),
                                          ("xqfc-backup-redis.service", "redis-snapshot")])
def test_unit_environment_is_what_the_tool_reads(unit, command, monkeypatch):
    s = settings("prod")
    text = render_backup_units(s)[unit]
    for key in [k for k in os.environ if k.startswith("XQFC_")]:
        monkeypatch.delenv(key)
    for key, value in unit_env(text).items():
        monkeypatch.setenv(key, value)
    exec_start = dict(unit_entries(text, "Service"))["ExecStart"]
    argv = shlex.split(exec_start.replace("%i", "20261122T060000Z"))
    assert argv[:3] == [s.python, "-m", "components.backup"] and argv[3] == command
    args = build_parser().parse_args(argv[3:])  # would exit 2 if a required option were missing
    assert (args.bucket, args.endpoint_url, args.region) == (s.bucket, s.endpoint_url, s.region)
    assert args.textfile_dir == s.textfile_dir and args.addressing_style == "virtual"
    if command == "restore":
        assert args.force and args.timestamp == "20261122T060000Z"
    elif command != "drill":
        assert (args.retention_days, args.keep_newest, args.local_days) == (30, 3, 3)
    if command in ("backup", "drill", "restore"):
        assert args.database == s.database
        assert shlex.split(args.pg_dump_cmd)[:4] == ["docker", "exec", "-i", s.postgres_container]
        assert args.psql_cmd.endswith(f"psql -U {s.postgres_user}")
    else:
        assert args.rdb == s.redis_rdb_path and "REDISCLI_AUTH" in args.redis_cli_cmd


@pytest.mark.parametrize("over,message", [
    ({"backup_schedule": ""}, "backup_schedule"),
    ({"keep_newest": 0}, "keep_newest"),
    ({"local_days": 40}, "local_days"),
    ({"tool_dir": "relative/dir"}, "tool_dir"),
    ({"database": "x; DROP"}, "database"),
    ({"bucket": "has space"}, "bucket"),
])
def test_bad_settings_are_refused(over, message):
    with pytest.raises(ValueError, match=message):
        settings("prod", **over)


def test_credentials_env_takes_secrets_as_parameters():
    text = render_credentials_env("AKIDexample", "s3cr3t/Key+=", redis_password="pw_123")
    assert dict(line.split("=", 1) for line in text.splitlines()) == {
        "AWS_ACCESS_KEY_ID": "AKIDexample", "AWS_SECRET_ACCESS_KEY": "s3cr3t/Key+=",
        "REDISCLI_AUTH": "pw_123"}
    with pytest.raises(ValueError, match="REDISCLI_AUTH"):
        render_credentials_env("a", "b", redis_password='pa"ss word')
    units = "".join(render_backup_units(settings("prod")).values())
    assert "AWS_SECRET" not in units and "REDISCLI_AUTH=" not in units


@pytest.mark.parametrize("redis", [True, False])
def test_unit_names_are_known_before_the_values(redis):
    # The Pulumi side creates one file per unit before the bucket name is known.
    from components.render.backup_schedule import timer_names, unit_names

    rendered = render_backup_units(settings("prod", redis_snapshots=redis))
    assert unit_names(redis) == sorted(rendered)
    assert set(timer_names(redis)) == {n for n in rendered if n.endswith(".timer")}
