"""alertmanager.yml, the DingTalk bridge config, and the check that prod can reach a human."""
from __future__ import annotations

from typing import Any

from ._yaml import dump
from .rules import WATCHDOG
from .spec import MonitoringSpec, Receivers

RECEIVER_CRITICAL = "critical"
RECEIVER_WARNING = "warning"
RECEIVER_NULL = "null"
RECEIVER_HEARTBEAT = "heartbeat"
# The Watchdog's own route, first, so it never reaches a person. Alertmanager re-sends a firing
# group when repeat_interval has passed, checked at each group_interval flush (dispatch/dispatch.go
# aggrGroup.run, notify/notify.go DedupStage.needsUpdate): one heartbeat every 60-90 s. When
# Prometheus dies the alert expires (EndsAt, 4 x the resend delay: render/monitoring/prometheus.py)
# and is resolved; send_resolved is off, because any request to a ping URL counts as a heartbeat.
HEARTBEAT_TIMING = {"group_wait": "10s", "group_interval": "30s", "repeat_interval": "1m"}
DINGTALK_TARGET = "xqfc"
# Stacks that must page somebody; dev may drop alerts into the null receiver.
ENVIRONMENTS_REQUIRING_RECEIVER = ("prod",)

# Settings keys, as the operator writes them in Pulumi.<stack>.yaml (named in every error).
KEYS_EMAIL = ("alertEmailTo", "alertEmailFrom", "alertSmtpHost")
KEYS_WECOM = ("alertWecomCorpId", "alertWecomAgentId", "alertWecomApiSecret", "alertWecomToUser|alertWecomToParty")
KEY_DINGTALK = "alertDingtalkWebhook"


class ReceiverConfigError(ValueError):
    pass


def validate_receivers(spec: MonitoringSpec, environment: str | None = None) -> None:
    """Refuse incomplete receivers anywhere, and no receiver at all in prod."""
    environment = environment or spec.environment
    r = spec.receivers
    problems = []
    if r.email is not None:
        missing = [k for k, v in zip(KEYS_EMAIL, (r.email.to, r.email.from_address, r.email.smarthost)) if not v]
        if missing:
            problems.append(f"email receiver is incomplete: set {', '.join(missing)}")
        elif ":" not in r.email.smarthost:
            problems.append(f"alertSmtpHost {r.email.smarthost!r} must be host:port")
        if r.email.username and not r.email.password:
            problems.append("alertSmtpUser is set but the secret alertSmtpPassword is not")
    if r.wecom is not None:
        values = (r.wecom.corp_id, r.wecom.agent_id, r.wecom.api_secret, r.wecom.to_user or r.wecom.to_party)
        missing = [k for k, v in zip(KEYS_WECOM, values) if not v]
        if missing:
            problems.append(f"WeCom receiver is incomplete: set {', '.join(missing)}")
    if r.dingtalk is not None and not r.dingtalk.webhook_url.startswith("https://"):
        problems.append(f"{KEY_DINGTALK} must be the robot's https:// webhook URL")
    if not r.any and environment in ENVIRONMENTS_REQUIRING_RECEIVER:
        problems.append(
            f"stack {environment!r} has no alert receiver: set alertEmailTo (with alertEmailFrom, alertSmtpHost, "
            f"alertSmtpUser and secret alertSmtpPassword), or alertWecomCorpId/alertWecomAgentId/secret "
            f"alertWecomApiSecret/alertWecomToUser, or secret {KEY_DINGTALK}"
        )
    if problems:
        raise ReceiverConfigError(f"alert receivers of stack {environment!r}: " + "; ".join(problems))


def dingtalk_bridge_url(spec: MonitoringSpec) -> str:
    return f"http://{spec.targets.dingtalk_bridge}/dingtalk/{DINGTALK_TARGET}/send"


# Alertmanager opens implicit TLS (SMTPS) when, and only when, the smarthost port is literally
# "465"; require_tls then asks for STARTTLS inside that TLS session, which SMTPS servers do not
# offer, so every mail fails ("does not advertise the STARTTLS extension").
# Source: prometheus/alertmanager v0.28.1 notify/email/email.go, Email.Notify.
SMTPS_PORT = "465"


def smtp_require_tls(smarthost: str, require_tls: bool = True) -> bool:
    """require_tls for this smarthost: off on 465 (the connection is TLS from the first byte),
    else as asked (STARTTLS before AUTH on 587 and 25)."""
    return False if smarthost.rsplit(":", 1)[-1] == SMTPS_PORT else require_tls


def _email(spec: MonitoringSpec) -> dict[str, Any]:
    e = spec.receivers.email
    assert e is not None
    config: dict[str, Any] = {
        "to": e.to,
        "from": e.from_address,
        "smarthost": e.smarthost,
        "require_tls": smtp_require_tls(e.smarthost, e.require_tls),
        "send_resolved": True,
    }
    if e.username:
        config["auth_username"] = e.username
        config["auth_password"] = e.password
    return config


def _wecom(spec: MonitoringSpec) -> dict[str, Any]:
    w = spec.receivers.wecom
    assert w is not None
    config: dict[str, Any] = {
        "api_url": w.api_url,
        "corp_id": w.corp_id,
        "agent_id": w.agent_id,
        "api_secret": w.api_secret,
        "send_resolved": True,
    }
    if w.to_user:
        config["to_user"] = w.to_user
    if w.to_party:
        config["to_party"] = w.to_party
    return config


def _channels(spec: MonitoringSpec, *, chat_only: bool) -> dict[str, Any]:
    r: Receivers = spec.receivers
    chat = r.wecom is not None or r.dingtalk is not None
    channels: dict[str, Any] = {}
    # Warnings go to chat only when a chat channel exists, so mailboxes carry only what pages.
    if r.email is not None and not (chat_only and chat):
        channels["email_configs"] = [_email(spec)]
    if r.wecom is not None:
        channels["wechat_configs"] = [_wecom(spec)]
    if r.dingtalk is not None:
        channels["webhook_configs"] = [{"url": dingtalk_bridge_url(spec), "send_resolved": True}]
    return channels


def _heartbeat(spec: MonitoringSpec) -> dict[str, Any]:
    h = spec.receivers.heartbeat
    # Without a URL the Watchdog still has its own (empty) receiver: it must never page a person.
    if h is None:
        return {"name": RECEIVER_HEARTBEAT}
    return {"name": RECEIVER_HEARTBEAT, "webhook_configs": [{"url": h.url, "send_resolved": False}]}


def _watchdog_route() -> dict[str, Any]:
    return {"matchers": [f'alertname="{WATCHDOG}"'], "receiver": RECEIVER_HEARTBEAT, **HEARTBEAT_TIMING}


def alertmanager_config(spec: MonitoringSpec) -> dict[str, Any]:
    config = _alertmanager_config(spec)
    config["route"]["routes"].insert(0, _watchdog_route())
    config["receivers"].append(_heartbeat(spec))
    return config


def _alertmanager_config(spec: MonitoringSpec) -> dict[str, Any]:
    if spec.receivers.any:
        receivers = [
            {"name": RECEIVER_CRITICAL, **_channels(spec, chat_only=False)},
            {"name": RECEIVER_WARNING, **_channels(spec, chat_only=True)},
        ]
        critical, warning = RECEIVER_CRITICAL, RECEIVER_WARNING
    else:
        receivers = [{"name": RECEIVER_NULL}]
        critical = warning = RECEIVER_NULL
    return {
        "route": {
            # Unknown severities take the loud path rather than being lost.
            "receiver": critical,
            "group_by": ["alertname", "instance"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {"matchers": ['severity="critical"'], "receiver": critical, "repeat_interval": "1h"},
                {"matchers": ['severity="warning"'], "receiver": warning, "repeat_interval": "12h"},
            ],
        },
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                # mountpoint keeps a full /data from hiding a filling / on the same exporter.
                "equal": ["alertname", "instance", "mountpoint"],
            },
            {
                "source_matchers": ['alertname="HostDown"'],
                "target_matchers": ['alertname!="HostDown"'],
                "equal": ["host"],
            },
        ],
        "receivers": receivers,
    }


def render_alertmanager(spec: MonitoringSpec) -> str:
    return dump(alertmanager_config(spec))


def render_dingtalk_bridge(spec: MonitoringSpec) -> str:
    """config.yml of timonwong/prometheus-webhook-dingtalk (target name matches the AM webhook URL)."""
    d = spec.receivers.dingtalk
    if d is None:
        raise ValueError("render_dingtalk_bridge needs receivers.dingtalk (config alertDingtalkWebhook)")
    target: dict[str, Any] = {"url": d.webhook_url}
    if d.sign_secret:
        target["secret"] = d.sign_secret
    return dump({"targets": {DINGTALK_TARGET: target}})
