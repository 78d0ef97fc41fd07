"""Shared container shape: hardening, limits, logs, networks and images.

Every container gets no-new-privileges, all capabilities dropped (and only the ones it needs
added back), a memory limit, rotated json logs and a restart policy. Nothing publishes a port
unless it is nginx's 80/443 (the graph tests and the policy pack check this).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_docker as docker

from components.runtime.provider_behaviour import canonical_capability, engine_security_opts, read_back_cpus

LOG_OPTS = {"max-size": "20m", "max-file": "5"}


@dataclass(frozen=True)
class Hardening:
    memory_mb: int
    # Canonical names (CAP_CHOWN, not CHOWN): the engine returns them so and a refresh reads them
    # back; any other spelling is a replacement on every deploy (runtime/provider_behaviour.py).
    cap_add: tuple[str, ...] = ()
    read_only: bool = True
    user: str | None = None
    # bandit B108 is a false positive here: a tmpfs mount or work dir inside a container/unit, not a temp file created here
    tmpfs: dict[str, str] = field(default_factory=lambda: {"/tmp": "rw,noexec,nosuid,size=64m"})  # nosec B108
    cpus: float | None = None
    # Docker's init (tini) forwards stop signals to the main process. An image that starts as
    # root and drops to another user runs its main process under a uid that tini, with every
    # capability dropped (no KILL), may not signal ("Operation not permitted"): its `docker
    # stop` becomes a kill. Such an image runs without it when its main process reaps its own
    # children (PostgreSQL's postmaster does).
    init: bool = True
    # "host" for an exporter that must see the host's processes. The daemon then adds
    # `label=disable` to the security options, so the program declares it too.
    pid_mode: str | None = None

    def __post_init__(self):
        odd = [c for c in self.cap_add if canonical_capability(c) != c]
        if odd:
            raise ValueError(f"Hardening.cap_add {odd}: write capabilities as the engine returns them "
                             f"({[canonical_capability(c) for c in odd]}), or every refresh replaces the container")
        if self.cpus and read_back_cpus(str(self.cpus)) != str(self.cpus):
            raise ValueError(f"Hardening.cpus {self.cpus}: the docker provider reads it back as "
                             f"{read_back_cpus(str(self.cpus))!r}, so every refresh would replace the container")


def hardened(h: Hardening) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "security_opts": engine_security_opts(["no-new-privileges:true"], pid_mode=h.pid_mode),
        "capabilities": docker.ContainerCapabilitiesArgs(drops=["ALL"], adds=list(h.cap_add) or None),
        "memory": h.memory_mb,
        "memory_swap": h.memory_mb,
        "read_only": h.read_only,
        "tmpfs": dict(h.tmpfs) or None,
        "log_driver": "json-file",
        "log_opts": LOG_OPTS,
        "restart": "unless-stopped",
        "init": h.init,
    }
    if h.user:
        kwargs["user"] = h.user
    if h.pid_mode:
        kwargs["pid_mode"] = h.pid_mode
    if h.cpus:
        kwargs["cpus"] = str(h.cpus)
    return kwargs


def healthcheck(test: list[str], interval: str = "10s", retries: int = 5, start_period: str = "20s") -> docker.ContainerHealthcheckArgs:
    return docker.ContainerHealthcheckArgs(tests=test, interval=interval, timeout="5s", retries=retries, start_period=start_period)


def attach(*networks: tuple[docker.Network, list[str]]) -> list[docker.ContainerNetworksAdvancedArgs]:
    return [docker.ContainerNetworksAdvancedArgs(name=n.name, aliases=aliases or None) for n, aliases in networks]


def remote_image(name: str, ref: str, opts: pulumi.ResourceOptions) -> docker.RemoteImage:
    # keep_locally: removing an image still used by a rolled-back container would break it.
    return docker.RemoteImage(name, name=ref, keep_locally=True, opts=opts)


SUBNETS = {"edge": "172.30.1.0/24", "data": "172.30.2.0/24", "monitoring": "172.30.3.0/24"}
# Docker hands out addresses from this upper half only, so the lower half can be pinned: the
# app colours have fixed edge addresses (nginx's upstream names one), which a dockerd restart
# or host reboot, starting containers in another order, can no longer give to someone else.
DYNAMIC_RANGE = {"edge": "172.30.1.128/25"}
APP_ADDRESSES = {"blue": "172.30.1.10", "green": "172.30.1.11"}
# The host's own address on each network: Docker gives a user-defined bridge the first address
# of its subnet as gateway when none is set (moby IPAM default), and puts it on the bridge.
# Containers reach a host-network service (node-exporter) there.
GATEWAYS = {role: str(next(ipaddress.ip_network(subnet).hosts())) for role, subnet in SUBNETS.items()}


@dataclass(frozen=True)
class RuntimeNetworks:
    edge: docker.Network
    data: docker.Network
    monitoring: docker.Network


class Networks(pulumi.ComponentResource):
    """edge: nginx and app. data: app, PostgreSQL, Redis (internal: no route out).
    monitoring: Prometheus and the exporters, plus nginx for Grafana."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:runtime:Networks", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, delete_before_replace=True)

        def network(role: str, internal: bool = False) -> docker.Network:
            # Fixed subnets: nginx's status endpoint allows exactly the monitoring subnet.
            return docker.Network(
                f"{name}-{role}", name=f"xqfc-{role}", driver="bridge", internal=internal,
                ipam_configs=[docker.NetworkIpamConfigArgs(subnet=SUBNETS[role], ip_range=DYNAMIC_RANGE.get(role))], opts=child,
            )

        self.edge = network("edge")
        self.data = network("data", internal=True)
        self.monitoring = network("monitoring")
        self.networks = RuntimeNetworks(self.edge, self.data, self.monitoring)
        self.register_outputs({})
