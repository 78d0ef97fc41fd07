"""A real nginx on loopback, configured by the renderer under test, plus TLS and HTTP helpers.

nginx runs unprivileged-style from a prefix in the test's tmp dir, on free high ports of
127.0.0.1, and is always stopped by the context manager that starts it.
"""
from __future__ import annotations

import contextlib
import datetime
import functools
import http.client
import os
import re
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from components.render.nginx import (
    NginxSpec,
    UpstreamTarget,
    render_nginx_conf,
    render_upstream,
)
from tests.tools import free_port, require_tool

DOMAIN = "xqfc.test"




@dataclass(frozen=True)
class Tls:
    ca: Path
    cert: Path
    key: Path

    def client_context(self, **kw) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.ca))
        for name, value in kw.items():
            setattr(ctx, name, value)
        return ctx


def make_tls(directory: Path, names: list[str]) -> Tls:
    """A throwaway CA and a P-256 server certificate for `names` (fast handshakes)."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xqfc test CA")])
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    tls = Tls(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    tls.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    tls.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tls.key.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return tls


@dataclass(frozen=True)
class EdgeLayout:
    """Where one loopback nginx keeps its files."""

    root: Path

    @property
    def prefix(self) -> Path:
        return self.root / "nginx"

    @property
    def conf(self) -> Path:
        return self.prefix / "nginx.conf"

    @property
    def upstream(self) -> Path:
        return self.prefix / "upstream" / "app.conf"

    @property
    def static(self) -> Path:
        return self.root / "static"

    @property
    def acme(self) -> Path:
        return self.root / "acme"

    @property
    def error_log(self) -> Path:
        return self.prefix / "error.log"

    @property
    def access_log(self) -> Path:
        return self.prefix / "access.log"

    def nginx_args(self) -> list[str]:
        return ["-p", f"{self.prefix}/", "-c", str(self.conf)]


@functools.lru_cache(maxsize=None)
def local_nginx_version() -> tuple[int, ...]:
    """The version of the nginx these tests run (`nginx -v` prints it on stderr)."""
    out = subprocess.run([require_tool("nginx"), "-v"], capture_output=True, text=True, timeout=10, check=False)
    m = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out.stderr + out.stdout)
    assert m, f"nginx -v printed no version: {out.stderr!r}"
    return tuple(int(x) for x in m.groups())


# `http2 on;` exists from nginx 1.25.1 (nginx.org/en/CHANGES-1.26, "Changes with nginx 1.25.1").
HTTP2_DIRECTIVE_SINCE = (1, 25, 1)


def loopback_spec(layout: EdgeLayout, tls: Tls, **overrides) -> NginxSpec:
    """A spec for nginx on 127.0.0.1 high ports, all paths inside the test's tmp dir."""
    base = NginxSpec(
        domain=DOMAIN,
        cert_path=str(tls.cert),
        key_path=str(tls.key),
        upstream_include=str(layout.upstream),
        static_root=str(layout.static),
        acme_root=str(layout.acme),
        status_allow=("10.88.0.0/16",),
        http_port=free_port(),
        https_port=free_port(),
        status_port=free_port(),
        listen_address="127.0.0.1",
        worker_processes="2",
        worker_connections=1024,
        worker_shutdown_timeout_s=5,
        # Root masters switch workers to `user`; root keeps them able to read tmp_path.
        user="root" if os.geteuid() == 0 else None,
        pid_path=str(layout.prefix / "nginx.pid"),
        error_log=str(layout.error_log),
        access_log=str(layout.access_log),
        temp_root=str(layout.prefix / "temp"),
        # Docker's DNS does not exist here; nothing in the tests needs name resolution.
        resolver="127.0.0.1",
        http2_directive=local_nginx_version() >= HTTP2_DIRECTIVE_SINCE,
    )
    return replace(base, **overrides)


def write_config(layout: EdgeLayout, spec: NginxSpec, targets: list[UpstreamTarget]) -> None:
    layout.prefix.mkdir(parents=True, exist_ok=True)
    (layout.prefix / "temp").mkdir(exist_ok=True)
    layout.upstream.parent.mkdir(parents=True, exist_ok=True)
    layout.static.mkdir(parents=True, exist_ok=True)
    layout.acme.mkdir(parents=True, exist_ok=True)
    layout.conf.write_text(render_nginx_conf(spec))
    layout.upstream.write_text(render_upstream(targets))


def nginx_test(layout: EdgeLayout) -> subprocess.CompletedProcess:
    return subprocess.run([require_tool("nginx"), *layout.nginx_args(), "-t"],
                          capture_output=True, text=True, timeout=30, check=False)


def wait_listening(port: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        time.sleep(0.02)
    return False


def _answers(spec: NginxSpec, timeout: float = 5.0) -> bool:
    """True once a worker answers. The master listens before it enters its signal loop; a
    reload signalled in that window is only acted on at the next signal, so callers that
    reload right away must wait for this."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            http_get(spec.http_port, "/", host=spec.domain, timeout=1)
            return True
        time.sleep(0.02)
    return False


@contextlib.contextmanager
def running_nginx(layout: EdgeLayout, spec: NginxSpec):
    proc = subprocess.Popen([require_tool("nginx"), *layout.nginx_args(), "-g", "daemon off;"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        ports = (spec.http_port, spec.https_port, spec.status_port)
        if not all(wait_listening(p) for p in ports) or not _answers(spec) or proc.poll() is not None:
            log = layout.error_log.read_text() if layout.error_log.exists() else ""
            raise AssertionError(f"nginx did not start: {proc.poll()}\n{log}")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class _SniConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 with an arbitrary SNI name (the real site name)."""

    def __init__(self, port: int, sni: str, context: ssl.SSLContext, timeout: float):
        super().__init__("127.0.0.1", port, context=context, timeout=timeout)
        self._sni = sni

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._sni)


@dataclass(frozen=True)
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def https_get(port: int, path: str, ctx: ssl.SSLContext, host: str = DOMAIN,
              sni: str | None = None, headers: dict | None = None,
              timeout: float = 5.0) -> Response:
    conn = _SniConnection(port, sni or host, ctx, timeout)
    try:
        conn.request("GET", path, headers={"Host": host, "Connection": "close", **(headers or {})})
        resp = conn.getresponse()
        return Response(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def http_get(port: int, path: str, host: str = DOMAIN, timeout: float = 5.0) -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host, "Connection": "close"})
        resp = conn.getresponse()
        return Response(resp.status, resp.headers, resp.read())
    finally:
        conn.close()
