"""Loopback stand-ins for the services our alerts travel to, for tests/test_alert_delivery.py.

Each listener speaks the wire protocol of the real service as documented (sources inline) and
records what it received; it refuses what the real service would refuse, so a wrong transport
setting in alertmanager.yml shows up as a failed delivery.

- SMTP: aiosmtpd (a real SMTP server library), in the two shapes Chinese mail providers use:
  implicit TLS ("SMTPS", port 465) and plain + mandatory STARTTLS (port 587), both with
  mandatory AUTH.
- WeCom (qyapi.weixin.qq.com): gettoken + message/send over HTTPS.
- The DingTalk bridge's webhook (timonwong/prometheus-webhook-dingtalk v2.1.0 `/dingtalk/<target>/send`),
  which reads the bridge config our renderer wrote, the way the bridge does.
"""
from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import re
import ssl
import threading
import urllib.request
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from tests.tools import serving
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# --- a test CA and a server certificate for one loopback address


@dataclass(frozen=True)
class TestPKI:
    ca_file: Path  # what an operator would hand Alertmanager as SSL_CERT_FILE
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx


def make_pki(directory: Path, ip: str) -> TestPKI:
    now = datetime.datetime.now(datetime.UTC)
    validity = (now - datetime.timedelta(minutes=5), now + datetime.timedelta(hours=1))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xqfc alert-delivery test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(validity[0]).not_valid_after(validity[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ip)])).issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(validity[0]).not_valid_after(validity[1])
        # Alertmanager verifies the smarthost/api_url host; here that host is the loopback IP.
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pki = TestPKI(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    pki.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    pki.key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return pki


# --- SMTP


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: Message
    auth: tuple[str, str]  # (mechanism, login) the client authenticated with
    tls: bool  # the session was encrypted when the message came in


@dataclass
class SmtpListener:
    host: str
    port: int
    mode: str  # "implicit-tls" | "starttls"
    received: list[ReceivedMail] = field(default_factory=list)
    auth_attempts: list[tuple[str, str, bool]] = field(default_factory=list)


class _Handler:
    def __init__(self, listener: SmtpListener, user: str, password: str):
        self.listener, self.user, self.password = listener, user, password

    def authenticate(self, server, session, envelope, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == self.user and auth_data.password.decode() == self.password)
        login = auth_data.login.decode() if isinstance(auth_data, LoginPassword) else ""
        self.listener.auth_attempts.append((mechanism, login, ok))
        return AuthResult(success=ok, handled=False, auth_data=(mechanism, login))

    async def handle_DATA(self, server, session, envelope) -> str:
        self.listener.received.append(ReceivedMail(
            mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos),
            message=message_from_bytes(envelope.original_content or envelope.content),
            auth=session.auth_data, tls=session.ssl is not None or self.listener.mode == "implicit-tls",
        ))
        return "250 OK"


class _ProviderSMTP(SMTP):
    # AUTH LOGIN prompts as Postfix/Dovecot and Exchange send them ("Username:"/"Password:",
    # base64). Alertmanager's LOGIN client accepts only these two (notify/email/email.go
    # loginAuth.Next); aiosmtpd's default "User Name\0" would fail every login.
    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _ProviderSMTP(self.handler, **self.SMTP_kwargs)

    def _create_server(self):
        # A client that never starts TLS on the SMTPS port waits for a greeting that never
        # comes; servers drop it after their handshake timeout (asyncio's default is 60 s).
        # 3 s keeps that failure visible within a test.
        kwargs: dict[str, Any] = {"ssl": self.ssl_context, "ssl_handshake_timeout": 3.0} if self.ssl_context else {}
        return self.loop.create_server(self._factory_invoker, host=self.hostname, port=self.port, **kwargs)


@contextlib.contextmanager
def smtp_listener(host: str, port: int, mode: str, pki: TestPKI, user: str, password: str):
    """An SMTP server that, like the providers', accepts mail only over TLS and after AUTH.

    implicit-tls: TLS from the first byte (RFC 8314 section 3.3, "SMTPS" on 465).
    starttls: plain greeting, STARTTLS required before anything else (RFC 3207), on 587.
    """
    listener = SmtpListener(host, port, mode)
    handler = _Handler(listener, user, password)
    common: dict[str, Any] = dict(hostname=host, port=port, authenticator=handler.authenticate, auth_required=True,
                                  server_hostname="smtp.test")
    if mode == "implicit-tls":
        # The whole connection is TLS (asyncio's ssl transport); aiosmtpd only tracks TLS it
        # negotiated itself via STARTTLS, so its own "AUTH only over TLS" rule is switched off.
        controller = _Controller(handler, ssl_context=pki.server_context(), auth_require_tls=False, **common)
    elif mode == "starttls":
        controller = _Controller(handler, tls_context=pki.server_context(), require_starttls=True,
                                auth_require_tls=True, **common)
    else:
        raise ValueError(f"unknown SMTP mode {mode!r}")
    controller.start()
    try:
        yield listener
    finally:
        controller.stop()


# --- HTTP(S) listeners


class _Server(ThreadingHTTPServer):
    daemon_threads = True


@contextlib.contextmanager
def http_listener(host: str, handler_class: type[BaseHTTPRequestHandler], context: ssl.SSLContext | None = None):
    server = _Server((host, 0), handler_class)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _JsonHandler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - quiet test output
        pass

    def reply(self, status: int, body: dict[str, Any] | str) -> None:
        data = (json.dumps(body) if isinstance(body, dict) else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if isinstance(body, dict) else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body_json(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))


# WeCom server API, as documented:
#  - gettoken: GET /cgi-bin/gettoken?corpid=ID&corpsecret=SECRET -> {"errcode":0,"errmsg":"ok",
#    "access_token":..., "expires_in":7200}; a wrong secret gives errcode 40001 and no token
#    (developer.work.weixin.qq.com/document/path/91039).
#  - message/send: POST /cgi-bin/message/send?access_token=TOKEN, JSON body with touser/toparty/
#    totag ('|'-separated), msgtype, agentid (the application's id), and the content under the
#    key named by msgtype: {"text": {"content": ...}} or {"markdown": {"content": ...}}; answers
#    {"errcode":0,"errmsg":"ok"} (developer.work.weixin.qq.com/document/path/90236).
WECOM_TOKEN = "xqfc-test-access-token"


@dataclass
class WecomListener:
    corp_id: str
    api_secret: str
    agent_id: str
    server: Any = None
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"https://{host}:{port}"


def wecom_message_problems(body: Any, agent_id: str) -> list[str]:
    """Why WeCom's message/send would refuse this body (empty list: it is well formed)."""
    if not isinstance(body, dict):
        return ["body is not a JSON object"]
    problems = []
    msgtype = body.get("msgtype")
    if msgtype not in ("text", "markdown"):
        problems.append(f"msgtype {msgtype!r} is not text or markdown")
    elif not isinstance(body.get(msgtype), dict) or not str(body[msgtype].get("content", "")).strip():
        problems.append(f"no {msgtype}.content")
    # The docs type agentid as an integer; the API also takes its decimal string, which is
    # what Alertmanager's wechat notifier sends (notify/wechat/wechat.go, AgentID string).
    if str(body.get("agentid", "")) != str(agent_id):
        problems.append(f"agentid {body.get('agentid')!r} is not the application's {agent_id!r}")
    if not any(body.get(k) for k in ("touser", "toparty", "totag")):
        problems.append("no recipient: touser, toparty and totag are all empty")
    return problems


@contextlib.contextmanager
def wecom_listener(host: str, pki: TestPKI, corp_id: str, api_secret: str, agent_id: str):
    state = WecomListener(corp_id, api_secret, agent_id)

    class Handler(_JsonHandler):
        def do_GET(self):  # noqa: N802
            url = urlsplit(self.path)
            if url.path != "/cgi-bin/gettoken":
                state.rejections.append(f"GET {url.path}")
                return self.reply(404, "404 page not found")
            query = parse_qs(url.query)
            state.token_requests.append(query)
            if query.get("corpid") != [state.corp_id] or query.get("corpsecret") != [state.api_secret]:
                return self.reply(200, {"errcode": 40001, "errmsg": "invalid credential"})
            return self.reply(200, {"errcode": 0, "errmsg": "ok", "access_token": WECOM_TOKEN, "expires_in": 7200})

        def do_POST(self):  # noqa: N802
            url = urlsplit(self.path)
            if url.path != "/cgi-bin/message/send":
                state.rejections.append(f"POST {url.path}")
                return self.reply(404, "404 page not found")
            if parse_qs(url.query).get("access_token") != [WECOM_TOKEN]:
                return self.reply(200, {"errcode": 40014, "errmsg": "invalid access_token"})
            body = self.body_json()
            problems = wecom_message_problems(body, state.agent_id)
            if problems:
                state.rejections.append("; ".join(problems))
                return self.reply(200, {"errcode": 40008, "errmsg": "invalid message type: " + "; ".join(problems)})
            state.messages.append(body)
            return self.reply(200, {"errcode": 0, "errmsg": "ok"})

    with http_listener(host, Handler, pki.server_context()) as server:
        state.server = server
        yield state


# The DingTalk bridge (timonwong/prometheus-webhook-dingtalk v2.1.0), read from its source:
#  - config/config.go: yaml.UnmarshalStrict of {templates, default_message, timeout, targets};
#    target names match ^[a-zA-Z][a-zA-Z0-9\-_]*$; a target needs `url`, may have `secret`,
#    `mention`, `message`.
#  - web/web.go mounts web/dingtalk/dingtalk.go under /dingtalk: POST /{name}/send; an unknown
#    name is http.NotFound; the body is decoded into models.WebhookMessage (pkg/models/
#    prometheus.go: receiver, status, alerts[{status, labels, annotations, startsAt, endsAt,
#    generatorURL, fingerprint}], groupLabels, commonLabels, commonAnnotations, externalURL);
#    a body that does not decode is 400.
BRIDGE_CONFIG_KEYS = {"no_builtin_template", "template", "templates", "default_message", "timeout", "targets"}
BRIDGE_TARGET_KEYS = {"url", "secret", "mention", "message"}
BRIDGE_TARGET_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9\-_]*$")


def bridge_config_problems(text: str) -> list[str]:
    """What the bridge's config loader would refuse in this config.yml."""
    config = yaml.safe_load(text)
    if not isinstance(config, dict):
        return ["config is not a mapping"]
    problems = [f"unknown key {k!r}" for k in config if k not in BRIDGE_CONFIG_KEYS]
    for name, target in (config.get("targets") or {}).items():
        if not BRIDGE_TARGET_NAME.match(str(name)):
            problems.append(f"invalid target name {name!r}")
        if not isinstance(target, dict) or not target.get("url"):
            problems.append(f"target {name!r}: url cannot be empty")
            continue
        problems += [f"target {name!r}: unknown key {k!r}" for k in target if k not in BRIDGE_TARGET_KEYS]
    return problems


def webhook_message_problems(body: Any) -> list[str]:
    """Where an Alertmanager webhook body would not decode into the bridge's WebhookMessage."""
    if not isinstance(body, dict):
        return ["body is not a JSON object"]

    def kv(value: Any, where: str) -> list[str]:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            return [f"{where} is not an object of strings"]
        return []

    problems = []
    for key in ("receiver", "status", "externalURL"):
        if not isinstance(body.get(key), str):
            problems.append(f"{key} is not a string")
    for key in ("groupLabels", "commonLabels", "commonAnnotations"):
        problems += kv(body.get(key), key)
    alerts = body.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        return [*problems, "alerts is not a non-empty list"]
    for i, alert in enumerate(alerts):
        for key in ("status", "generatorURL", "fingerprint"):
            if not isinstance(alert.get(key), str):
                problems.append(f"alerts[{i}].{key} is not a string")
        problems += kv(alert.get("labels"), f"alerts[{i}].labels") + kv(alert.get("annotations"), f"alerts[{i}].annotations")
        for key in ("startsAt", "endsAt"):
            try:
                datetime.datetime.fromisoformat(str(alert.get(key)).replace("Z", "+00:00"))
            except ValueError:
                problems.append(f"alerts[{i}].{key} is not an RFC 3339 time")
    return problems


@dataclass
class BridgeListener:
    targets: set[str]
    server: Any = None
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"


@contextlib.contextmanager
def bridge_listener(host: str, bridge_config: str):
    problems = bridge_config_problems(bridge_config)
    if problems:
        pytest.fail("the DingTalk bridge would refuse our config.yml: " + "; ".join(problems))
    state = BridgeListener(set(yaml.safe_load(bridge_config)["targets"]))

    class Handler(_JsonHandler):
        def do_POST(self):  # noqa: N802
            match = re.fullmatch(r"/dingtalk/([^/]+)/send", urlsplit(self.path).path)
            if not match or match.group(1) not in state.targets:
                state.rejections.append(f"POST {self.path}")
                return self.reply(404, "404 page not found\n")
            try:
                body = self.body_json()
            except ValueError:
                body = None
            problems = webhook_message_problems(body)
            if problems:
                state.rejections.append("; ".join(problems))
                return self.reply(400, "Bad Request\n")
            state.messages.append((match.group(1), body))
            return self.reply(200, "OK")

    with http_listener(host, Handler) as server:
        state.server = server
        yield state


# --- Alertmanager on loopback


@contextlib.contextmanager
def alertmanager(binary: str, config: dict[str, Any], workdir: Path, port: int, ca_file: Path | None):
    """Run Alertmanager with this config; the test CA is trusted the way an operator would do it
    for a Go program: SSL_CERT_FILE (crypto/x509 reads it on Linux)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "alertmanager.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workdir)}
    if ca_file is not None:
        env["SSL_CERT_FILE"] = str(ca_file)
    else:
        # No system CAs either: nothing on this machine vouches for the test server.
        env["SSL_CERT_FILE"] = str(workdir / "no-ca.pem")
        env["SSL_CERT_DIR"] = str(workdir)
    log_path = workdir / "alertmanager.log"
    base = f"http://127.0.0.1:{port}"
    cmd = [binary, f"--config.file={config_path}", f"--storage.path={workdir / 'data'}",
           f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=debug"]
    with serving(cmd, f"{base}/-/ready", log_path, env=env):
        yield AlertmanagerProcess(base, log_path)


@dataclass
class AlertmanagerProcess:
    base: str
    log_path: Path

    def fire(self, labels: dict[str, str], annotations: dict[str, str]) -> None:
        body = json.dumps([{"labels": labels, "annotations": annotations}]).encode()
        request = urllib.request.Request(f"{self.base}/api/v2/alerts", data=body,
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=5).close()

    def counter(self, name: str, integration: str) -> float:
        """Sum of an alertmanager_notification* counter over one integration's series."""
        with urllib.request.urlopen(f"{self.base}/metrics", timeout=5) as response:
            text = response.read().decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name + "{") and f'integration="{integration}"' in line:
                total += float(line.rsplit(" ", 1)[1])
        return total

    def log(self) -> str:
        return self.log_path.read_text()
