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
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_random as random
from pulumi_command import remote

from components.render.release import ReleaseLayout, render_env_file, render_release_conf
from components.runtime.containers import APP_ADDRESSES, LOG_OPTS, remote_image
from components.runtime.edge import CONF_DIR as NGINX_CONF_DIR
from components.runtime.edge import CONTAINER as NGINX_CONTAINER
from components.runtime.edge import UPSTREAM_HOST_FILE
from components.runtime.files import CONFIG_ROOT, FileSpec, RemoteFiles, files_options
from components.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
RELEASE_DIR = f"{CONFIG_ROOT}/release"
SCRIPT = f"{RELEASE_DIR}/release.sh"
RELEASE_CONF = f"{RELEASE_DIR}/release.conf"
ENV_FILE = f"{CONFIG_ROOT}/app/app.env"
NGINX_CONF = f"{NGINX_CONF_DIR}/nginx.conf"
# Where the release script finds what Pulumi wrote for it.
LAYOUT = ReleaseLayout(
    env_file=ENV_FILE,
    state_dir=f"{RELEASE_DIR}/state",
    upstream_file=UPSTREAM_HOST_FILE,
    nginx_container=NGINX_CONTAINER,
    nginx_conf=NGINX_CONF,
    log_opts=LOG_OPTS,
    app_addresses=(APP_ADDRESSES["blue"], APP_ADDRESSES["green"]),
)


def release_conf(s: Settings) -> str:
    return render_release_conf(s, LAYOUT)


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
    # ha: the first host's SECRET_KEY. It signs what the client carries (session cookie, CSRF
    # token), so every host behind the load balancer must hold the same one; None: make it here.
    secret_key: pulumi.Output[str] | None = None


class AppRelease(pulumi.ComponentResource):
    def __init__(self, name: str, args: AppArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:runtime:AppRelease", name, None, opts)
        s = args.settings
        # Generated once per stack, by the first host's release (its name, so a single stack keeps
        # its key and its users' sessions); later hosts are handed that one.
        self.secret_key: random.RandomPassword | None = None
        if args.secret_key is None:
            self.secret_key = random.RandomPassword(f"{name}-secret-key", length=48, special=False, opts=pulumi.ResourceOptions(parent=self))
            self.secret_key_value: pulumi.Output[str] = self.secret_key.result
        else:
            self.secret_key_value = args.secret_key
        env = pulumi.Output.all(
            db=args.database_url, redis=args.redis_url, key=self.secret_key_value, extra=args.extra_secret_env, bucket=args.bucket,
        ).apply(lambda a: render_env_file({
            "APP_ENV": s.environment,
            # The port the release's health gate, nginx and Prometheus use (appPort).
            "PORT": str(s.app_port),
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
            files_options(self, opts),
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
            connection=args.connection, add_previous_output_in_env=False,
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
