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


@dataclass(frozen=True)
class IngressRule:
    port: int
    cidr: str
    description: str


def ingress_policy(admin_cidrs: list[str]) -> list[IngressRule]:
    rules = [IngressRule(p, WORLD, f"web {p} from anywhere") for p in WEB_PORTS]
    rules += [IngressRule(SSH_PORT, c, "ssh from admin network") for c in admin_cidrs]
    return rules
