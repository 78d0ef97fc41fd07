"""Argument shapes the cloud adapters share; the resources behind them stay per cloud."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import pulumi

from components.cloud.acme import AcmeArgs
from components.firewall import IngressRule, host_ingress
from components.foundation import Certificate, Foundation, Host, ObjectStore
from components.settings import Settings


def child(parent: pulumi.Resource, **kw) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, **kw)


@dataclass(frozen=True)
class NetworkArgs:
    vpc_cidr: str
    subnet_cidr: str
    zone: str
    ingress: list[IngressRule]
    tags: dict[str, str]


def network_args(s: Settings, tags: dict[str, str]) -> NetworkArgs:
    """The one network of a stack: its VPC, the first subnet and the single ingress policy."""
    return NetworkArgs(s.vpc_cidr, s.subnet_cidr, s.zone, host_ingress(s.admin_cidrs, s.vpc_cidr, s.is_ha), tags)


@dataclass(frozen=True)
class SubnetSpec:
    resource_name: str
    display_name: str  # the name the console shows
    cidr: str
    zone: str | None


def ha_subnets(name: str, s: Settings) -> tuple[SubnetSpec, SubnetSpec]:
    """ha (docs/ha.md): the second app subnet in `secondaryZone` and the private data subnet in
    `zone`, at the ranges settings give them."""
    second, data = s.ha_subnets
    return (
        SubnetSpec(f"{name}-subnet2", f"{name}-{s.secondary_zone}", second, s.secondary_zone),
        SubnetSpec(f"{name}-data-subnet", f"{name}-data-{s.zone}", data, s.zone),
    )


@dataclass(frozen=True)
class EdgeArgs:
    """The site certificate, the CDN in front of www and the DNS records, on either cloud."""

    dns_zone: str
    names: list[str]
    record_names: dict[str, str]
    origin_ip: pulumi.Input[str]
    cdn_name: str | None
    static_cache_days: int
    acme_server_url: str
    contact_email: str | None
    renew_days: int
    # Tencent, ha: the load balancer's HTTPS listener presents the uploaded copy too.
    upload_certificate: bool = False
    # Alibaba: the CAS name prefix of the uploaded copy.
    certificate_name: str = ""


def edge_args(s: Settings, origin_ip: pulumi.Input[str], **cloud_specific: Any) -> EdgeArgs:
    return EdgeArgs(
        dns_zone=s.dns_zone,
        names=s.site_names,
        record_names={n: s.record_name(n) for n in s.site_names},
        origin_ip=origin_ip,
        cdn_name=s.www_domain if s.cdn_enabled else None,
        static_cache_days=s.static_cache_days,
        acme_server_url=s.acme_server_url,
        contact_email=s.certificate_email,
        renew_days=s.certificate_renew_days,
        **cloud_specific,
    )


def dns_record_resource_name(name: str, record_name: str) -> str:
    return f"{name}-dns-{record_name.replace('@', 'apex').replace('.', '-')}"


def site_acme_args(args: EdgeArgs, dns_provider: str) -> AcmeArgs:
    """The site certificate's ACME request; `dns_provider` is lego's name for the cloud's DNS."""
    return AcmeArgs(args.names, dns_provider, args.acme_server_url, args.contact_email, args.renew_days)


# 600 s is the floor of Alibaba's free DNS edition; Tencent takes the same.
DNS_TTL = 600


@dataclass(frozen=True)
class DnsRecord:
    resource_name: str
    record_name: str  # inside the zone: "@", "www"
    type: str  # "A" or "CNAME"
    value: pulumi.Input[str]


def dns_records(name: str, args: EdgeArgs, cdn_cname: pulumi.Input[str] | None) -> dict[str, DnsRecord]:
    """One record per site name: the CDN's CNAME for the name the CDN fronts, the origin's A
    record for the others."""
    records = {}
    for fqdn in args.names:
        via_cdn = cdn_cname is not None and fqdn == args.cdn_name
        record_name = args.record_names[fqdn]
        records[fqdn] = DnsRecord(
            dns_record_resource_name(name, record_name), record_name, "CNAME" if via_cdn else "A",
            cdn_cname if via_cdn and cdn_cname is not None else args.origin_ip,
        )
    return records


# Object keys under this prefix are backups; the bucket's lifecycle expires only those.
BACKUP_PREFIX = "backups/"
# A deleted or overwritten backup stays recoverable this long.
NONCURRENT_VERSION_DAYS = 7
ABORT_INCOMPLETE_UPLOAD_DAYS = 1


@dataclass(frozen=True)
class BucketArgs:
    name: pulumi.Input[str]
    # Tencent: the APPID, which COS bucket names end in and CAM resources name; Alibaba: the
    # account id, which keeps a global OSS name ours.
    account_id: pulumi.Input[str]
    region: str
    retention_days: int
    protect: bool
    tags: dict[str, str]
    writer_name: str


def bucket_args(s: Settings, account_id: pulumi.Input[str], tags: dict[str, str]) -> BucketArgs:
    return BucketArgs(
        name=pulumi.Output.concat(s.bucket_base_name, "-", account_id),
        account_id=account_id,
        region=s.region,
        retention_days=s.backup_retention_days,
        protect=s.deletion_protection,
        tags=tags,
        writer_name=f"xqfc-{s.environment}-backup",
    )


@dataclass(frozen=True)
class HostPlacement:
    resource_name: str  # the Server component's name suffix: "-host", "-host2"
    zone: str
    subnet_id: pulumi.Input[str]
    hostname: str


def app_host_placements(s: Settings, subnet_id: pulumi.Input[str], secondary_subnet_id: pulumi.Input[str] | None) -> list[HostPlacement]:
    """The first app host in `zone`; in ha the second in `secondaryZone`, each with its own name."""
    out = [HostPlacement("-host", s.zone, subnet_id, s.host_name(0))]
    if secondary_subnet_id is not None and s.secondary_zone:
        out.append(HostPlacement("-host2", s.secondary_zone, secondary_subnet_id, s.host_name(1)))
    return out


def app_hosts(s: Settings, placements: list[HostPlacement], vms: list[tuple[pulumi.CustomResource, Any, Any]]) -> list[Host]:
    """The Foundation's hosts from (VM resource, public IP, private IP), in placement order."""
    return [
        Host("primary" if i == 0 else f"host{i + 1}", public_ip, private_ip, s.deploy_user, 22, vm, p.zone, hostname=p.hostname)
        for i, (p, (vm, public_ip, private_ip)) in enumerate(zip(placements, vms))
    ]


def site_certificate(s: Settings, tls: Any, cdn_certificate: pulumi.CustomResource | None) -> Certificate:
    """The ACME certificate (components/cloud/acme.py) as the Foundation hands it out."""
    return Certificate(
        names=s.site_names,
        certificate_pem=tls.fullchain_pem,
        private_key_pem=tls.private_key_pem,
        not_after=tls.certificate.certificate_not_after,
        cdn_certificate_id=cdn_certificate.id if cdn_certificate is not None else None,
    )


@dataclass(frozen=True)
class ServerArgs:
    """One VM: where it runs, its disks and its first-boot user data.

    No cloud key pair: the operators' key reaches the deploy user through cloud-init alone
    (components/render/cloud_init.py), because both clouds' ImportKeyPair refuse ed25519 keys
    (docs/cloud-rules.md) while cloud-init and sshd take any OpenSSH key type. Without a key
    pair or a password the image's default account has no password on either cloud.
    """

    zone: str
    instance_type: str
    image_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    security_group_id: pulumi.Input[str]
    user_data: str
    system_disk_type: str
    system_disk_size: int
    data_disk_type: str
    data_disk_size: int
    bandwidth_mbps: int
    deletion_protection: bool
    hostname: str
    tags: dict[str, str]
    # Tencent places an instance in a VPC explicitly; Alibaba derives it from the vSwitch (and
    # its Server ignores this).
    vpc_id: pulumi.Input[str] | None = None


def stack_tags(s: Settings) -> dict[str, str]:
    # Not "project": Tencent reserves tag keys starting with qcs:, project or 项目 (docs/cloud-rules.md).
    return {"app": "xqfc", "environment": s.environment, "managed-by": "pulumi"}


def host_server_args(
    s: Settings,
    *,
    zone: str,
    image_id: pulumi.Input[str],
    subnet_id: pulumi.Input[str],
    security_group_id: pulumi.Input[str],
    user_data: str,
    hostname: str,
    vpc_id: pulumi.Input[str] | None = None,
) -> ServerArgs:
    """An app host as the stack's settings size it; only placement differs between hosts."""
    return ServerArgs(
        zone=zone,
        instance_type=s.instance_type,
        image_id=image_id,
        subnet_id=subnet_id,
        security_group_id=security_group_id,
        user_data=user_data,
        system_disk_type=s.system_disk_type,
        system_disk_size=s.system_disk_size,
        data_disk_type=s.data_disk_type,
        data_disk_size=s.data_disk_size,
        bandwidth_mbps=s.bandwidth_mbps,
        deletion_protection=s.deletion_protection,
        hostname=hostname,
        tags=stack_tags(s),
        vpc_id=vpc_id,
    )


def first_image_id(images: Sequence[Any], regex: str, id_attr: str) -> str:
    """The first image an image lookup returned, or a settings-style error naming the keys."""
    if not images:
        raise ValueError(f"no image matches imageNameRegex {regex!r}; set xqfc:imageId or another regex")
    return getattr(images[0], id_attr)


def assemble_foundation(cloud: str, s: Settings, user_data: Any, hosts: list[Host], storage: ObjectStore, edge: Any,
                        ha_parts: dict[str, Any]) -> Foundation:
    """The neutral Foundation both adapters hand out. `edge` is the cloud's Edge component
    (its `tls`, `cdn_certificate` and `cdn`); `ha_parts` the managed database, cache and LB."""
    return Foundation(
        cloud=cloud,
        region=s.region,
        user_data=user_data(s.host_name(0)),
        hosts=hosts,
        storage=storage,
        certificate=site_certificate(s, edge.tls, edge.cdn_certificate),
        dns_names=s.site_names,
        cdn_domain=edge.cdn.cname if edge.cdn else None,
        **ha_parts,
    )

