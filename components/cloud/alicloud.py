"""Alibaba Cloud foundation: VPC, security group, ECS, OSS, CDN and Alibaba Cloud DNS.

The same components as tencent.py, so a stack moves between clouds with `xqfc:cloud`.
Class and argument names follow pulumi_alicloud 4.0.0 as read from its source
(research/provider-mapping.md): one `ecs.SecurityGroupRule` per rule with `cidr_ip` always
set (an empty one fails with MissingParameter), the bucket ACL as its own resource (the
inline `acl` is deprecated) and lifecycle rules inline (there is no split lifecycle resource).
"""
from __future__ import annotations

import base64
import json
import re
from typing import Any

import pulumi
import pulumi_alicloud as alicloud
from pulumi_alicloud import cas, cdn, dns, ecs, oss, ram, vpc

from components.cloud.acme import AcmeCertificate
from components.cloud.alicloud_ha import HaNetwork, LoadBalancerArgs, ManagedData, PublicLoadBalancer
from components.cloud.foundation import CloudFoundation, NetworkParts, ServerParts
from components.cloud.shapes import (
    ABORT_INCOMPLETE_UPLOAD_DAYS,
    BACKUP_PREFIX,
    DNS_TTL,
    NONCURRENT_VERSION_DAYS,
    BucketArgs,
    EdgeArgs,
    NetworkArgs,
    ServerArgs,
    dns_records,
    first_image_id,
    site_acme_args,
)
from components.cloud.shapes import child as _child
from components.firewall import WORLD
from components.foundation import LIFECYCLE_GRACE_DAYS
from components.settings import Settings

DEFAULT_LINE = "default"
# lego's DNS provider for Alibaba Cloud DNS; it reads ALICLOUD_ACCESS_KEY/SECRET_KEY like the plugin.
ACME_DNS_PROVIDER = "alidns"
STATIC_FILE_TYPES = ("css", "js", "png", "jpg", "jpeg", "webp", "svg", "woff2")


def _label(text: str) -> str:
    if text == WORLD:
        return "any"
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --- network -----------------------------------------------------------------------------


class Network(pulumi.ComponentResource):
    """VPC, one vSwitch, and a security group with one rule per ingress policy entry."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:alicloud:Network", name, None, opts)
        self.vpc = vpc.Network(f"{name}-vpc", vpc_name=name, cidr_block=args.vpc_cidr, tags=args.tags, opts=_child(self))
        self.subnet = vpc.Switch(
            f"{name}-subnet",
            vswitch_name=f"{name}-{args.zone}",
            vpc_id=self.vpc.id,
            cidr_block=args.subnet_cidr,
            zone_id=args.zone,
            tags=args.tags,
            opts=_child(self),
        )
        self.security_group = ecs.SecurityGroup(
            f"{name}-sg",
            security_group_name=name,
            vpc_id=self.vpc.id,
            description="xqfc web host: 80/443 public, 22 from admin networks",
            # Ingress not allowed by a rule below is denied: Alibaba's default for a normal group.
            inner_access_policy="Drop",
            tags=args.tags,
            opts=_child(self),
        )
        # Named by port and source, not position, so reordering adminCidrs replaces nothing.
        self.ingress_rules = [
            ecs.SecurityGroupRule(
                f"{name}-in-{r.port}-{_label(r.cidr)}",
                security_group_id=self.security_group.id,
                type="ingress",
                ip_protocol="tcp",
                port_range=f"{r.port}/{r.port}",
                cidr_ip=r.cidr,
                policy="accept",
                priority=1,
                nic_type="intranet",
                description=r.description,
                opts=_child(self),
            )
            for r in args.ingress
        ]
        self.egress_rule = ecs.SecurityGroupRule(
            f"{name}-out-all",
            security_group_id=self.security_group.id,
            type="egress",
            ip_protocol="all",
            port_range="-1/-1",
            cidr_ip=WORLD,
            policy="accept",
            priority=1,
            nic_type="intranet",
            description="outbound",
            opts=_child(self),
        )
        self.register_outputs({"vpc_id": self.vpc.id, "subnet_id": self.subnet.id, "security_group_id": self.security_group.id})


# --- compute -----------------------------------------------------------------------------


class Server(pulumi.ComponentResource):
    """The ECS instance with an encrypted data disk and a public IP. No key pair and no
    password: without either, RunInstances leaves the image's account without a password,
    and the deploy user logs in with the key cloud-init installs."""

    def __init__(self, name: str, args: ServerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:alicloud:Server", name, None, opts)
        self.instance = ecs.Instance(
            f"{name}-vm",
            instance_name=name,
            host_name=args.hostname,
            availability_zone=args.zone,
            instance_type=args.instance_type,
            image_id=args.image_id,
            vswitch_id=args.subnet_id,
            security_groups=[args.security_group_id],
            system_disk_category=args.system_disk_type,
            system_disk_size=args.system_disk_size,
            data_disks=[
                ecs.InstanceDataDiskArgs(
                    name=f"{name}-data",
                    category=args.data_disk_type,
                    size=args.data_disk_size,
                    encrypted=True,
                    # In prod the data disk outlives an accidental instance deletion.
                    delete_with_instance=not args.deletion_protection,
                )
            ],
            instance_charge_type="PostPaid",
            # A bandwidth above zero is what allocates the public IP on Alibaba.
            internet_charge_type="PayByTraffic",
            internet_max_bandwidth_out=args.bandwidth_mbps,
            # Base64 is the provider's recommended form; the text is the same cloud-init as Tencent's.
            user_data=base64.b64encode(args.user_data.encode()).decode(),
            deletion_protection=args.deletion_protection,
            tags=args.tags,
            opts=_child(self, protect=args.deletion_protection),
        )
        self.public_ip = self.instance.public_ip
        self.private_ip = self.instance.primary_ip_address
        self.register_outputs({"public_ip": self.public_ip, "private_ip": self.private_ip})


# --- storage -----------------------------------------------------------------------------


# What the backup job needs, nothing more: no bucket deletion, no ACL or policy changes.
WRITER_ACTIONS = [
    "oss:PutObject", "oss:GetObject", "oss:DeleteObject", "oss:ListObjects",
    "oss:InitiateMultipartUpload", "oss:UploadPart", "oss:CompleteMultipartUpload",
    "oss:AbortMultipartUpload", "oss:ListMultipartUploads", "oss:ListParts",
]


def writer_policy(bucket: str) -> str:
    return json.dumps({
        "Version": "1",
        "Statement": [{"Effect": "Allow", "Action": WRITER_ACTIONS,
                       "Resource": [f"acs:oss:*:*:{bucket}", f"acs:oss:*:*:{bucket}/*"]}],
    })


class Bucket(pulumi.ComponentResource):
    """Private, versioned, encrypted OSS bucket for static assets and backups."""

    def __init__(self, name: str, args: BucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:alicloud:Bucket", name, None, opts)
        self.bucket = oss.Bucket(
            f"{name}-bucket",
            bucket=args.name,
            versioning=oss.BucketVersioningArgs(status="Enabled"),
            server_side_encryption_rule=oss.BucketServerSideEncryptionRuleArgs(sse_algorithm="AES256"),
            lifecycle_rules=[
                oss.BucketLifecycleRuleArgs(
                    id="backups-retention",
                    prefix=BACKUP_PREFIX,
                    enabled=True,
                    expirations=[oss.BucketLifecycleRuleExpirationArgs(days=args.retention_days + LIFECYCLE_GRACE_DAYS)],
                    noncurrent_version_expirations=[oss.BucketLifecycleRuleNoncurrentVersionExpirationArgs(days=NONCURRENT_VERSION_DAYS)],
                ),
                oss.BucketLifecycleRuleArgs(
                    id="abort-incomplete-uploads",
                    prefix="",
                    enabled=True,
                    abort_multipart_uploads=[oss.BucketLifecycleRuleAbortMultipartUploadArgs(days=ABORT_INCOMPLETE_UPLOAD_DAYS)],
                ),
            ],
            force_destroy=False,
            tags=args.tags,
            opts=_child(self, protect=args.protect),
        )
        self.acl = oss.BucketAcl(f"{name}-acl", bucket=self.bucket.bucket, acl="private", opts=_child(self))
        self.name = self.bucket.bucket
        # A RAM user that can only read and write this bucket's objects, for the backup job on
        # the VM; the account's own keys never reach the VM.
        self.writer = ram.User(f"{name}-writer", name=args.writer_name, comments="xqfc backups: one bucket", force=True, opts=_child(self))
        self.policy = ram.Policy(
            f"{name}-writer-policy",
            policy_name=f"{args.writer_name}-bucket",
            policy_document=self.name.apply(writer_policy),
            description="Object read/write on the xqfc bucket only",
            opts=_child(self),
        )
        ram.UserPolicyAttachment(
            f"{name}-writer-attach", user_name=self.writer.name, policy_name=self.policy.policy_name, policy_type="Custom",
            opts=_child(self),
        )
        self.access_key = ram.AccessKey(
            f"{name}-writer-key", user_name=self.writer.name, opts=_child(self, additional_secret_outputs=["secret"])
        )
        self.access_key_id = self.access_key.id
        self.secret_access_key = self.access_key.secret
        self.register_outputs({"name": self.name})


# --- certificate, CDN and DNS --------------------------------------------------------------


def _cdn_functions(static_ttl: int, server_name: str) -> dict[str, dict[str, str]]:
    """CDN behaviour as Alibaba's DomainConfig functions (names from the CDN API reference)."""
    return {
        "https_force": {"enable": "on", "https_rewrite": "301"},
        "https_option": {"http2": "on"},
        "https_tls_version": {"tls10": "off", "tls11": "off", "tls12": "on", "tls13": "on"},
        # Back to the origin over HTTPS, with the site name as SNI so nginx picks the right server.
        "forward_scheme": {"enable": "on", "scheme_origin": "https"},
        "https_origin_sni": {"enabled": "on", "https_origin_sni": server_name},
        "path_based_ttl_set": {"path": "/static/", "ttl": str(static_ttl), "weight": "99"},
        "filetype_based_ttl_set": {"file_type": ",".join(STATIC_FILE_TYPES), "ttl": str(static_ttl), "weight": "99"},
    }


class Edge(pulumi.ComponentResource):
    """The site certificate (ACME through Alibaba Cloud DNS), the CDN and the DNS records."""

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:alicloud:Edge", name, None, opts)
        self.tls = AcmeCertificate(f"{name}-tls", site_acme_args(args, ACME_DNS_PROVIDER), _child(self))
        self.cdn_certificate: cas.ServiceCertificate | None = None
        self.cdn: cdn.DomainNew | None = None
        self.cdn_config: list[cdn.DomainConfig] = []
        if args.cdn_name:
            # Named after its expiry: a renewal uploads a new certificate under a new name before
            # the old one is deleted (create-before-replace), and CAS names must be unique.
            self.cdn_certificate = cas.ServiceCertificate(
                f"{name}-cdn-cert",
                certificate_name=self.tls.certificate.certificate_not_after.apply(
                    lambda t: f"{args.certificate_name}-{(t or 'pending')[:10]}"
                ),
                cert=self.tls.fullchain_pem,
                key=self.tls.private_key_pem,
                opts=_child(self),
            )
            self.cdn = cdn.DomainNew(
                f"{name}-cdn",
                domain_name=args.cdn_name,
                cdn_type="web",
                scope="domestic",
                sources=[cdn.DomainNewSourceArgs(content=args.origin_ip, type="ipaddr", port=443, priority=20, weight=10)],
                certificate_config=cdn.DomainNewCertificateConfigArgs(
                    cert_type="cas", cert_id=self.cdn_certificate.id, server_certificate_status="on"
                ),
                opts=_child(self),
            )
            for function, fargs in _cdn_functions(args.static_cache_days * 86400, args.cdn_name).items():
                self.cdn_config.append(
                    cdn.DomainConfig(
                        f"{name}-cdn-{function.replace('_', '-')}",
                        domain_name=self.cdn.domain_name,
                        function_name=function,
                        function_args=[cdn.DomainConfigFunctionArgArgs(arg_name=k, arg_value=v) for k, v in fargs.items()],
                        opts=_child(self),
                    )
                )

        self.records = {
            fqdn: dns.AlidnsRecord(
                r.resource_name, domain_name=args.dns_zone, rr=r.record_name, type=r.type, value=r.value, line=DEFAULT_LINE,
                ttl=DNS_TTL, opts=_child(self),
            )
            for fqdn, r in dns_records(name, args, self.cdn.cname if self.cdn else None).items()
        }
        self.register_outputs({"cdn_domain": self.cdn.cname if self.cdn else None})


# --- the whole foundation ------------------------------------------------------------------


class AlicloudFoundation(CloudFoundation[HaNetwork, PublicLoadBalancer]):
    """The shared sequence (components/cloud/foundation.py) with Alibaba's resources. The
    provider reads its credentials from ALICLOUD_ACCESS_KEY/SECRET_KEY or a profile: the SDK
    would not even mark them secret in a stack file."""

    cloud = "alicloud"
    network_component, server_component, bucket_component, edge_component = Network, Server, Bucket, Edge

    def make_provider(self, name: str, region: str, opts: pulumi.ResourceOptions) -> pulumi.ProviderResource:
        return alicloud.Provider(name, region=region, opts=opts)

    def lookup_image(self, s: Settings, invoke: pulumi.InvokeOutputOptions) -> pulumi.Output[str]:
        return ecs.get_images_output(
            name_regex=s.image_name_regex, owners="system", most_recent=True, os_type="linux",
            instance_type=s.instance_type, opts=invoke,
        ).images.apply(lambda imgs: first_image_id(imgs, s.image_name_regex, "id"))

    def account_id(self, s: Settings, invoke: pulumi.InvokeOutputOptions) -> pulumi.Input[str]:
        # OSS names are global: the account id keeps ours ours, as the APPID does on Tencent.
        return alicloud.get_account_output(opts=invoke).id

    def s3_endpoint(self, region: str) -> str:
        """OSS's S3-compatible endpoint (Alibaba's 'Use AWS SDKs to access OSS'): sign with `region`."""
        return f"https://s3.oss-{region}.aliyuncs.com"

    def edge_options(self, s: Settings) -> dict[str, Any]:
        return {"certificate_name": f"xqfc-{s.environment}"}

    def make_ha_network(self, name: str, s: Settings, network: NetworkParts, tags: dict[str, str],
                        opts: pulumi.ResourceOptions) -> HaNetwork:
        return HaNetwork(name, s, network.vpc.id, tags, opts)

    def make_load_balancer(self, name: str, s: Settings, network: NetworkParts, servers: list[ServerParts], tags: dict[str, str],
                           opts: pulumi.ResourceOptions) -> PublicLoadBalancer:
        # TCP listeners pass TLS through to the hosts: nothing waits for the edge's certificate.
        return PublicLoadBalancer(name, LoadBalancerArgs(s, [srv.instance.id for srv in servers], tags), opts)

    def make_managed_data(self, name: str, s: Settings, vpc_id: pulumi.Input[str], ha: HaNetwork, tags: dict[str, str],
                          opts: pulumi.ResourceOptions) -> ManagedData:
        return ManagedData(name, s, vpc_id, ha, tags, opts)
