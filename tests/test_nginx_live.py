"""A real nginx on loopback, running the rendered config in front of app and Grafana stand-ins,
behaves as the edge must: redirects, TLS policy, headers, gzip, proxying, static caching,
internal status, unknown hosts dropped."""
from __future__ import annotations

import gzip
import http.client
import json
import re
import socket
import ssl
import threading

import pytest

from components.render.nginx import RateLimit, UpstreamTarget
from tests.edge_harness import (
    DOMAIN,
    EdgeLayout,
    Response,
    _SniConnection,
    http_get,
    https_get,
    loopback_spec,
    make_tls,
    running_nginx,
    write_config,
)
from tests.release_fakes.standin_app import TEXT_BODY, make_server

STATIC_NAME = "app.3f2a9c.css"
STATIC_BODY = b"body{margin:0}" * 100
ACME_TOKEN = "tok-123_abc"


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    root = tmp_path_factory.mktemp("edge")
    tls = make_tls(root / "tls", [DOMAIN, f"www.{DOMAIN}", f"grafana.{DOMAIN}"])
    app = make_server("v1")
    grafana = make_server("grafana")
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (app, grafana)]
    for t in threads:
        t.start()
    layout = EdgeLayout(root)
    spec = loopback_spec(
        layout, tls,
        grafana_public=True,
        grafana_upstream=UpstreamTarget("127.0.0.1", grafana.server_address[1]),
        client_max_body_size="1k",
        rate_limit=RateLimit(requests_per_second=10, burst=20),
    )
    write_config(layout, spec, [UpstreamTarget("127.0.0.1", app.server_address[1])])
    (layout.static / STATIC_NAME).write_bytes(STATIC_BODY)
    (layout.acme / ".well-known" / "acme-challenge").mkdir(parents=True)
    (layout.acme / ".well-known" / "acme-challenge" / ACME_TOKEN).write_text("proof")
    try:
        with running_nginx(layout, spec):
            yield spec, layout, tls
    finally:
        for s in (app, grafana):
            s.shutdown()
            s.server_close()


def get(edge, path="/", **kw) -> Response:
    spec, _, tls = edge
    return https_get(spec.https_port, path, tls.client_context(), **kw)


def app_view(resp: Response) -> dict:
    assert resp.status == 200, resp.body
    return json.loads(resp.body)


@pytest.mark.parametrize("host", [DOMAIN, f"www.{DOMAIN}", f"grafana.{DOMAIN}"])
def test_http_redirects_to_https_keeping_path(edge, host):
    spec, _, _ = edge
    resp = http_get(spec.http_port, "/listings/42?page=2", host=host)
    assert resp.status == 301
    assert resp.headers["Location"] == f"https://{host}/listings/42?page=2"


def test_health_answers_over_plain_http_for_load_balancers(edge):
    spec, _, _ = edge
    resp = http_get(spec.http_port, "/health")
    assert resp.status == 200, (resp.status, resp.body)


def test_acme_challenge_served_over_http(edge):
    spec, _, _ = edge
    resp = http_get(spec.http_port, f"/.well-known/acme-challenge/{ACME_TOKEN}")
    assert (resp.status, resp.body) == (200, b"proof")


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_old_tls_refused_by_server(edge, version):
    spec, _, tls = edge
    ctx = tls.client_context(minimum_version=version, maximum_version=version)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client really offer the old protocol
    with (pytest.raises(ssl.SSLError, match="ALERT_PROTOCOL_VERSION"),
          socket.create_connection(("127.0.0.1", spec.https_port), 5) as raw):
        ctx.wrap_socket(raw, server_hostname=DOMAIN).close()


@pytest.mark.parametrize("version, name", [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"),
                                           (ssl.TLSVersion.TLSv1_3, "TLSv1.3")])
def test_modern_tls_accepted(edge, version, name):
    spec, _, tls = edge
    ctx = tls.client_context(minimum_version=version, maximum_version=version)
    with (socket.create_connection(("127.0.0.1", spec.https_port), 5) as raw,
          ctx.wrap_socket(raw, server_hostname=DOMAIN) as conn):
        assert conn.version() == name
        if name == "TLSv1.2":
            assert conn.cipher()[0].startswith("ECDHE-")


@pytest.mark.parametrize("path", ["/", f"/static/{STATIC_NAME}"])
def test_security_headers(edge, path):
    resp = get(edge, path)
    assert resp.status == 200
    h = resp.headers
    assert re.fullmatch(r"max-age=\d{7,}; includeSubDomains", h["Strict-Transport-Security"])
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert h["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in h["Permissions-Policy"]
    assert h["Server"] == "nginx"  # server_tokens off: no version


def test_gzip_for_text(edge):
    zipped = get(edge, "/text", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == TEXT_BODY
    plain = get(edge, "/text")
    assert plain.headers.get("Content-Encoding") is None and plain.body == TEXT_BODY


def test_proxy_passes_forwarding_headers(edge):
    resp = get(edge, "/listings?x=1")
    seen = app_view(resp)["headers"]
    assert seen["x-forwarded-proto"] == "https"
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-host"] == DOMAIN
    assert seen["host"] == DOMAIN
    assert re.fullmatch(r"[0-9a-f]{32}", seen["x-request-id"])
    assert resp.headers["X-Request-ID"] == seen["x-request-id"]


def test_request_id_kept_when_well_formed_and_replaced_otherwise(edge):
    kept = app_view(get(edge, "/", headers={"X-Request-ID": "cdn-req-0001"}))
    assert kept["headers"]["x-request-id"] == "cdn-req-0001"
    replaced = app_view(get(edge, "/", headers={"X-Request-ID": "bad id\"}"}))
    assert re.fullmatch(r"[0-9a-f]{32}", replaced["headers"]["x-request-id"])


@pytest.mark.parametrize("path", ["/metrics", "/metrics?format=prometheus", "/metrics/", "/metrics/app"])
def test_the_apps_metrics_are_not_served_to_the_public(edge, path):
    # The stand-in app answers every path; Prometheus reads app:<port> on the monitoring
    # network, so the edge must not pass /metrics on, whatever the app itself does.
    resp = get(edge, path)
    assert resp.status == 404, (resp.status, resp.body[:200])
    assert "Strict-Transport-Security" in resp.headers
    assert app_view(get(edge, "/metricsboard"))["path"] == "/metricsboard"


def test_health_passthrough(edge):
    resp = get(edge, "/health")
    assert resp.status == 200
    assert json.loads(resp.body) == {"status": "ok", "version": "v1"}


def test_static_files_cached_for_a_year(edge):
    resp = get(edge, f"/static/{STATIC_NAME}")
    assert resp.body == STATIC_BODY
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "X-App-Version" not in resp.headers  # served by nginx, not the app
    missing = get(edge, "/static/nope.css")
    assert missing.status == 404
    assert "immutable" not in (missing.headers.get("Cache-Control") or "")


def test_www_redirects_to_apex(edge):
    resp = get(edge, "/a?b=1", host=f"www.{DOMAIN}")
    assert resp.status == 301
    assert resp.headers["Location"] == f"https://{DOMAIN}/a?b=1"


def test_public_grafana_proxied(edge):
    resp = get(edge, "/api/health", host=f"grafana.{DOMAIN}")
    assert app_view(resp)["version"] == "grafana"
    assert "Strict-Transport-Security" in resp.headers


def test_request_size_limited(edge):
    spec, _, tls = edge
    conn = _SniConnection(spec.https_port, DOMAIN, tls.client_context(), 5)
    try:
        conn.request("POST", "/upload", body=b"x" * 4096, headers={"Host": DOMAIN})
        assert conn.getresponse().status == 413
    finally:
        conn.close()


def test_rate_limit_answers_429_but_not_for_static(edge):
    spec, _, tls = edge
    ctx = tls.client_context()

    def status(path):
        # Its own source address: the other tests' requests do not share this bucket.
        conn = _SniConnection(spec.https_port, DOMAIN, ctx, 5)
        conn.source_address = ("127.0.0.2", 0)
        try:
            conn.request("GET", path, headers={"Host": DOMAIN})
            return conn.getresponse().status
        finally:
            conn.close()

    app_statuses = [status("/") for _ in range(40)]
    assert 429 in app_statuses and 200 in app_statuses
    assert {status(f"/static/{STATIC_NAME}") for _ in range(10)} == {200}


def test_stub_status_local_only(edge):
    spec, _, _ = edge
    body = http_get(spec.status_port, "/stub_status").body.decode()
    assert body.startswith("Active connections:")
    conn = http.client.HTTPConnection("127.0.0.1", spec.status_port, timeout=5,
                                      source_address=("127.0.0.3", 0))
    try:
        conn.request("GET", "/stub_status")
        assert conn.getresponse().status == 403  # not loopback's 127.0.0.1, not the docker net
    finally:
        conn.close()


def test_unknown_host_rejected(edge):
    spec, _, tls = edge
    with pytest.raises(http.client.RemoteDisconnected):
        http_get(spec.http_port, "/", host="evil.test")
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
        https_get(spec.https_port, "/", tls.client_context(), host="evil.test")
    # Valid SNI, foreign Host header: nginx closes without an answer (444).
    with pytest.raises(http.client.RemoteDisconnected):
        https_get(spec.https_port, "/", tls.client_context(), host="evil.test", sni=DOMAIN)


def test_access_log_is_json_with_timings(edge):
    _, layout, _ = edge
    resp = get(edge, "/log-probe")
    request_id = resp.headers["X-Request-ID"]
    entries = [json.loads(line) for line in layout.access_log.read_text().splitlines()]
    entry = next(e for e in entries if e["request_id"] == request_id)
    assert entry["uri"] == "/log-probe" and entry["status"] == 200
    assert isinstance(entry["request_time"], float)
    assert float(entry["upstream_response_time"]) >= 0
    assert entry["ssl_protocol"] in {"TLSv1.2", "TLSv1.3"}
