"""Everything that runs on the platform VM, in dependency order."""
from __future__ import annotations

import shlex
from dataclasses import dataclass

import pulumi
from pulumi_command import remote

from components.foundation import DatabaseEndpoint, Foundation, Host
from components.render.host_updates import CONFIG_PATH as UNATTENDED_CONFIG
from components.render.host_updates import render_unattended_upgrades, reboot_time
from components.runtime.access import HostAccess, HostAccessArgs, SshCredentials
from components.runtime.app import AppArgs, AppRelease
from components.runtime.backup import BackupArgs, Backups
from components.runtime.containers import SUBNETS, Networks
from components.runtime.data import Postgres, PostgresArgs, Redis, RedisArgs
from components.render.cpu_budget import cpu_limit
from components.runtime.edge import EdgeArgs, EdgeProxy
from components.runtime.monitoring import TEXTFILE_DIR, Monitoring, MonitoringArgs, NodeExporter
from components.settings import Secrets, Settings


@dataclass(frozen=True)
class HostRuntimeArgs:
    settings: Settings
    secrets: Secrets
    foundation: Foundation
    public_url: str
    # ha: which host this is (default: the first), whether it carries the monitoring stack and
    # the backup job (the first host only), and the release it must wait for (the previous
    # host's: releases roll one host at a time).
    host: Host | None = None
    primary: bool = True
    release_after: tuple[pulumi.Resource, ...] = ()
    # ha: the stack's one app SECRET_KEY, made by the first host (None: this host makes it).
    app_secret_key: pulumi.Output[str] | None = None


def bootstrap_database_command(s: Settings, db: DatabaseEndpoint) -> pulumi.Output[str]:
    """Creates the app's database on the managed server if missing (idempotent). The password
    arrives on stdin, so it is on no command line."""
    def command(host: str, port) -> str:
        psql = (f"docker run --rm -i --network host -e PGPASSWORD {shlex.quote(s.postgres_image)} "
                f"psql -h {shlex.quote(host)} -p {int(port)} -U {s.db_user} -d postgres -v ON_ERROR_STOP=1 -tAc")
        # bandit B608 is a false positive here: identifiers are checked by check_name/quote_ident or the settings' SQL-identifier rule
        return (f"set -eu; read -r PGPASSWORD; export PGPASSWORD; "  # nosec B608
                f"{psql} \"SELECT 1 FROM pg_database WHERE datname = '{s.db_name}'\" </dev/null | grep -q 1 "
                f"|| {psql} 'CREATE DATABASE \"{s.db_name}\"' </dev/null")
    return pulumi.Output.all(db.host, db.port).apply(lambda a: command(a[0], a[1]))


class HostRuntime(pulumi.ComponentResource):
    def __init__(self, name: str, args: HostRuntimeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:runtime:HostRuntime", name, None, opts)
        s, f = args.settings, args.foundation
        host = args.host or f.primary_host
        self.access = HostAccess(
            f"{name}-access",
            HostAccessArgs(host, SshCredentials(s.ssh_private_key_path), s.registry_server, s.registry_username, args.secrets.registry_password,
                           folders=(f"{s.data_mount_path}/static", TEXTFILE_DIR)),
            pulumi.ResourceOptions(parent=self),
        )
        conn = self.access.connection
        # cloud-init is one user data for every host of a stack, with the first host's reboot
        # time; each later host gets its own (host_updates.REBOOT_TIMES), so ha hosts never
        # reboot together. An existing host (ssh) runs no policy of ours.
        index = next(i for i, h in enumerate(f.hosts) if h is host)
        self.reboot_window: remote.Command | None = None
        if f.user_data is not None and index > 0:
            self.reboot_window = remote.Command(
                f"{name}-reboot-window", connection=conn, add_previous_output_in_env=False,
                create=f"sudo tee {UNATTENDED_CONFIG} >/dev/null && sudo chmod 0644 {UNATTENDED_CONFIG}",
                stdin=render_unattended_upgrades(reboot_time(index)),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.access.ready]),
            )
        # Every docker resource below goes through the SSH provider, after the readiness gate.
        on_host = pulumi.ResourceOptions(parent=self, providers={"docker": self.access.docker}, depends_on=[self.access.ready])
        self.networks = Networks(f"{name}-net", on_host).networks
        self.postgres: Postgres | None = None
        self.redis: Redis | None = None
        self.bootstrap: remote.Command | None = None
        if f.database is not None and f.cache is not None:
            # ha: the cloud's managed PostgreSQL and Redis; no data container on any host.
            database_url, redis_url = f.database.url, f.cache.url
            db_password, cache_password = f.database.password, f.cache.password
            postgres_address: pulumi.Input[str] = pulumi.Output.concat(f.database.host, ":", pulumi.Output.from_input(f.database.port).apply(str))
            redis_address: pulumi.Input[str] = pulumi.Output.concat("redis://", f.cache.host, ":", pulumi.Output.from_input(f.cache.port).apply(str))
            data_ready: list[pulumi.Resource] = []
            if args.primary:
                self.bootstrap = remote.Command(
                    f"{name}-db-bootstrap", connection=conn, add_previous_output_in_env=False, create=bootstrap_database_command(s, f.database),
                    stdin=pulumi.Output.concat(f.database.password, "\n"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[self.access.ready]),
                )
                data_ready = [self.bootstrap]
        else:
            self.postgres = Postgres(
                f"{name}-postgres",
                PostgresArgs(s.postgres_image, s.db_name, s.db_user, s.postgres_memory_mb, s.postgres_max_connections, self.networks, s.deletion_protection, conn,
                             cpus=cpu_limit("postgres", s.vm_cpu_count)),
                on_host,
            )
            self.redis = Redis(
                f"{name}-redis",
                RedisArgs(s.redis_image, s.redis_maxmemory_mb, s.redis_eviction_policy, self.networks, s.deletion_protection, conn,
                          cpus=cpu_limit("redis", s.vm_cpu_count)),
                on_host,
            )
            database_url, redis_url = self.postgres.url, self.redis.url
            db_password, cache_password = self.postgres.password.result, self.redis.password.result
            postgres_address, redis_address = "postgres:5432", "redis://redis:6379"
            data_ready = [self.postgres.container, self.redis.container]
        self.app = AppRelease(
            f"{name}-app",
            AppArgs(
                settings=s, connection=conn, database_url=database_url, redis_url=redis_url,
                extra_secret_env=args.secrets.app_secret_env, bucket=f.storage.bucket, s3_endpoint=f.storage.s3_endpoint,
                region=f.storage.region, docker_provider=self.access.docker,
                depends_on=[*data_ready, self.access.ready, *args.release_after],
                secret_key=args.app_secret_key,
            ),
            on_host,
        )
        # nginx starts after the first release, so its upstream file already names a live app.
        self.edge = EdgeProxy(
            f"{name}-edge",
            EdgeArgs(s, s.nginx_image, f.certificate, self.networks, SUBNETS["monitoring"], conn, depends_on=[self.app.release]),
            on_host,
        )
        self.monitoring: Monitoring | None = None
        self.backups: Backups | None = None
        self.node_exporter: NodeExporter | None = None
        if not args.primary:
            self.node_exporter = NodeExporter(f"{name}-node-exporter", s, host.private_ip, on_host)
        else:
            self.monitoring = Monitoring(
                f"{name}-monitoring",
                MonitoringArgs(
                    s, args.secrets, args.public_url, self.networks, conn, db_password, cache_password,
                    postgres_address=postgres_address, redis_address=redis_address,
                    other_hosts=[(h.hostname or s.host_name(i), h.private_ip) for i, h in enumerate(f.hosts) if h is not host],
                ),
                on_host,
            )
            self.backups = Backups(
                f"{name}-backup",
                BackupArgs(
                    settings=s, connection=conn, bucket=f.storage.bucket, s3_endpoint=f.storage.s3_endpoint, region=f.storage.region,
                    access_key_id=f.storage.access_key_id, secret_access_key=f.storage.secret_access_key,
                    # The managed Redis keeps its own backups: no snapshot job then.
                    redis_password=None if f.database else cache_password, depends_on=data_ready, database=f.database,
                ),
                on_host,
            )
        self.register_outputs({})
