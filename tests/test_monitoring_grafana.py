"""Grafana provisioning and dashboards: valid JSON wired to the provisioned datasource, and
PromQL that names only metrics our exporters actually expose (the contract below)."""
from __future__ import annotations

import json
import re

import pytest
import yaml

from components.render.monitoring import (
    DASHBOARDS_DIR,
    alerts,
    grafana_environment,
    render_dashboards,
    render_grafana_dashboard_provider,
    render_grafana_datasources,
)
from tests.monitoring_support import stack_spec

# The contract: metric -> who exposes it. A dashboard or rule naming anything else shows
# "No data" forever, so adding a metric here means checking the exporter really has it.
EXPORTED_METRICS = {
    "up": "prometheus (synthetic, per target)",
    # prom/node-exporter
    **dict.fromkeys([
        "node_cpu_seconds_total", "node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes",
        "node_filesystem_avail_bytes", "node_filesystem_size_bytes", "node_load1", "node_load5", "node_load15",
        "node_network_receive_bytes_total", "node_network_transmit_bytes_total", "node_disk_read_bytes_total",
        "node_disk_written_bytes_total",
        # vmstat collector, on by default with oom_kill in its fields (collector/vmstat_linux.go@v1.9.1)
        "node_vmstat_oom_kill",
    ], "node-exporter"),
    # written by the backup job into node-exporter's textfile collector directory
    "xqfc_backup_last_success_timestamp_seconds": "node-exporter textfile (backup job)",
    "xqfc_restore_drill_last_success_timestamp_seconds": "node-exporter textfile (restore drill)",
    # gcr.io/cadvisor/cadvisor
    **dict.fromkeys([
        "container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
        "container_spec_memory_limit_bytes", "container_network_receive_bytes_total",
        "container_network_transmit_bytes_total", "container_start_time_seconds",
    ], "cadvisor"),
    # prometheuscommunity/postgres-exporter
    **dict.fromkeys([
        "pg_up", "pg_stat_activity_count", "pg_settings_max_connections", "pg_stat_database_xact_commit",
        "pg_stat_database_xact_rollback", "pg_database_size_bytes", "pg_stat_database_blks_hit",
        "pg_stat_database_blks_read", "pg_stat_database_deadlocks",
    ], "postgres-exporter"),
    # oliver006/redis_exporter
    **dict.fromkeys([
        "redis_up", "redis_memory_used_bytes", "redis_memory_max_bytes", "redis_connected_clients",
        "redis_commands_processed_total", "redis_keyspace_hits_total", "redis_keyspace_misses_total",
        "redis_db_keys", "redis_evicted_keys_total",
    ], "redis-exporter"),
    # nginx/nginx-prometheus-exporter (stub_status)
    **dict.fromkeys([
        "nginx_up", "nginx_http_requests_total", "nginx_connections_active", "nginx_connections_reading",
        "nginx_connections_writing", "nginx_connections_waiting", "nginx_connections_accepted",
        "nginx_connections_handled",
    ], "nginx-exporter"),
    # the app, prometheus-fastapi-instrumentator defaults
    **dict.fromkeys(["http_requests_total", "http_request_duration_seconds_bucket"], "app"),
    # prom/blackbox-exporter
    **dict.fromkeys(["probe_success", "probe_duration_seconds", "probe_ssl_earliest_cert_expiry"],
                    "blackbox-exporter"),
}

_CLAUSE = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
          "offset", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers that are not functions, keywords,
    label names (inside {} or grouping clauses), ranges or numbers."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = _CLAUSE.sub(" ", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        before = text[match.start() - 1] if match.start() else " "
        if before.isdigit() or before == ".":
            continue  # exponent of a number such as 1e3
        if text[match.end():].lstrip().startswith("(") or match.group().lower() in _WORDS:
            continue
        names.add(match.group())
    return names


def test_metric_name_parser():
    assert metric_names('sum by (le, job) (rate(a_bucket{job="x",le=~"1|2"}[$__rate_interval])) / on (x) b') == {
        "a_bucket", "b"}
    assert metric_names('time() - c{kind="by (x)"} > 1e3 and d > bool 2') == {"c", "d"}
    assert metric_names("histogram_quantile(0.95, sum by (le) (rate(e[5m]))) > 0.5") == {"e"}


def _queries(spec) -> dict[str, list[str]]:
    return {
        name: [t["expr"] for panel in json.loads(text)["panels"] for t in panel["targets"]]
        for name, text in render_dashboards(spec).items()
    }


def test_dashboards_cover_every_area():
    assert set(render_dashboards(stack_spec("prod"))) == {
        "host.json", "containers.json", "postgres.json", "redis.json", "nginx.json", "app.json"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_dashboard_queries_name_only_exported_metrics(stack):
    for name, exprs in _queries(stack_spec(stack)).items():
        used = set().union(*(metric_names(e) for e in exprs))
        assert used, f"{name} queries no metric"
        assert used <= set(EXPORTED_METRICS), f"{name}: unknown metrics {used - set(EXPORTED_METRICS)}"


def test_alert_rules_name_only_exported_metrics():
    used = set().union(*(metric_names(a.expr) for a in alerts(stack_spec("prod"))))
    assert used <= set(EXPORTED_METRICS), used - set(EXPORTED_METRICS)


def test_each_exporter_has_a_dashboard_panel_or_alert():
    spec = stack_spec("prod")
    used = set().union(*(metric_names(e) for exprs in _queries(spec).values() for e in exprs),
                       *(metric_names(a.expr) for a in alerts(spec)))
    assert {EXPORTED_METRICS[m] for m in used} == set(EXPORTED_METRICS.values())


def test_dashboards_are_well_formed_and_use_the_provisioned_datasource():
    spec = stack_spec("prod")
    datasources = yaml.safe_load(render_grafana_datasources(spec))["datasources"]
    prometheus_uid = next(d["uid"] for d in datasources if d["type"] == "prometheus")
    uids = set()
    for name, text in render_dashboards(spec).items():
        board = json.loads(text)
        assert board["uid"] not in uids and len(board["uid"]) <= 40, name
        uids.add(board["uid"])
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), name
        for panel in board["panels"]:
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0, (name, panel["title"])
            assert panel["datasource"]["uid"] == prometheus_uid
            refs = [t["refId"] for t in panel["targets"]]
            assert refs and len(refs) == len(set(refs)), (name, panel["title"])
            assert all(t["datasource"]["uid"] == prometheus_uid and t["expr"] for t in panel["targets"])


def test_datasources_point_at_prometheus_and_loki_only_when_logs_are_on():
    on = yaml.safe_load(render_grafana_datasources(stack_spec("prod", logs_enabled=True)))
    off = yaml.safe_load(render_grafana_datasources(stack_spec("dev")))
    assert on["apiVersion"] == off["apiVersion"] == 1
    assert {d["type"]: d["url"] for d in on["datasources"]} == {
        "prometheus": "http://prometheus:9090", "loki": "http://loki:3100"}
    assert [d["type"] for d in off["datasources"]] == ["prometheus"]
    assert [d["isDefault"] for d in off["datasources"]] == [True]


def test_dashboard_provider_reads_where_dashboards_are_mounted():
    provider = yaml.safe_load(render_grafana_dashboard_provider())
    (only,) = provider["providers"]
    assert only["type"] == "file" and only["options"]["path"] == DASHBOARDS_DIR
    assert only["allowUiUpdates"] is False


def test_grafana_address_follows_grafana_public():
    assert grafana_environment(stack_spec("prod", grafana_public=True))["GF_SERVER_ROOT_URL"] == (
        "https://grafana.xqfc.example/")
    private = grafana_environment(stack_spec("prod"))
    assert private["GF_SERVER_ROOT_URL"].startswith("http://127.0.0.1:")
    assert private["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert not any("PASSWORD" in key for key in private)
