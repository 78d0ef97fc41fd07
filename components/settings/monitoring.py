"""Monitoring and alerting: Prometheus, Grafana, exporters, the log pipeline, alert receivers."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic import field_validator

from components.settings import formats
from components.settings.base import Context, Fields
from components.settings.errors import Problem

if TYPE_CHECKING:
    from components.settings.model import Settings

IMAGE_FIELDS = (
    "prometheus_image", "alertmanager_image", "grafana_image", "node_exporter_image", "cadvisor_image",
    "postgres_exporter_image", "redis_exporter_image", "nginx_exporter_image", "blackbox_exporter_image",
    "dingtalk_bridge_image", "loki_image", "promtail_image",
)
LOGS_MIN_VM_GB = 8
_DURATION_HOURS = {"h": 1, "d": 24, "w": 168, "y": 8760}


class MonitoringFields(Fields):
    prometheus_retention: str = "15d"
    grafana_public: bool = False
    alert_email_to: str | None = None
    alert_email_from: str | None = None
    alert_smtp_host: str | None = None
    alert_smtp_user: str | None = None
    alert_wecom_corp_id: str | None = None
    alert_wecom_agent_id: str | None = None
    alert_wecom_to_user: str | None = None
    alert_wecom_to_party: str | None = None
    prometheus_image: str = "prom/prometheus:v3.5.0"
    alertmanager_image: str = "prom/alertmanager:v0.28.1"
    grafana_image: str = "grafana/grafana:12.1.1"
    node_exporter_image: str = "prom/node-exporter:v1.9.1"
    cadvisor_image: str = "gcr.io/cadvisor/cadvisor:v0.52.1"  # not on Docker Hub: mirror it into your registry
    postgres_exporter_image: str = "prometheuscommunity/postgres-exporter:v0.17.1"
    redis_exporter_image: str = "oliver006/redis_exporter:v1.75.0"
    nginx_exporter_image: str = "nginx/nginx-prometheus-exporter:1.4.2"
    blackbox_exporter_image: str = "prom/blackbox-exporter:v0.27.0"
    dingtalk_bridge_image: str = "timonwong/prometheus-webhook-dingtalk:v2.1.0"
    # Log pipeline (docs/monitoring.md): Loki + Promtail, off unless the VM has room for them.
    logs_enabled: bool = False
    loki_image: str = "grafana/loki:3.5.3"
    promtail_image: str = "grafana/promtail:3.5.3"

    @field_validator(*IMAGE_FIELDS)
    @classmethod
    def _monitoring_image(cls, v: str) -> str:
        return formats.image(v)

    @field_validator("prometheus_retention")
    @classmethod
    def _retention(cls, v: str) -> str:
        if not re.fullmatch(r"[1-9][0-9]*(h|d|w|y)", v):
            raise ValueError("must be a Prometheus duration such as 15d or 4w")
        return v

    @field_validator("alert_email_to", "alert_email_from")
    @classmethod
    def _alert_emails(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[^@\s,]+@[^@\s,]+\.[a-z]{2,}(,[^@\s,]+@[^@\s,]+\.[a-z]{2,})*", v):
            raise ValueError("must be an email address (several: comma-separated)")
        return v

    @field_validator("alert_smtp_host")
    @classmethod
    def _smarthost(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9.-]+:[0-9]{2,5}", v):
            raise ValueError("must be host:port, e.g. smtp.exmail.qq.com:465")
        return v


# --- cross-field checks -------------------------------------------------------------------


def email_receiver_complete(s: Settings, ctx: Context) -> list[Problem]:
    email = [s.alert_email_to, s.alert_email_from, s.alert_smtp_host]
    if any(email) and not all(email):
        return [Problem("alertEmailTo", s.alert_email_to, "email alerts need alertEmailTo, alertEmailFrom and alertSmtpHost together")]
    return []


def wecom_recipient(s: Settings, ctx: Context) -> list[Problem]:
    if s.alert_wecom_corp_id and not (s.alert_wecom_to_user or s.alert_wecom_to_party):
        return [Problem("alertWecomToParty", None, "WeCom alerts need a recipient: alertWecomToUser (e.g. @all) or alertWecomToParty")]
    return []


def wecom_pair(s: Settings, ctx: Context) -> list[Problem]:
    if (s.alert_wecom_corp_id is None) != (s.alert_wecom_agent_id is None):
        return [Problem("alertWecomAgentId", s.alert_wecom_agent_id, "WeCom alerts need alertWecomCorpId and alertWecomAgentId together")]
    return []


def logs_need_memory(s: Settings, ctx: Context) -> list[Problem]:
    if s.logs_enabled and s.vm_memory_gb < LOGS_MIN_VM_GB:
        # The same line as default_logs_enabled(): below it Loki and Promtail would take memory
        # the app and PostgreSQL need (docs/monitoring.md, memory budget).
        return [Problem("logsEnabled", True, f"Loki and Promtail need vmMemoryGb >= {LOGS_MIN_VM_GB} "
                        f"(this stack has {s.vm_memory_gb}); set logsEnabled=false or a larger instanceType")]
    return []


def logs_retention(s: Settings, ctx: Context) -> list[Problem]:
    if not s.logs_enabled:
        return []
    amount, unit = int(s.prometheus_retention[:-1]), s.prometheus_retention[-1]
    if amount * _DURATION_HOURS[unit] < 24:
        # Loki keeps logs as long as Prometheus keeps metrics; its compactor works in whole days.
        return [Problem("prometheusRetention", s.prometheus_retention, "with logsEnabled it is also Loki's retention: at least 24h (e.g. 1d)")]
    return []


def prod_alert_receiver(s: Settings, ctx: Context) -> list[Problem]:
    if s.is_prod and not (s.alert_email_to or s.alert_wecom_corp_id or "alertDingtalkWebhook" in ctx.raw_keys):
        return [Problem("alertEmailTo", None, "prod needs an alert receiver: alertEmailTo (+alertEmailFrom, alertSmtpHost), "
                        "alertWecomCorpId (+alertWecomAgentId, secret alertWecomApiSecret) or secret alertDingtalkWebhook")]
    return []


CHECKS = [email_receiver_complete, wecom_recipient, wecom_pair, logs_need_memory, logs_retention]
LATE_CHECKS = [prod_alert_receiver]
