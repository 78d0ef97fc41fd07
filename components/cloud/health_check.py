"""The load balancer's health-check request of the ha topology, as each cloud sends it to a host.

One description per cloud, read by both adapters (the LB arguments are derived from it) and by
tests/test_nginx_live.py, which sends exactly this request to a real nginx rendered from the
same settings and checks it is healthy only while the app answers. Pure: no cloud SDK here.

The request must reach the app, not nginx alone. nginx answers the non-canonical site name
with a 301 to the canonical one (components/render/templates/nginx.conf.j2), so the check asks
for the canonical name: `www.<domain>` when the CDN fronts the site, else the apex
(settings.site_url).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import urlsplit

from components.settings import Settings


@dataclass(frozen=True)
class HealthCheckRequest:
    scheme: str  # "http" or "https" (from the LB to the host)
    port: int  # the host port the LB connects to
    host: str  # Host header (and TLS SNI on https)
    path: str
    method: str
    healthy_classes: tuple[int, ...]  # status classes counted healthy: (2,) = 2xx only
    interval_s: int
    healthy_after: int  # consecutive successes to come back in
    unhealthy_after: int  # consecutive failures to be taken out
    timeout_s: int


# What each cloud does with the arguments we send (and its defaults where we send none):
# - tencentcloud, a layer-7 rule of an HTTPS listener forwarding HTTPS: the check uses the
#   rule's forwarding protocol to the backend port; HttpCheckDomain/HttpCheckPath/
#   HttpCheckMethod as set (method default HEAD, which the app's GET-only /health answers
#   405, so GET is sent); HttpCode is a bit mask, 1=1xx 2=2xx 4=3xx 8=4xx 16=5xx, default 31
#   (every code healthy, a redirect included). Sources: CLB API HealthCheck
#   (https://cloud.tencent.com/document/api/214/30691#HealthCheck), provider docs of
#   tencentcloud_clb_listener_rule (https://cloud.tencent.com/document/product/1689/108261),
#   read 2026-12-04.
# - alicloud, a TCP listener with an HTTP health check: GET (not HEAD, which layer-7 listeners
#   use) to HealthCheckConnectPort with HealthCheckDomain as Host; HealthCheckHttpCode as set
#   (default http_2xx,http_3xx). Sources: "The backend ECS instances ... receive requests whose
#   User-Agent is KeepAliveClient" (https://alibabacloud.com/help/en/slb/the-backend-ecs-
#   instances-of-the-server-load-balancer-frequently-receive-requests-whose-user-agent-field-
#   value-is-keepaliveclient), CLB health check overview
#   (https://www.alibabacloud.com/help/en/slb/classic-load-balancer/user-guide/health-check-overview),
#   read 2026-12-04.
TENCENT_HTTP_CODE_BITS = {1: 1, 2: 2, 3: 4, 4: 8, 5: 16}


def canonical_host(s: Settings) -> str:
    return urlsplit(s.site_url).hostname or s.domain


def health_check_request(cloud: str, s: Settings) -> HealthCheckRequest:
    if cloud not in ("tencentcloud", "alicloud"):
        raise ValueError(f"no load balancer health check for cloud {cloud!r}")
    common = functools.partial(HealthCheckRequest, host=canonical_host(s), path=s.app_health_path, method="GET",
                               healthy_classes=(2,), interval_s=5, healthy_after=2, unhealthy_after=2)
    if cloud == "tencentcloud":
        # nginx keeps terminating TLS on every host: the CLB forwards (and checks) over HTTPS.
        return common(scheme="https", port=443, timeout_s=4)
    # alicloud: TCP listeners pass TLS through, so the check is plain HTTP on 80, where nginx passes
    # the health path to the app instead of redirecting. The provider sends no method for a
    # TCP listener (terraform-provider-alicloud@v1.289.0 alicloud/resource_alicloud_slb_listener.go
    # buildHttpListenerArgs: HealthCheckMethod only for http/https)
    # and we keep the API's 5 s response timeout.
    return common(scheme="http", port=80, timeout_s=5)


def tencent_http_code(check: HealthCheckRequest) -> int:
    return sum(TENCENT_HTTP_CODE_BITS[c] for c in check.healthy_classes)


def alicloud_http_code(check: HealthCheckRequest) -> str:
    return ",".join(f"http_{c}xx" for c in check.healthy_classes)
