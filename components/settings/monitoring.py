"""Monitoring and alerting: Prometheus, Grafana, exporters, the log pipeline, alert receivers."""
from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import field_validator

from components.settings import formats
from components.settings.base import Context, Fields
from components.settings.errors import MISSING, Problem

if TYPE_CHECKING:
    from components.settings.model import Settings

IMAGE_FIELDS = (
    "prometheus_image", "alertmanager_image", "grafana_image", "node_exporter_image", "cadvisor_image",
    "postgres_exporter_image", "redis_exporter_image", "nginx_exporter_image", "blackbox_exporter_image",
    "dingtalk_bridge_image", "loki_image", "promtail_image",
)
LOGS_MIN_VM_GB = 8
# WeCom (企业微信) ids as its message API takes them (https://developer.work.weixin.qq.com/document/path/90236):
# corp ids are `ww` (older accounts `wx`) + 16 hex, the form every console shows (the docs write
# `wwxxxxxx`; plain corp ids are case-insensitive, /document/path/96516); an AgentId is an
# integer; touser is `@all` or UserIDs (1-64 of letters, digits, _ - @ .) joined by `|`;
# toparty is department ids (integers) joined by `|`.
_WECOM_CORP_RE = re.compile(r"w[wx][0-9a-f]{16}", re.IGNORECASE)
_WECOM_USER_RE = re.compile(r"@all|[A-Za-z0-9_.@-]{1,64}(\|[A-Za-z0-9_.@-]{1,64}){0,999}")
_WECOM_PARTY_RE = re.compile(r"[0-9]{1,10}(\|[0-9]{1,10}){0,99}")
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
    def _alert_emails(cls, v: str | None, info: Any) -> str | None:
        if v is None:
            return v
        addresses = v.split(",")
        if not all(formats.EMAIL_RE.fullmatch(a) for a in addresses):
            raise ValueError("must be an email address (several: comma-separated)")
        if info.field_name == "alert_email_from" and len(addresses) > 1:
            raise ValueError("is the one sender address of alert emails (the From: header), e.g. alerts@xqfc.example")
        dupes = sorted({a for a in addresses if addresses.count(a) > 1})
        if dupes:
            raise ValueError(f"lists {dupes} more than once")
        return v

    @field_validator("alert_smtp_host")
    @classmethod
    def _smarthost(cls, v: str | None) -> str | None:
        if v is not None:
            # Alertmanager's smarthost: host:port, the port is required (email_config).
            formats.host_port(v, port_required=True, example="smtp.exmail.qq.com:465")
        return v

    @field_validator("alert_smtp_user")
    @classmethod
    def _smtp_user(cls, v: str | None) -> str | None:
        # SMTP AUTH PLAIN/LOGIN (RFC 4616) carries it as a line: no spaces or control characters.
        if v is not None and (not formats.control_free(v) or " " in v or len(v) > 255):
            raise ValueError("must be the SMTP login (usually the sender's address): no spaces or control characters")
        return v

    @field_validator("alert_wecom_corp_id")
    @classmethod
    def _corp_id(cls, v: str | None) -> str | None:
        if v is not None and not _WECOM_CORP_RE.fullmatch(v):
            raise ValueError("must be the WeCom corp id: ww followed by 16 hex digits (My Company > Company Info), e.g. ww0123456789abcdef")
        return v

    @field_validator("alert_wecom_agent_id")
    @classmethod
    def _agent_id(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[0-9]{1,10}", v):
            raise ValueError("must be the application's numeric AgentId, e.g. 1000002")
        return v

    @field_validator("alert_wecom_to_user")
    @classmethod
    def _to_user(cls, v: str | None) -> str | None:
        if v is not None and not _WECOM_USER_RE.fullmatch(v):
            raise ValueError("must be @all or WeCom UserIDs joined by | (e.g. zhangsan|lisi)")
        return v

    @field_validator("alert_wecom_to_party")
    @classmethod
    def _to_party(cls, v: str | None) -> str | None:
        if v is not None and not _WECOM_PARTY_RE.fullmatch(v):
            raise ValueError("must be numeric WeCom department ids joined by | (e.g. 2|5)")
        return v


# --- cross-field checks -------------------------------------------------------------------


def email_receiver_complete(s: Settings, ctx: Context) -> list[Problem]:
    email = {"alertEmailTo": s.alert_email_to, "alertEmailFrom": s.alert_email_from, "alertSmtpHost": s.alert_smtp_host}
    if any(email.values()) and not all(email.values()):
        return [Problem(key, MISSING, "email alerts need alertEmailTo, alertEmailFrom and alertSmtpHost together")
                for key, value in email.items() if not value]
    return []


def smtp_user_needs_host(s: Settings, ctx: Context) -> list[Problem]:
    if s.alert_smtp_user and not s.alert_smtp_host:
        return [Problem("alertSmtpUser", s.alert_smtp_user, "logs in to alertSmtpHost, which is not set; set both or neither")]
    return []


def wecom_recipient(s: Settings, ctx: Context) -> list[Problem]:
    if s.alert_wecom_corp_id and not (s.alert_wecom_to_user or s.alert_wecom_to_party):
        return [Problem("alertWecomToParty", None, "WeCom alerts need a recipient: alertWecomToUser (e.g. @all) or alertWecomToParty")]
    return []


def wecom_recipient_needs_corp(s: Settings, ctx: Context) -> list[Problem]:
    # A recipient alone configures no receiver (runtime/monitoring.py needs the corp id and agent):
    # the alerts would go nowhere while the stack file says they go to these people.
    if s.alert_wecom_corp_id:
        return []
    return [Problem(key, value, "names WeCom recipients but alertWecomCorpId (and alertWecomAgentId) is not set: "
                    "set them too, or unset it")
            for key, value in (("alertWecomToUser", s.alert_wecom_to_user), ("alertWecomToParty", s.alert_wecom_to_party)) if value]


def wecom_pair(s: Settings, ctx: Context) -> list[Problem]:
    pair = {"alertWecomCorpId": s.alert_wecom_corp_id, "alertWecomAgentId": s.alert_wecom_agent_id}
    if (s.alert_wecom_corp_id is None) != (s.alert_wecom_agent_id is None):
        return [Problem(key, MISSING, "WeCom alerts need alertWecomCorpId and alertWecomAgentId together (secret: alertWecomApiSecret)")
                for key, value in pair.items() if value is None]
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


# --- dead man's switch (secret alertHeartbeatUrl) ------------------------------------------
HEARTBEAT_KEY = "alertHeartbeatUrl"


# Where plain http:// may carry the token: a relay on the host or in the VPC (RFC 1918, loopback).
_HEARTBEAT_CLEAR_NETS = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                                "127.0.0.0/8", "::1/128"))


def heartbeat_url_problem(url: str) -> str | None:
    """Why Alertmanager should not post the Watchdog to this URL, or None. The URL carries the
    check's token (healthchecks.io: the UUID is the credential), so it travels over TLS, except
    to a relay on a private or loopback address that never leaves the host or the VPC."""
    parts = urlsplit(url)
    ok = formats.control_free(url) and " " not in url and bool(parts.hostname)
    if ok and parts.scheme == "http":
        try:
            address = ipaddress.ip_address(parts.hostname or "")
        except ValueError:
            address = None
        ok = address is not None and any(address in net for net in _HEARTBEAT_CLEAR_NETS)
    elif ok:
        ok = parts.scheme == "https"
    if ok:
        return None
    return ("must be the heartbeat service's https:// URL, e.g. https://hc-ping.com/<check uuid> or "
            "https://cronitor.link/p/<key>/<monitor>; plain http:// only to a private (RFC 1918) or loopback address")


def heartbeat_url(s: Settings, ctx: Context) -> list[Problem]:
    if HEARTBEAT_KEY not in ctx.raw_keys or HEARTBEAT_KEY not in ctx.secret_values:
        return []
    problem = heartbeat_url_problem(str(ctx.secret_values[HEARTBEAT_KEY]))
    # The value is secret: the problem names the key only.
    return [Problem(HEARTBEAT_KEY, "(hidden)", problem)] if problem else []


CHECKS = [email_receiver_complete, smtp_user_needs_host, wecom_recipient, wecom_recipient_needs_corp, wecom_pair, logs_need_memory, logs_retention,
          heartbeat_url]
LATE_CHECKS = [prod_alert_receiver]
