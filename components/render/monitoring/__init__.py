"""Monitoring configuration renderers (Prometheus, Alertmanager, blackbox, Grafana, Loki, Promtail).

Pure: a MonitoringSpec in, config text out. The Pulumi side (components/runtime) builds the
spec from settings, uploads the text and sets the containers' memory limits from
memory_budget().
"""
from .alertmanager import (
    ReceiverConfigError,
    alertmanager_config,
    dingtalk_bridge_url,
    render_alertmanager,
    render_dingtalk_bridge,
    validate_receivers,
)
from .blackbox import render_blackbox
from .budget import default_logs_enabled, memory_budget
from .grafana import (
    DASHBOARDS_DIR,
    PROMETHEUS_UID,
    PROVISIONING_DIR,
    grafana_environment,
    render_dashboards,
    render_grafana_dashboard_provider,
    render_grafana_datasources,
)
from .logs import (
    LOKI_CONFIG,
    LOKI_DIR,
    PROMTAIL_CONFIG,
    PROMTAIL_DIR,
    loki_args,
    promtail_args,
    render_loki,
    render_promtail,
)
from .prometheus import (
    node_exporter_args,
    prometheus_args,
    prometheus_files,
    render_prometheus,
)
from .rules import alerts, render_alert_rules
from .spec import (
    AlertThresholds,
    DingtalkReceiver,
    EmailReceiver,
    HeartbeatReceiver,
    MonitoringSpec,
    Receivers,
    ScrapeTargets,
    WecomReceiver,
)

__all__ = [
    "DASHBOARDS_DIR",
    "LOKI_CONFIG",
    "LOKI_DIR",
    "PROMETHEUS_UID",
    "PROMTAIL_CONFIG",
    "PROMTAIL_DIR",
    "PROVISIONING_DIR",
    "AlertThresholds",
    "DingtalkReceiver",
    "EmailReceiver",
    "HeartbeatReceiver",
    "MonitoringSpec",
    "ReceiverConfigError",
    "Receivers",
    "ScrapeTargets",
    "WecomReceiver",
    "alertmanager_config",
    "alerts",
    "default_logs_enabled",
    "dingtalk_bridge_url",
    "grafana_environment",
    "loki_args",
    "memory_budget",
    "node_exporter_args",
    "prometheus_args",
    "prometheus_files",
    "promtail_args",
    "render_alert_rules",
    "render_alertmanager",
    "render_blackbox",
    "render_dashboards",
    "render_dingtalk_bridge",
    "render_grafana_dashboard_provider",
    "render_grafana_datasources",
    "render_loki",
    "render_prometheus",
    "render_promtail",
    "validate_receivers",
]
