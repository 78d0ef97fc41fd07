"""Tencent Cloud foundation: VPC, security group, CVM, COS, CDN and DNSPod.

Class and argument names follow tencentcloud_iac_pulumi 0.2.3 as read from its source
(research/provider-mapping.md): the CVM is `instance.Instance`, rules are owned by one
`security.GroupRuleSet`, and DNSPod's default line is `默认`.
"""
from __future__ import annotations

import json
from typing import Any

import pulumi
import tencentcloud_iac_pulumi as tencentcloud
from tencentcloud_iac_pulumi import (
    cam,
    cdn,
    cos,
    dnspod,
    images,
    instance,
    security,
    ssl,
    subnet,
    user,
    vpc,
)

from components.cloud.acme import AcmeCertificate
from components.cloud.foundation import CloudFoundation, NetworkParts, ServerParts, EdgeParts
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
from components.cloud.tencent_ha import HaNetwork, HaNetworkArgs, LoadBalancerInstance, ManagedData, listen
from components.firewall import WORLD
from components.foundation import LIFECYCLE_GRACE_DAYS
from components.settings import Settings

DEFAULT_LINE = "默认"


# --- network -----------------------------------------------------------------------------


class Network(pulumi.ComponentResource):
    """VPC, one subnet, and one security group whose rules a single rule set owns."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:tencentcloud:Network", name, None, opts)
        self.vpc = vpc.Instance(f"{name}-vpc", name=name, cidr_block=args.vpc_cidr, tags=args.tags, opts=_child(self))
        self.subnet = subnet.Instance(
            f"{name}-subnet",
            name=f"{name}-{args.zone}",
            vpc_id=self.vpc.id,
            cidr_block=args.subnet_cidr,
            availability_zone=args.zone,
            tags=args.tags,
            opts=_child(self),
        )
        self.security_group = security.Group(
            f"{name}-sg", name=name, description="xqfc web host: 80/443 public, 22 from admin networks", tags=args.tags,
            opts=_child(self),
        )
        # One owner for every rule: a rule added by hand in the console is reverted on the next
        # `pulumi up`, and the final DROP makes the policy explicit instead of relying on defaults.
        ingresses = [
            security.GroupRuleSetIngressArgs(
                action="ACCEPT", protocol="TCP", port=str(r.port), cidr_block=r.cidr, description=r.description
            )
            for r in args.ingress
        ]
        ingresses.append(
            security.GroupRuleSetIngressArgs(action="DROP", protocol="ALL", port="ALL", cidr_block=WORLD, description="everything else")
        )
        self.rules = security.GroupRuleSet(
            f"{name}-rules",
            security_group_id=self.security_group.id,
            ingresses=ingresses,
            egresses=[
                security.GroupRuleSetEgressArgs(action="ACCEPT", protocol="ALL", port="ALL", cidr_block=WORLD, description="outbound")
            ],
            opts=_child(self),
        )
        self.register_outputs({"vpc_id": self.vpc.id, "subnet_id": self.subnet.id, "security_group_id": self.security_group.id})


# --- compute -----------------------------------------------------------------------------


class Server(pulumi.ComponentResource):
    """The CVM with a data disk for container data and a public IP. No key pair and no
    password: RunInstances without LoginSettings leaves the image's account without a
    password (to be set with ResetInstancesPassword), and the deploy user logs in with the
    key cloud-init installs."""

    def __init__(self, name: str, args: ServerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:tencentcloud:Server", name, None, opts)
        self.instance = instance.Instance(
            f"{name}-vm",
            instance_name=name,
            hostname=args.hostname,
            availability_zone=args.zone,
            instance_type=args.instance_type,
            image_id=args.image_id,
            vpc_id=args.vpc_id,
            subnet_id=args.subnet_id,
            orderly_security_groups=[args.security_group_id],
            system_disk_type=args.system_disk_type,
            system_disk_size=args.system_disk_size,
            data_disks=[
                instance.InstanceDataDiskArgs(
                    data_disk_type=args.data_disk_type,
                    data_disk_size=args.data_disk_size,
                    encrypt=True,
                    # In prod the data disk outlives an accidental instance deletion.
                    delete_with_instance=not args.deletion_protection,
                )
            ],
            allocate_public_ip=True,
            internet_charge_type="TRAFFIC_POSTPAID_BY_HOUR",
            internet_max_bandwidth_out=args.bandwidth_mbps,
            user_data_raw=args.user_data,
            disable_api_termination=args.deletion_protection,
            tags=args.tags,
            opts=_child(self, protect=args.deletion_protection),
        )
        self.public_ip = self.instance.public_ip
        self.private_ip = self.instance.private_ip
        self.register_outputs({"public_ip": self.public_ip, "private_ip": self.private_ip})


# --- storage -----------------------------------------------------------------------------


# What the backup job needs, nothing more: no bucket deletion, no ACL or policy changes.
WRITER_ACTIONS = [
    "name/cos:PutObject", "name/cos:GetObject", "name/cos:HeadObject", "name/cos:DeleteObject", "name/cos:GetBucket",
    "name/cos:InitiateMultipartUpload", "name/cos:UploadPart", "name/cos:CompleteMultipartUpload",
    "name/cos:AbortMultipartUpload", "name/cos:ListMultipartUploads", "name/cos:ListParts",
]


def writer_policy(region: str, app_id: str, bucket: str) -> str:
    resource = f"qcs::cos:{region}:uid/{app_id}:{bucket}"
    return json.dumps({
        "version": "2.0",
        "statement": [{"effect": "allow", "action": WRITER_ACTIONS, "resource": [f"{resource}/*", resource]}],
    })


class Bucket(pulumi.ComponentResource):
    """Private, versioned, encrypted COS bucket for static assets and backups."""

    def __init__(self, name: str, args: BucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:tencentcloud:Bucket", name, None, opts)
        self.bucket = cos.Bucket(
            f"{name}-bucket",
            bucket=args.name,
            acl="private",
            versioning_enable=True,
            encryption_algorithm="AES256",
            lifecycle_rules=[
                cos.BucketLifecycleRuleArgs(
                    id="backups-retention",
                    filter_prefix=BACKUP_PREFIX,
                    expiration=cos.BucketLifecycleRuleExpirationArgs(days=args.retention_days + LIFECYCLE_GRACE_DAYS),
                    non_current_expiration=cos.BucketLifecycleRuleNonCurrentExpirationArgs(non_current_days=NONCURRENT_VERSION_DAYS),
                ),
                cos.BucketLifecycleRuleArgs(
                    id="abort-incomplete-uploads",
                    filter_prefix="",
                    abort_incomplete_multipart_upload=cos.BucketLifecycleRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=ABORT_INCOMPLETE_UPLOAD_DAYS
                    ),
                ),
            ],
            tags=args.tags,
            opts=_child(self, protect=args.protect),
        )
        self.name = self.bucket.bucket
        # A sub-user that can only read and write this bucket's objects, for the backup job on
        # the VM (S3-compatible API keys); the account's own keys never reach the VM.
        self.writer = cam.User(
            f"{name}-writer", name=args.writer_name,
            # No key from the user resource itself (the provider's default, use_api=True, makes one):
            # the one key is writer-key below, the one the backup job reads. CAM allows two per
            # user, so a spare would also block rotating the one in use.
            use_api=False, console_login=False, force_delete=True,
            remark="xqfc backups: object access to one bucket", opts=_child(self),
        )
        self.policy = cam.Policy(
            f"{name}-writer-policy",
            name=f"{args.writer_name}-bucket",
            document=pulumi.Output.all(args.account_id, self.name).apply(lambda a: writer_policy(args.region, a[0], a[1])),
            description="Object read/write on the xqfc bucket only",
            opts=_child(self),
        )
        cam.UserPolicyAttachment(f"{name}-writer-attach", user_name=self.writer.name, policy_id=self.policy.id, opts=_child(self))
        self.access_key = cam.AccessKey(f"{name}-writer-key", target_uin=self.writer.uin, opts=_child(self))
        self.access_key_id = self.access_key.access_key
        self.secret_access_key = self.access_key.secret_access_key
        self.register_outputs({"name": self.name})


# --- certificates, CDN and DNS -------------------------------------------------------------


# lego's DNS provider for DNSPod; it reads TENCENTCLOUD_SECRET_ID/KEY like the Pulumi provider.
ACME_DNS_PROVIDER = "tencentcloud"


class Edge(pulumi.ComponentResource):
    """The site certificate (ACME through DNSPod), the CDN and the DNS records."""

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:tencentcloud:Edge", name, None, opts)
        self.tls = AcmeCertificate(f"{name}-tls", site_acme_args(args, ACME_DNS_PROVIDER), _child(self))
        # Uploaded only for the CDN; a renewal uploads a new one before the old is deleted
        # (Pulumi's default create-before-replace), so the CDN never points at nothing.
        self.cdn_certificate: ssl.Certificate | None = None
        if args.cdn_name or args.upload_certificate:
            self.cdn_certificate = ssl.Certificate(
                f"{name}-cdn-cert",
                type="SVR",
                cert=self.tls.fullchain_pem,
                key=self.tls.private_key_pem,
                name=f"xqfc {args.names[0]}",
                opts=_child(self),
            )

        self.cdn: cdn.Domain | None = None
        if self.cdn_certificate is not None and args.cdn_name:
            self.cdn = cdn.Domain(
                f"{name}-cdn",
                domain=args.cdn_name,
                service_type="web",
                area="mainland",
                origin=cdn.DomainOriginArgs(
                    origin_type="ip",
                    origin_lists=[args.origin_ip],
                    origin_pull_protocol="https",
                    server_name=args.cdn_name,
                ),
                https_config=cdn.DomainHttpsConfigArgs(
                    https_switch="on",
                    http2_switch="on",
                    tls_versions=["TLSv1.2", "TLSv1.3"],
                    server_certificate_config=cdn.DomainHttpsConfigServerCertificateConfigArgs(
                        certificate_id=self.cdn_certificate.id
                    ),
                    force_redirect=cdn.DomainHttpsConfigForceRedirectArgs(
                        switch="on", redirect_type="https", redirect_status_code=301
                    ),
                ),
                # Dynamic pages follow the origin's Cache-Control; static assets are cached long.
                rule_caches=[
                    cdn.DomainRuleCacheArgs(rule_type="all", rule_paths=["*"], cache_time=0, switch="on", follow_origin_switch="on"),
                    cdn.DomainRuleCacheArgs(
                        rule_type="directory", rule_paths=["/static/"], cache_time=args.static_cache_days * 86400, switch="on"
                    ),
                    cdn.DomainRuleCacheArgs(
                        rule_type="file", rule_paths=["css", "js", "png", "jpg", "jpeg", "webp", "svg", "woff2"],
                        cache_time=args.static_cache_days * 86400, switch="on",
                    ),
                ],
                opts=_child(self),
            )

        self.records = {
            fqdn: dnspod.Record(
                r.resource_name, domain=args.dns_zone, sub_domain=r.record_name, record_type=r.type, record_line=DEFAULT_LINE,
                value=r.value, ttl=DNS_TTL, opts=_child(self),
            )
            for fqdn, r in dns_records(name, args, self.cdn.cname if self.cdn else None).items()
        }
        self.register_outputs({"cdn_domain": self.cdn.cname if self.cdn else None})


# --- the whole foundation ------------------------------------------------------------------


class TencentFoundation(CloudFoundation[HaNetwork, LoadBalancerInstance]):
    """The shared sequence (components/cloud/foundation.py) with Tencent's resources. The
    provider reads its credentials from TENCENTCLOUD_SECRET_ID/KEY or a profile."""

    cloud = "tencentcloud"
    network_component, server_component, bucket_component, edge_component = Network, Server, Bucket, Edge

    def make_provider(self, name: str, region: str, opts: pulumi.ResourceOptions) -> pulumi.ProviderResource:
        return tencentcloud.Provider(name, region=region, opts=opts)

    def lookup_image(self, s: Settings, invoke: pulumi.InvokeOutputOptions) -> pulumi.Output[str]:
        return images.get_instance_output(
            image_types=["PUBLIC_IMAGE"], image_name_regex=s.image_name_regex, instance_type=s.instance_type, opts=invoke
        ).images.apply(lambda imgs: first_image_id(imgs, s.image_name_regex, "image_id"))

    def account_id(self, s: Settings, invoke: pulumi.InvokeOutputOptions) -> pulumi.Input[str]:
        return s.tencent_app_id or user.get_info_output(opts=invoke).app_id.apply(str)

    def s3_endpoint(self, region: str) -> str:
        return f"https://cos.{region}.myqcloud.com"

    def edge_options(self, s: Settings) -> dict[str, Any]:
        # ha: the CLB's HTTPS listener presents the uploaded copy of the certificate.
        return {"upload_certificate": s.is_ha}

    def make_ha_network(self, name: str, s: Settings, network: NetworkParts, tags: dict[str, str],
                        opts: pulumi.ResourceOptions) -> HaNetwork:
        return HaNetwork(name, HaNetworkArgs(s, network.vpc.id, network.security_group.id, tags), opts)

    def make_load_balancer(self, name: str, s: Settings, network: NetworkParts, servers: list[ServerParts], tags: dict[str, str],
                           opts: pulumi.ResourceOptions) -> LoadBalancerInstance:
        return LoadBalancerInstance(name, s, network.vpc.id, tags, opts)

    def finish_load_balancer(self, lb: LoadBalancerInstance, s: Settings, edge: EdgeParts, servers: list[ServerParts],
                             opts: pulumi.ResourceOptions) -> None:
        # The HTTPS listener needs the certificate the edge uploads.
        if edge.cdn_certificate is None:
            raise RuntimeError("topology ha: the edge must upload the certificate for the CLB (upload_certificate)")
        listen(lb, s, edge.cdn_certificate.id, [srv.instance.id for srv in servers], opts)

    def make_managed_data(self, name: str, s: Settings, vpc_id: pulumi.Input[str], ha: HaNetwork, tags: dict[str, str],
                          opts: pulumi.ResourceOptions) -> ManagedData:
        return ManagedData(name, s, vpc_id, ha, tags, opts)
