"""alertmanager.yml and the DingTalk bridge: amtool, route tests, and a live Alertmanager for inhibition."""
from __future__ import annotations

import dataclasses
import json
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from components.render.monitoring import (
    DingtalkReceiver,
    EmailReceiver,
    HeartbeatReceiver,
    ReceiverConfigError,
    Receivers,
    WecomReceiver,
    dingtalk_bridge_url,
    render_alertmanager,
    render_dingtalk_bridge,
    validate_receivers,
)
from tests.monitoring_support import DINGTALK, EMAIL, STACKS, WECOM, run, stack_spec
from tests.tools import free_port, require_tool, serving


def _write(tmp_path: Path, spec) -> Path:
    path = tmp_path / "alertmanager.yml"
    path.write_text(render_alertmanager(spec))
    return path


@pytest.mark.parametrize("stack", STACKS)
def test_amtool_accepts_config(stack, tmp_path):
    result = run("amtool", "check-config", str(_write(tmp_path, stack_spec(stack))))
    assert result.returncode == 0, result.stdout + result.stderr


# (receivers, severity) -> receiver that must get it
ROUTES = [
    (Receivers(email=EMAIL, wecom=WECOM), "critical", "critical"),
    (Receivers(email=EMAIL, wecom=WECOM), "warning", "warning"),
    (Receivers(email=EMAIL), "warning", "warning"),
    (Receivers(), "critical", "null"),
    (Receivers(), "warning", "null"),
    # An alert without a known severity must still reach somebody.
    (Receivers(email=EMAIL), "info", "critical"),
]


@pytest.mark.parametrize(("receivers", "severity", "receiver"), ROUTES)
def test_routing_by_severity(receivers, severity, receiver, tmp_path):
    config = _write(tmp_path, stack_spec("staging", receivers=receivers))
    result = run("amtool", "config", "routes", "test", f"--config.file={config}",
                 f"--verify.receivers={receiver}", f"severity={severity}", "alertname=HostHighCpu")
    assert result.returncode == 0, result.stdout + result.stderr


def test_route_verification_fails_on_the_wrong_receiver(tmp_path):
    # Negative control: amtool's exit code is what the routing tests rely on.
    config = _write(tmp_path, stack_spec("prod"))
    result = run("amtool", "config", "routes", "test", f"--config.file={config}",
                 "--verify.receivers=critical", "severity=warning", "alertname=X")
    assert result.returncode != 0


def _receivers(spec) -> dict[str, dict]:
    return {r["name"]: r for r in yaml.safe_load(render_alertmanager(spec))["receivers"]}


def test_prod_channels_and_secrets_reach_the_config():
    receivers = _receivers(stack_spec("prod"))
    critical, warning = receivers["critical"], receivers["warning"]
    assert critical["email_configs"][0]["to"] == EMAIL.to
    assert critical["email_configs"][0]["auth_password"] == EMAIL.password
    wechat = critical["wechat_configs"][0]
    assert (wechat["corp_id"], wechat["agent_id"], wechat["api_secret"], wechat["to_party"]) == (
        WECOM.corp_id, WECOM.agent_id, WECOM.api_secret, WECOM.to_party)
    assert critical["webhook_configs"][0]["url"] == "http://dingtalk-bridge:8060/dingtalk/xqfc/send"
    # Warnings go to chat only when a chat channel exists.
    assert "email_configs" not in warning and "wechat_configs" in warning and "webhook_configs" in warning


def test_dingtalk_bridge_target_matches_the_alertmanager_webhook():
    spec = stack_spec("prod")
    bridge = yaml.safe_load(render_dingtalk_bridge(spec))
    (target, settings), = bridge["targets"].items()
    assert dingtalk_bridge_url(spec).endswith(f"/dingtalk/{target}/send")
    assert settings == {"url": DINGTALK.webhook_url, "secret": DINGTALK.sign_secret}
    with pytest.raises(ValueError, match="alertDingtalkWebhook"):
        render_dingtalk_bridge(stack_spec("dev"))


def test_prod_without_receiver_is_refused_naming_the_keys():
    spec = stack_spec("prod", receivers=Receivers())
    with pytest.raises(ReceiverConfigError) as error:
        validate_receivers(spec, "prod")
    for key in ("alertEmailTo", "alertWecomCorpId", "alertWecomApiSecret", "alertDingtalkWebhook"):
        assert key in str(error.value)


def test_dev_without_receiver_is_allowed_and_drops_alerts():
    spec = stack_spec("dev")
    validate_receivers(spec, "dev")
    assert list(_receivers(spec)) == ["null", "heartbeat"] and _receivers(spec)["null"] == {"name": "null"}


@pytest.mark.parametrize(("receivers", "keys"), [
    (Receivers(email=dataclasses.replace(EMAIL, to="")), ["alertEmailTo"]),
    (Receivers(email=dataclasses.replace(EMAIL, smarthost="smtp.exmail.qq.com")), ["alertSmtpHost"]),
    (Receivers(email=dataclasses.replace(EMAIL, password="")), ["alertSmtpPassword"]),
    (Receivers(wecom=WecomReceiver(corp_id="ww1", agent_id="", api_secret="")),
     ["alertWecomAgentId", "alertWecomApiSecret", "alertWecomToUser"]),
    (Receivers(dingtalk=DingtalkReceiver(webhook_url="oapi.dingtalk.com/robot")), ["alertDingtalkWebhook"]),
])
def test_incomplete_receivers_are_refused_in_any_stack(receivers, keys):
    with pytest.raises(ReceiverConfigError) as error:
        validate_receivers(stack_spec("dev", receivers=receivers), "dev")
    for key in keys:
        assert key in str(error.value)


def test_complete_receivers_pass():
    validate_receivers(stack_spec("prod"), "prod")
    validate_receivers(stack_spec("staging", receivers=Receivers(email=EmailReceiver(
        to="a@b.example", from_address="c@b.example", smarthost="smtp.b.example:587"))), "staging")


# --- inhibition, which amtool cannot test: the real Alertmanager on loopback


@pytest.fixture
def live_alertmanager(tmp_path):
    # dev's null receiver: nothing tries to reach SMTP or WeCom from the test.
    config = _write(tmp_path, stack_spec("dev"))
    port = free_port()
    cmd = [
        require_tool("prometheus-alertmanager"), f"--config.file={config}",
        f"--storage.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",  # no gossip port
    ]
    base = f"http://127.0.0.1:{port}/api/v2"
    with serving(cmd, f"{base}/status", tmp_path / "am.log"):
        yield base


def _post(base: str, alerts: list[dict[str, str]]) -> None:
    body = json.dumps([{"labels": labels} for labels in alerts]).encode()
    request = urllib.request.Request(f"{base}/alerts", data=body, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=2).close()


def _inhibited(base: str) -> dict[tuple[str, str, str, str], bool]:
    """(alertname, severity, host, mountpoint) -> whether Alertmanager holds it back."""
    with urllib.request.urlopen(f"{base}/alerts", timeout=2) as response:
        alerts = json.load(response)
    return {
        (a["labels"]["alertname"], a["labels"]["severity"], a["labels"]["host"],
         a["labels"].get("mountpoint", "")): bool(a["status"]["inhibitedBy"])
        for a in alerts
    }


def test_live_inhibition(live_alertmanager):
    base = live_alertmanager
    node = {"host": "vm-1", "instance": "node-exporter:9100", "job": "node"}
    _post(base, [
        # critical and warning of the same disk: the warning is redundant
        {"alertname": "HostDiskFull", "severity": "critical", "mountpoint": "/data", **node},
        {"alertname": "HostDiskFull", "severity": "warning", "mountpoint": "/data", **node},
        # a warning on another mountpoint of the same exporter must stay visible
        {"alertname": "HostDiskFull", "severity": "warning", "mountpoint": "/", **node},
        # a dead host mutes its services, but not another host's
        {"alertname": "HostDown", "severity": "critical", "host": "vm-2"},
        {"alertname": "RedisDown", "severity": "critical", "host": "vm-2", "instance": "redis-exporter:9121"},
        {"alertname": "RedisDown", "severity": "critical", "host": "vm-1", "instance": "redis-exporter:9121"},
    ])
    expected = {
        ("HostDiskFull", "critical", "vm-1", "/data"): False,
        ("HostDiskFull", "warning", "vm-1", "/data"): True,
        ("HostDiskFull", "warning", "vm-1", "/"): False,
        ("HostDown", "critical", "vm-2", ""): False,
        ("RedisDown", "critical", "vm-2", ""): True,
        ("RedisDown", "critical", "vm-1", ""): False,
    }
    # The inhibitor learns of new alerts asynchronously (its own subscription to the alert
    # store), so a listing can show all six before the source alerts mute their targets; on a
    # busy machine that lag passed the old 5 s wait for six alerts. Wait for the settled state.
    deadline = time.monotonic() + 20
    while (state := _inhibited(base)) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    assert state == expected


# --- dead man's switch: the Watchdog reaches the heartbeat receiver and nobody else

HEARTBEAT = HeartbeatReceiver(url="https://hc-ping.com/test-check")


def _with_heartbeat(stack: str, heartbeat: HeartbeatReceiver | None):
    spec = stack_spec(stack)
    return dataclasses.replace(spec, receivers=dataclasses.replace(spec.receivers, heartbeat=heartbeat))


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("heartbeat", [None, HEARTBEAT], ids=["no-url", "url"])
def test_the_watchdog_is_routed_to_the_heartbeat_only(stack, heartbeat, tmp_path):
    config = _write(tmp_path, _with_heartbeat(stack, heartbeat))
    check = run("amtool", "check-config", str(config))
    assert check.returncode == 0, check.stdout + check.stderr
    # Whatever severity it carries, it never takes a person's route.
    for severity in ("none", "critical", "warning"):
        result = run("amtool", "config", "routes", "test", f"--config.file={config}",
                     "--verify.receivers=heartbeat", "alertname=Watchdog", f"severity={severity}")
        assert result.returncode == 0, result.stdout + result.stderr
    receiver = _receivers(_with_heartbeat(stack, heartbeat))["heartbeat"]
    if heartbeat is None:
        assert receiver == {"name": "heartbeat"}
    else:
        # send_resolved off: a resolved notice to a ping URL would count as one more heartbeat.
        assert receiver == {"name": "heartbeat", "webhook_configs": [{"url": HEARTBEAT.url, "send_resolved": False}]}


def test_the_heartbeat_repeats_every_minute_and_other_alerts_keep_their_routes(tmp_path):
    route = yaml.safe_load(render_alertmanager(_with_heartbeat("prod", HEARTBEAT)))["route"]
    first = route["routes"][0]
    assert first["matchers"] == ['alertname="Watchdog"'] and first["repeat_interval"] == "1m"
    assert "continue" not in first
    config = _write(tmp_path, _with_heartbeat("prod", HEARTBEAT))
    result = run("amtool", "config", "routes", "test", f"--config.file={config}",
                 "--verify.receivers=critical", "alertname=HostDown", "severity=critical")
    assert result.returncode == 0, result.stdout + result.stderr


def test_watchdog_route_verification_fails_on_a_human_receiver(tmp_path):
    # Negative control for the routing test above.
    config = _write(tmp_path, _with_heartbeat("prod", HEARTBEAT))
    result = run("amtool", "config", "routes", "test", f"--config.file={config}",
                 "--verify.receivers=critical", "alertname=Watchdog", "severity=critical")
    assert result.returncode != 0
