"""The local e2e images honour components/runtime/image_contracts.py.

Run:  eval "$(tests/e2e/engine.sh start)" && tests/e2e/images/build.sh && pytest -m e2e tests/e2e
Skipped (with the reason) when the private engine is not running.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from components.runtime.image_contracts import CONTRACTS, ImageContract

pytestmark = pytest.mark.e2e


def _engine_problem() -> str | None:
    host = os.environ.get("DOCKER_HOST", "")
    if not host:
        return "DOCKER_HOST is unset: start the private engine with eval \"$(tests/e2e/engine.sh start)\""
    if host.startswith("unix://") and not Path(host[len("unix://"):]).is_socket():
        return f"no Docker socket at {host}: start it with tests/e2e/engine.sh start"
    if shutil.which("docker") is None:
        return "no docker CLI on PATH"
    return None


_PROBLEM = _engine_problem()
if _PROBLEM:
    if os.environ.get("XQFC_E2E_REQUIRED"):
        raise RuntimeError(_PROBLEM)  # under make e2e a missing engine fails the run
    pytest.skip(_PROBLEM, allow_module_level=True)


def docker(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout)


def inspect(image: str) -> dict:
    out = docker("image", "inspect", image, check=False)
    if out.returncode != 0:
        pytest.fail(f"{image} is missing: build it with tests/e2e/images/build.sh ({out.stderr.strip()})")
    return json.loads(out.stdout)[0]["Config"]


def run_sh(image: str, script: str, user: str = "0:0") -> str:
    out = docker("run", "--rm", "--user", user, "--entrypoint", "/bin/sh", image, "-c", script, check=False)
    assert out.returncode == 0, f"{image}: `{script}` failed: {out.stdout}{out.stderr}"
    return out.stdout


PARAMS = [pytest.param(key, c, id=key) for key, c in CONTRACTS.items()]


@pytest.mark.parametrize(("key", "contract"), PARAMS)
def test_config_mirrors_upstream(key: str, contract: ImageContract) -> None:
    cfg = inspect(contract.local_image)
    assert (cfg.get("User") or "") == contract.image_user, f"{key}: USER"
    assert tuple(cfg.get("Entrypoint") or ()) == contract.image_entrypoint, f"{key}: ENTRYPOINT"
    assert tuple(cfg.get("Cmd") or ()) == contract.image_cmd, f"{key}: CMD"


@pytest.mark.parametrize(("key", "contract"), PARAMS)
def test_user_paths_and_binaries(key: str, contract: ImageContract) -> None:
    image = contract.local_image
    lines = []
    if not contract.user.isdigit():
        # The account exists with the contract's uid and gid.
        lines.append(f'[ "$(id -u {contract.user})" = {contract.uid} ] || {{ echo "uid of {contract.user}: $(id -u {contract.user})"; exit 1; }}')
        lines.append(f'[ "$(id -g {contract.user})" = {contract.gid} ] || {{ echo "gid of {contract.user}: $(id -g {contract.user})"; exit 1; }}')
    for path in (*contract.config_paths, *contract.data_paths):
        lines.append(f'[ -e "{path}" ] || {{ echo "missing {path}"; exit 1; }}')
    for path in contract.owned_paths:
        lines.append(f'[ "$(stat -L -c %u "{path}")" = {contract.uid} ] || {{ echo "{path} owned by $(stat -L -c %u "{path}")"; exit 1; }}')
    for binary in contract.health_binaries:
        lines.append(f'command -v "{binary}" >/dev/null || {{ echo "no {binary} on PATH"; exit 1; }}')
    run_sh(image, "\n".join(lines) or "true")


@pytest.mark.parametrize(("key", "contract"), PARAMS)
def test_runs_as_contract_uid(key: str, contract: ImageContract) -> None:
    """The image's own USER (no override) yields the contract's uid and gid."""
    if contract.starts_as_root:
        pytest.skip(f"{key} starts as root and drops to {contract.user} itself (the postgres test covers it)")
    out = docker("run", "--rm", "--entrypoint", "/bin/sh", contract.local_image, "-c", "echo $(id -u):$(id -g)")
    assert out.stdout.strip() == f"{contract.uid}:{contract.gid}"


PG = CONTRACTS["postgres_image"]


@pytest.fixture
def pg_container(tmp_path: Path):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "postgres-password").write_text("e2e-s3cret-pw")
    (secrets / "postgres-password").chmod(0o400)  # root's alone, as data.py writes it
    (secrets / "postgresql.conf").write_text("listen_addresses = '*'\nmax_connections = 20\nshared_buffers = 32MB\n")
    name = f"xqfc-e2e-pg-{uuid.uuid4().hex[:8]}"
    # The hardening of components/runtime/data.py (Postgres) and containers.hardened().
    docker(
        "run", "-d", "--name", name, "--read-only", "--init",
        "--cap-drop", "ALL", *[a for c in ("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID") for a in ("--cap-add", c)],
        "--security-opt", "no-new-privileges:true", "--memory", "512m", "--shm-size", "256m",
        "--tmpfs", "/tmp:rw,noexec,nosuid,size=64m", "--tmpfs", "/var/run/postgresql:rw,nosuid,size=8m",
        "-v", f"{secrets}:/run/xqfc:ro", "--stop-signal", "SIGINT",
        "-e", "POSTGRES_DB=xqfc", "-e", "POSTGRES_USER=xqfc", "-e", "POSTGRES_PASSWORD_FILE=/run/xqfc/postgres-password",
        "-e", "POSTGRES_INITDB_ARGS=--auth-host=scram-sha-256 --data-checksums",
        "-e", "PGDATA=/var/lib/postgresql/data/pgdata",
        "--health-cmd", "pg_isready -U xqfc -d xqfc -h 127.0.0.1", "--health-interval", "1s", "--health-retries", "60",
        PG.local_image, "postgres", "-c", "config_file=/run/xqfc/postgresql.conf",
    )
    try:
        yield name
    finally:
        docker("rm", "-f", "-v", name, check=False)


def test_postgres_hardened_reaches_healthy_and_takes_password(pg_container: str) -> None:
    deadline = time.monotonic() + 90
    status = ""
    while time.monotonic() < deadline:
        status = docker("inspect", "-f", "{{.State.Health.Status}}", pg_container, check=False).stdout.strip()
        if status in ("healthy", "") or docker("inspect", "-f", "{{.State.Running}}", pg_container).stdout.strip() != "true":
            break
        time.sleep(1)
    logs = docker("logs", pg_container, check=False)
    assert status == "healthy", f"postgres is {status or 'gone'}:\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}"
    ok = docker("exec", "-e", "PGPASSWORD=e2e-s3cret-pw", pg_container,
                "psql", "-h", "127.0.0.1", "-U", "xqfc", "-d", "xqfc", "-Atc", "select current_user", check=False)
    assert ok.returncode == 0 and ok.stdout.strip() == "xqfc", ok.stderr
    bad = docker("exec", "-e", "PGPASSWORD=wrong", pg_container,
                 "psql", "-h", "127.0.0.1", "-U", "xqfc", "-d", "xqfc", "-Atc", "select 1", check=False)
    assert bad.returncode != 0 and "password authentication failed" in bad.stderr
    # The server runs as the contract's uid, and the secret did not stay in its environment.
    who = docker("exec", pg_container, "sh", "-c", "stat -c %u /proc/$(head -1 $PGDATA/postmaster.pid)/ && "
                 "tr '\\0' '\\n' < /proc/$(head -1 $PGDATA/postmaster.pid)/environ | grep -c _FILE || true").stdout.split()
    assert who[0] == str(PG.uid)
    assert who[1] == "0", "POSTGRES_PASSWORD_FILE should be unset before postgres starts"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_nginx_image_tests_each_stacks_config_without_a_warning(stack: str, tmp_path: Path) -> None:
    """`nginx -t` in the nginx image (nginx >= 1.25.1, like upstream 1.28) on the config each stack
    renders prints no [warn]: a reload that always warns hides the warning that matters (issue 19)."""
    from components.plan.run import run_stack_on
    from components.render.nginx import UpstreamTarget, render_upstream
    from components.runtime.containers import APP_ADDRESSES
    from components.runtime.edge import CONF_DIR
    from tests.edge_harness import HTTP2_DIRECTIVE_SINCE, make_tls

    image = CONTRACTS["nginx_image"].local_image
    version = docker("run", "--rm", "--entrypoint", "nginx", image, "-v", check=False)
    found = tuple(int(x) for x in version.stderr.strip().rsplit("/", 1)[-1].split(".")[:3])
    assert found >= HTTP2_DIRECTIVE_SINCE, f"{image} runs nginx {found}: too old to show the 1.25.1 warnings"
    plan = run_stack_on(stack, "ssh", {})
    domain = plan.config["xqfc:domain"]
    conf = tmp_path / "conf"
    (conf / "certs").mkdir(parents=True)
    (conf / "upstream").mkdir()
    tls = make_tls(tmp_path / "tls", [domain, f"www.{domain}", f"grafana.{domain}"])
    shutil.copy(tls.cert, conf / "certs" / "fullchain.pem")
    shutil.copy(tls.key, conf / "certs" / "privkey.pem")
    (conf / "upstream" / "app.conf").write_text(render_upstream([UpstreamTarget(APP_ADDRESSES["blue"], 8000)]))
    (conf / "nginx.conf").write_text(plan.artifacts["nginx/nginx.conf"])
    out = docker("run", "--rm", "-v", f"{conf}:{CONF_DIR}:ro", "--entrypoint", "nginx", image,
                 "-t", "-c", f"{CONF_DIR}/nginx.conf", check=False)
    assert out.returncode == 0, out.stderr
    assert [line for line in out.stderr.splitlines() if "[warn]" in line] == [], out.stderr


def test_the_engine_returns_what_the_provider_behaviour_model_says(tmp_path: Path) -> None:
    """The engine rules of components/runtime/provider_behaviour.py, on the real engine: the Docker
    client (the CLI uses the same client package as the provider) canonicalises capabilities, the
    daemon adds label=disable for a host pid namespace and twice the memory as swap, keeps tmpfs
    options verbatim, stores durations in nanoseconds, and reports no gateway it was not given."""
    from components.runtime import provider_behaviour as pb

    image = CONTRACTS["node_exporter_image"].local_image
    name = f"xqfc-readback-{uuid.uuid4().hex[:8]}"
    docker("create", "--name", name, "--cap-drop", "all", "--cap-add", "chown", "--cap-add", "CAP_SETUID",
           "--pid", "host", "--security-opt", "no-new-privileges:true", "--memory", "64m",
           "--tmpfs", "/tmp:rw,noexec,nosuid,size=64m", "--health-cmd", "true", "--health-interval", "90s",
           "--health-timeout", "5s", "--cpus", "0.5", image)
    try:
        host = json.loads(docker("inspect", name).stdout)[0]
    finally:
        docker("rm", "-f", name, check=False)
    hc = host["HostConfig"]
    assert hc["CapAdd"] == pb.canonical_capabilities(["chown", "CAP_SETUID"]) == ["CAP_CHOWN", "CAP_SETUID"]
    assert hc["CapDrop"] == pb.canonical_capabilities(["all"]) == ["ALL"]
    assert hc["SecurityOpt"] == pb.engine_security_opts(["no-new-privileges:true"], pid_mode="host")
    assert hc["MemorySwap"] == 2 * hc["Memory"] == 128 * 1024 * 1024
    assert hc["Tmpfs"] == {"/tmp": "rw,noexec,nosuid,size=64m"}
    assert pb.go_duration_string(host["Config"]["Healthcheck"]["Interval"]) == pb.read_back_duration("90s") == "1m30s"
    assert hc["NanoCpus"] == pb.parse_cpus("0.5")

    net = f"xqfc-readback-{uuid.uuid4().hex[:8]}"
    docker("network", "create", "--driver", "bridge", "--subnet", "172.31.254.0/24", "--ip-range", "172.31.254.128/25", net)
    try:
        ipam = json.loads(docker("network", "inspect", net).stdout)[0]["IPAM"]["Config"]
    finally:
        docker("network", "rm", net, check=False)
    assert ipam == [{"Subnet": "172.31.254.0/24", "IPRange": "172.31.254.128/25"}]
