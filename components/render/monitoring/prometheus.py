"""prometheus.yml, the Prometheus command line, and the file tree the container mounts."""
from __future__ import annotations

from typing import Any

from ._yaml import dump
from .rules import render_alert_rules
from .spec import MonitoringSpec

# Job names are part of the contract with the alert rules and dashboards (they filter on them).
JOB_PROMETHEUS = "prometheus"
JOB_ALERTMANAGER = "alertmanager"
JOB_NODE = "node"
JOB_CADVISOR = "cadvisor"
JOB_POSTGRES = "postgres"
JOB_REDIS = "redis"
JOB_NGINX = "nginx"
JOB_APP = "app"
JOB_BLACKBOX = "blackbox-exporter"
JOB_PROBE_HTTP = "blackbox-http"
JOB_PROBE_TLS = "blackbox-tls"


def _static(spec: MonitoringSpec, job: str, target: str, **extra: Any) -> dict[str, Any]:
    # Every series carries `host` so Alertmanager can mute a dead host's service alerts.
    return {
        "job_name": job,
        **extra,
        "static_configs": [{"targets": [target], "labels": {"host": spec.host}}],
    }


def _probe(spec: MonitoringSpec, job: str, module: str, target: str) -> dict[str, Any]:
    # Blackbox pattern: the probed thing becomes a URL parameter and the `instance` label,
    # while the scrape itself goes to the exporter.
    job_config = _static(spec, job, target, metrics_path="/probe", params={"module": [module]})
    job_config["relabel_configs"] = [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["__param_target"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": spec.targets.blackbox_exporter},
    ]
    return job_config


def _node_job(spec: MonitoringSpec) -> dict[str, Any]:
    job = _static(spec, JOB_NODE, spec.targets.node_exporter)
    job["static_configs"] += [{"targets": [target], "labels": {"host": host}} for host, target in spec.other_hosts]
    return job


def prometheus_config(spec: MonitoringSpec) -> dict[str, Any]:
    t = spec.targets
    scrape = [
        _static(spec, JOB_PROMETHEUS, t.prometheus),
        _static(spec, JOB_ALERTMANAGER, t.alertmanager),
        _node_job(spec),
        _static(spec, JOB_CADVISOR, t.cadvisor),
        _static(spec, JOB_POSTGRES, t.postgres_exporter),
        _static(spec, JOB_REDIS, t.redis_exporter),
        _static(spec, JOB_NGINX, t.nginx_exporter),
        _static(spec, JOB_APP, t.app, metrics_path="/metrics"),
        _static(spec, JOB_BLACKBOX, t.blackbox_exporter),
        _probe(spec, JOB_PROBE_HTTP, "http_2xx", spec.public_url),
    ]
    if spec.public_is_https:
        # A TLS-only probe keeps reporting the certificate's expiry even while the app
        # answers 5xx and the HTTP probe fails.
        scrape.append(_probe(spec, JOB_PROBE_TLS, "tls_connect", spec.public_tls_target))
    return {
        "global": {
            "scrape_interval": spec.scrape_interval,
            "evaluation_interval": spec.scrape_interval,
            "external_labels": {"environment": spec.environment},
        },
        "rule_files": [spec.rule_files_glob],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [t.alertmanager]}]}]},
        "scrape_configs": scrape,
    }


def render_prometheus(spec: MonitoringSpec) -> str:
    return dump(prometheus_config(spec))


def prometheus_files(spec: MonitoringSpec) -> dict[str, str]:
    """Absolute path inside the container -> content: everything mounted under config_dir."""
    return {
        f"{spec.config_dir.rstrip('/')}/prometheus.yml": render_prometheus(spec),
        spec.rules_file: render_alert_rules(spec),
    }


def prometheus_args(spec: MonitoringSpec, data_dir: str = "/prometheus") -> list[str]:
    """Container command line; retention is a flag, not part of prometheus.yml."""
    args = [
        f"--config.file={spec.config_dir.rstrip('/')}/prometheus.yml",
        f"--storage.tsdb.path={data_dir}",
        f"--storage.tsdb.retention.time={spec.retention}",
        # Config changes are delivered as files plus POST /-/reload instead of a restart.
        "--web.enable-lifecycle",
        # An alert sent to Alertmanager is valid for 4 x max(resend delay, evaluation interval)
        # (rules/alerting.go AlertingRule.sendAlerts, v2.53 and v3.5). At the evaluation interval
        # instead of the default 1m, a dead Prometheus's Watchdog expires in 1 min, not 4, so the
        # heartbeat stops (and the dead man's switch pages) 3 min sooner.
        f"--rules.alert.resend-delay={spec.scrape_interval}",
    ]
    if spec.retention_size:
        args.append(f"--storage.tsdb.retention.size={spec.retention_size}")
    return args


def node_exporter_args(textfile_dir: str = "/textfile") -> list[str]:
    """node-exporter flags: host root mounted at /host, backup metrics read from textfile_dir."""
    return [
        "--path.rootfs=/host",
        f"--collector.textfile.directory={textfile_dir}",
        # Docker's overlay and bind mounts would otherwise show up as dozens of filesystems.
        "--collector.filesystem.mount-points-exclude=^/(dev|proc|run|sys|var/lib/docker/.+)($|/)",
    ]
