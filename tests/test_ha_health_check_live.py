"""The load balancer's health check of `topology: ha`, sent to a real nginx exactly as each cloud
sends it, with the arguments read from the plan the program registers (docs/ha.md).

nginx runs the config rendered from the same prod settings (server names, canonical name,
health path), on loopback ports standing for the hosts' 80 and 443, in front of two app
stand-ins playing the blue and green colours. The check must count healthy while the app
answers and unhealthy once both colours are stopped: an nginx-only answer (a redirect) must
never pass for the app.
"""
from __future__ import annotations

import http.client
import signal
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

from components.render.nginx import UpstreamTarget
from components.runtime.containers import SUBNETS
from components.runtime.edge import nginx_spec
from tests.edge_harness import EdgeLayout, _SniConnection, loopback_spec, make_tls, running_nginx, write_config
from tests.release_fakes import standin_app
from tests.test_program import settings_of


@dataclass(frozen=True)
class LbCheck:
    """One health-check request as the load balancer sends it to a host."""

    scheme: str
    port: int  # the host's port (443 or 80)
    host: str
    path: str
    method: str
    healthy_classes: frozenset[int]


def _tencent_classes(mask: int | None) -> frozenset[int]:
    # HttpCode bit mask: 1=1xx 2=2xx 4=3xx 8=4xx 16=5xx; default 31 (CLB API HealthCheck).
    mask = 31 if mask is None else int(mask)
    return frozenset(c for c, bit in {1: 1, 2: 2, 3: 4, 4: 8, 5: 16}.items() if mask & bit)


def _alicloud_classes(codes: str | None) -> frozenset[int]:
    # HealthCheckHttpCode: comma-separated http_Nxx; default http_2xx,http_3xx (CLB API).
    return frozenset(int(c.strip()[5]) for c in (codes or "http_2xx,http_3xx").split(","))


def lb_check_from_plan(cloud: str, plan) -> LbCheck:
    """The request, from the registered LB arguments (and the cloud's defaults for the rest)."""
    if cloud == "tencentcloud":
        (rule,) = [r for r in plan.of_type("tencentcloud:Clb/listenerRule:ListenerRule") if r.inputs.get("healthCheckSwitch")]
        i = rule.inputs
        # The rule forwards to the hosts' 443 (clb.Attachment targets); the check follows it.
        (attach,) = plan.of_type("tencentcloud:Clb/attachment:Attachment")
        port = {int(t["port"]) for t in attach.inputs["targets"]}.pop()
        return LbCheck(i.get("healthCheckType", i.get("forwardType", "HTTP")).lower(), port,
                       i["healthCheckHttpDomain"], i["healthCheckHttpPath"], i.get("healthCheckHttpMethod", "HEAD").upper(),
                       _tencent_classes(i.get("healthCheckHttpCode")))
    listeners = plan.of_type("alicloud:slb/listener:Listener")
    checks = set()
    for r in listeners:
        i = r.inputs
        assert i["healthCheckType"] == "http" and i["protocol"] == "tcp"
        # A TCP listener's HTTP check is a GET (Alibaba's KeepAliveClient FAQ); the provider sends
        # no method for tcp listeners (resource_alicloud_slb_listener.go).
        checks.add(LbCheck("http", int(i.get("healthCheckConnectPort", i["backendPort"])), i["healthCheckDomain"],
                           i["healthCheckUri"], "GET", _alicloud_classes(i.get("healthCheckHttpCode"))))
    (check,) = checks
    return check


def send(check: LbCheck, ports: dict[int, int], ca: ssl.SSLContext) -> int | None:
    """The status nginx answers, or None when the connection or handshake fails."""
    port = ports[check.port]
    if check.scheme == "https":
        conn: http.client.HTTPConnection = _SniConnection(port, check.host, ca, 5)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(check.method, check.path, headers={"Host": check.host, "Connection": "close"})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def healthy(check: LbCheck, status: int | None) -> bool:
    return status is not None and status // 100 in check.healthy_classes


class Colour:
    """One app colour as a process: stopping it closes every connection, as a stopped container
    does (a thread server would keep nginx's pooled keep-alive connections answering)."""

    def __init__(self, name: str, tmp_path, port: int = 0):
        self.port_file = tmp_path / f"{name}.port"
        self.port_file.unlink(missing_ok=True)
        self.proc = subprocess.Popen([sys.executable, standin_app.__file__, "--version", name,
                                      "--port-file", str(self.port_file), "--port", str(port)])
        deadline = time.monotonic() + 10
        while not self.port_file.exists():
            assert self.proc.poll() is None and time.monotonic() < deadline, "the app stand-in did not start"
            time.sleep(0.02)
        self.port = int(self.port_file.read_text())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


@pytest.fixture(params=["tencentcloud", "alicloud"])
def site(request, plan_of, tmp_path):
    cloud = request.param
    plan = plan_of("prod", cloud, topology="ha")
    s = settings_of(plan)
    colours = [Colour("blue", tmp_path), Colour("green", tmp_path)]
    layout = EdgeLayout(tmp_path)
    tls = make_tls(tmp_path / "tls", [s.domain, s.www_domain])
    prod = nginx_spec(s, SUBNETS["monitoring"])
    spec = loopback_spec(layout, tls, domain=prod.domain, canonical_www=prod.canonical_www,
                         health_path=prod.health_path, grafana_public=prod.grafana_public, rate_limit=prod.rate_limit)
    try:
        write_config(layout, spec, [UpstreamTarget("127.0.0.1", c.port) for c in colours])
        with running_nginx(layout, spec):
            yield cloud, lb_check_from_plan(cloud, plan), {443: spec.https_port, 80: spec.http_port}, tls, colours, tmp_path
    finally:
        for c in colours:
            c.stop()


def test_the_lb_health_check_sees_the_app_and_only_the_app(site):
    cloud, check, ports, tls, colours, _ = site
    ca = tls.client_context()
    up = [send(check, ports, ca) for _ in range(3)]
    assert all(healthy(check, st) for st in up), f"{cloud}: {check} answered {up} with the app up"
    for c in colours:  # both colours stopped: nothing behind nginx answers
        c.stop()
    down = [send(check, ports, ca) for _ in range(3)]
    assert not any(healthy(check, st) for st in down), f"{cloud}: {check} answered {down} with both colours stopped"


def test_the_app_comes_back_in_after_a_restart(site):
    """After both colours were down, a started colour is healthy again on the next check."""
    cloud, check, ports, tls, colours, tmp_path = site
    ca = tls.client_context()
    assert healthy(check, send(check, ports, ca))
    for c in colours:
        c.stop()
    assert not healthy(check, send(check, ports, ca))
    back = Colour("blue", tmp_path, port=colours[0].port)
    try:
        start = time.monotonic()
        status = send(check, ports, ca)
        while time.monotonic() - start < 5 and not healthy(check, status):
            time.sleep(0.05)
            status = send(check, ports, ca)
        assert healthy(check, status), f"{cloud}: {status}"
        print(f"{cloud}: healthy again {time.monotonic() - start:.2f} s after the colour started")
    finally:
        back.stop()

