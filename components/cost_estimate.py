"""Monthly cost of a stack, from what it registers (type token + inputs) and the price table.

Pure and stdlib-only: the offline plan (components/plan/cost.py) and the policy pack
(components/guardrails.py monthly_budget) run the same function over the same kind of input,
the resources as Pulumi registers them. Every resource type the program can register has an
entry here: a coster, or an explicit reason it costs nothing. A type with neither fails the
estimate (UncostedResource), so a new resource cannot slip in uncosted.

Usage-dependent prices (traffic, requests, stored GB) take a stated usage assumption per
environment (DEFAULT_ASSUMPTIONS), which the stack's `costAssumptions` setting can change.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from components.cloud.prices import PRICES, NoPriceRow, Price, price
from components.guardrails import Registered

__all__ = ["NoPriceRow", "estimate"]

# Pay-as-you-go prices are per hour: a month is 365 x 24 / 12 hours.
HOURS_PER_MONTH = 730
# A bandwidth cap in Mbit/s bounds a month's traffic: Mbit/s x seconds / 8 bits / 1000 MB a GB.
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600

# Usage the estimate assumes per environment; `costAssumptions` overrides any of them.
ASSUMPTION_DOCS: dict[str, str] = {
    "publicTrafficGb": "GB a month leaving the VM (single) or the load balancer (ha) to the internet, CDN origin pulls included",
    "cdnTrafficGb": "GB a month the CDN serves to visitors (only with cdnEnabled)",
    "cdnHttpsRequests10k": "HTTPS requests a month at the CDN, in units of 10,000",
    "bucketGb": "GB kept in the backup bucket (all versions)",
    "bucketRequests10k": "bucket requests a month (backups, pruning, drills), in units of 10,000",
    "lbLcu": "average load balancer capacity units in use (Alibaba CLB pay-by-usage)",
    "existingHostTrafficCnyPerGb": "cloud ssh: your host's price per GB of outbound traffic (unset: unpriced)",
    "existingBucketCnyPerGbMonth": "cloud ssh: your S3-compatible bucket's price per GB-month (unset: unpriced)",
}
DEFAULT_ASSUMPTIONS: dict[str, dict[str, float]] = {
    "dev": {"publicTrafficGb": 10, "cdnTrafficGb": 0, "cdnHttpsRequests10k": 0, "bucketGb": 5, "bucketRequests10k": 1, "lbLcu": 1},
    "staging": {"publicTrafficGb": 20, "cdnTrafficGb": 10, "cdnHttpsRequests10k": 10, "bucketGb": 20, "bucketRequests10k": 2, "lbLcu": 1},
    "prod": {"publicTrafficGb": 100, "cdnTrafficGb": 100, "cdnHttpsRequests10k": 100, "bucketGb": 100, "bucketRequests10k": 10, "lbLcu": 2},
}


def assumption_problems(given: Mapping[str, Any]) -> list[str]:
    """What is wrong with a `costAssumptions` value (settings report these, one line each)."""
    problems = []
    for key, value in given.items():
        if key not in ASSUMPTION_DOCS:
            problems.append(f"unknown key {key!r}; allowed: {', '.join(ASSUMPTION_DOCS)}")
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            problems.append(f"{key} must be a number >= 0 ({ASSUMPTION_DOCS[key]})")
    return problems


def assumptions_for(environment: str, given: Mapping[str, Any] | None = None) -> dict[str, float]:
    return {**DEFAULT_ASSUMPTIONS[environment], **{k: float(v) for k, v in (given or {}).items()}}


@dataclass(frozen=True)
class CostContext:
    cloud: str
    region: str
    environment: str
    assumptions: Mapping[str, float]
    table: tuple[Price, ...] = PRICES
    # Set by estimate(): the resource that carries the site's public traffic ("lb" or "vm").
    egress: str = "vm"


@dataclass(frozen=True)
class Line:
    resource: str
    type: str
    item: str
    quantity: float
    unit: str
    unit_price: float | None
    verified: bool
    source: str
    note: str = ""

    @property
    def monthly(self) -> float | None:
        return None if self.unit_price is None else round(self.quantity * self.unit_price, 2)

    def document(self) -> dict[str, Any]:
        return {"resource": self.resource, "type": self.type, "item": self.item, "quantity": round(self.quantity, 3),
                "unit": self.unit, "unitPrice": self.unit_price, "monthly": self.monthly, "verified": self.verified,
                "source": self.source, "note": self.note}


@dataclass
class Estimate:
    cloud: str
    region: str
    environment: str
    assumptions: Mapping[str, float]
    lines: list[Line] = field(default_factory=list)

    @property
    def total(self) -> float:
        """The priced lines' sum: a floor when some lines are unpriced."""
        return round(sum(m for m in (line.monthly for line in self.lines) if m is not None), 2)

    @property
    def unpriced(self) -> list[Line]:
        return [line for line in self.lines if line.unit_price is None]

    def document(self) -> dict[str, Any]:
        return {
            "currency": "CNY", "cloud": self.cloud, "region": self.region, "environment": self.environment,
            "total": self.total, "complete": not self.unpriced,
            "unpriced": sorted({f"{line.resource}: {line.item}" for line in self.unpriced}),
            "assumptions": dict(sorted(self.assumptions.items())),
            "lines": [line.document() for line in self.lines],
        }


class UncostedResource(LookupError):
    """A registered resource type with no coster and no reason to be free."""


def _line(ctx: CostContext, r: Registered, item: str, quantity: float, note: str = "") -> Line:
    row = price(ctx.cloud, item, ctx.region, ctx.table)
    return Line(r.name, r.type, item, quantity, row.unit, row.cny, row.source.verified, row.source.page, note or row.note)


def _month(ctx: CostContext, r: Registered, item: str, note: str = "") -> Line:
    return _line(ctx, r, item, HOURS_PER_MONTH, note)


def _cap_gb(mbps: Any) -> float:
    return float(mbps or 0) * SECONDS_PER_MONTH / 8 / 1000


def _traffic(ctx: CostContext, r: Registered, cap_mbps: Any) -> list[Line]:
    """The site's outbound traffic, bounded by what the cap lets through in a month."""
    cap = _cap_gb(cap_mbps)
    gb = min(ctx.assumptions["publicTrafficGb"], cap)
    note = f"publicTrafficGb {ctx.assumptions['publicTrafficGb']:g}, cap {cap_mbps} Mbit/s allows at most {cap:.0f} GB"
    return [_line(ctx, r, "traffic:public", gb, note), _line(ctx, r, "bandwidth-cap", 1, f"{cap_mbps} Mbit/s")]


# --- costers, one per billable type ------------------------------------------------------------


def _vm(r: Registered, ctx: CostContext, *, type_key: str, sys_type: str, data_type: str, data_size: str) -> list[Line]:
    i = r.inputs
    lines = [_month(ctx, r, f"instance:{i[type_key]}"), _disk(ctx, r, i[sys_type], i["systemDiskSize"], "system disk")]
    for disk in i.get("dataDisks") or []:
        lines.append(_disk(ctx, r, disk[data_type], disk[data_size], "data disk"))
    if ctx.egress == "vm":
        lines += _traffic(ctx, r, i.get("internetMaxBandwidthOut"))
    else:
        lines.append(_line(ctx, r, "bandwidth-cap", 1, "admin traffic only: the site's goes through the load balancer"))
    return lines


def _disk(ctx: CostContext, r: Registered, disk_type: str, size: Any, what: str) -> Line:
    """Disks are priced per GB-hour: size x 730 hours."""
    return _line(ctx, r, f"disk:{disk_type}", float(size) * HOURS_PER_MONTH, f"{what}, {size} GB x {HOURS_PER_MONTH} h")


def _tencent_vm(r: Registered, ctx: CostContext) -> list[Line]:
    return _vm(r, ctx, type_key="instanceType", sys_type="systemDiskType", data_type="dataDiskType", data_size="dataDiskSize")


def _ali_vm(r: Registered, ctx: CostContext) -> list[Line]:
    return _vm(r, ctx, type_key="instanceType", sys_type="systemDiskCategory", data_type="category", data_size="size")


def _bucket(r: Registered, ctx: CostContext) -> list[Line]:
    a = ctx.assumptions
    return [_line(ctx, r, "bucket:storage", a["bucketGb"], f"bucketGb {a['bucketGb']:g}"),
            _line(ctx, r, "bucket:requests", a["bucketRequests10k"], f"bucketRequests10k {a['bucketRequests10k']:g}")]


def _cdn(r: Registered, ctx: CostContext) -> list[Line]:
    a = ctx.assumptions
    lines = [_line(ctx, r, "cdn:traffic", a["cdnTrafficGb"], f"cdnTrafficGb {a['cdnTrafficGb']:g}")]
    if ctx.cloud == "tencentcloud":
        lines.append(_line(ctx, r, "cdn:https-requests", a["cdnHttpsRequests10k"], f"cdnHttpsRequests10k {a['cdnHttpsRequests10k']:g}"))
    return lines


def _tencent_lb(r: Registered, ctx: CostContext) -> list[Line]:
    return [_month(ctx, r, "lb:instance"), *_traffic(ctx, r, r.inputs.get("internetBandwidthMaxOut"))]


def _ali_lb(r: Registered, ctx: CostContext) -> list[Line]:
    # Pay-by-usage CLB: an instance fee, the public IP's retention fee, capacity units and the
    # traffic (no bandwidth cap input: the traffic assumption stands alone).
    lcu = ctx.assumptions["lbLcu"] * HOURS_PER_MONTH
    return [_month(ctx, r, "lb:instance"), _month(ctx, r, "lb:ip-retention"), _line(ctx, r, "lb:lcu", lcu, f"lbLcu {ctx.assumptions['lbLcu']:g} x {HOURS_PER_MONTH} h"),
            _line(ctx, r, "traffic:public", ctx.assumptions["publicTrafficGb"], f"publicTrafficGb {ctx.assumptions['publicTrafficGb']:g}")]


def _tencent_pg(r: Registered, ctx: CostContext) -> list[Line]:
    i = r.inputs
    shape = f"{i.get('cpu')} cores {i.get('memory')} GB, {len(i.get('dbNodeSets') or [1])} nodes"
    return [_month(ctx, r, "postgresql:instance", shape), _line(ctx, r, "postgresql:storage", float(i["storage"]))]


def _ali_pg(r: Registered, ctx: CostContext) -> list[Line]:
    i = r.inputs
    return [_month(ctx, r, "postgresql:instance", f"{i.get('instanceType')} {i.get('category')}"),
            _line(ctx, r, "postgresql:storage", float(i["instanceStorage"]), str(i.get("dbInstanceStorageType", "")))]


def _tencent_redis(r: Registered, ctx: CostContext) -> list[Line]:
    i = r.inputs
    return [_month(ctx, r, "redis:instance", f"{i.get('memSize')} MB, type {i.get('typeId')}, {i.get('redisReplicasNum')} replica(s)")]


def _ali_redis(r: Registered, ctx: CostContext) -> list[Line]:
    return [_month(ctx, r, "redis:instance", str(r.inputs.get("instanceClass")))]


def _free(item: str) -> Callable[[Registered, CostContext], list[Line]]:
    def cost(r: Registered, ctx: CostContext) -> list[Line]:
        return [_line(ctx, r, item, 1)]

    return cost


COSTERS: dict[str, Callable[[Registered, CostContext], list[Line]]] = {
    "tencentcloud:Instance/instance:Instance": _tencent_vm,
    "tencentcloud:Cos/bucket:Bucket": _bucket,
    "tencentcloud:Cdn/domain:Domain": _cdn,
    "tencentcloud:Clb/instance:Instance": _tencent_lb,
    "tencentcloud:Postgresql/instance:Instance": _tencent_pg,
    "tencentcloud:Redis/instance:Instance": _tencent_redis,
    "tencentcloud:Dnspod/record:Record": _free("free:dns-record"),
    "tencentcloud:Vpc/instance:Instance": _free("free:network"),
    "tencentcloud:Subnet/instance:Instance": _free("free:network"),
    "tencentcloud:Security/group:Group": _free("free:network"),
    "tencentcloud:Security/groupRuleSet:GroupRuleSet": _free("free:network"),
    "tencentcloud:Cam/user:User": _free("free:identity"),
    "tencentcloud:Cam/policy:Policy": _free("free:identity"),
    "tencentcloud:Cam/userPolicyAttachment:UserPolicyAttachment": _free("free:identity"),
    "tencentcloud:Cam/accessKey:AccessKey": _free("free:identity"),
    "tencentcloud:Ssl/certificate:Certificate": _free("free:certificate"),
    "tencentcloud:Clb/listener:Listener": _free("free:lb-config"),
    "tencentcloud:Clb/listenerRule:ListenerRule": _free("free:lb-config"),
    "tencentcloud:Clb/redirection:Redirection": _free("free:lb-config"),
    "tencentcloud:Clb/attachment:Attachment": _free("free:lb-config"),
    "alicloud:ecs/instance:Instance": _ali_vm,
    "alicloud:oss/bucket:Bucket": _bucket,
    "alicloud:cdn/domainNew:DomainNew": _cdn,
    "alicloud:slb/applicationLoadBalancer:ApplicationLoadBalancer": _ali_lb,
    "alicloud:rds/instance:Instance": _ali_pg,
    "alicloud:kvstore/instance:Instance": _ali_redis,
    "alicloud:dns/alidnsRecord:AlidnsRecord": _free("free:dns-record"),
    "alicloud:vpc/network:Network": _free("free:network"),
    "alicloud:vpc/switch:Switch": _free("free:network"),
    "alicloud:ecs/securityGroup:SecurityGroup": _free("free:network"),
    "alicloud:ecs/securityGroupRule:SecurityGroupRule": _free("free:network"),
    "alicloud:ram/user:User": _free("free:identity"),
    "alicloud:ram/policy:Policy": _free("free:identity"),
    "alicloud:ram/userPolicyAttachment:UserPolicyAttachment": _free("free:identity"),
    "alicloud:ram/accessKey:AccessKey": _free("free:identity"),
    "alicloud:cas/serviceCertificate:ServiceCertificate": _free("free:certificate"),
    "alicloud:oss/bucketAcl:BucketAcl": _free("free:bucket-config"),
    "alicloud:slb/listener:Listener": _free("free:lb-config"),
    "alicloud:slb/backendServer:BackendServer": _free("free:lb-config"),
    "alicloud:rds/database:Database": _free("free:db-config"),
    "alicloud:rds/rdsAccount:RdsAccount": _free("free:db-config"),
    "alicloud:rds/backupPolicy:BackupPolicy": _free("free:db-config"),
}

# Registered but never billed by a cloud: they run on the VM, on the machine running Pulumi, or
# at Let's Encrypt (free). Named one by one, like the cloud types above.
NOT_BILLED: dict[str, str] = {
    "alicloud:cdn/domainConfig:DomainConfig": "a setting of the CDN domain, billed through the domain's traffic",
    "docker:index/container:Container": "runs on the VM",
    "docker:index/network:Network": "runs on the VM",
    "docker:index/remoteImage:RemoteImage": "pulled onto the VM",
    "docker:index/volume:Volume": "on the VM's data disk",
    "command:remote:Command": "runs on the VM over SSH",
    "random:index/randomPassword:RandomPassword": "generated by Pulumi",
    "acme:index/registration:Registration": "Let's Encrypt account (free)",
    "acme:index/certificate:Certificate": "Let's Encrypt certificate (free)",
    "pulumi:providers:tencentcloud": "a provider, not a resource",
    "pulumi:providers:alicloud": "a provider, not a resource",
    "pulumi:providers:docker": "a provider, not a resource",
    "pulumi:providers:acme": "a provider, not a resource",
    "pulumi:providers:command": "a provider, not a resource",
    "pulumi:providers:random": "a provider, not a resource",
    "tls:index/privateKey:PrivateKey": "generated by Pulumi",
}

# The program's own component resources (`xqfc:<module>:<Name>`) only group their children.
COMPONENT_PACKAGE = "xqfc:"

LB_TYPES = ("tencentcloud:Clb/instance:Instance", "alicloud:slb/applicationLoadBalancer:ApplicationLoadBalancer")
PROVIDER_TYPES = ("pulumi:providers:tencentcloud", "pulumi:providers:alicloud")


def is_costed(type_token: str) -> bool:
    return type_token in COSTERS or type_token in NOT_BILLED or type_token.startswith(COMPONENT_PACKAGE)


def _existing_host(ctx: CostContext) -> list[Line]:
    """cloud ssh: no cloud resources of ours; the bucket and the traffic are the host owner's bills."""
    a = ctx.assumptions
    traffic = a.get("existingHostTrafficCnyPerGb")
    bucket = a.get("existingBucketCnyPerGbMonth")
    given = "set in costAssumptions"
    unset = "your provider's price: set it in costAssumptions"
    return [
        Line("existing host", "cloud:ssh", "traffic:public", a["publicTrafficGb"], "GB", traffic, traffic is not None,
             given if traffic is not None else "(none)", f"publicTrafficGb {a['publicTrafficGb']:g}; {unset if traffic is None else given}"),
        Line("s3 bucket", "cloud:ssh", "bucket:storage", a["bucketGb"], "GB-month", bucket, bucket is not None,
             given if bucket is not None else "(none)", f"bucketGb {a['bucketGb']:g}; {unset if bucket is None else given}"),
    ]


def budget_message(budget: int, est: Estimate) -> str:
    """Why an estimate over `monthlyBudgetCny` is refused: the numbers and what to do (plan and pack alike)."""
    floor = f" (a floor: {len(est.unpriced)} item(s) have no sourced price yet)" if est.unpriced else ""
    return (
        f"the estimate is {est.total:.2f} CNY/month{floor}, {est.total - budget:.2f} over the budget; "
        "raise monthlyBudgetCny, or shrink instanceType, dataDiskSize, topology or costAssumptions "
        "(per resource: python -m components.plan --stack <stack> --set monthlyBudgetCny=0, then build/plan/<stack>/cost.json)"
    )


def over_budget(budget: int, est: Estimate) -> bool:
    return bool(budget) and est.total > budget


def region_of(resources: Iterable[Registered]) -> str:
    """The region the stack's explicit cloud provider is pinned to ("" on an existing host)."""
    for r in resources:
        if r.type in PROVIDER_TYPES:
            return str(r.inputs.get("region", ""))
    return ""


def estimate(resources: Iterable[Registered], *, cloud: str, environment: str, region: str | None = None,
             assumptions: Mapping[str, Any] | None = None,
             table: tuple[Price, ...] = PRICES) -> Estimate:
    """Every registered resource priced; raises UncostedResource for a type with no entry."""
    resources = list(resources)
    uncosted = sorted({r.type for r in resources if not is_costed(r.type)})
    if uncosted:
        raise UncostedResource(
            f"no price mapping for {', '.join(uncosted)}: add a coster or a NOT_BILLED reason to components/cost_estimate.py"
        )
    region = region if region is not None else region_of(resources)
    egress = "lb" if any(r.type in LB_TYPES for r in resources) else "vm"
    ctx = CostContext(cloud, region, environment, assumptions_for(environment, assumptions), table, egress)
    est = Estimate(cloud, region, environment, ctx.assumptions)
    if cloud == "ssh":
        est.lines += _existing_host(ctx)
    for r in sorted(resources, key=lambda r: (r.type, r.name)):
        coster = COSTERS.get(r.type)
        if coster is not None:
            est.lines += coster(r, ctx)
    return est
