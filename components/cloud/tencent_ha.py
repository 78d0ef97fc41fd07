"""Tencent Cloud pieces of the ha topology (docs/ha.md): a second zone, a public CLB and the
managed TencentDB for PostgreSQL and Redis.

Names follow tencentcloud_iac_pulumi as read from its source: layer-7 health checks and
backends hang off a `clb.ListenerRule`, the 80 -> 443 redirect is a `clb.Redirection`
between two rules, and PostgreSQL's standby zone is a `db_node_sets` entry. PostgreSQL 16 is
the newest `db_major_version` the SDK documents (10-16); 17 is not listed.
"""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
from tencentcloud_iac_pulumi import clb, postgresql, redis, security, subnet

from components.cloud.health_check import health_check_request, tencent_http_code
from components.cloud.managed import managed_password, retention_within
from components.cloud.shapes import child as _child
from components.cloud.shapes import ha_subnets
from components.firewall import WORLD
from components.foundation import CacheEndpoint, DatabaseEndpoint, LoadBalancer
from components.settings import Settings

PG_PORT, REDIS_PORT = 5432, 6379
PG_MAJOR_VERSION = "16"
# The smallest sizes that keep a standby: 2 cores / 4 GB PostgreSQL, 1 GB Redis 7.0 with one replica.
PG_CPU, PG_MEMORY_GB = 2, 4
REDIS_TYPE_ID = 17  # Redis 7.0 Memory Edition, standard architecture (master-replica)
REDIS_MEM_MB = 1024
PG_RETENTION = (7, 1830)
WEEK = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass(frozen=True)
class HaNetworkArgs:
    settings: Settings
    vpc_id: pulumi.Input[str]
    app_security_group_id: pulumi.Input[str]
    tags: dict[str, str]


class HaNetwork(pulumi.ComponentResource):
    """The second zone's subnet, the private data subnet, and the data tier's security group:
    5432 and 6379 from the app hosts' security group only, everything else dropped."""

    def __init__(self, name: str, args: HaNetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:tencentcloud:HaNetwork", name, None, opts)
        self.secondary_subnet, self.data_subnet = (
            subnet.Instance(
                n.resource_name, name=n.display_name, vpc_id=args.vpc_id, cidr_block=n.cidr, availability_zone=n.zone,
                tags=args.tags, opts=_child(self),
            )
            for n in ha_subnets(name, args.settings)
        )
        self.data_security_group = security.Group(
            f"{name}-data-sg", name=f"{name}-data", description="xqfc managed PostgreSQL and Redis: app hosts only",
            tags=args.tags, opts=_child(self),
        )
        self.data_rules = security.GroupRuleSet(
            f"{name}-data-rules",
            security_group_id=self.data_security_group.id,
            ingresses=[
                *[
                    security.GroupRuleSetIngressArgs(
                        action="ACCEPT", protocol="TCP", port=str(port), source_security_id=args.app_security_group_id,
                        description=f"{what} from the app hosts",
                    )
                    for port, what in ((PG_PORT, "postgresql"), (REDIS_PORT, "redis"))
                ],
                security.GroupRuleSetIngressArgs(action="DROP", protocol="ALL", port="ALL", cidr_block=WORLD, description="everything else"),
            ],
            egresses=[security.GroupRuleSetEgressArgs(action="ACCEPT", protocol="ALL", port="ALL", cidr_block=WORLD, description="replies")],
            opts=_child(self),
        )
        self.register_outputs({})


class LoadBalancerInstance(pulumi.ComponentResource):
    """The public CLB itself; its listeners come later (`listen`), once the certificate exists."""

    # Set by listen().
    https: clb.Listener
    https_rule: clb.ListenerRule
    http: clb.Listener
    http_rule: clb.ListenerRule

    def __init__(self, name: str, s: Settings, vpc_id: pulumi.Input[str], tags: dict[str, str], opts: pulumi.ResourceOptions):
        super().__init__("xqfc:tencentcloud:LoadBalancer", name, None, opts)
        self.name = name
        self.instance = clb.Instance(
            f"{name}-clb",
            clb_name=name,
            network_type="OPEN",
            vpc_id=vpc_id,
            # Cross-zone disaster recovery: the slave zone takes traffic when the master is down.
            master_zone_id=s.zone,
            slave_zone_id=s.secondary_zone,
            internet_charge_type="TRAFFIC_POSTPAID_BY_HOUR",
            internet_bandwidth_max_out=s.bandwidth_mbps,
            delete_protect=s.deletion_protection,
            tags=tags,
            opts=_child(self),
        )
        self.address = self.instance.clb_vips.apply(lambda vips: vips[0])
        self.endpoint = LoadBalancer(self.address, self.instance)
        self.register_outputs({"address": self.address})


def listen(lb: LoadBalancerInstance, s: Settings, certificate_id: pulumi.Input[str], instance_ids: list[pulumi.Input[str]],
           opts: pulumi.ResourceOptions) -> None:
    """443 (HTTPS, the stack's certificate, health-checked on the app's path) to every app
    host's nginx over HTTPS, and 80 redirected to 443."""
    name, clb_id = lb.name, lb.instance.id
    check = health_check_request("tencentcloud", s)
    child = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=lb))
    https = clb.Listener(
        f"{name}-https", clb_id=clb_id, listener_name="https", port=443, protocol="HTTPS",
        certificate_ssl_mode="UNIDIRECTIONAL", certificate_id=certificate_id, opts=child,
    )
    https_rule = clb.ListenerRule(
        f"{name}-https-rule",
        clb_id=clb_id,
        listener_id=https.listener_id,
        domains=s.site_names,
        url="/",
        # nginx on each host keeps terminating TLS, so the hosts' config is the single-VM one.
        forward_type="HTTPS",
        # The request components/cloud/health_check.py describes (and the nginx test sends):
        # the canonical name, so nginx's redirect of the other name can't stand in for the app.
        health_check_switch=True,
        health_check_type=check.scheme.upper(),
        health_check_http_path=check.path,
        health_check_http_domain=check.host,
        health_check_http_method=check.method,
        health_check_http_code=tencent_http_code(check),
        health_check_interval_time=check.interval_s,
        health_check_health_num=check.healthy_after,
        health_check_unhealth_num=check.unhealthy_after,
        health_check_time_out=check.timeout_s,
        opts=child,
    )
    clb.Attachment(
        f"{name}-backends",
        clb_id=clb_id,
        listener_id=https.listener_id,
        rule_id=https_rule.rule_id,
        targets=[clb.AttachmentTargetArgs(instance_id=i, port=443, weight=10) for i in instance_ids],
        opts=child,
    )
    http = clb.Listener(f"{name}-http", clb_id=clb_id, listener_name="http", port=80, protocol="HTTP", opts=child)
    http_rule = clb.ListenerRule(f"{name}-http-rule", clb_id=clb_id, listener_id=http.listener_id, domains=s.site_names, url="/", opts=child)
    clb.Redirection(
        f"{name}-http-to-https",
        clb_id=clb_id,
        source_listener_id=http.listener_id,
        source_rule_id=http_rule.rule_id,
        target_listener_id=https.listener_id,
        target_rule_id=https_rule.rule_id,
        opts=child,
    )
    lb.https, lb.https_rule, lb.http, lb.http_rule = https, https_rule, http, http_rule


class ManagedData(pulumi.ComponentResource):
    """TencentDB for PostgreSQL (primary + standby in the second zone) and for Redis (one
    replica), in the private data subnet, no public address, reachable from the app SG only."""

    def __init__(self, name: str, s: Settings, vpc_id: pulumi.Input[str], net: HaNetwork, tags: dict[str, str],
                 opts: pulumi.ResourceOptions):
        super().__init__("xqfc:tencentcloud:ManagedData", name, None, opts)
        self.pg_password = managed_password(f"{name}-pg-password", 32, self)
        self.postgres = postgresql.Instance(
            f"{name}-pg",
            name=f"{name}-pg",
            availability_zone=s.zone,
            db_node_sets=[
                postgresql.InstanceDbNodeSetArgs(role="Primary", zone=s.zone),
                postgresql.InstanceDbNodeSetArgs(role="Standby", zone=s.zones[1]),
            ],
            charge_type="POSTPAID_BY_HOUR",
            db_major_version=PG_MAJOR_VERSION,
            cpu=PG_CPU,
            memory=PG_MEMORY_GB,
            storage=s.db_storage_gb,
            vpc_id=vpc_id,
            subnet_id=net.data_subnet.id,
            security_groups=[net.data_security_group.id],
            public_access_switch=False,
            root_user=s.db_user,
            root_password=self.pg_password.result,
            charset="UTF8",
            delete_protection=s.deletion_protection,
            backup_plan=postgresql.InstanceBackupPlanArgs(
                backup_periods=WEEK,
                # ModifyBackupPlan accepts 7-1830 days; the stack's own retention applies inside it.
                base_backup_retention_period=retention_within(s.backup_retention_days, PG_RETENTION),
                min_backup_start_time="01:00:00",
                max_backup_start_time="03:00:00",
            ),
            tags=tags,
            opts=_child(self, protect=s.deletion_protection, additional_secret_outputs=["rootPassword"]),
        )
        # Tencent Redis passwords are 8-16 characters.
        self.redis_password = managed_password(f"{name}-redis-password", 16, self)
        self.redis = redis.Instance(
            f"{name}-redis",
            name=f"{name}-redis",
            availability_zone=s.zone,
            type_id=REDIS_TYPE_ID,
            mem_size=REDIS_MEM_MB,
            redis_replicas_num=1,
            charge_type="POSTPAID",
            vpc_id=vpc_id,
            subnet_id=net.data_subnet.id,
            security_groups=[net.data_security_group.id],
            password=self.redis_password.result,
            no_auth=False,
            port=REDIS_PORT,
            wan_address_switch="close",
            tags=tags,
            opts=_child(self, protect=s.deletion_protection, additional_secret_outputs=["password"]),
        )
        self.database = DatabaseEndpoint(
            host=self.postgres.private_access_ip, port=self.postgres.private_access_port, user=s.db_user,
            password=pulumi.Output.secret(self.pg_password.result), name=s.db_name,
        )
        self.cache = CacheEndpoint(host=self.redis.ip, port=REDIS_PORT, password=pulumi.Output.secret(self.redis_password.result))
        self.register_outputs({})
