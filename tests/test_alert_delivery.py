"""Alerts that really arrive: the real Alertmanager, at the stacks' version, sends a firing alert
through each receiver our renderer configures for staging and prod, to loopback stand-ins of
the real services (tests/alert_listeners.py).

What is swapped, and only that: the receivers' host addresses (smarthost host, api_url and
webhook scheme+host) point at 127.x loopback listeners, group_wait/group_interval are short,
and Alertmanager trusts a test CA through SSL_CERT_FILE. Ports, TLS settings, paths, routes and
credentials are the rendered ones. A wrong transport setting must make delivery fail, and each
such mismatch is a case below that checks Alertmanager counted the failure.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import random
import subprocess
import time
import urllib.request
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

import pytest
import yaml

from components.render.monitoring import HeartbeatReceiver, render_alertmanager, render_dingtalk_bridge
from components.settings import Settings
from tests.alert_listeners import (
    alertmanager,
    bridge_listener,
    http_listener,
    make_pki,
    smtp_listener,
    wecom_listener,
)
from tests.monitoring_support import stack_spec
from tests.tools import free_port

# aiosmtpd warns about AUTH without its own TLS on the SMTPS listener, whose connection is TLS
# from the first byte (asyncio ssl transport): nothing to act on.
# slow: builds Alertmanager from source on a cold cache, then waits on real deliveries (make test-slow).
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

REPO = Path(__file__).resolve().parent.parent
ALERTNAME = "XqfcDeliveryProbe"
# How SMTP providers serve each port (RFC 8314 section 3.3 for 465, RFC 6409 + RFC 3207 for 587);
# e.g. Tencent Exmail documents smtp.exmail.qq.com with SSL on 465.
PROVIDER_MODE = {"465": "implicit-tls", "587": "starttls"}


def _stack_version() -> str:
    image = Settings.model_fields["alertmanager_image"].default
    return image.rsplit(":", 1)[1].split("@")[0]


@pytest.fixture(scope="session")
def alertmanager_binary() -> str:
    """Alertmanager at the version the stacks run, built once from the Go module proxy."""
    version = _stack_version()
    result = subprocess.run([str(REPO / "scripts/build-alertmanager.sh"), version], capture_output=True,
                            text=True, timeout=1200, check=False)
    if result.returncode != 0:
        pytest.fail(f"scripts/build-alertmanager.sh {version} failed:\n{result.stderr[-3000:]}")
    binary = result.stdout.strip().splitlines()[-1]
    reported = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    assert f"version {version.lstrip('v')}" in reported.stdout + reported.stderr
    return binary


@pytest.fixture(scope="module")
def loopback_ip() -> str:
    # SMTP must listen on the literal ports 465/587: Alertmanager chooses implicit TLS by the
    # smarthost port being "465" (notify/email/email.go). A random 127/8 address (all of it is
    # loopback on Linux) keeps those ports free of clashes with anything on 127.0.0.1.
    rng = random.SystemRandom()
    return f"127.{rng.randint(1, 254)}.{rng.randint(1, 254)}.{rng.randint(1, 254)}"


@pytest.fixture(scope="module")
def pki(tmp_path_factory, loopback_ip):
    return make_pki(tmp_path_factory.mktemp("pki"), loopback_ip)


# --- the rendered config, with the receivers' addresses moved to loopback


def _swap_host(url: str, base: str) -> str:
    new = urlsplit(base)
    old = urlsplit(url)
    return urlunsplit((new.scheme, new.netloc, old.path, old.query, old.fragment))


def loopback_config(rendered: str, *, smtp_host: str, wecom_base: str, bridge_base: str) -> dict[str, Any]:
    config = yaml.safe_load(rendered)
    for receiver in config["receivers"]:
        for email in receiver.get("email_configs", []):
            email["smarthost"] = f"{smtp_host}:{email['smarthost'].rsplit(':', 1)[1]}"
        for wechat in receiver.get("wechat_configs", []):
            wechat["api_url"] = _swap_host(wechat["api_url"], wecom_base)
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = _swap_host(hook["url"], bridge_base)
    # Test-only timing: deliver at once instead of after the rendered 30s group_wait.
    config["route"]["group_wait"] = "0s"
    config["route"]["group_interval"] = "1s"
    return config


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in a.keys() | b.keys() for d in _differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [path]


SWAPPABLE = (".smarthost", ".api_url", ".url", ".route.group_wait", ".route.group_interval")


def test_loopback_config_swaps_only_addresses_and_timing():
    rendered = render_alertmanager(stack_spec("prod"))
    config = loopback_config(rendered, smtp_host="127.9.9.9", wecom_base="https://127.9.9.9:1",
                             bridge_base="http://127.9.9.9:2")
    changed = _differences(yaml.safe_load(rendered), config)
    assert changed and all(path.endswith(SWAPPABLE) for path in changed), changed
    for receiver in config["receivers"]:
        for email in receiver.get("email_configs", []):
            assert email["smarthost"] == "127.9.9.9:465"  # the rendered port stays
        for wechat in receiver.get("wechat_configs", []):
            assert wechat["api_url"] == "https://127.9.9.9:1/cgi-bin/"


@pytest.mark.parametrize(("port", "require_tls"), [("465", False), ("587", True), ("25", True)])
def test_require_tls_follows_the_smtp_port(port, require_tls):
    # 465: implicit TLS, so no STARTTLS on top; elsewhere STARTTLS is mandatory before AUTH.
    spec = stack_spec("staging")
    email = dataclasses.replace(spec.receivers.email, smarthost=f"smtp.exmail.qq.com:{port}")
    spec = dataclasses.replace(spec, receivers=dataclasses.replace(spec.receivers, email=email))
    (config,) = yaml.safe_load(render_alertmanager(spec))["receivers"][0]["email_configs"]
    assert config["require_tls"] is require_tls


# --- one Alertmanager, its listeners, one firing alert


@dataclasses.dataclass
class Rig:
    am: Any
    smtp: Any
    wecom: Any
    bridge: Any
    spec: Any


@pytest.fixture
def rig(alertmanager_binary, loopback_ip, pki, tmp_path):
    """rig(spec, smtp_mode=None, mutate=None, trust_ca=True): listeners + Alertmanager running the
    rendered config of `spec`; `mutate` is the one wrong setting a mismatch case injects."""
    stack = []

    def start(spec, *, smtp_mode: str | None = None, mutate: Callable[[dict], None] | None = None,
              trust_ca: bool = True, severity: str = "critical") -> Rig:
        es = contextlib.ExitStack()
        stack.append(es)
        r = spec.receivers
        smtp = wecom = bridge = None
        if r.email:
            port = r.email.smarthost.rsplit(":", 1)[1]
            smtp = es.enter_context(smtp_listener(loopback_ip, int(port), smtp_mode or PROVIDER_MODE[port], pki,
                                                  r.email.username, r.email.password))
        if r.wecom:
            wecom = es.enter_context(wecom_listener(loopback_ip, pki, r.wecom.corp_id, r.wecom.api_secret,
                                                    r.wecom.agent_id))
        if r.dingtalk:
            bridge = es.enter_context(bridge_listener(loopback_ip, render_dingtalk_bridge(spec)))
        config = loopback_config(render_alertmanager(spec), smtp_host=loopback_ip,
                                 wecom_base=wecom.base if wecom else "https://unused.invalid",
                                 bridge_base=bridge.base if bridge else "http://unused.invalid")
        if mutate:
            mutate(config)
        am = es.enter_context(alertmanager(alertmanager_binary, config, tmp_path / "am", free_port(),
                                           pki.ca_file if trust_ca else None))
        am.fire({"alertname": ALERTNAME, "severity": severity, "host": "vm-1", "instance": "probe:1"},
                {"summary": "delivery probe", "description": "sent by tests/test_alert_delivery.py"})
        return Rig(am, smtp, wecom, bridge, spec)

    yield start
    for es in reversed(stack):
        es.close()


def wait_for(predicate: Callable[[], Any], what: str, am, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}; Alertmanager log tail:\n{am.log()[-4000:]}")


def _port587(spec):
    email = dataclasses.replace(spec.receivers.email, smarthost=spec.receivers.email.smarthost.rsplit(":", 1)[0] + ":587")
    return dataclasses.replace(spec, receivers=dataclasses.replace(spec.receivers, email=email))


# The stacks' receivers (tests/monitoring_support.py mirrors Pulumi.staging.yaml and
# Pulumi.prod.yaml: staging email on :465; prod email on :465, WeCom, DingTalk), plus the
# other submission port a provider may give.
DELIVERY_SPECS = {
    "staging-email-465": lambda: stack_spec("staging"),
    "staging-email-587": lambda: _port587(stack_spec("staging")),
    "prod-all-receivers": lambda: stack_spec("prod"),
}


@pytest.mark.parametrize("case", DELIVERY_SPECS)
def test_firing_alert_arrives_at_every_receiver(rig, case):
    r = rig(DELIVERY_SPECS[case]())
    receivers = r.spec.receivers

    mail = wait_for(lambda: r.smtp.received, "the alert e-mail", r.am)[0]
    assert r.smtp.auth_attempts and all(ok for *_, ok in r.smtp.auth_attempts), r.smtp.auth_attempts
    mechanism, login = mail.auth
    assert mechanism in ("LOGIN", "PLAIN") and login == receivers.email.username
    assert mail.tls
    assert mail.mail_from == receivers.email.from_address
    assert mail.rcpt_tos == [receivers.email.to]
    assert mail.message["From"] == receivers.email.from_address
    assert mail.message["To"] == receivers.email.to
    assert ALERTNAME in mail.message["Subject"] and "FIRING" in mail.message["Subject"]

    if receivers.wecom:
        body = wait_for(lambda: r.wecom.messages, "the WeCom message", r.am)[0]
        assert r.wecom.token_requests[0]["corpid"] == [receivers.wecom.corp_id]
        assert body["toparty"] == receivers.wecom.to_party and body.get("touser", "") == receivers.wecom.to_user
        assert body["msgtype"] in ("text", "markdown")
        assert ALERTNAME in body[body["msgtype"]]["content"]
        assert not r.wecom.rejections

    if receivers.dingtalk:
        target, body = wait_for(lambda: r.bridge.messages, "the DingTalk bridge webhook", r.am)[0]
        assert target == "xqfc"
        assert body["status"] == "firing" and body["receiver"] == "critical"
        assert body["alerts"][0]["labels"]["alertname"] == ALERTNAME
        assert not r.bridge.rejections


def test_prod_warning_reaches_chat_but_not_the_mailbox(rig):
    # The rendered routes: warnings go to chat only when a chat channel exists.
    r = rig(stack_spec("prod"), severity="warning")
    body = wait_for(lambda: r.wecom.messages, "the WeCom message", r.am)[0]
    assert ALERTNAME in body[body["msgtype"]]["content"]
    target, hook = wait_for(lambda: r.bridge.messages, "the DingTalk bridge webhook", r.am)[0]
    assert target == "xqfc"
    assert hook["receiver"] == "warning"
    assert r.am.counter("alertmanager_notification_requests_total", "email") == 0
    assert not r.smtp.received


# --- a wrong transport setting must fail delivery


def _email(config: dict) -> dict:
    return next(e for rec in config["receivers"] for e in rec.get("email_configs", []))


def _set_email(key: str, value: Any) -> Callable[[dict], None]:
    return lambda config: _email(config).__setitem__(key, value)


def _wechat_api_path(path: str) -> Callable[[dict], None]:
    def mutate(config: dict) -> None:
        for rec in config["receivers"]:
            for w in rec.get("wechat_configs", []):
                w["api_url"] = urlunsplit(urlsplit(w["api_url"])._replace(path=path))
    return mutate


def _bridge_target(name: str) -> Callable[[dict], None]:
    def mutate(config: dict) -> None:
        for rec in config["receivers"]:
            for h in rec.get("webhook_configs", []):
                h["url"] = h["url"].replace("/dingtalk/xqfc/", f"/dingtalk/{name}/")
    return mutate


# spec, SMTP server mode (None: as the provider serves that port), the one wrong setting,
# trust the test CA, the integration that must fail, and the error Alertmanager must log.
MISMATCHES = {
    # 465 is implicit TLS; a server expecting STARTTLS there answers in plain text.
    "465-against-starttls-server": ("staging", "starttls", None, True, "email",
                                    "first record does not look like a TLS handshake"),
    # 587 starts in plain text; an implicit-TLS server waits for a TLS hello and hangs up.
    # (Against a real provider this hangs until the server's own timeout.)
    "587-against-implicit-tls-server": ("staging-587", "implicit-tls", None, True, "email", "create SMTP client: EOF"),
    # Without STARTTLS the provider refuses MAIL (and never offers AUTH in the clear).
    "587-with-require_tls-false": ("staging-587", None, _set_email("require_tls", False), True, "email",
                                   "Must issue a STARTTLS command first"),
    # After implicit TLS nobody offers STARTTLS again: Alertmanager's require_tls check fails.
    # This is what our renderer produced for 465 before the fix.
    "465-with-require_tls-true": ("staging", None, _set_email("require_tls", True), True, "email",
                                  "does not advertise the STARTTLS extension"),
    # TLS is verified: a server certificate nobody vouches for stops the mail.
    "465-untrusted-certificate": ("staging", None, None, False, "email", "certificate signed by unknown authority"),
    # Alertmanager appends "gettoken" to api_url; without /cgi-bin/ it asks the wrong path.
    "wecom-api_url-without-cgi-bin": ("prod", None, _wechat_api_path("/"), True, "wechat",
                                      "cannot unmarshal number into Go value of type wechat.token"),
    "wecom-untrusted-certificate": ("prod", None, None, False, "wechat", "certificate signed by unknown authority"),
    # The webhook path must name a target of the bridge's config.yml (the bridge 404s others).
    "dingtalk-bridge-unknown-target": ("prod", None, _bridge_target("other"), True, "webhook",
                                       "unexpected status code 404"),
}
MISMATCH_SPECS = {"staging": lambda: stack_spec("staging"), "staging-587": lambda: _port587(stack_spec("staging")),
                  "prod": lambda: stack_spec("prod")}


@pytest.mark.parametrize("case", MISMATCHES)
def test_wrong_transport_setting_fails_delivery(rig, case):
    spec_name, smtp_mode, mutate, trust_ca, integration, reason = MISMATCHES[case]
    r = rig(MISMATCH_SPECS[spec_name](), smtp_mode=smtp_mode, mutate=mutate, trust_ca=trust_ca)
    wait_for(lambda: r.am.counter("alertmanager_notification_requests_failed_total", integration) > 0,
             f"Alertmanager to count a failed {integration} notification", r.am)
    received = {"email": lambda: r.smtp.received, "wechat": lambda: r.wecom.messages,
                "webhook": lambda: r.bridge.messages}[integration]()
    assert not received, f"{case}: delivered despite the wrong setting"
    # ...and for the reason the case is about, not some other fault of the rig.
    # (Alertmanager counts the failure before it logs it: wait for the line.)
    wait_for(lambda: any(reason in line for line in r.am.log().splitlines()
                         if "err=" in line and f"{integration}[" in line),
             f"Alertmanager to log {reason!r} for {integration}", r.am, timeout=15)


# --- the dead man's switch: the Watchdog's webhook, repeated, and silent once it expires


def test_the_watchdog_heartbeat_repeats_while_firing_and_stops_without_a_resolved_ping(alertmanager_binary, tmp_path):
    received: list[tuple[float, str, dict]] = []

    class Ping(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - quiet test output
            pass

        def do_POST(self):  # noqa: N802
            received.append((time.monotonic(), self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with http_listener("127.0.0.1", Ping) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/ping/test-check"
        spec = stack_spec("prod")
        spec = dataclasses.replace(spec, receivers=dataclasses.replace(spec.receivers, heartbeat=HeartbeatReceiver(url)))
        config = yaml.safe_load(render_alertmanager(spec))
        route = config["route"]["routes"][0]
        assert route["receiver"] == "heartbeat"
        # Test-only timing, as above: seconds instead of the rendered 10s / 30s / 1m.
        route.update(group_wait="0s", group_interval="1s", repeat_interval="2s")
        with alertmanager(alertmanager_binary, config, tmp_path / "am", free_port(), None) as am:
            # What Prometheus sends: the Watchdog, valid until 4 x its resend delay (here 8 s).
            ends = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=8)
            body = json.dumps([{"labels": {"alertname": "Watchdog", "severity": "none", "environment": "prod"},
                                "annotations": {"summary": "heartbeat"}, "endsAt": ends.isoformat()}]).encode()
            urllib.request.urlopen(urllib.request.Request(f"{am.base}/api/v2/alerts", data=body,
                                                          headers={"Content-Type": "application/json"}), timeout=5).close()
            wait_for(lambda: len(received) >= 2, "two heartbeats", am, timeout=15)
            time.sleep(max(0.0, (ends - dt.datetime.now(dt.UTC)).total_seconds()) + 4)
            count = len(received)
            time.sleep(5)
            assert len(received) == count, "heartbeats went on after the Watchdog expired"
            for _, path, message in received:
                assert path == "/ping/test-check" and message["receiver"] == "heartbeat"
                assert message["status"] == "firing" and [a["labels"]["alertname"] for a in message["alerts"]] == ["Watchdog"]
            # Nobody else was told. (The webhook's own counter also counts the resolved group that
            # notify.go RetryStage.exec reports as notified without sending: send_resolved is off.)
            for integration in ("email", "wechat"):
                assert am.counter("alertmanager_notifications_total", integration) == 0, integration
