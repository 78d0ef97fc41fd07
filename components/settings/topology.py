"""Topology (docs/ha.md): single, one VM runs everything; ha, app hosts in two zones behind the
cloud's load balancer, with the cloud's managed PostgreSQL and Redis."""
from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from components.settings import formats
from components.settings.base import Context, Fields
from components.settings.errors import Problem
from components.settings.placement import REGIONS, Environment, zone_example, zone_pattern

if TYPE_CHECKING:
    from components.settings.model import Settings

Topology = Literal["single", "ha"]


class TopologyFields(Fields):
    if TYPE_CHECKING:  # fields of the other groups that Settings combines with this one
        environment: Environment
        zone: str
        subnet_cidr: str

    topology: Topology = "single"
    secondary_zone: str | None = None
    secondary_subnet_cidr: str | None = None
    data_subnet_cidr: str | None = None
    db_storage_gb: int = Field(100, ge=20, le=6000)

    @field_validator("secondary_subnet_cidr", "data_subnet_cidr")
    @classmethod
    def _ha_cidr(cls, v: str | None) -> str | None:
        return formats.private_cidr(v)

    @property
    def is_ha(self) -> bool:
        return self.topology == "ha"

    def host_name(self, index: int) -> str:
        """The OS hostname of app host `index` (0: the first): the VM's name at the cloud, its
        cloud-init hostname and its `host` label in monitoring, so a page names one machine."""
        return f"xqfc-{self.environment}" if index == 0 else f"xqfc-{self.environment}-{index + 1}"

    @property
    def zones(self) -> tuple[str, ...]:
        """The app hosts' zones in host order: zone, then secondaryZone on ha (second_zone refuses ha without one)."""
        return (self.zone, self.secondary_zone) if self.is_ha and self.secondary_zone else (self.zone,)

    @property
    def ha_subnets(self) -> tuple[str, str]:
        """(second app subnet, data subnet): set, or the two ranges after subnetCidr."""
        net = ipaddress.ip_network(self.subnet_cidr)
        following = [net.network_address + net.num_addresses * i for i in (1, 2)]
        derived = [str(ipaddress.ip_network(f"{a}/{net.prefixlen}")) for a in following]
        return (self.secondary_subnet_cidr or derived[0], self.data_subnet_cidr or derived[1])


# --- cross-field checks -------------------------------------------------------------------


def second_zone(s: Settings, ctx: Context) -> list[Problem]:
    if s.on_existing_host or not s.is_ha:
        return []
    if s.secondary_zone is None:
        return [Problem("secondaryZone", None, f"topology ha runs in two zones: set a second zone of {s.region} other than zone {s.zone}")]
    if s.secondary_zone == s.zone:
        return [Problem("secondaryZone", s.secondary_zone, f"must differ from zone ({s.zone}): ha runs in two zones")]
    if s.region in REGIONS[s.cloud] and not re.match(zone_pattern(s.cloud, s.region), s.secondary_zone):
        return [Problem("secondaryZone", s.secondary_zone, f"not a zone of {s.cloud} region {s.region} (e.g. {zone_example(s.cloud, s.region)})")]
    return []


def ha_subnets(s: Settings, ctx: Context) -> list[Problem]:
    if s.on_existing_host or not s.is_ha or s.secondary_zone is None:
        return []
    p: list[Problem] = []
    # All private IPv4 ranges by now (formats.private_cidr).
    vpc = ipaddress.IPv4Network(s.vpc_cidr)
    nets = {"subnetCidr": ipaddress.IPv4Network(s.subnet_cidr)}
    for key, cidr in zip(("secondarySubnetCidr", "dataSubnetCidr"), s.ha_subnets):
        net = ipaddress.IPv4Network(cidr)
        if not net.subnet_of(vpc):
            p.append(Problem(key, cidr, f"must lie inside vpcCidr {s.vpc_cidr} (empty: the range after subnetCidr)"))
        clash = [k for k, other in nets.items() if net.overlaps(other)]
        if clash:
            p.append(Problem(key, cidr, f"overlaps {clash[0]}"))
        nets[key] = net
    return p


CHECKS = [second_zone, ha_subnets]
