"""PostgreSQL and Redis containers on the internal data network.

Neither publishes a port; both keep their data in named volumes under Docker's data root on
the data disk, protected in prod. Passwords are generated (pulumi_random) and reach the
containers as files, not environment variables, so `docker inspect` does not show them. The
roots are read-only, so the files are written on the host and their folder is bind-mounted
read-only (files.MountedFolder); a changed config restarts the container in place.
"""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker
import pulumi_random as random
from pulumi_command import remote

from components.render.postgres import PostgresTuning, render_postgresql_conf
from components.render.redis import RedisConfig, render_redis_conf
from components.runtime.containers import Hardening, RuntimeNetworks, attach, hardened, healthcheck, remote_image
from components.runtime import stopping
from components.runtime.files import CONFIG_ROOT, MountedFolder, RemoteFiles, files_options
from components.runtime.image_contracts import CONTRACTS

POSTGRES_HOST = "postgres"
REDIS_HOST = "redis"
PG_FILES = MountedFolder(f"{CONFIG_ROOT}/postgres", "/run/xqfc")
PG_PASSWORD_FILE = PG_FILES.path("postgres-password")
PG_CONF = PG_FILES.path("postgresql.conf")
REDIS_FILES = MountedFolder(f"{CONFIG_ROOT}/redis", "/usr/local/etc/redis")
REDIS_CONF = REDIS_FILES.path("redis.conf")
# The container runs as redis:7-alpine's user from the start, so its config (which holds
# requirepass) is that user's alone.
REDIS_UID = str(CONTRACTS["redis_image"].uid)


def restart_on_change(name: str, connection: remote.ConnectionArgs, container: docker.Container, files: RemoteFiles,
                      parent: pulumi.Resource) -> remote.Command:
    """Restarts the container (its stop signal and timeout apply) when a mounted file changes.

    `create` only records the files' digest: the container has just started with them. A new
    digest changes `create`, which pulumi-command runs as an update, i.e. `update`.
    """
    digest = pulumi.Output.unsecret(files.digest)
    return remote.Command(
        name,
        connection=connection, add_previous_output_in_env=False,
        create=pulumi.Output.concat("true files:", digest),
        update=pulumi.Output.concat("docker restart ", container.name, " >/dev/null # files:", digest),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[container]),
    )


def password(name: str, parent: pulumi.Resource) -> random.RandomPassword:
    # URL- and config-safe alphabet: the password is embedded in DATABASE_URL and redis.conf.
    return random.RandomPassword(name, length=32, special=False, opts=pulumi.ResourceOptions(parent=parent))


@dataclass(frozen=True)
class PostgresArgs:
    image: str
    db_name: str
    db_user: str
    memory_mb: int
    max_connections: int
    networks: RuntimeNetworks
    protect: bool
    connection: remote.ConnectionArgs
    cpus: float | None = None  # render/cpu_budget.py


class Postgres(pulumi.ComponentResource):
    def __init__(self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:runtime:Postgres", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.password = password(f"{name}-password", self)
        self.volume = docker.Volume(
            f"{name}-data",
            name="xqfc-pgdata",
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
        )
        image = remote_image(f"{name}-image", args.image, child)
        self.config = render_postgresql_conf(PostgresTuning(args.memory_mb, args.max_connections))
        # The entrypoint reads POSTGRES_PASSWORD_FILE as root, before it drops to the postgres
        # user (docker-library/postgres docker-entrypoint.sh: docker_setup_env runs before
        # `exec su-exec postgres`), so the password can stay root's alone.
        self.files = RemoteFiles(f"{name}-files", args.connection, [
            PG_FILES.file("postgres-password", self.password.result, mode="0400", owner="0:0"),
            PG_FILES.file("postgresql.conf", self.config),
        ], files_options(self, opts))
        self.container = docker.Container(
            f"{name}-container",
            name="xqfc-postgres",
            image=image.image_id,
            hostname=POSTGRES_HOST,
            command=["postgres", "-c", f"config_file={PG_CONF}"],
            envs=[
                f"POSTGRES_DB={args.db_name}",
                f"POSTGRES_USER={args.db_user}",
                f"POSTGRES_PASSWORD_FILE={PG_PASSWORD_FILE}",
                "POSTGRES_INITDB_ARGS=--auth-host=scram-sha-256 --data-checksums",
                "PGDATA=/var/lib/postgresql/data/pgdata",
            ],
            volumes=[docker.ContainerVolumeArgs(volume_name=self.volume.name, container_path="/var/lib/postgresql/data"),
                     PG_FILES.mount()],
            networks_advanced=attach((args.networks.data, [POSTGRES_HOST])),
            healthcheck=healthcheck(["CMD-SHELL", f"pg_isready -U {args.db_user} -d {args.db_name} -h 127.0.0.1"]),
            wait=True,
            wait_timeout=180,
            shm_size=256,
            # Let PostgreSQL finish a checkpoint instead of being killed mid-write.
            stop_timeout=stopping.POSTGRES_S,
            stop_signal="SIGINT",
            # The entrypoint starts as root to own PGDATA, then drops to the postgres user; the
            # postmaster is PID 1 itself so that the stop signal reaches it (Hardening.init).
            **hardened(Hardening(
                memory_mb=args.memory_mb,
                cpus=args.cpus,
                init=False,
                cap_add=("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETGID", "CAP_SETUID"),
                # bandit B108 is a false positive here: a tmpfs mount or work dir inside a container/unit, not a temp file created here
                tmpfs={"/tmp": "rw,noexec,nosuid,size=64m", "/var/run/postgresql": "rw,nosuid,size=8m"},  # nosec B108
            )),
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.files.commands),
        )
        self.restart = restart_on_change(f"{name}-restart", args.connection, self.container, self.files, self)
        self.url: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.concat("postgresql://", args.db_user, ":", self.password.result, "@", POSTGRES_HOST, ":5432/", args.db_name)
        )
        self.register_outputs({"host": POSTGRES_HOST})


@dataclass(frozen=True)
class RedisArgs:
    image: str
    maxmemory_mb: int
    eviction_policy: str
    networks: RuntimeNetworks
    protect: bool
    connection: remote.ConnectionArgs
    cpus: float | None = None  # render/cpu_budget.py


class Redis(pulumi.ComponentResource):
    def __init__(self, name: str, args: RedisArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:runtime:Redis", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.password = password(f"{name}-password", self)
        self.volume = docker.Volume(
            f"{name}-data",
            name="xqfc-redisdata",
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
        )
        image = remote_image(f"{name}-image", args.image, child)
        config: pulumi.Output[str] = pulumi.Output.secret(
            self.password.result.apply(lambda pw: render_redis_conf(RedisConfig(pw, args.maxmemory_mb, args.eviction_policy)))
        )
        self.files = RemoteFiles(f"{name}-files", args.connection, [
            REDIS_FILES.file("redis.conf", config, mode="0400", owner=REDIS_UID),
        ], files_options(self, opts))
        # Headroom over maxmemory for the AOF rewrite fork and client buffers.
        limit = args.maxmemory_mb + max(64, args.maxmemory_mb // 2)
        self.container = docker.Container(
            f"{name}-container",
            name="xqfc-redis",
            image=image.image_id,
            hostname=REDIS_HOST,
            command=["redis-server", REDIS_CONF],
            user="redis",
            volumes=[docker.ContainerVolumeArgs(volume_name=self.volume.name, container_path="/data"), REDIS_FILES.mount()],
            networks_advanced=attach((args.networks.data, [REDIS_HOST])),
            healthcheck=healthcheck(
                # The password goes by environment, not argv, so `ps` never shows it.
                ["CMD-SHELL", f"REDISCLI_AUTH=\"$(sed -n 's/^requirepass //p' {REDIS_CONF})\" redis-cli ping | grep -q PONG"]
            ),
            wait=True,
            wait_timeout=90,
            # SIGTERM makes Redis fsync its AOF and save a final RDB (runtime/stopping.py).
            stop_timeout=stopping.redis_stop_timeout(args.maxmemory_mb),
            **hardened(Hardening(memory_mb=limit, cpus=args.cpus)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.files.commands),
        )
        self.restart = restart_on_change(f"{name}-restart", args.connection, self.container, self.files, self)
        self.url: pulumi.Output[str] = pulumi.Output.secret(pulumi.Output.concat("redis://:", self.password.result, "@", REDIS_HOST, ":6379/0"))
        self.register_outputs({"host": REDIS_HOST})
