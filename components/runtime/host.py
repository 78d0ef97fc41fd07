"""Everything that runs on the platform VM, in dependency order."""
from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.foundation import Foundation
from components.runtime.access import HostAccess, HostAccessArgs, SshCredentials
from components.runtime.app import AppArgs, AppRelease
from components.runtime.backup import BackupArgs, Backups
from components.runtime.containers import SUBNETS, Networks
from components.runtime.data import Postgres, PostgresArgs, Redis, RedisArgs
from components.runtime.edge import EdgeArgs, EdgeProxy
from components.runtime.monitoring import Monitoring, MonitoringArgs
from components.settings import Secrets, Settings


@dataclass(frozen=True)
class HostRuntimeArgs:
    settings: Settings
    secrets: Secrets
    foundation: Foundation
    public_url: str


class HostRuntime(pulumi.ComponentResource):
    def __init__(self, name: str, args: HostRuntimeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:runtime:HostRuntime", name, None, opts)
        s, f = args.settings, args.foundation
        host = f.primary_host
        self.access = HostAccess(
            f"{name}-access",
            HostAccessArgs(host, SshCredentials(s.ssh_private_key_path), s.registry_server, s.registry_username, args.secrets.registry_password),
            pulumi.ResourceOptions(parent=self),
        )
        conn = self.access.connection
        # Every docker resource below goes through the SSH provider, after the readiness gate.
        on_host = pulumi.ResourceOptions(parent=self, providers={"docker": self.access.docker}, depends_on=[self.access.ready])
        self.networks = Networks(f"{name}-net", on_host).networks
        self.postgres = Postgres(
            f"{name}-postgres",
            PostgresArgs(s.postgres_image, s.db_name, s.db_user, s.postgres_memory_mb, s.postgres_max_connections, self.networks, s.deletion_protection),
            on_host,
        )
        self.redis = Redis(
            f"{name}-redis",
            RedisArgs(s.redis_image, s.redis_maxmemory_mb, s.redis_eviction_policy, self.networks, s.deletion_protection),
            on_host,
        )
        self.app = AppRelease(
            f"{name}-app",
            AppArgs(
                settings=s, connection=conn, database_url=self.postgres.url, redis_url=self.redis.url,
                extra_secret_env=args.secrets.app_secret_env, bucket=f.storage.bucket, s3_endpoint=f.storage.s3_endpoint,
                region=f.storage.region, docker_provider=self.access.docker,
                depends_on=[self.postgres.container, self.redis.container, self.access.ready],
            ),
            on_host,
        )
        # nginx starts after the first release, so its upstream file already names a live app.
        self.edge = EdgeProxy(
            f"{name}-edge",
            EdgeArgs(s, s.nginx_image, f.certificate, self.networks, SUBNETS["monitoring"], conn, depends_on=[self.app.release]),
            on_host,
        )
        self.monitoring = Monitoring(
            f"{name}-monitoring",
            MonitoringArgs(s, args.secrets, args.public_url, self.networks, conn, self.postgres.password.result, self.redis.password.result),
            on_host,
        )
        self.backups = Backups(
            f"{name}-backup",
            BackupArgs(
                settings=s, connection=conn, bucket=f.storage.bucket, s3_endpoint=f.storage.s3_endpoint, region=f.storage.region,
                access_key_id=f.storage.access_key_id, secret_access_key=f.storage.secret_access_key,
                redis_password=self.redis.password.result, depends_on=[self.postgres.container, self.redis.container],
            ),
            on_host,
        )
        self.register_outputs({})
