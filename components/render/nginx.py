"""nginx configuration for the edge container: the main nginx.conf and the app upstream file.

The app upstream lives in its own small file (render_upstream) so that a release can point
it at a new container and reload nginx gracefully; nginx.conf itself only includes it.
scripts/release.sh writes that same file on the VM; tests/test_release_* check that both
writers produce identical text.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from functools import lru_cache

import jinja2

# Mozilla "intermediate" (guidelines 5.7) minus the DHE suites: DHE needs a dhparam file
# we would have to generate and rotate, and every client that still matters speaks ECDHE.
INTERMEDIATE_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
)

# Listing pages embed map tiles and photos from the CDN over https; scripts stay first-party.
DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data: https:; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "
    "upgrade-insecure-requests"
)

DEFAULT_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(self), payment=(), usb=()"

GZIP_TYPES = (
    "text/plain",
    "text/css",
    "text/xml",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/xml",
    "application/rss+xml",
    "application/manifest+json",
    "image/svg+xml",
)

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_TARGET_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,252})$")
_SIZE = re.compile(r"^[0-9]+[kKmMgG]?$")
# An unquoted value interpolated into nginx.conf must not end the directive, open a block
# or expand a variable; a double-quoted header value must not close its quotes.
_NGINX_UNSAFE_BARE = re.compile(r"[\s;{}\"'\\$#]")
_NGINX_UNSAFE_QUOTED = re.compile(r"[\"\n\r\\$]")


class NginxSpecError(ValueError):
    """A spec value nginx would misread or that would weaken the edge."""


@dataclass(frozen=True)
class RateLimit:
    """Per-client-IP request rate on the proxied app (static files are not limited)."""

    requests_per_second: int = 20
    burst: int = 40
    zone_size: str = "10m"


@dataclass(frozen=True)
class UpstreamTarget:
    """One app backend as nginx reaches it: host (IP or resolvable name) and port."""

    host: str
    port: int

    def __post_init__(self) -> None:
        if not _TARGET_HOST.match(self.host):
            raise NginxSpecError(f"upstream host {self.host!r} is not a plain host name or IP")
        if not 1 <= self.port <= 65535:
            raise NginxSpecError(f"upstream port {self.port} out of range")

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class NginxSpec:
    """Everything that varies between stacks (or between the VM and a test on loopback).

    Paths are as seen inside the nginx container. The defaults match the official nginx
    image; tests override ports, paths, user and listen_address.
    """

    domain: str
    cert_path: str
    key_path: str
    upstream_include: str = "/etc/nginx/upstream/app.conf"
    static_root: str = "/srv/static"
    acme_root: str = "/var/www/acme"
    # grafana.<domain> is served only when the stack makes Grafana public.
    grafana_public: bool = False
    grafana_upstream: UpstreamTarget = field(default_factory=lambda: UpstreamTarget("grafana", 3000))
    # Docker's embedded DNS: lets nginx start while Grafana is down and follow its restarts.
    resolver: str = "127.0.0.11"
    # Subnet of the docker network the exporter sits on; the status port is closed to all else.
    status_allow: tuple[str, ...] = ("172.16.0.0/12",)
    status_port: int = 8081
    http_port: int = 80
    https_port: int = 443
    listen_address: str | None = None
    ipv6: bool = False
    client_max_body_size: str = "20m"
    proxy_connect_timeout_s: int = 5
    proxy_send_timeout_s: int = 60
    proxy_read_timeout_s: int = 60
    # Bounds a graceful reload: old workers get this long to finish in-flight requests.
    # The release script's drain period must be at least this.
    worker_shutdown_timeout_s: int = 30
    rate_limit: RateLimit | None = field(default_factory=RateLimit)
    # CDN / load-balancer ranges whose X-Forwarded-For we believe for the client address.
    trusted_proxies: tuple[str, ...] = ()
    hsts_max_age_s: int = 63072000
    hsts_include_subdomains: bool = True
    content_security_policy: str = DEFAULT_CSP
    permissions_policy: str = DEFAULT_PERMISSIONS_POLICY
    ocsp_stapling: bool = False
    ssl_trusted_certificate: str | None = None
    worker_processes: str = "auto"
    worker_connections: int = 4096
    user: str | None = "nginx"
    pid_path: str = "/var/run/nginx.pid"
    error_log: str = "/var/log/nginx/error.log"
    access_log: str = "/var/log/nginx/access.log"
    mime_types_path: str = "/etc/nginx/mime.types"
    # Where nginx buffers bodies; None keeps the build's default (the image's /var/cache/nginx).
    temp_root: str | None = None
    upstream_name: str = "app"
    # Serve the site at www.<domain> (the apex redirects there) when a CDN fronts www; an apex
    # can't be a CNAME, so the CDN can only sit in front of www.
    canonical_www: bool = False
    health_path: str = "/health"
    # nginx >= 1.25.1 (the image runs 1.28) turns HTTP/2 on per server with `http2 on;` and warns
    # that `listen ... http2` is deprecated, and that protocol options are redefined when one
    # server's listen has http2 and another's on the same port has not. Older nginx (the host's in
    # the live tests) knows only the listen parameter.
    http2_directive: bool = True

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def www_domain(self) -> str:
        return f"www.{self.domain}"

    @property
    def canonical_host(self) -> str:
        return self.www_domain if self.canonical_www else self.domain

    @property
    def alias_host(self) -> str:
        return self.domain if self.canonical_www else self.www_domain

    @property
    def grafana_domain(self) -> str:
        return f"grafana.{self.domain}"


def _validate(spec: NginxSpec) -> None:
    if not _HOSTNAME.match(spec.domain):
        raise NginxSpecError(f"domain {spec.domain!r} is not a lower-case DNS name")
    for name in ("http_port", "https_port", "status_port"):
        port = getattr(spec, name)
        if not 1 <= port <= 65535:
            raise NginxSpecError(f"{name}={port} out of range")
    if len({spec.http_port, spec.https_port, spec.status_port}) != 3:
        raise NginxSpecError("http_port, https_port and status_port must differ")
    if not spec.status_allow:
        raise NginxSpecError("status_allow is empty: the exporter could not scrape stub_status")
    for cidr in (*spec.status_allow, *spec.trusted_proxies):
        try:
            net = ipaddress.ip_network(cidr, strict=False)
        except ValueError as exc:
            raise NginxSpecError(f"{cidr!r} is not an IP network") from exc
        if net.prefixlen == 0:
            raise NginxSpecError(f"{cidr!r} would allow the whole internet")
    if not _SIZE.match(spec.client_max_body_size):
        raise NginxSpecError(f"client_max_body_size {spec.client_max_body_size!r} is not an nginx size")
    if spec.hsts_max_age_s < 0:
        raise NginxSpecError("hsts_max_age_s must be >= 0")
    if spec.ocsp_stapling and not spec.ssl_trusted_certificate:
        raise NginxSpecError("ocsp_stapling needs ssl_trusted_certificate (the issuer chain)")
    if spec.rate_limit is not None and (
        spec.rate_limit.requests_per_second < 1 or spec.rate_limit.burst < 0
    ):
        raise NginxSpecError("rate_limit needs requests_per_second >= 1 and burst >= 0")
    bare = (
        "cert_path", "key_path", "upstream_include", "static_root", "acme_root", "pid_path",
        "error_log", "access_log", "mime_types_path", "resolver", "worker_processes",
        "upstream_name", "client_max_body_size",
    )
    optional_bare = ("user", "listen_address", "ssl_trusted_certificate", "temp_root")
    for name in bare + optional_bare:
        value = getattr(spec, name)
        if (value is None and name in optional_bare):
            continue
        if not value or _NGINX_UNSAFE_BARE.search(value):
            raise NginxSpecError(f"{name}={value!r} is empty or has characters nginx would misread")
    for name in ("content_security_policy", "permissions_policy"):
        value = getattr(spec, name)
        if not value or _NGINX_UNSAFE_QUOTED.search(value):
            raise NginxSpecError(f"{name}={value!r} is empty or would break out of its quotes")
    if not re.match(r"^[a-z][a-z0-9_]*$", spec.upstream_name):
        raise NginxSpecError(f"upstream_name {spec.upstream_name!r} is not a plain identifier")


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    # bandit B701 is a false positive here: renders nginx.conf, not HTML
    return jinja2.Environment(  # nosec B701
        loader=jinja2.PackageLoader("components.render", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render_nginx_conf(spec: NginxSpec) -> str:
    """The complete nginx.conf (main context included) for the edge container."""
    return _env().get_template("nginx.conf.j2").render(
        spec=spec,
        ciphers=INTERMEDIATE_CIPHERS,
        gzip_types=" ".join(GZIP_TYPES),
    )


def render_upstream(targets: list[UpstreamTarget] | tuple[UpstreamTarget, ...], *,
                    name: str = "app", keepalive: int = 32) -> str:
    """The upstream file nginx.conf includes; a release rewrites it and reloads nginx.

    The format is also produced by scripts/release.sh (write_upstream); keep them equal.
    """
    if not targets:
        raise NginxSpecError("an upstream needs at least one target")
    if not re.match(r"^[a-z][a-z0-9_]*$", name):
        raise NginxSpecError(f"upstream name {name!r} is not a plain identifier")
    servers = "".join(f"    server {t};\n" for t in targets)
    return f"upstream {name} {{\n{servers}    keepalive {keepalive};\n}}\n"
