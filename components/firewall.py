"""The one ingress policy of the platform, as data every cloud adapter translates.

Only the web ports are open to the internet, SSH only from the admin networks, and nothing
else at all: no database, cache or monitoring port is reachable from outside. The graph
tests and the policy pack check the adapters' rules against this same function.
"""
from __future__ import annotations

from dataclasses import dataclass

WORLD = "0.0.0.0/0"
WEB_PORTS = (80, 443)
SSH_PORT = 22
# ha only: the monitoring host scrapes the other app hosts' node-exporter over the VPC.
NODE_EXPORTER_PORT = 9100


@dataclass(frozen=True)
class IngressRule:
    port: int
    cidr: str
    description: str


def ingress_policy(admin_cidrs: list[str]) -> list[IngressRule]:
    rules = [IngressRule(p, WORLD, f"web {p} from anywhere") for p in WEB_PORTS]
    rules += [IngressRule(SSH_PORT, c, "ssh from admin network") for c in admin_cidrs]
    return rules


def host_ingress(admin_cidrs: list[str], vpc_cidr: str, ha: bool) -> list[IngressRule]:
    """The app hosts' rules: the policy, plus node-exporter from inside the VPC in ha, where
    the first host's Prometheus scrapes the others."""
    rules = ingress_policy(admin_cidrs)
    if ha:
        rules.append(IngressRule(NODE_EXPORTER_PORT, vpc_cidr, "node-exporter from the monitoring host"))
    return rules
