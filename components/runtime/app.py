"""The app, released blue/green by scripts/release.sh on the VM (docs/releases.md).

The app is not a pulumi-docker Container: those are replaced delete-before-replace, which
would take the site down on every release. Pulumi ships the script, its config and the
app's env file, pre-pulls the image (with registry credentials), and runs one release per
change of image or environment: `create` and `update` are the same `deploy <image>` command,
so a change is an in-place update that runs exactly one release. A release that fails its
migration or health check exits non-zero with the old colour still serving, and the
`pulumi up` fails with it.
"""
from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_random as random
from pulumi_command import remote

from components.runtime.containers import LOG_OPTS, remote_image
from components.runtime.edge import CONF_DIR as NGINX_CONF_DIR
from components.runtime.edge import CONTAINER as NGINX_CONTAINER
from components.runtime.edge import UPSTREAM_HOST_FILE
from components.runtime.files import CONFIG_ROOT, FileSpec, RemoteFiles
from components.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
RELEASE_DIR = f"{CONFIG_ROOT}/release"
SCRIPT = f"{RELEASE_DIR}/release.sh"
RELEASE_CONF = f"{RELEASE_DIR}/release.conf"
ENV_FILE = f"{CONFIG_ROOT}/app/app.env"
NGINX_CONF = f"{NGINX_CONF_DIR}/nginx.conf"
_ENV_KEY = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def run_args(s: Settings) -> list[str]:
    """Extra `docker run` options: the same hardening as the Pulumi-managed containers."""
    args = [
        "--memory", f"{s.app_memory_mb}m", "--memory-swap", f"{s.app_memory_mb}m", "--cpus", str(s.app_cpus),
        "--security-opt", "no-new-privileges:true", "--cap-drop", "ALL", "--read-only",
        "--tmpfs", "/tmp:rw,noexec,nosuid,size=64m", "--init",  # nosec B108: a tmpfs mount or work dir inside a container/unit, not a temp file created here
        "--log-driver", "json-file", *[x for k, v in LOG_OPTS.items() for x in ("--log-opt", f"{k}={v}")],
    ]
    if s.app_user:
        args += ["--user", s.app_user]
    return args


def release_conf(s: Settings) -> str:
    """KEY=value lines the script sources (docs/releases.md lists them)."""
    values = {
        "APP_NAME": "xqfc-app",
        "APP_PORT": str(s.app_port),
        "EDGE_NETWORK": "xqfc-edge",
        "APP_NETWORKS": "xqfc-data xqfc-monitoring",
        # Prometheus scrapes `app:<port>` on the monitoring network.
        "APP_NETWORK_ALIAS": "app",
        "APP_ENV_FILE": ENV_FILE,
        "APP_RUN_ARGS": " ".join(run_args(s)),
        "MIGRATE_CMD": s.app_migration_command,
        # ha: the managed database is outside Docker, and xqfc-data is internal (no route out).
        "MIGRATE_NETWORK": "xqfc-edge" if s.is_ha else "xqfc-data",
        "HEALTH_PATH": s.app_health_path,
        "HEALTH_TIMEOUT": "90",
        "DRAIN_SECONDS": "35",
        "STOP_TIMEOUT": "30",
        "NGINX_CONTAINER": NGINX_CONTAINER,
        # The edge nginx runs our config, not the image's default: test and reload that one.
        "NGINX_TEST_CMD": f"docker exec {NGINX_CONTAINER} nginx -t -q -c {NGINX_CONF}",
        "NGINX_RELOAD_CMD": f"docker exec {NGINX_CONTAINER} nginx -s reload -c {NGINX_CONF}",
        "UPSTREAM_FILE": UPSTREAM_HOST_FILE,
        "STATE_DIR": f"{RELEASE_DIR}/state",
    }
    return "".join(f"{k}={shlex.quote(v)}\n" for k, v in values.items())


def env_file(values: dict[str, str]) -> str:
    """docker --env-file text: one KEY=value per line, taken literally (no quoting)."""
    lines = []
    for k, v in sorted(values.items()):
        if not _ENV_KEY.match(k):
            raise ValueError(f"xqfc:appSecretEnv: {k!r} is not an environment variable name (A-Z, 0-9, _)")
        if "\n" in str(v) or "\r" in str(v):
            raise ValueError(f"xqfc:appSecretEnv: the value of {k} spans lines, which --env-file cannot carry")
        lines.append(f"{k}={v}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class AppArgs:
    settings: Settings
    connection: remote.ConnectionArgs
    database_url: pulumi.Output[str]
    redis_url: pulumi.Output[str]
    extra_secret_env: pulumi.Output[dict]
    bucket: pulumi.Output[str]
    s3_endpoint: str
    region: str
    docker_provider: pulumi.ProviderResource
    depends_on: list[pulumi.Resource]


class AppRelease(pulumi.ComponentResource):
    def __init__(self, name: str, args: AppArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:runtime:AppRelease", name, None, opts)
        s = args.settings
        self.secret_key = random.RandomPassword(f"{name}-secret-key", length=48, special=False, opts=pulumi.ResourceOptions(parent=self))
        env = pulumi.Output.all(
            db=args.database_url, redis=args.redis_url, key=self.secret_key.result, extra=args.extra_secret_env, bucket=args.bucket,
        ).apply(lambda a: env_file({
            "APP_ENV": s.environment,
            "DATABASE_URL": a["db"],
            "REDIS_URL": a["redis"],
            "SECRET_KEY": a["key"],
            "PUBLIC_URL": s.site_url,
            "S3_BUCKET": a["bucket"],
            "S3_ENDPOINT": args.s3_endpoint,
            "S3_REGION": args.region,
            **{str(k): str(v) for k, v in (a["extra"] or {}).items()},
        }))
        self.files = RemoteFiles(
            f"{name}-files",
            args.connection,
            [
                FileSpec(SCRIPT, (ROOT / "scripts" / "release.sh").read_text(), mode="0755"),
                FileSpec(RELEASE_CONF, release_conf(s)),
                FileSpec(ENV_FILE, pulumi.Output.secret(env), mode="0600"),
            ],
            pulumi.ResourceOptions(parent=self),
        )
        # Pulled through the Docker provider, which holds the registry credentials, so the
        # script's `docker run` finds the image locally.
        self.image = remote_image(f"{name}-image", s.app_image, pulumi.ResourceOptions(parent=self, provider=args.docker_provider))
        # The env file's hash (not its content) marks an environment change as a new release.
        env_hash = pulumi.Output.unsecret(env.apply(lambda t: hashlib.sha256(t.encode()).hexdigest()[:16]))
        deploy = pulumi.Output.concat(
            f"RELEASE_CONFIG={RELEASE_CONF} ENV_REVISION=", env_hash, f" sh {SCRIPT} deploy ", s.app_image,
        )
        self.release = remote.Command(
            f"{name}-release",
            connection=args.connection,
            create=deploy,
            update=deploy,
            delete=f"RELEASE_CONFIG={RELEASE_CONF} sh {SCRIPT} remove",
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*self.files.commands, self.image, *args.depends_on],
                # Pull, migration, health checks and the drain all fit in here.
                custom_timeouts=pulumi.CustomTimeouts(create="20m", update="20m"),
            ),
        )
        self.register_outputs({"image": s.app_image})
