"""Tencent Cloud foundation: VPC, security group, CVM, COS, CDN and DNSPod.

Class and argument names follow tencentcloud_iac_pulumi 0.2.3 as read from its source
(research/provider-mapping.md): the CVM is `instance.Instance`, rules are owned by one
`security.GroupRuleSet`, and DNSPod's default line is `默认`.
"""
from __future__ import annotations

from dataclasses import dataclass

import json
from typing import Callable

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

from components.cloud.acme import AcmeArgs, AcmeCertificate
from components.cloud.shapes import (
    EdgeArgs,
    NetworkArgs,
    assemble_foundation,
    network_args,
    ServerArgs,
    app_host_placements,
    app_hosts,
    dns_record_resource_name,
    edge_args,
    first_image_id,
    host_server_args,
    stack_tags,
)
from components.cloud.shapes import child as _child
from components.firewall import WORLD
from components.foundation import LIFECYCLE_GRACE_DAYS, ObjectStore
from components.settings import Settings

DEFAULT_LINE = "默认"
BACKUP_PREFIX = "backups/"


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
        self.register_outputs({"public_ip": self.instance.public_ip, "private_ip": self.instance.private_ip})


# --- storage -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BucketArgs:
    name: pulumi.Input[str]
    app_id: pulumi.Input[str]
    region: str
    retention_days: int
    protect: bool
    tags: dict[str, str]
    writer_name: str


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
                    # A deleted or overwritten backup stays recoverable for a week.
                    non_current_expiration=cos.BucketLifecycleRuleNonCurrentExpirationArgs(non_current_days=7),
                ),
                cos.BucketLifecycleRuleArgs(
                    id="abort-incomplete-uploads",
                    filter_prefix="",
                    abort_incomplete_multipart_upload=cos.BucketLifecycleRuleAbortIncompleteMultipartUploadArgs(days_after_initiation=1),
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
            document=pulumi.Output.all(args.app_id, self.name).apply(lambda a: writer_policy(args.region, a[0], a[1])),
            description="Object read/write on the xqfc bucket only",
            opts=_child(self),
        )
        cam.UserPolicyAttachment(f"{name}-writer-attach", user_name=self.writer.name, policy_id=self.policy.id, opts=_child(self))
        self.access_key = cam.AccessKey(f"{name}-writer-key", target_uin=self.writer.uin, opts=_child(self))
        self.register_outputs({"name": self.name})


# --- certificates, CDN and DNS -------------------------------------------------------------


# lego's DNS provider for DNSPod; it reads TENCENTCLOUD_SECRET_ID/KEY like the Pulumi provider.
ACME_DNS_PROVIDER = "tencentcloud"


class Edge(pulumi.ComponentResource):
    """The site certificate (ACME through DNSPod), the CDN and the DNS records."""

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:tencentcloud:Edge", name, None, opts)
        self.tls = AcmeCertificate(
            f"{name}-tls",
            AcmeArgs(args.names, ACME_DNS_PROVIDER, args.acme_server_url, args.contact_email, args.renew_days),
            _child(self),
        )
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

        self.records: dict[str, dnspod.Record] = {}
        for fqdn in args.names:
            via_cdn = self.cdn is not None and fqdn == args.cdn_name
            self.records[fqdn] = dnspod.Record(
                dns_record_resource_name(name, args.record_names[fqdn]),
                domain=args.dns_zone,
                sub_domain=args.record_names[fqdn],
                record_type="CNAME" if via_cdn else "A",
                record_line=DEFAULT_LINE,
                value=self.cdn.cname if via_cdn and self.cdn is not None else args.origin_ip,
                ttl=600,
                opts=_child(self),
            )
        self.register_outputs({"cdn_domain": self.cdn.cname if self.cdn else None})


# --- the whole foundation ------------------------------------------------------------------


def s3_endpoint(region: str) -> str:
    return f"https://cos.{region}.myqcloud.com"


class TencentFoundation(pulumi.ComponentResource):
    def __init__(self, name: str, settings: Settings, user_data: Callable[[str], str], opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:tencentcloud:Foundation", name, None, opts)
        s = settings
        # Credentials come from the provider's own environment (TENCENTCLOUD_SECRET_ID/KEY)
        # or profile, never from stack files; only the region is ours.
        self.provider = tencentcloud.Provider(f"{name}-provider", region=s.region, opts=_child(self))
        with_provider = pulumi.ResourceOptions(parent=self, providers=[self.provider])
        invoke = pulumi.InvokeOutputOptions(provider=self.provider)
        tags = stack_tags(s)

        self.network = Network(
            f"{name}-net",
            network_args(s, tags),
            with_provider,
        )
        image_id = s.image_id or images.get_instance_output(
            image_types=["PUBLIC_IMAGE"], image_name_regex=s.image_name_regex, instance_type=s.instance_type, opts=invoke
        ).images.apply(lambda imgs: first_image_id(imgs, s.image_name_regex, "image_id"))
        self.ha = None
        if s.is_ha:
            from components.cloud.tencent_ha import HaNetwork, HaNetworkArgs

            self.ha = HaNetwork(f"{name}-ha", HaNetworkArgs(s, self.network.vpc.id, self.network.security_group.id, tags), with_provider)

        placements = app_host_placements(s, self.network.subnet.id, self.ha.secondary_subnet.id if self.ha else None)
        self.servers = [
            Server(f"{name}{p.resource_name}", host_server_args(
                s, zone=p.zone, image_id=image_id, subnet_id=p.subnet_id, security_group_id=self.network.security_group.id,
                user_data=user_data(p.hostname), hostname=p.hostname, vpc_id=self.network.vpc.id,
            ), with_provider)
            for p in placements
        ]
        self.server = self.servers[0]
        app_id = s.tencent_app_id or user.get_info_output(opts=invoke).app_id.apply(str)
        self.bucket = Bucket(
            f"{name}-storage",
            BucketArgs(
                name=pulumi.Output.concat(s.bucket_base_name, "-", app_id),
                app_id=app_id,
                region=s.region,
                retention_days=s.backup_retention_days,
                protect=s.deletion_protection,
                tags=tags,
                writer_name=f"xqfc-{s.environment}-backup",
            ),
            with_provider,
        )
        vm = self.server.instance
        self.lb = None
        if self.ha is not None:
            from components.cloud.tencent_ha import LoadBalancerInstance

            self.lb = LoadBalancerInstance(f"{name}-lb", s, self.network.vpc.id, tags, with_provider)
        self.edge = Edge(
            f"{name}-edge",
            edge_args(s, self.lb.address if self.lb else vm.public_ip, upload_certificate=s.is_ha),
            with_provider,
        )
        ha_parts: dict = {}
        if self.ha is not None and self.lb is not None:
            from components.cloud.tencent_ha import ManagedData, listen

            if self.edge.cdn_certificate is None:
                raise RuntimeError("topology ha: the edge must upload the certificate for the CLB (upload_certificate)")
            listen(self.lb, s, self.edge.cdn_certificate.id, [srv.instance.id for srv in self.servers], with_provider)
            self.data = ManagedData(f"{name}-data", s, self.network.vpc.id, self.ha, tags, with_provider)
            ha_parts = {"database": self.data.database, "cache": self.data.cache, "load_balancer": self.lb.endpoint}
        hosts = app_hosts(s, placements, [(srv.instance, srv.instance.public_ip, srv.instance.private_ip) for srv in self.servers])
        storage = ObjectStore(
            self.bucket.name, s3_endpoint(s.region), s.region,
            access_key_id=self.bucket.access_key.access_key,
            secret_access_key=pulumi.Output.secret(self.bucket.access_key.secret_access_key),
        )
        self.foundation = assemble_foundation("tencentcloud", s, user_data, hosts, storage, self.edge, ha_parts)
        self.register_outputs({"public_ip": vm.public_ip, "bucket": self.bucket.name})

