"""What the release script on the VM reads: its settings file and the app's env file.

Both are pure text: `release.conf` is sourced by sh (values shell-quoted), `app.env` is read
by `docker run --env-file`, which takes every value literally (no quoting, one line each).
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Mapping

from components.runtime import stopping
from components.settings import Settings

_ENV_KEY = re.compile(r"^[A-Z_][A-Z0-9_]*\Z")


@dataclass(frozen=True)
class ReleaseLayout:
    """Paths and names on the VM that the release script must know."""

    env_file: str
    state_dir: str
    upstream_file: str
    nginx_container: str
    nginx_conf: str
    log_opts: Mapping[str, str]
    # Fixed edge addresses of the blue and green containers (runtime/containers.py).
    app_addresses: tuple[str, str] = ("", "")


def docker_run_args(s: Settings, log_opts: Mapping[str, str]) -> list[str]:
    """Extra `docker run` options: the same hardening as the Pulumi-managed containers."""
    args = [
        "--memory", f"{s.app_memory_mb}m", "--memory-swap", f"{s.app_memory_mb}m", "--cpus", str(s.app_cpus),
        "--security-opt", "no-new-privileges:true", "--cap-drop", "ALL", "--read-only",
        # bandit B108 is a false positive here: a tmpfs mount or work dir inside a container/unit, not a temp file created here
        "--tmpfs", "/tmp:rw,noexec,nosuid,size=64m", "--init",  # nosec B108
        # A reboot stops the app with the container's own timeout: give it the release's.
        "--stop-timeout", str(stopping.APP_S),
        "--log-driver", "json-file", *[x for k, v in log_opts.items() for x in ("--log-opt", f"{k}={v}")],
    ]
    if s.app_user:
        args += ["--user", s.app_user]
    return args


def render_release_conf(s: Settings, layout: ReleaseLayout) -> str:
    """KEY=value lines the script sources (docs/releases.md lists them)."""
    values = {
        "APP_NAME": "xqfc-app",
        "APP_PORT": str(s.app_port),
        "EDGE_NETWORK": "xqfc-edge",
        "APP_IP_BLUE": layout.app_addresses[0],
        "APP_IP_GREEN": layout.app_addresses[1],
        "APP_NETWORKS": "xqfc-data xqfc-monitoring",
        # Prometheus scrapes `app:<port>` on the monitoring network.
        "APP_NETWORK_ALIAS": "app",
        "APP_ENV_FILE": layout.env_file,
        "APP_RUN_ARGS": " ".join(docker_run_args(s, layout.log_opts)),
        # Pulumi pulls the image through the Docker provider, which holds the stack's registry
        # credentials (runtime/app.py); the host itself has no login, so the script only checks
        # that the image is there.
        "PULL": "no",
        "MIGRATE_CMD": s.app_migration_command,
        # ha: the managed database is outside Docker, and xqfc-data is internal (no route out).
        "MIGRATE_NETWORK": "xqfc-edge" if s.is_ha else "xqfc-data",
        "HEALTH_PATH": s.app_health_path,
        "HEALTH_TIMEOUT": "90",
        "DRAIN_SECONDS": "35",
        "STOP_TIMEOUT": str(stopping.APP_S),
        "NGINX_CONTAINER": layout.nginx_container,
        # The edge nginx runs our config, not the image's default: test and reload that one.
        "NGINX_TEST_CMD": f"docker exec {layout.nginx_container} nginx -t -q -c {layout.nginx_conf}",
        "NGINX_RELOAD_CMD": f"docker exec {layout.nginx_container} nginx -s reload -c {layout.nginx_conf}",
        "UPSTREAM_FILE": layout.upstream_file,
        "STATE_DIR": layout.state_dir,
    }
    return "".join(f"{k}={shlex.quote(v)}\n" for k, v in values.items())


def render_env_file(values: Mapping[str, str]) -> str:
    """docker --env-file text: one KEY=value per line, taken literally (no quoting)."""
    lines = []
    for k, v in sorted(values.items()):
        if not _ENV_KEY.match(k):
            raise ValueError(f"xqfc:appSecretEnv: {k!r} is not an environment variable name (A-Z, 0-9, _)")
        if "\n" in str(v) or "\r" in str(v):
            raise ValueError(f"xqfc:appSecretEnv: the value of {k} spans lines, which --env-file cannot carry")
        lines.append(f"{k}={v}")
    return "\n".join(lines) + "\n"
