"""Alert rules, built from the per-stack thresholds of the spec.

Metric names assumed (see docs/monitoring.md for the exporter each comes from): the app is
instrumented with prometheus-fastapi-instrumentator defaults (`http_requests_total{handler,
method,status}` where status may be grouped as "5xx", and
`http_request_duration_seconds_bucket{handler,method,le}`); the backup job writes
`xqfc_backup_last_success_timestamp_seconds{kind}` and
`xqfc_restore_drill_last_success_timestamp_seconds` into node-exporter's textfile directory.
"""
from __future__ import annotations

from dataclasses import dataclass

from ._yaml import dump
from .spec import MonitoringSpec

CRITICAL = "critical"
WARNING = "warning"


@dataclass(frozen=True)
class Alert:
    group: str
    name: str
    expr: str
    for_: str
    severity: str
    summary: str
    description: str

    def as_rule(self) -> dict[str, object]:
        rule: dict[str, object] = {"alert": self.name, "expr": self.expr}
        if self.for_ != "0s":
            rule["for"] = self.for_
        rule["labels"] = {"severity": self.severity}
        rule["annotations"] = {"summary": self.summary, "description": self.description}
        return rule


def duration(seconds: float) -> str:
    """Seconds as the largest whole Prometheus duration unit that represents them exactly."""
    s = round(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s and s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"


def _num(value: float) -> str:
    return f"{value:g}"


def _service_alerts(spec: MonitoringSpec) -> list[Alert]:
    th = spec.thresholds
    if th is None:  # MonitoringSpec.__post_init__ sets the environment's defaults
        raise ValueError("MonitoringSpec without thresholds")
    env = spec.environment
    mounts = "|".join(sorted({spec.root_mountpoint, spec.data_mountpoint}))
    fs = f'job="node",mountpoint=~"{mounts}",fstype!~"tmpfs|overlay|squashfs"'
    disk_used = f"100 * (1 - node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}})"
    app_rate = 'sum by (job, instance, host) (rate(http_requests_total{job="app"}[5m]))'
    backup = 'xqfc_backup_last_success_timestamp_seconds{kind="postgres"}'
    drill = "xqfc_restore_drill_last_success_timestamp_seconds"
    backup_age = th.backup_max_age_hours * 3600
    drill_age = th.restore_drill_max_age_days * 86400
    cert_days = '(probe_ssl_earliest_cert_expiry{job="blackbox-tls"} - time()) / 86400'
    where = "{{ $labels.instance }} on {{ $labels.host }}"

    return [
        Alert("targets", "TargetDown", 'up{job!="app"} == 0', th.target_down_for, WARNING,
              f"[{env}] scrape target {{{{ $labels.job }}}} is down",
              f"Prometheus cannot scrape {where} for {th.target_down_for}."),
        Alert("targets", "HostDown", 'max by (host) (up{job=~"node|cadvisor"}) == 0', th.target_down_for,
              CRITICAL, f"[{env}] host {{{{ $labels.host }}}} is unreachable",
              "Both host exporters (node-exporter and cAdvisor) are down: the host or its Docker daemon is gone."),
        Alert("app", "AppDown", 'up{job="app"} == 0', th.target_down_for, CRITICAL,
              f"[{env}] app is down",
              f"The app's /metrics endpoint {where} does not answer for {th.target_down_for}."),
        Alert("app", "AppHighErrorRate",
              f'(sum by (job, instance, host) (rate(http_requests_total{{job="app",status=~"5.."}}[5m]))'
              f" / {app_rate}) > {_num(th.error_rate_ratio)}"
              f" and {app_rate} > {_num(th.error_rate_min_rps)}",
              "5m", CRITICAL, f"[{env}] app 5xx error rate is high",
              f"{{{{ $value | humanizePercentage }}}} of requests on {where} answer 5xx "
              f"(threshold {th.error_rate_ratio:.0%})."),
        Alert("app", "AppHighLatency",
              "histogram_quantile(0.95, sum by (job, instance, host, le) "
              f'(rate(http_request_duration_seconds_bucket{{job="app"}}[5m]))) > {_num(th.latency_p95_seconds)}',
              "10m", WARNING, f"[{env}] app p95 latency is high",
              f"p95 request latency on {where} is {{{{ $value | humanizeDuration }}}} "
              f"(threshold {_num(th.latency_p95_seconds)}s)."),
        Alert("host", "HostHighCpu",
              '100 * (1 - avg by (job, instance, host) (rate(node_cpu_seconds_total{job="node",mode="idle"}[5m])))'
              f" > {_num(th.cpu_percent)}",
              "10m", WARNING, f"[{env}] host CPU is busy",
              f"CPU usage on {{{{ $labels.host }}}} is {{{{ $value | humanize }}}}% (threshold {_num(th.cpu_percent)}%)."),
        Alert("host", "HostHighMemory",
              '100 * (1 - node_memory_MemAvailable_bytes{job="node"} / node_memory_MemTotal_bytes{job="node"})'
              f" > {_num(th.memory_percent)}",
              "5m", WARNING, f"[{env}] host memory is nearly exhausted",
              f"Memory usage on {{{{ $labels.host }}}} is {{{{ $value | humanize }}}}% "
              f"(threshold {_num(th.memory_percent)}%)."),
        Alert("host", "HostDiskFull", f"{disk_used} > {_num(th.disk_warning_percent)}", "5m", WARNING,
              f"[{env}] disk {{{{ $labels.mountpoint }}}} is filling up",
              f"{{{{ $labels.mountpoint }}}} on {{{{ $labels.host }}}} is {{{{ $value | humanize }}}}% full "
              f"(warning at {_num(th.disk_warning_percent)}%)."),
        Alert("host", "HostDiskFull", f"{disk_used} > {_num(th.disk_critical_percent)}", "5m", CRITICAL,
              f"[{env}] disk {{{{ $labels.mountpoint }}}} is almost full",
              f"{{{{ $labels.mountpoint }}}} on {{{{ $labels.host }}}} is {{{{ $value | humanize }}}}% full "
              f"(critical at {_num(th.disk_critical_percent)}%)."),
        Alert("containers", "ContainerRestarting",
              f'changes(container_start_time_seconds{{job="cadvisor",name!=""}}[15m]) > {th.container_restarts_15m}',
              "0s", WARNING, f"[{env}] container {{{{ $labels.name }}}} is restarting",
              f"{{{{ $labels.name }}}} restarted {{{{ $value }}}} times in 15 minutes "
              f"(threshold {th.container_restarts_15m})."),
        Alert("postgres", "PostgresDown", 'pg_up{job="postgres"} == 0', "1m", CRITICAL,
              f"[{env}] PostgreSQL is down",
              "postgres-exporter cannot connect to PostgreSQL."),
        Alert("postgres", "PostgresConnectionsHigh",
              '100 * sum by (job, instance, host) (pg_stat_activity_count{job="postgres"})'
              ' / max by (job, instance, host) (pg_settings_max_connections{job="postgres"})'
              f" > {_num(th.pg_connections_percent)}",
              "5m", WARNING, f"[{env}] PostgreSQL connections near max_connections",
              f"{{{{ $value | humanize }}}}% of max_connections in use "
              f"(threshold {_num(th.pg_connections_percent)}%)."),
        Alert("redis", "RedisDown", 'redis_up{job="redis"} == 0', "1m", CRITICAL,
              f"[{env}] Redis is down", "redis-exporter cannot connect to Redis."),
        Alert("redis", "RedisMemoryHigh",
              '100 * redis_memory_used_bytes{job="redis"} / redis_memory_max_bytes{job="redis"}'
              f' > {_num(th.redis_memory_percent)} and redis_memory_max_bytes{{job="redis"}} > 0',
              "5m", WARNING, f"[{env}] Redis memory near maxmemory",
              f"Redis uses {{{{ $value | humanize }}}}% of maxmemory (threshold {_num(th.redis_memory_percent)}%)."),
        Alert("nginx", "NginxDown", 'nginx_up{job="nginx"} == 0', "1m", CRITICAL,
              f"[{env}] nginx is down", "nginx-exporter cannot read nginx's stub_status."),
        Alert("probes", "PublicUrlDown", 'probe_success{job="blackbox-http"} == 0', th.probe_failing_for,
              CRITICAL, f"[{env}] {spec.public_url} is failing",
              f"The external HTTP probe of {{{{ $labels.instance }}}} fails for {th.probe_failing_for}."),
        Alert("probes", "CertificateExpiring", f"{cert_days} < {th.cert_expiry_warning_days}", "10m", WARNING,
              f"[{env}] TLS certificate of {{{{ $labels.instance }}}} expires soon",
              f"The certificate expires in {{{{ $value | humanize }}}} days "
              f"(warning under {th.cert_expiry_warning_days} days)."),
        Alert("probes", "CertificateExpiring", f"{cert_days} < {th.cert_expiry_critical_days}", "10m", CRITICAL,
              f"[{env}] TLS certificate of {{{{ $labels.instance }}}} is about to expire",
              f"The certificate expires in {{{{ $value | humanize }}}} days "
              f"(critical under {th.cert_expiry_critical_days} days)."),
        Alert("backups", "BackupStale", f"time() - {backup} > {_num(backup_age)}", "0s", CRITICAL,
              f"[{env}] last PostgreSQL backup is too old",
              f"The last successful backup is {{{{ $value | humanizeDuration }}}} old "
              f"(allowed {duration(backup_age)})."),
        Alert("backups", "BackupMissing", f"absent({backup})", duration(backup_age), CRITICAL,
              f"[{env}] no PostgreSQL backup metric",
              f"{backup} has not been reported for {duration(backup_age)}: the backup job never succeeded "
              "or node-exporter lost its textfile directory."),
        Alert("backups", "RestoreDrillStale", f"time() - {drill} > {_num(drill_age)}", "0s", WARNING,
              f"[{env}] restore drill overdue",
              f"The last successful restore drill is {{{{ $value | humanizeDuration }}}} old "
              f"(allowed {duration(drill_age)})."),
        Alert("backups", "RestoreDrillMissing", f"absent({drill})", duration(drill_age), WARNING,
              f"[{env}] no restore drill metric",
              f"{drill} has not been reported for {duration(drill_age)}."),
    ]


# --- OOM kills (issue 22): a group of its own ------------------------------------------------
# The kernel counts every OOM kill in /proc/vmstat `oom_kill`, a memory cgroup's (a container at
# its limit) as well as the whole host's: mm/oom_kill.c __oom_kill_process calls
# count_vm_event(OOM_KILL) for both. node-exporter's vmstat collector is on by default and keeps
# that field (collector/vmstat_linux.go@v1.9.1: --collector.vmstat.fields defaults to
# ^(oom_kill|pgpg|pswp|pg.*fault).*), as node_vmstat_oom_kill. /proc/vmstat is not namespaced, so
# node-exporter in its container reads the host's. It does not say which container: cAdvisor's
# container_oom_events_total would, but needs /dev/kmsg (image_contracts.py, declined).
OOM_WINDOW = "15m"


def oom_alerts(spec: MonitoringSpec) -> list[Alert]:
    env = spec.environment
    return [
        Alert("oom", "OomKill", f'increase(node_vmstat_oom_kill{{job="node"}}[{OOM_WINDOW}]) > 0', "0s", WARNING,
              f"[{env}] the kernel killed a process for memory on {{{{ $labels.host }}}}",
              f"{{{{ $value | humanize }}}} OOM kill(s) in the last {OOM_WINDOW}, most likely a container at its memory "
              "limit. Which: `journalctl -k | grep -i 'killed process'` (the memory cgroup names the container id), "
              "or `docker inspect` (State.OOMKilled) of the containers that restarted."),
    ]


def alerts(spec: MonitoringSpec) -> list[Alert]:
    return [*_service_alerts(spec), *oom_alerts(spec)]


# --- dead man's switch ----------------------------------------------------------------------
# Always firing, so that its absence is the signal: Alertmanager sends it to the heartbeat
# receiver only (render/monitoring/alertmanager.py, WATCHDOG route), whose service pages when
# it stops arriving. Kept out of alerts(): it is not a condition and has no quiet case.
WATCHDOG = "Watchdog"
WATCHDOG_SEVERITY = "none"


def watchdog(spec: MonitoringSpec) -> Alert:
    return Alert("watchdog", WATCHDOG, "vector(1)", "0s", WATCHDOG_SEVERITY,
                 f"[{spec.environment}] alerting pipeline heartbeat",
                 "Always firing. It reaches the heartbeat service (alertHeartbeatUrl) every minute while "
                 "Prometheus evaluates rules and Alertmanager sends; when it stops, that service pages.")


def alert_rules(spec: MonitoringSpec) -> dict:
    groups: dict[str, list[dict]] = {}
    for alert in [*alerts(spec), watchdog(spec)]:
        groups.setdefault(alert.group, []).append(alert.as_rule())
    return {"groups": [{"name": f"xqfc-{name}", "rules": rules} for name, rules in groups.items()]}


def render_alert_rules(spec: MonitoringSpec) -> str:
    return dump(alert_rules(spec))
