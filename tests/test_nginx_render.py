"""The rendered nginx config is accepted by the real nginx (`nginx -t`) for every shape a stack
can ask for, and the spec refuses values that would break or weaken the edge."""
from __future__ import annotations

from dataclasses import replace

import pytest

from components.render.nginx import (
    NginxSpec,
    NginxSpecError,
    RateLimit,
    UpstreamTarget,
    render_nginx_conf,
    render_upstream,
)
from tests.edge_harness import (
    DOMAIN,
    EdgeLayout,
    loopback_spec,
    make_tls,
    nginx_test,
    write_config,
)

TARGET = [UpstreamTarget("127.0.0.1", 18000)]

VARIANTS = {
    # dev: private Grafana, no CDN in front, default rate limit
    "dev": {},
    # staging: Grafana public, CDN ranges trusted for the client address
    "staging": {"grafana_public": True, "trusted_proxies": ("10.0.0.0/8", "2400:cb00::/32"), "canonical_www": True},
    # prod: stapling with an issuer chain, IPv6 listeners, bigger uploads, no rate limit
    "prod": {"ocsp_stapling": True, "ipv6": True, "client_max_body_size": "50m",
             "rate_limit": None, "hsts_include_subdomains": False},
}


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"), [DOMAIN, f"www.{DOMAIN}", f"grafana.{DOMAIN}"])


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_nginx_accepts_rendered_config(variant, tmp_path, tls):
    layout = EdgeLayout(tmp_path)
    overrides = dict(VARIANTS[variant])
    if overrides.get("ocsp_stapling"):
        overrides["ssl_trusted_certificate"] = str(tls.ca)
    spec = loopback_spec(layout, tls, **overrides)
    write_config(layout, spec, TARGET)
    result = nginx_test(layout)
    assert result.returncode == 0, result.stderr
    assert "[emerg]" not in result.stderr


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_nginx_t_prints_no_warning(variant, tmp_path, tls):
    # A warning on every reload hides the one that matters; nginx >= 1.25.1 warns on
    # `listen ... http2` (tests/e2e/test_images.py runs the same check in the 1.26 image).
    layout = EdgeLayout(tmp_path)
    # No stack turns stapling on (runtime/edge.py nginx_spec), and the test CA's certificate
    # names no OCSP responder, which nginx rightly warns about.
    overrides = {k: v for k, v in VARIANTS[variant].items() if k != "ocsp_stapling"}
    spec = loopback_spec(layout, tls, **overrides)
    write_config(layout, spec, TARGET)
    result = nginx_test(layout)
    assert [line for line in result.stderr.splitlines() if "[warn]" in line] == [], result.stderr


def test_nginx_rejects_config_when_upstream_file_is_missing(tmp_path, tls):
    # Proves the include is live: without the release-managed file nginx must refuse.
    layout = EdgeLayout(tmp_path)
    spec = loopback_spec(layout, tls)
    write_config(layout, spec, TARGET)
    layout.upstream.unlink()
    result = nginx_test(layout)
    assert result.returncode != 0
    assert str(layout.upstream) in result.stderr


def test_upstream_with_several_targets_is_accepted(tmp_path, tls):
    layout = EdgeLayout(tmp_path)
    spec = loopback_spec(layout, tls)
    write_config(layout, spec, [UpstreamTarget("127.0.0.1", 18000), UpstreamTarget("127.0.0.1", 18001)])
    assert nginx_test(layout).returncode == 0
    text = layout.upstream.read_text()
    assert "server 127.0.0.1:18000;" in text and "server 127.0.0.1:18001;" in text


def test_grafana_server_only_when_public(tls):
    spec = NginxSpec(domain="example.com", cert_path="/c", key_path="/k")
    assert "grafana.example.com" not in render_nginx_conf(spec)
    assert "server_name grafana.example.com;" in render_nginx_conf(replace(spec, grafana_public=True))


def test_rate_limit_rendered_from_spec():
    spec = NginxSpec(domain="example.com", cert_path="/c", key_path="/k",
                     rate_limit=RateLimit(requests_per_second=7, burst=3))
    text = render_nginx_conf(spec)
    assert "rate=7r/s" in text and "burst=3 nodelay" in text
    assert "limit_req" not in render_nginx_conf(replace(spec, rate_limit=None))


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"domain": "Example.COM"}, "domain"),
        ({"domain": "localhost"}, "domain"),
        ({"status_allow": ("0.0.0.0/0",)}, "whole internet"),
        ({"status_allow": ()}, "status_allow"),
        ({"status_allow": ("docker",)}, "not an IP network"),
        ({"trusted_proxies": ("::/0",)}, "whole internet"),
        ({"https_port": 80}, "must differ"),
        ({"http_port": 0}, "out of range"),
        ({"content_security_policy": "default-src 'self'\" always; return 200 \"x"}, "quotes"),
        ({"cert_path": "/c.pem; include /etc/passwd"}, "cert_path"),
        ({"static_root": "$document_root"}, "static_root"),
        ({"client_max_body_size": "lots"}, "client_max_body_size"),
        ({"ocsp_stapling": True}, "ssl_trusted_certificate"),
        ({"rate_limit": RateLimit(requests_per_second=0)}, "rate_limit"),
        ({"upstream_name": "app; }"}, "upstream_name"),
    ],
)
def test_spec_refuses_bad_values(overrides, fragment):
    with pytest.raises(NginxSpecError, match=fragment):
        NginxSpec(**{"domain": "example.com", "cert_path": "/c", "key_path": "/k", **overrides})


@pytest.mark.parametrize("host, port", [("app; evil", 8000), ("", 8000), ("app", 0), ("app", 70000)])
def test_upstream_target_refuses_bad_values(host, port):
    with pytest.raises(NginxSpecError):
        UpstreamTarget(host, port)


def test_render_upstream_needs_a_target():
    with pytest.raises(NginxSpecError):
        render_upstream([])


def test_canonical_host_follows_the_cdn():
    import re as _re

    from components.render.nginx import NginxSpec, render_nginx_conf

    def redirect_of(conf: str, host: str) -> str | None:
        block = _re.search(r"server_name " + _re.escape(host) + r";\n(.*?)\n    }", conf, _re.S)
        target = _re.search(r"return 301 https://(\S+?)\$request_uri", block.group(1)) if block else None
        return target.group(1) if target else None

    apex = render_nginx_conf(NginxSpec(domain="xqfc.example", cert_path="/c", key_path="/k"))
    assert redirect_of(apex, "www.xqfc.example") == "xqfc.example" and redirect_of(apex, "xqfc.example") is None
    www = render_nginx_conf(NginxSpec(domain="xqfc.example", cert_path="/c", key_path="/k", canonical_www=True))
    assert redirect_of(www, "xqfc.example") == "www.xqfc.example" and redirect_of(www, "www.xqfc.example") is None
