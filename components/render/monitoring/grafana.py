"""Grafana provisioning: datasources, the dashboard provider, and the dashboards as data."""
from __future__ import annotations

import json
from typing import Any

from ._yaml import dump
from .spec import MonitoringSpec

PROMETHEUS_UID = "prometheus"
LOKI_UID = "loki"
DASHBOARDS_DIR = "/var/lib/grafana/dashboards"
PROVISIONING_DIR = "/etc/grafana/provisioning"
RATE = "$__rate_interval"
_PROM = {"type": "prometheus", "uid": PROMETHEUS_UID}


def render_grafana_datasources(spec: MonitoringSpec) -> str:
    datasources: list[dict[str, Any]] = [
        {
            "name": "Prometheus",
            "type": "prometheus",
            # A fixed uid is what the provisioned dashboards point at.
            "uid": PROMETHEUS_UID,
            "access": "proxy",
            "url": f"http://{spec.targets.prometheus}",
            "isDefault": True,
            "editable": False,
            "jsonData": {"timeInterval": spec.scrape_interval},
        }
    ]
    if spec.logs_enabled:
        datasources.append(
            {"name": "Loki", "type": "loki", "uid": LOKI_UID, "access": "proxy",
             "url": f"http://{spec.targets.loki}", "editable": False}
        )
    return dump({"apiVersion": 1, "datasources": datasources})


def render_grafana_dashboard_provider() -> str:
    return dump({
        "apiVersion": 1,
        "providers": [{
            "name": "xqfc",
            "folder": "XQFC",
            "type": "file",
            # Dashboards are code: UI edits would be lost on the next deploy, so refuse them.
            "disableDeletion": True,
            "allowUiUpdates": False,
            "updateIntervalSeconds": 60,
            "options": {"path": DASHBOARDS_DIR},
        }],
    })


def grafana_environment(spec: MonitoringSpec) -> dict[str, str]:
    """Non-secret GF_* settings; the caller adds GF_SECURITY_ADMIN_PASSWORD as a secret."""
    return {
        "GF_SERVER_ROOT_URL": spec.grafana_root_url,
        "GF_USERS_ALLOW_SIGN_UP": "false",
        "GF_AUTH_ANONYMOUS_ENABLED": "false",
        "GF_ANALYTICS_REPORTING_ENABLED": "false",
        "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
        "GF_PATHS_PROVISIONING": PROVISIONING_DIR,
    }


def _target(ref: str, expr: str, legend: str) -> dict[str, Any]:
    return {"refId": ref, "datasource": _PROM, "expr": expr, "legendFormat": legend}


def _panel(title: str, unit: str, *queries: tuple[str, str], kind: str = "timeseries") -> dict[str, Any]:
    return {
        "type": kind,
        "title": title,
        "datasource": _PROM,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
        "targets": [_target(chr(ord("A") + i), expr, legend) for i, (expr, legend) in enumerate(queries)],
    }


def _dashboard(uid: str, title: str, panels: list[dict[str, Any]]) -> dict[str, Any]:
    laid_out = []
    for i, panel in enumerate(panels):
        # Two panels per row, 12 of Grafana's 24 columns each.
        laid_out.append({"id": i + 1, "gridPos": {"h": 8, "w": 12, "x": (i % 2) * 12, "y": (i // 2) * 8}, **panel})
    return {
        "uid": uid,
        "title": title,
        "tags": ["xqfc"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "annotations": {"list": []},
        "templating": {"list": []},
        "panels": laid_out,
    }


def _host(spec: MonitoringSpec) -> dict[str, Any]:
    fs = 'job="node",fstype!~"tmpfs|overlay|squashfs"'
    return _dashboard("xqfc-host", "Host", [
        _panel("CPU used", "percent",
               (f'100 * (1 - avg by (host) (rate(node_cpu_seconds_total{{job="node",mode="idle"}}[{RATE}])))', "{{host}}")),
        _panel("Memory used", "percent",
               ('100 * (1 - node_memory_MemAvailable_bytes{job="node"} / node_memory_MemTotal_bytes{job="node"})',
                "{{host}}")),
        _panel("Disk used", "percent",
               (f"100 * (1 - node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}})",
                "{{mountpoint}}")),
        _panel("Load", "short",
               ('node_load1{job="node"}', "1m"), ('node_load5{job="node"}', "5m"), ('node_load15{job="node"}', "15m")),
        _panel("Network", "Bps",
               (f'sum by (host) (rate(node_network_receive_bytes_total{{job="node",device!="lo"}}[{RATE}]))', "rx"),
               (f'sum by (host) (rate(node_network_transmit_bytes_total{{job="node",device!="lo"}}[{RATE}]))', "tx")),
        _panel("Disk I/O", "Bps",
               (f'sum by (device) (rate(node_disk_read_bytes_total{{job="node"}}[{RATE}]))', "read {{device}}"),
               (f'sum by (device) (rate(node_disk_written_bytes_total{{job="node"}}[{RATE}]))', "write {{device}}")),
        _panel("Age of last backup / restore drill", "s",
               ("time() - xqfc_backup_last_success_timestamp_seconds", "backup {{kind}}"),
               ("time() - xqfc_restore_drill_last_success_timestamp_seconds", "restore drill")),
    ])


def _containers(spec: MonitoringSpec) -> dict[str, Any]:
    named = 'job="cadvisor",name!=""'
    return _dashboard("xqfc-containers", "Containers", [
        _panel("CPU (cores)", "short",
               (f"sum by (name) (rate(container_cpu_usage_seconds_total{{{named}}}[{RATE}]))", "{{name}}")),
        _panel("Memory working set", "bytes",
               (f"sum by (name) (container_memory_working_set_bytes{{{named}}})", "{{name}}")),
        _panel("Memory vs limit", "percentunit",
               ((f"container_memory_working_set_bytes{{{named}}} / container_spec_memory_limit_bytes{{{named}}}"
                f" and container_spec_memory_limit_bytes{{{named}}} > 0"), "{{name}}")),
        _panel("Restarts (1h)", "short",
               (f"changes(container_start_time_seconds{{{named}}}[1h])", "{{name}}")),
        _panel("Network rx", "Bps",
               (f"sum by (name) (rate(container_network_receive_bytes_total{{{named}}}[{RATE}]))", "{{name}}")),
        _panel("Network tx", "Bps",
               (f"sum by (name) (rate(container_network_transmit_bytes_total{{{named}}}[{RATE}]))", "{{name}}")),
    ])


def _postgres(spec: MonitoringSpec) -> dict[str, Any]:
    pg = 'job="postgres"'
    return _dashboard("xqfc-postgres", "PostgreSQL", [
        _panel("Up", "short", (f"pg_up{{{pg}}}", "up"), kind="stat"),
        _panel("Connections", "short",
               (f"sum by (state) (pg_stat_activity_count{{{pg}}})", "{{state}}"),
               (f"max(pg_settings_max_connections{{{pg}}})", "max_connections")),
        _panel("Transactions/s", "ops",
               (f"sum(rate(pg_stat_database_xact_commit{{{pg}}}[{RATE}]))", "commit"),
               (f"sum(rate(pg_stat_database_xact_rollback{{{pg}}}[{RATE}]))", "rollback")),
        _panel("Database size", "bytes", (f"pg_database_size_bytes{{{pg}}}", "{{datname}}")),
        _panel("Cache hit ratio", "percentunit",
               ((f"sum(rate(pg_stat_database_blks_hit{{{pg}}}[{RATE}])) / (sum(rate(pg_stat_database_blks_hit{{{pg}}}"
                f"[{RATE}])) + sum(rate(pg_stat_database_blks_read{{{pg}}}[{RATE}])))"), "hit ratio")),
        _panel("Deadlocks", "short", (f"sum(increase(pg_stat_database_deadlocks{{{pg}}}[{RATE}]))", "deadlocks")),
    ])


def _redis(spec: MonitoringSpec) -> dict[str, Any]:
    r = 'job="redis"'
    return _dashboard("xqfc-redis", "Redis", [
        _panel("Up", "short", (f"redis_up{{{r}}}", "up"), kind="stat"),
        _panel("Memory", "bytes",
               (f"redis_memory_used_bytes{{{r}}}", "used"), (f"redis_memory_max_bytes{{{r}}}", "maxmemory")),
        _panel("Clients", "short", (f"redis_connected_clients{{{r}}}", "clients")),
        _panel("Commands/s", "ops", (f"rate(redis_commands_processed_total{{{r}}}[{RATE}])", "commands")),
        _panel("Hit ratio", "percentunit",
               ((f"rate(redis_keyspace_hits_total{{{r}}}[{RATE}]) / (rate(redis_keyspace_hits_total{{{r}}}[{RATE}])"
                f" + rate(redis_keyspace_misses_total{{{r}}}[{RATE}]))"), "hits")),
        _panel("Keys and evictions", "short",
               (f"sum(redis_db_keys{{{r}}})", "keys"),
               (f"rate(redis_evicted_keys_total{{{r}}}[{RATE}])", "evicted/s")),
    ])


def _nginx(spec: MonitoringSpec) -> dict[str, Any]:
    n = 'job="nginx"'
    return _dashboard("xqfc-nginx", "nginx", [
        _panel("Up", "short", (f"nginx_up{{{n}}}", "up"), kind="stat"),
        _panel("Requests/s", "reqps", (f"rate(nginx_http_requests_total{{{n}}}[{RATE}])", "requests")),
        _panel("Connections", "short",
               (f"nginx_connections_active{{{n}}}", "active"),
               (f"nginx_connections_reading{{{n}}}", "reading"),
               (f"nginx_connections_writing{{{n}}}", "writing"),
               (f"nginx_connections_waiting{{{n}}}", "waiting")),
        _panel("Accepted vs handled/s", "short",
               (f"rate(nginx_connections_accepted{{{n}}}[{RATE}])", "accepted"),
               (f"rate(nginx_connections_handled{{{n}}}[{RATE}])", "handled")),
    ])


def _app(spec: MonitoringSpec) -> dict[str, Any]:
    a = 'job="app"'
    bucket = f"rate(http_request_duration_seconds_bucket{{{a}}}[{RATE}])"
    return _dashboard("xqfc-app", "App", [
        _panel("Requests/s by status", "reqps",
               (f"sum by (status) (rate(http_requests_total{{{a}}}[{RATE}]))", "{{status}}")),
        _panel("5xx ratio", "percentunit",
               ((f'sum(rate(http_requests_total{{{a},status=~"5.."}}[{RATE}])) / sum(rate(http_requests_total{{{a}}}'
                f"[{RATE}]))"), "5xx")),
        _panel("Latency", "s",
               *[(f"histogram_quantile({q}, sum by (le) ({bucket}))", f"p{int(q * 100)}") for q in (0.5, 0.95, 0.99)]),
        _panel("Busiest handlers", "reqps",
               (f"topk(10, sum by (handler) (rate(http_requests_total{{{a}}}[{RATE}])))", "{{handler}}")),
        _panel("Public URL probe", "short",
               ('probe_success{job="blackbox-http"}', "success"),
               ('probe_duration_seconds{job="blackbox-http"}', "duration s")),
        _panel("Certificate days left", "d",
               ('(probe_ssl_earliest_cert_expiry{job="blackbox-tls"} - time()) / 86400', "{{instance}}"), kind="stat"),
    ])


def dashboards(spec: MonitoringSpec) -> dict[str, dict[str, Any]]:
    return {
        "host.json": _host(spec),
        "containers.json": _containers(spec),
        "postgres.json": _postgres(spec),
        "redis.json": _redis(spec),
        "nginx.json": _nginx(spec),
        "app.json": _app(spec),
    }


def render_dashboards(spec: MonitoringSpec) -> dict[str, str]:
    """File name (under DASHBOARDS_DIR) -> dashboard JSON text."""
    return {name: json.dumps(board, indent=2, sort_keys=False) + "\n" for name, board in dashboards(spec).items()}
