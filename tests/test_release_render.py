"""The release script's inputs, rendered: sourced by a real sh, and --env-file's strict format."""
from __future__ import annotations

import shlex
import subprocess

import pytest

from components.render.release import ReleaseLayout, docker_run_args, render_env_file, render_release_conf
from components.settings import from_mapping
from tests.test_settings import valid
from tests.tools import require_tool

LAYOUT = ReleaseLayout(
    env_file="/srv/xqfc/app/app.env", state_dir="/srv/xqfc/release/state", upstream_file="/srv/xqfc/nginx/upstream/app.conf",
    nginx_container="xqfc-nginx", nginx_conf="/etc/xqfc-nginx/nginx.conf", log_opts={"max-size": "20m", "max-file": "5"},
)


def sourced(conf: str, tmp_path, *names: str) -> dict[str, str]:
    path = tmp_path / "release.conf"
    path.write_text(conf)
    script = f". {shlex.quote(str(path))}; " + "; ".join(f'printf "%s\\0" "${n}"' for n in names)
    out = subprocess.run([require_tool("dash"), "-c", script], capture_output=True, text=True, check=True).stdout
    return dict(zip(names, out.split("\0")))


def test_sh_reads_back_every_value_exactly(tmp_path):
    s = from_mapping(valid(appMigrationCommand="alembic upgrade head && echo 'done; ok'"), "dev")
    got = sourced(render_release_conf(s, LAYOUT), tmp_path, "MIGRATE_CMD", "APP_RUN_ARGS", "NGINX_TEST_CMD", "APP_ENV_FILE")
    assert got["MIGRATE_CMD"] == s.app_migration_command
    assert got["APP_RUN_ARGS"] == " ".join(docker_run_args(s, LAYOUT.log_opts))
    assert got["NGINX_TEST_CMD"] == "docker exec xqfc-nginx nginx -t -q -c /etc/xqfc-nginx/nginx.conf"
    assert got["APP_ENV_FILE"] == LAYOUT.env_file


def test_the_host_never_pulls_what_pulumi_pulled_with_credentials(tmp_path):
    # The registry login lives in the Docker provider only; a pull on the host would be anonymous.
    s = from_mapping(valid(), "dev")
    assert sourced(render_release_conf(s, LAYOUT), tmp_path, "PULL")["PULL"] == "no"


def test_run_args_carry_the_hardening_and_limits():
    s = from_mapping(valid(appMemoryMb="768", appCpus="1.5", appUser="10001:10001"), "dev")
    args = docker_run_args(s, LAYOUT.log_opts)
    assert args[args.index("--memory") + 1] == "768m" and args[args.index("--cpus") + 1] == "1.5"
    assert "--read-only" in args and args[args.index("--cap-drop") + 1] == "ALL"
    assert args[args.index("--user") + 1] == "10001:10001" and args[args.index("--security-opt") + 1] == "no-new-privileges:true"
    assert "--user" not in docker_run_args(from_mapping(valid(appUser=""), "dev"), LAYOUT.log_opts)


def test_env_file_is_one_literal_line_per_variable():
    text = render_env_file({"REDIS_URL": "redis://:p@redis:6379/0", "APP_ENV": "dev"})
    assert text == "APP_ENV=dev\nREDIS_URL=redis://:p@redis:6379/0\n"


@pytest.mark.parametrize("values,fragment", [
    ({"bad-key": "x"}, "not an environment variable name"),
    ({"MAP_KEY": "line1\nline2"}, "spans lines"),
])
def test_env_file_refuses_what_docker_cannot_carry(values, fragment):
    with pytest.raises(ValueError, match=fragment):
        render_env_file(values)
