"""Log pipeline configs: Loki (single binary) and Promtail reading the containers' logs.

Pure: a MonitoringSpec in, YAML text out. Loki keeps its chunks and TSDB index on a
filesystem volume at LOKI_DIR and drops logs older than spec.retention (the same as
Prometheus' metrics). Promtail discovers the containers through the Docker API and reads
their logs from it, so it needs the Docker socket but no log files.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from ._yaml import dump
from .budget import memory_budget
from .spec import MonitoringSpec

LOKI_DIR = "/loki"
LOKI_CONFIG = "/etc/loki/loki.yml"
LOKI_PORT = 3100
PROMTAIL_CONFIG = "/etc/promtail/promtail.yml"
PROMTAIL_DIR = "/promtail"
PROMTAIL_PORT = 9080
DOCKER_SOCKET = "/var/run/docker.sock"
NGINX_CONTAINER = "xqfc-nginx"
# The first day Loki stores anything under this schema; a later schema change adds an entry
# with a later date and must never rewrite this one.
SCHEMA_FROM = "2025-01-01"

_HOURS = {"h": 1, "d": 24, "w": 168, "y": 8760}


def retention_hours(retention: str) -> int:
    """Prometheus-style retention (15d, 4w, 720h) as whole hours, Loki's own form."""
    m = re.fullmatch(r"([1-9][0-9]*)([hdwy])", retention)
    if not m:
        raise ValueError(f"retention {retention!r} must be a duration such as 15d, 4w or 720h")
    hours = int(m.group(1)) * _HOURS[m.group(2)]
    if hours < 24:
        # The compactor applies retention per daily index table.
        raise ValueError(f"retention {retention!r} is under 24h, the shortest Loki retention")
    return hours


def loki_config(spec: MonitoringSpec) -> dict[str, Any]:
    # Sized as if logs are on, whatever the flag says: the file is only used when they are.
    memory = memory_budget(replace(spec, logs_enabled=True))["loki"]
    return {
        "auth_enabled": False,  # one tenant ("fake"); only Grafana and Promtail reach it
        "server": {
            "http_listen_port": LOKI_PORT,
            "log_level": "warn",
        },
        "common": {
            "instance_addr": "127.0.0.1",
            "path_prefix": LOKI_DIR,
            "storage": {"filesystem": {
                "chunks_directory": f"{LOKI_DIR}/chunks",
                "rules_directory": f"{LOKI_DIR}/rules",
            }},
            "replication_factor": 1,
            "ring": {"kvstore": {"store": "inmemory"}},
        },
        "schema_config": {"configs": [{
            "from": SCHEMA_FROM,
            "store": "tsdb",
            "object_store": "filesystem",
            "schema": "v13",
            "index": {"prefix": "index_", "period": "24h"},
        }]},
        "compactor": {
            "working_directory": f"{LOKI_DIR}/compactor",
            "compaction_interval": "10m",
            "retention_enabled": True,
            "retention_delete_delay": "2h",
            # Loki refuses retention without a store for delete requests.
            "delete_request_store": "filesystem",
        },
        "limits_config": {
            "retention_period": f"{retention_hours(spec.retention)}h",
            # One VM's containers: a few MB/s is far above normal traffic and keeps a log
            # storm (a crash loop) from taking Loki's memory.
            "ingestion_rate_mb": 4,
            "ingestion_burst_size_mb": 8,
            "per_stream_rate_limit": "2MB",
            "per_stream_rate_limit_burst": "4MB",
            "max_global_streams_per_user": 1000,
            "reject_old_samples": True,
            "reject_old_samples_max_age": "168h",
            "max_query_series": 500,
            "max_query_parallelism": 4,
        },
        "query_range": {"results_cache": {"cache": {"embedded_cache": {
            # Sized to the container's limit so the cache cannot be what pushes it over.
            "enabled": True, "max_size_mb": max(16, memory // 8),
        }}}},
        # The VM cannot (and should not) phone home to stats.grafana.org.
        "analytics": {"reporting_enabled": False},
    }


def promtail_config(spec: MonitoringSpec) -> dict[str, Any]:
    status_class = "{{ if .status }}{{ substr 0 1 .status }}xx{{ end }}"
    return {
        "server": {"http_listen_port": PROMTAIL_PORT, "grpc_listen_port": 0, "log_level": "warn"},
        "positions": {"filename": f"{PROMTAIL_DIR}/positions.yaml"},
        "clients": [{"url": f"http://{spec.targets.loki}/loki/api/v1/push"}],
        "scrape_configs": [{
            "job_name": "containers",
            "docker_sd_configs": [{
                "host": f"unix://{DOCKER_SOCKET}",
                "refresh_interval": "15s",
            }],
            "relabel_configs": [
                # Only the platform's own containers (xqfc-*), not ad-hoc `docker run`s.
                {"source_labels": ["__meta_docker_container_name"], "regex": "/xqfc-.*", "action": "keep"},
                # Docker reports names with a leading '/'.
                {"source_labels": ["__meta_docker_container_name"], "regex": "/(.*)", "target_label": "container"},
                {"source_labels": ["__meta_docker_container_log_stream"], "target_label": "stream"},
                {"target_label": "environment", "replacement": spec.environment},
                {"target_label": "host", "replacement": spec.host},
            ],
            "pipeline_stages": [{"match": {
                "selector": f'{{container="{NGINX_CONTAINER}", stream="stdout"}}',
                "stages": [
                    # nginx's `json` log_format (components/render/templates/nginx.conf.j2).
                    {"json": {"expressions": {"status": "status", "request_time": "request_time"}}},
                    # Only the class (2xx..5xx) becomes a label: exact codes and timings would
                    # make a stream per value; they stay in the line for LogQL `| json`.
                    {"template": {"source": "status_class", "template": status_class}},
                    {"labels": {"status_class": None}},
                ],
            }}],
        }],
    }


def render_loki(spec: MonitoringSpec) -> str:
    return dump(loki_config(spec))


def render_promtail(spec: MonitoringSpec) -> str:
    return dump(promtail_config(spec))


def loki_args() -> list[str]:
    return [f"-config.file={LOKI_CONFIG}"]


def promtail_args() -> list[str]:
    return [f"-config.file={PROMTAIL_CONFIG}"]
