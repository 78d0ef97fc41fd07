"""Every alert rule, unit-tested by `promtool test rules`: each alert fires, and stays quiet.

Cases are built from the spec's thresholds, just above and just below them, and run for dev
and prod, whose thresholds differ, so a rule that ignores its threshold fails one stack.
The rule file under test is the rendered one minus its annotations: promtool compares
annotations verbatim, so keeping them would mean copying the renderer's wording here. The
annotations are checked separately: every `$labels.x` they use must be a label the alert has.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from components.render.monitoring import MonitoringSpec, alerts, render_alert_rules
from components.render.monitoring.rules import WATCHDOG, WATCHDOG_SEVERITY
from tests.monitoring_support import run, stack_spec

TEST_STACKS = ("dev", "prod")


@dataclass(frozen=True)
class Case:
    alert: str
    fires: bool
    series: dict[str, str]  # series selector -> promtool values notation
    eval_time: str
    expected: list[dict[str, str]] = field(default_factory=list)
    interval: str = "1m"
    why: str = ""


def _sel(name: str, labels: dict[str, str]) -> str:
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def _minutes(duration: str) -> int:
    value, unit = int(duration[:-1]), duration[-1]
    return value * {"m": 1, "h": 60, "d": 1440}[unit]


def _seq(*values: float) -> str:
    return " ".join(f"{v:g}" for v in values)


def _counter(per_minute: float, points: int = 30) -> str:
    return f"0+{per_minute:g}x{points}"


def cases(spec: MonitoringSpec) -> list[Case]:
    th = spec.thresholds
    host = spec.host
    node = {"job": "node", "instance": "node-exporter:9100", "host": host}
    cadv = {"job": "cadvisor", "instance": "cadvisor:8080", "host": host}
    app = {"job": "app", "instance": "app:8000", "host": host}
    pg = {"job": "postgres", "instance": "postgres-exporter:9187", "host": host}
    redis = {"job": "redis", "instance": "redis-exporter:9121", "host": host}
    nginx = {"job": "nginx", "instance": "nginx-exporter:9113", "host": host}
    http_probe = {"job": "blackbox-http", "instance": spec.public_url, "host": host}
    tls_probe = {"job": "blackbox-tls", "instance": spec.public_tls_target, "host": host}
    warn, crit = {"severity": "warning"}, {"severity": "critical"}
    late = f"{_minutes(th.target_down_for) + 5}m"  # past any `for` of the up-based alerts
    out: list[Case] = []

    # --- scrape targets and hosts
    out += [
        Case("TargetDown", True, {_sel("up", redis): "0x20"}, late, [{**redis, **warn}]),
        Case("TargetDown", False, {_sel("up", redis): "1x20", _sel("up", app): "0x20"}, late,
             why="app down is AppDown's job, not TargetDown's"),
        Case("HostDown", True, {_sel("up", node): "0x20", _sel("up", cadv): "0x20"}, late,
             [{"host": host, **crit}]),
        Case("HostDown", False, {_sel("up", node): "0x20", _sel("up", cadv): "1x20"}, late,
             why="one exporter down is not a dead host"),
        Case("AppDown", True, {_sel("up", app): "0x20"}, late, [{**app, **crit}]),
        Case("AppDown", False, {_sel("up", app): "1x20"}, late),
    ]

    # --- app: 600 requests a minute, split 5xx/2xx around the threshold
    def traffic(per_minute: float, error_ratio: float) -> dict[str, str]:
        base = {**app, "handler": "/api/listings", "method": "GET"}
        return {
            _sel("http_requests_total", {**base, "status": "5xx"}): _counter(per_minute * error_ratio),
            _sel("http_requests_total", {**base, "status": "2xx"}): _counter(per_minute * (1 - error_ratio)),
        }

    r = th.error_rate_ratio
    out += [
        Case("AppHighErrorRate", True, traffic(600, r * 1.2), "20m", [{**app, **crit}]),
        Case("AppHighErrorRate", False, traffic(600, r * 0.8), "20m"),
        Case("AppHighErrorRate", False, traffic(th.error_rate_min_rps * 60 * 0.5, 1.0), "20m",
             why="all requests fail, but traffic is below the minimum rate"),
    ]

    lat = th.latency_p95_seconds

    def latency(bucket_of_all: int) -> dict[str, str]:
        bounds = [lat * 0.5, lat * 0.9, lat * 1.1, lat * 2, "+Inf"]
        base = {**app, "handler": "/api/listings", "method": "GET"}
        return {
            _sel("http_request_duration_seconds_bucket", {**base, "le": f"{b:g}" if b != "+Inf" else b}):
                _counter(60 if i >= bucket_of_all else 0)
            for i, b in enumerate(bounds)
        }

    out += [
        # All requests between 0.9x and 1.1x the threshold: p95 interpolates to ~1.09x.
        Case("AppHighLatency", True, latency(2), "20m", [{**app, **warn}]),
        # All between 0.5x and 0.9x: p95 ~0.88x.
        Case("AppHighLatency", False, latency(1), "20m"),
    ]

    # --- host
    def cpu(used_percent: float) -> dict[str, str]:
        idle_per_minute = 60 * (1 - used_percent / 100)
        return {_sel("node_cpu_seconds_total", {**node, "cpu": str(c), "mode": "idle"}): _counter(idle_per_minute)
                for c in range(2)}

    def memory(used_percent: float) -> dict[str, str]:
        return {_sel("node_memory_MemTotal_bytes", node): "1000x30",
                _sel("node_memory_MemAvailable_bytes", node): f"{1000 * (1 - used_percent / 100):g}x30"}

    out += [
        Case("HostHighCpu", True, cpu(th.cpu_percent + 1), "20m", [{**node, **warn}]),
        Case("HostHighCpu", False, cpu(th.cpu_percent - 1), "20m"),
        Case("HostHighMemory", True, memory(th.memory_percent + 1), "20m", [{**node, **warn}]),
        Case("HostHighMemory", False, memory(th.memory_percent - 1), "20m"),
    ]

    def fs(mountpoint: str, used_percent: float, fstype: str = "ext4", device: str = "/dev/vdb") -> tuple[dict, dict]:
        labels = {**node, "device": device, "fstype": fstype, "mountpoint": mountpoint}
        return labels, {_sel("node_filesystem_size_bytes", labels): "1000x20",
                        _sel("node_filesystem_avail_bytes", labels): f"{1000 * (1 - used_percent / 100):g}x20"}

    w, c = th.disk_warning_percent, th.disk_critical_percent
    data_labels, data_between = fs(spec.data_mountpoint, (w + c) / 2)
    _, data_over = fs(spec.data_mountpoint, c + 1)
    root_labels, root_warn = fs(spec.root_mountpoint, w + 1, device="/dev/vda1")
    _, data_under = fs(spec.data_mountpoint, w - 1)
    _, tmpfs_full = fs("/run", 99, fstype="tmpfs", device="tmpfs")
    _, other_full = fs("/boot", 99, device="/dev/vda15")
    out += [
        Case("HostDiskFull", True, data_between, "15m", [{**data_labels, **warn}]),
        Case("HostDiskFull", True, data_over, "15m", [{**data_labels, **warn}, {**data_labels, **crit}]),
        Case("HostDiskFull", True, root_warn, "15m", [{**root_labels, **warn}]),
        Case("HostDiskFull", False, {**data_under, **tmpfs_full, **other_full}, "15m",
             why="below threshold, and full filesystems that are neither root nor data"),
    ]

    # --- containers: start time changes once per restart
    def restarts(count: int) -> dict[str, str]:
        labels = {**cadv, "name": "xqfc-app", "image": "registry.example/xqfc/app:1", "id": "/docker/abc"}
        starts = [1000.0] * 21
        for i in range(count):
            for t in range(6 + i, 21):
                starts[t] = 1000.0 + 60 * (i + 1) + 60 * 6
        return {_sel("container_start_time_seconds", labels): _seq(*starts)}

    restart_labels = {**cadv, "name": "xqfc-app", "image": "registry.example/xqfc/app:1", "id": "/docker/abc"}
    n = th.container_restarts_15m
    out += [
        Case("ContainerRestarting", True, restarts(n + 1), "20m", [{**restart_labels, **warn}]),
        Case("ContainerRestarting", False, restarts(n), "20m", why="exactly the allowed number of restarts"),
    ]

    # --- PostgreSQL, Redis, nginx
    def pg_conn(percent: float) -> dict[str, str]:
        return {_sel("pg_settings_max_connections", pg): "100x20",
                _sel("pg_stat_activity_count", {**pg, "datname": "xqfc", "state": "active"}): f"{percent * 0.4:g}x20",
                _sel("pg_stat_activity_count", {**pg, "datname": "xqfc", "state": "idle"}): f"{percent * 0.6:g}x20"}

    def redis_mem(percent: float, maxmemory: float = 1000) -> dict[str, str]:
        return {_sel("redis_memory_max_bytes", redis): f"{maxmemory:g}x20",
                _sel("redis_memory_used_bytes", redis): f"{10 * percent:g}x20"}

    out += [
        Case("PostgresDown", True, {_sel("pg_up", pg): "0x20"}, "10m", [{**pg, **crit}]),
        Case("PostgresDown", False, {_sel("pg_up", pg): "1x20"}, "10m"),
        Case("PostgresConnectionsHigh", True, pg_conn(th.pg_connections_percent + 2), "15m", [{**pg, **warn}]),
        Case("PostgresConnectionsHigh", False, pg_conn(th.pg_connections_percent - 2), "15m"),
        Case("RedisDown", True, {_sel("redis_up", redis): "0x20"}, "10m", [{**redis, **crit}]),
        Case("RedisDown", False, {_sel("redis_up", redis): "1x20"}, "10m"),
        Case("RedisMemoryHigh", True, redis_mem(th.redis_memory_percent + 1), "15m", [{**redis, **warn}]),
        Case("RedisMemoryHigh", False, redis_mem(th.redis_memory_percent - 1), "15m"),
        Case("RedisMemoryHigh", False, redis_mem(500, maxmemory=0), "15m", why="maxmemory 0 means unlimited"),
        Case("NginxDown", True, {_sel("nginx_up", nginx): "0x20"}, "10m", [{**nginx, **crit}]),
        Case("NginxDown", False, {_sel("nginx_up", nginx): "1x20"}, "10m"),
    ]

    # --- public URL and certificate (evaluated at 20m = 1200 s)
    def cert(days_left: float) -> dict[str, str]:
        return {_sel("probe_ssl_earliest_cert_expiry", tls_probe): f"{1200 + days_left * 86400:g}x30"}

    probe_late = f"{_minutes(th.probe_failing_for) + 5}m"
    out += [
        Case("PublicUrlDown", True, {_sel("probe_success", http_probe): "0x20"}, probe_late, [{**http_probe, **crit}]),
        Case("PublicUrlDown", False, {_sel("probe_success", http_probe): "1x20"}, probe_late),
        Case("CertificateExpiring", True, cert(th.cert_expiry_warning_days - 0.5), "20m", [{**tls_probe, **warn}]),
        Case("CertificateExpiring", True, cert(th.cert_expiry_critical_days - 0.5), "20m",
             [{**tls_probe, **warn}, {**tls_probe, **crit}]),
        Case("CertificateExpiring", False, cert(th.cert_expiry_warning_days + 0.5), "20m"),
    ]

    # --- backups and restore drills: the job last succeeded at t=0; evaluate either side of the limit
    backup = {**node, "kind": "postgres"}
    backup_sel = _sel("xqfc_backup_last_success_timestamp_seconds", backup)
    drill_sel = _sel("xqfc_restore_drill_last_success_timestamp_seconds", node)
    heartbeat = {_sel("up", node): "1x200"}  # something to evaluate against when the metric is absent
    backup_h = th.backup_max_age_hours
    drill_h = th.restore_drill_max_age_days * 24
    out += [
        Case("BackupStale", True, {backup_sel: "0x200"}, f"{backup_h + 1:g}h", [{**backup, **crit}], "1h"),
        Case("BackupStale", False, {backup_sel: "0x200"}, f"{backup_h - 1:g}h", interval="1h"),
        Case("BackupMissing", True, heartbeat, f"{backup_h + 1:g}h", [{"kind": "postgres", **crit}], "1h"),
        Case("BackupMissing", False, heartbeat, f"{backup_h - 1:g}h", interval="1h",
             why="absent, but not yet for as long as a backup may take"),
        Case("BackupMissing", False, {**heartbeat, backup_sel: "0+3600x200"}, f"{backup_h + 1:g}h", interval="1h"),
        Case("RestoreDrillStale", True, {drill_sel: "0x200"}, f"{drill_h + 2:g}h", [{**node, **warn}], "1h"),
        Case("RestoreDrillStale", False, {drill_sel: "0x200"}, f"{drill_h - 2:g}h", interval="1h"),
        Case("RestoreDrillMissing", True, heartbeat, f"{drill_h + 2:g}h", [warn], "1h"),
        Case("RestoreDrillMissing", False, {**heartbeat, drill_sel: "0+3600x200"}, f"{drill_h + 2:g}h",
             interval="1h"),
    ]

    # --- dead man's switch: fires with nothing scraped at all; it has no quiet case (see below)
    out += [Case(WATCHDOG, True, {}, "1m", [{"severity": WATCHDOG_SEVERITY}])]
    return out + oom_cases(spec)


def oom_cases(spec: MonitoringSpec) -> list[Case]:
    """OomKill: node-exporter's node_vmstat_oom_kill counter steps up at minute 10."""
    node = {"job": "node", "instance": "node-exporter:9100", "host": spec.host}
    oom = _sel("node_vmstat_oom_kill", node)
    warn = {"alertname": "OomKill", "severity": "warning"}
    return [
        Case("OomKill", True, {oom: "5x10 6x30"}, "12m", [{**node, **warn}]),
        Case("OomKill", True, {oom: "5x10 7x30"}, "24m", [{**node, **warn}], why="still inside the window"),
        Case("OomKill", False, {oom: "5x40"}, "20m", why="no kill"),
        Case("OomKill", False, {oom: "5x10 6x40"}, "30m", why="the kill is older than the window: resolved"),
        Case("OomKill", False, {oom: "5x10 0x30"}, "12m", why="a reboot resets the counter to 0: no kill"),
    ]


def _rules_without_annotations(spec: MonitoringSpec) -> dict:
    rules = yaml.safe_load(render_alert_rules(spec))
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    return rules


def _test_group(case: Case) -> dict:
    return {
        "interval": case.interval,
        "input_series": [{"series": s, "values": v} for s, v in case.series.items()],
        "alert_rule_test": [{
            "eval_time": case.eval_time,
            "alertname": case.alert,
            "exp_alerts": [{"exp_labels": labels} for labels in case.expected],
        }],
    }


def _promtool_test(tmp_path: Path, spec: MonitoringSpec, selected: list[Case]) -> tuple[int, str]:
    rules = tmp_path / "rules.yml"
    rules.write_text(yaml.safe_dump(_rules_without_annotations(spec), sort_keys=False))
    tests = tmp_path / "tests.yml"
    # Evaluating every minute across the 8-day drill window would take seconds per case.
    evaluation = "1h" if all(c.interval == "1h" for c in selected) else "1m"
    tests.write_text(yaml.safe_dump({
        "rule_files": [str(rules)],
        "evaluation_interval": evaluation,
        "tests": [_test_group(c) for c in selected],
    }, sort_keys=False))
    result = run("promtool", "test", "rules", str(tests))
    return result.returncode, result.stdout + result.stderr


def _alert_names(spec: MonitoringSpec) -> set[str]:
    rules = yaml.safe_load(render_alert_rules(spec))
    return {rule["alert"] for group in rules["groups"] for rule in group["rules"]}


ALERT_NAMES = sorted(_alert_names(stack_spec("prod")))


@pytest.mark.parametrize("stack", TEST_STACKS)
@pytest.mark.parametrize("alert", ALERT_NAMES)
def test_alert_fires_and_stays_quiet(stack, alert, tmp_path):
    spec = stack_spec(stack)
    selected = [c for c in cases(spec) if c.alert == alert]
    assert selected, f"no test case for {alert}"
    code, output = _promtool_test(tmp_path, spec, selected)
    assert code == 0, output


@pytest.mark.parametrize("stack", TEST_STACKS)
def test_every_alert_has_a_firing_and_a_quiet_case(stack):
    spec = stack_spec(stack)
    all_cases = cases(spec)
    assert {c.alert for c in all_cases if c.fires and c.expected} == _alert_names(spec)
    # The Watchdog is never quiet: test_the_watchdog_is_never_quiet proves it.
    assert {c.alert for c in all_cases if not c.fires and not c.expected} == _alert_names(spec) - {WATCHDOG}


@pytest.mark.parametrize("stack", TEST_STACKS)
def test_the_watchdog_is_never_quiet(stack, tmp_path):
    spec = stack_spec(stack)
    for eval_time in ("0m", "1m", "3h"):
        firing = Case(WATCHDOG, True, {}, eval_time, [{"severity": WATCHDOG_SEVERITY}])
        code, output = _promtool_test(tmp_path, spec, [firing])
        assert code == 0, (eval_time, output)
        quiet = Case(WATCHDOG, False, {}, eval_time)
        code, output = _promtool_test(tmp_path, spec, [quiet])
        assert code != 0 and "FAILED" in output, (eval_time, output)


def test_a_wrong_expectation_makes_promtool_fail(tmp_path):
    # Negative control: proves a mismatch is reported through the exit code we assert on.
    spec = stack_spec("prod")
    firing = next(c for c in cases(spec) if c.alert == "TargetDown" and c.fires)
    silenced = Case(firing.alert, False, firing.series, firing.eval_time)
    code, output = _promtool_test(tmp_path, spec, [silenced])
    assert code != 0 and "FAILED" in output


def test_annotations_only_use_labels_the_alert_carries():
    spec = stack_spec("prod")
    labels_of: dict[tuple[str, str], set[str]] = {}
    for case in cases(spec):
        for expected in case.expected:
            labels_of.setdefault((case.alert, expected["severity"]), set()).update(expected)
    rules = yaml.safe_load(render_alert_rules(spec))
    for rule in (r for g in rules["groups"] for r in g["rules"]):
        used = set(re.findall(r"\$labels\.(\w+)", " ".join(rule["annotations"].values())))
        have = labels_of[(rule["alert"], rule["labels"]["severity"])]
        assert used <= have, f"{rule['alert']} annotations use {used - have}, which it does not carry"
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


@pytest.mark.parametrize("stack", TEST_STACKS)
def test_every_rule_is_labelled_critical_or_warning(stack):
    for alert in alerts(stack_spec(stack)):
        assert alert.severity in ("critical", "warning")
