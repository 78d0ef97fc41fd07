"""Alibaba Cloud pieces of the ha topology (docs/ha.md): a second zone, a public SLB and the
managed ApsaraDB RDS for PostgreSQL (High-availability edition) and Tair/KVStore Redis.

Names follow pulumi_alicloud as read from its source. The SLB listeners are TCP and pass TLS
through to nginx on each host: a classic SLB HTTPS listener speaks plain HTTP to its
backends, which nginx's port 80 answers with a redirect (a loop), so on Alibaba the hosts keep
terminating TLS with the stack's certificate. The SLB health-checks the app itself: an HTTP
check of the app's health path on port 80, which nginx passes to the app instead of
redirecting.
RDS and KVStore have no security group rule of their own here: their `security_ips`
whitelists admit the app vSwitches' CIDRs and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_alicloud import kvstore, rds, slb, vpc

from components.cloud.health_check import alicloud_http_code, health_check_request
from components.cloud.managed import managed_password, retention_within
from components.cloud.shapes import child as _child
from components.cloud.shapes import ha_subnets
from components.foundation import CacheEndpoint, DatabaseEndpoint, LoadBalancer
from components.settings import Settings

PG_ENGINE_VERSION = "17.0"
# 2 cores / 4 GB, High-availability (primary + standby) on ESSD.
PG_INSTANCE_TYPE = "pg.n2.2c.2m"
# Redis 7.0 exists only as a cloud-native instance (class codes ending in .ce); the classic
# redis.master.* classes stop at 5.0. 1 GB standard (master-replica). Sources: Alibaba's
# "Instance types for Redis Open-Source Edition cloud native instances" and
# terraform-provider-alicloud@v1.289.0 alicloud/resource_alicloud_kvstore_instance_test.go,
# whose 7.0 cases all use redis.shard.*.ce (api_limits instanceClass row: not re-read at the
# release pulumi-alicloud 4.0.0 wraps, which could not be read; docs/cloud-rules.md).
REDIS_INSTANCE_CLASS = "redis.shard.small.ce"
# Pay-by-usage (LCU) is the only CLB billing Alibaba sells to new instances; such instances take
# no specification (catalog.SALE_STATUS, docs/cloud-rules.md "What the clouds sell").
SLB_INSTANCE_CHARGE_TYPE = "PayByCLCU"
REDIS_PORT = 6379
# RDS keeps backups 7 to 730 days.
RDS_RETENTION = (7, 730)


class HaNetwork(pulumi.ComponentResource):
    """The second zone's vSwitch and the private data vSwitch."""

    def __init__(self, name: str, s: Settings, vpc_id: pulumi.Input[str], tags: dict[str, str], opts: pulumi.ResourceOptions):
        super().__init__("xqfc:alicloud:HaNetwork", name, None, opts)
        second, data = ha_subnets(name, s)
        self.secondary_subnet, self.data_subnet = (
            vpc.Switch(n.resource_name, vswitch_name=n.display_name, vpc_id=vpc_id, cidr_block=n.cidr, zone_id=n.zone, tags=tags,
                       opts=_child(self))
            for n in (second, data)
        )
        # Whitelists of the managed services: the app hosts' vSwitches, nothing else.
        self.app_cidrs = [s.subnet_cidr, second.cidr]
        self.register_outputs({})


@dataclass(frozen=True)
class LoadBalancerArgs:
    settings: Settings
    instance_ids: list[pulumi.Input[str]]
    tags: dict[str, str]


class PublicLoadBalancer(pulumi.ComponentResource):
    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions):
        super().__init__("xqfc:alicloud:LoadBalancer", name, None, opts)
        s = args.settings
        check = health_check_request("alicloud", s)
        self.instance = slb.ApplicationLoadBalancer(
            f"{name}-slb",
            load_balancer_name=name,
            address_type="internet",
            instance_charge_type=SLB_INSTANCE_CHARGE_TYPE,
            internet_charge_type="PayByTraffic",
            payment_type="PayAsYouGo",
            master_zone_id=s.zone,
            slave_zone_id=s.secondary_zone,
            delete_protection="on" if s.deletion_protection else "off",
            tags=args.tags,
            opts=_child(self),
        )
        self.listeners = {
            port: slb.Listener(
                f"{name}-tcp-{port}",
                load_balancer_id=self.instance.id,
                frontend_port=port,
                backend_port=port,
                protocol="tcp",
                bandwidth=-1,
                scheduler="wrr",
                # The request components/cloud/health_check.py describes (and the nginx test sends).
                health_check="on",
                health_check_type=check.scheme,
                health_check_connect_port=check.port,
                health_check_uri=check.path,
                health_check_domain=check.host,
                health_check_http_code=alicloud_http_code(check),
                healthy_threshold=check.healthy_after,
                unhealthy_threshold=check.unhealthy_after,
                health_check_interval=check.interval_s,
                established_timeout=900,
                description="passed through to nginx, which terminates TLS" if port == 443 else "nginx redirects to 443",
                opts=_child(self),
            )
            for port in (443, 80)
        }
        self.backends = slb.BackendServer(
            f"{name}-backends",
            load_balancer_id=self.instance.id,
            backend_servers=[slb.BackendServerBackendServerArgs(server_id=i, weight=100, type="ecs") for i in args.instance_ids],
            opts=_child(self),
        )
        self.address = self.instance.address
        self.endpoint = LoadBalancer(self.address, self.instance)
        self.register_outputs({"address": self.address})


class ManagedData(pulumi.ComponentResource):
    """RDS PostgreSQL (High-availability: primary in zone, standby in secondaryZone) and a
    KVStore Redis with a replica; private addresses only, whitelisted to the app vSwitches."""

    def __init__(self, name: str, s: Settings, vpc_id: pulumi.Input[str], net: HaNetwork, tags: dict[str, str],
                 opts: pulumi.ResourceOptions):
        super().__init__("xqfc:alicloud:ManagedData", name, None, opts)
        self.pg_password = managed_password(f"{name}-pg-password", 32, self)
        self.postgres = rds.Instance(
            f"{name}-pg",
            instance_name=f"{name}-pg",
            engine="PostgreSQL",
            engine_version=PG_ENGINE_VERSION,
            category="HighAvailability",
            instance_type=PG_INSTANCE_TYPE,
            instance_storage=s.db_storage_gb,
            db_instance_storage_type="cloud_essd",
            instance_charge_type="Postpaid",
            zone_id=s.zone,
            zone_id_slave_a=s.secondary_zone,
            vpc_id=vpc_id,
            # One vSwitch per zone, primary's first.
            vswitch_id=pulumi.Output.concat(net.data_subnet.id, ",", net.secondary_subnet.id),
            security_ips=net.app_cidrs,
            deletion_protection=s.deletion_protection,
            tags=tags,
            opts=_child(self, protect=s.deletion_protection),
        )
        self.account = rds.RdsAccount(
            f"{name}-pg-account",
            db_instance_id=self.postgres.id,
            account_name=s.db_user,
            account_password=self.pg_password.result,
            # The app owns its schema and the restore drill creates scratch databases.
            account_type="Super",
            opts=_child(self, additional_secret_outputs=["accountPassword"]),
        )
        self.pg_database = rds.Database(
            f"{name}-pg-db", instance_id=self.postgres.id, data_base_name=s.db_name, character_set="UTF8",
            opts=_child(self, depends_on=[self.account]),
        )
        self.backup_policy = rds.BackupPolicy(
            f"{name}-pg-backup",
            instance_id=self.postgres.id,
            preferred_backup_periods=["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
            preferred_backup_time="17:00Z-18:00Z",  # 01:00-02:00 China time
            backup_retention_period=retention_within(s.backup_retention_days, RDS_RETENTION),
            opts=_child(self),
        )
        self.redis_password = managed_password(f"{name}-redis-password", 24, self)
        self.redis = kvstore.Instance(
            f"{name}-redis",
            db_instance_name=f"{name}-redis",
            instance_type="Redis",
            engine_version="7.0",
            instance_class=REDIS_INSTANCE_CLASS,
            payment_type="PostPaid",
            zone_id=s.zone,
            secondary_zone_id=s.secondary_zone,
            vswitch_id=net.data_subnet.id,
            security_ips=net.app_cidrs,
            password=self.redis_password.result,
            port=REDIS_PORT,
            enable_public=False,
            instance_release_protection=s.deletion_protection,
            tags=tags,
            opts=_child(self, protect=s.deletion_protection, additional_secret_outputs=["password"]),
        )
        self.database = DatabaseEndpoint(
            host=self.postgres.connection_string, port=self.postgres.port.apply(int), user=s.db_user,
            password=pulumi.Output.secret(self.pg_password.result), name=s.db_name,
        )
        self.cache = CacheEndpoint(host=self.redis.connection_domain, port=REDIS_PORT, password=pulumi.Output.secret(self.redis_password.result))
        self.register_outputs({})
