"""The dev stack of an existing host (cloud: ssh), applied to this machine for real.

Started by tests/e2e/run.sh (`make e2e`), which provides the engine, the images in the private
registry and the host (sshd on loopback, the deploy user). The tests run in file order: each
scenario starts from the state the one before left. Figures are appended to
build/e2e/figures.txt.
"""
from __future__ import annotations

import datetime as dt
import http.client
import http.server
import json
import os
import shlex
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from components.plan.run import run_stack
from components.render.backup_schedule import POSTGRES_BACKUP, RESTORE_DRILL
from components.render.cloud_init import CONFIG_ROOT
from components.runtime.monitoring import TEXTFILE_DIR
from tests.e2e.applier import (
    CONTAINER,
    NETWORK,
    VOLUME,
    ApplyError,
    E2eMocks,
    Host,
    State,
    apply,
    destroy,
    preview,
    refresh,
    write_job,
    write_ssh_wrapper,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "build" / "e2e" / "figures.txt"
DOMAIN = "e2e.xqfc.test"
SERVICES = {
    "postgresImage": "postgres", "redisImage": "redis", "nginxImage": "nginx", "prometheusImage": "prometheus",
    "alertmanagerImage": "alertmanager", "grafanaImage": "grafana", "nodeExporterImage": "node-exporter",
    "cadvisorImage": "cadvisor", "postgresExporterImage": "postgres-exporter", "redisExporterImage": "redis-exporter",
    "nginxExporterImage": "nginx-exporter", "blackboxExporterImage": "blackbox-exporter",
    # Only with logsEnabled / a DingTalk robot (staging, prod): test_logs_and_the_dingtalk_bridge_...
    "lokiImage": "loki", "promtailImage": "promtail", "dingtalkBridgeImage": "dingtalk-bridge",
}
# No port but nginx's is published on the host's outside address.
PRIVATE_PORTS = (5432, 6379, 8000, 9090, 9093, 3000, 9100, 9113, 9115, 9121, 9187, 8080)


def figure(text: str) -> None:
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with FIGURES.open("a") as fh:
        fh.write(text + "\n")
    print(text)


def need(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        message = f"{name} unset: run through tests/e2e/run.sh (make e2e)"
        if os.environ.get("XQFC_E2E_REQUIRED"):
            pytest.fail(message)
        pytest.skip(message)
    return value


def make_tls(directory: Path) -> tuple[str, str, Path]:
    """A throwaway CA and a leaf for the site names: (fullchain, key, CA file)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xqfc e2e CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DOMAIN)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(DOMAIN), x509.DNSName(f"www.{DOMAIN}")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(pem))
    chain = (leaf.public_bytes(pem) + ca.public_bytes(pem)).decode()
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return chain, key_pem, ca_file


@dataclass
class World:
    host: Host
    workdir: Path
    project: Path
    registry: tuple[str, str, str]
    ca_file: Path
    s3: dict
    overrides: dict = field(default_factory=dict)
    moto: subprocess.Popen | None = None
    # Generated secrets by resource name: kept from apply to apply, as the engine keeps state.
    generated: dict = field(default_factory=dict)

    def plan(self, **changes):
        self.overrides.update(changes)
        return run_stack("dev", self.overrides, root=self.project, mocks=E2eMocks(self.generated))

    def apply(self, **changes):
        start = time.monotonic()
        result = apply(self.plan(**changes).resources, self.host, self.workdir, self.registry)
        return result, time.monotonic() - start

    def exec(self, container: str, *cmd: str, check: bool = True) -> str:
        r = self.host.docker("exec", container, *cmd, check=check)
        return r.stdout

    def https(self, path: str = "/", method: str = "GET", body: bytes | None = None, host: str = DOMAIN,
              headers: dict | None = None) -> tuple[int, dict, bytes]:
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        conn = http.client.HTTPSConnection("127.0.0.1", 443, context=ctx, timeout=10)
        # SNI and certificate check for the site's name, though we dial loopback.
        conn.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", 443), timeout=10), server_hostname=host)
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clear_leftovers(host: Host) -> None:
    """A run starts on a clean engine. The engine's data root is cached between runs
    (XQFC_CACHE), while a run's state file lives in its own temp folder: a run killed before its
    destroy (or kept with XQFC_E2E_KEEP) would leave containers whose names the next first apply
    collides with. Only our own names, on the run's private engine."""
    # Containers first: a network or volume in use can't be removed.
    for listing, remove in ((["ps", "-a", "--format", "{{.Names}}"], ["rm", "-f"]),
                            (["network", "ls", "--format", "{{.Name}}"], ["network", "rm"]),
                            (["volume", "ls", "--format", "{{.Name}}"], ["volume", "rm"])):
        names = [n for n in host.docker(*listing).stdout.split() if n.startswith("xqfc-")]
        if names:
            print(f"e2e: removing what an earlier run left: {' '.join(names)}")
            host.docker(*remove, *names, check=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    user, port, key = need("XQFC_E2E_USER"), int(need("XQFC_E2E_SSH_PORT")), need("XQFC_E2E_SSH_KEY")
    registry = need("REGISTRY")
    password = Path(need("REGISTRY_PASSWORD_FILE")).read_text().strip()
    work = tmp_path_factory.mktemp("e2e")
    write_ssh_wrapper(work / "sshbin", key)
    docker_config = work / "docker-config"
    docker_config.mkdir()
    host = Host("127.0.0.1", port, user, key, work / "sshbin",
                env={"PATH": os.environ["PATH"], "DOCKER_CONFIG": str(docker_config), "HOME": str(work)})
    clear_leftovers(host)

    s3_port = free_port()
    moto = subprocess.Popen([str(ROOT / ".venv" / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{s3_port}"
    s3 = {"endpoint": endpoint, "bucket": "xqfc-e2e-backups", "key": "AKIAE2EBACKUPWRITER01", "secret": "e2e-secret-access-key"}
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=s3["key"], aws_secret_access_key=s3["secret"])
    for _ in range(50):
        try:
            client.create_bucket(Bucket=s3["bucket"])
            break
        except Exception:  # noqa: BLE001 - moto still starting
            time.sleep(0.2)

    chain, key_pem, ca_file = make_tls(work)
    project = work / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        (project / name).symlink_to(ROOT / name)
    run_dir = os.environ.get("XQFC_E2E_RUN", "/run/xqfc-e2e")
    stack = {
        "xqfc:environment": "dev",
        "xqfc:cloud": "ssh",
        "xqfc:sshHosts": [f"127.0.0.1:{port}"],
        "xqfc:deployUser": user,
        "xqfc:sshPrivateKeyPath": key,
        "xqfc:domain": DOMAIN,
        "xqfc:adminCidrs": ["127.0.0.1/32"],
        # The CPU limits are shares of the host's cores (render/cpu_budget.py); Docker refuses more.
        "xqfc:vmCpus": os.cpu_count() or 1,
        "xqfc:dockerRootDir": str(Path(os.environ.get("XQFC_CACHE", Path.home() / ".cache" / "xqfc")) / "docker"),
        "xqfc:dataMountPath": f"{run_dir}/host/data",
        "xqfc:s3Endpoint": endpoint,
        "xqfc:s3Bucket": s3["bucket"],
        "xqfc:tlsSource": "provided",
        "xqfc:vmMemoryGb": 8,
        "xqfc:logsEnabled": False,
        "xqfc:appImage": f"{registry}/xqfc/app:v1",
        "xqfc:registryServer": registry,
        "xqfc:registryUsername": need("REGISTRY_USER"),
        **{f"xqfc:{k}": f"{registry}/xqfc/{v}:local" for k, v in SERVICES.items()},
    }
    (project / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": stack}))
    w = World(host, work, project, (registry, need("REGISTRY_USER"), password), ca_file, s3, moto=moto)
    w.overrides = {
        "registryPassword": {"secure": password},
        "s3AccessKeyId": {"secure": s3["key"]},
        "s3SecretAccessKey": {"secure": s3["secret"]},
        "tlsCertificatePem": {"secure": chain},
        "tlsPrivateKeyPem": {"secure": key_pem},
    }
    try:
        yield w
    finally:
        try:
            if not os.environ.get("XQFC_E2E_KEEP"):  # keep the stack up to look at it
                destroy(work, host)
        finally:
            moto.terminate()
            moto.wait(10)


def running(w: World) -> dict[str, dict]:
    names = w.host.docker("ps", "-a", "--format", "{{.Names}}").stdout.split()
    if not names:
        return {}
    data = json.loads(w.host.docker("inspect", *names).stdout)
    return {c["Name"].lstrip("/"): c for c in data}


# --- scenarios, in order ----------------------------------------------------------------------


def test_first_apply_brings_the_platform_up(world):
    result, seconds = world.apply()
    figure(f"first apply (every resource, real host): {seconds:.1f} s, {len(result.steps)} operations")
    slow = sorted(result.steps, key=lambda s: -s[2])[:5]
    figure("  slowest: " + ", ".join(f"{n} {op} {t:.1f} s" for n, op, t in slow))


def assert_hardened(name: str, c: dict, i: dict) -> None:
    """One live container (`docker inspect`) against its declared inputs: running, healthy by its
    declared check, and the hardening the program declares."""
    state, hc = c["State"], c["Config"].get("Healthcheck")
    assert state["Running"] and c["RestartCount"] == 0, (name, state, c["RestartCount"])
    # Issue 22: every long-running container has a health check (exec form with the host's busybox
    # where the image has no client) and reaches healthy.
    assert hc and hc["Test"] == i["healthcheck"]["tests"], (name, hc)
    assert state["Health"]["Status"] == "healthy", (name, state["Health"]["Log"][-1:])
    host = c["HostConfig"]
    assert host["ReadonlyRootfs"] is bool(i.get("readOnly")), name
    assert host["CapDrop"] == ["ALL"] or host["CapDrop"] == ["all"], (name, host["CapDrop"])
    assert "no-new-privileges:true" in host["SecurityOpt"], name
    assert host["Memory"] == i["memory"] * 1024 * 1024, name
    # The program declares the engine's own spelling, so a refresh reads back exactly what it sent.
    assert sorted(host["CapAdd"] or []) == sorted(i["capabilities"].get("adds") or []), name
    if i.get("user"):
        assert c["Config"]["User"] == i["user"], name
    # Issue 22: a CPU limit sized from vmCpus.
    assert host["NanoCpus"] == round(float(i["cpus"]) * 1e9) and 0 < host["NanoCpus"] < (os.cpu_count() or 1) * 1e9, (name, host["NanoCpus"])


def test_every_container_runs_healthy_with_the_declared_hardening(world):
    plan = world.plan()
    declared = {r.inputs["name"]: r.inputs for r in plan.of_type("docker:index/container:Container")}
    # Health checks report one interval (30 s, runtime/health.py) after a start at the earliest.
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        live = running(world)
        if all((c["State"].get("Health") or {}).get("Status", "healthy") == "healthy" for c in live.values()):
            break
        time.sleep(2)
    for name, i in declared.items():
        assert_hardened(name, live[name], i)
    # The app, released by the script: blue, healthy (its image's HEALTHCHECK), hardened like the rest.
    app = live["xqfc-app-blue"]
    assert app["Config"].get("Healthcheck") and app["State"]["Health"]["Status"] == "healthy", app["State"]
    assert app["HostConfig"]["NanoCpus"] == round(float(plan.config.get("xqfc:appCpus", 1.0)) * 1e9), app["HostConfig"]["NanoCpus"]
    assert app["HostConfig"]["ReadonlyRootfs"] and app["Config"]["User"] == "10001:10001"


def test_the_site_answers_over_https_through_nginx(world):
    status, headers, body = world.https("/")
    assert status == 200 and headers.get("x-app-version") == "v1", (status, headers, body[:200])
    assert "max-age=" in headers.get("strict-transport-security", "")
    status, headers, _ = world.https("/health")
    assert status == 200
    # Plain http is redirected, keeping the path.
    conn = http.client.HTTPConnection("127.0.0.1", 80, timeout=10)
    conn.request("GET", "/some/path?x=1", headers={"Host": DOMAIN})
    r = conn.getresponse()
    assert r.status == 301 and r.getheader("Location") == f"https://{DOMAIN}/some/path?x=1"
    conn.close()


def test_the_app_reads_and_writes_postgres_and_redis(world):
    listing = write_listing(world, "三室两厅 near the river")
    status, _, data = world.https(f"/api/listings/{listing}")
    assert status == 200 and json.loads(data)["title"] == "三室两厅 near the river"
    # Written to PostgreSQL, cached in Redis.
    assert committed_rows(world) >= 1


def test_no_data_or_monitoring_port_is_reachable_from_outside(world):
    outside = subprocess.run(["ip", "-4", "-o", "route", "get", "192.0.2.1"], capture_output=True, text=True).stdout
    address = outside.split(" src ")[1].split()[0] if " src " in outside else None
    if not address:
        pytest.skip("no outside address on this machine")
    for port in PRIVATE_PORTS:
        with socket.socket() as s:
            s.settimeout(1)
            assert s.connect_ex((address, port)) != 0, f"{address}:{port} answers from outside"
    with socket.socket() as s:
        s.settimeout(2)
        assert s.connect_ex((address, 443)) == 0, "nginx's 443 must answer on the outside address"


def test_prometheus_scrapes_every_target_and_loads_every_rule(world: World) -> None:
    deadline = time.monotonic() + 90
    down: list = []
    while time.monotonic() < deadline:
        targets = json.loads(world.exec("xqfc-prometheus", "wget", "-qO-", "http://127.0.0.1:9090/api/v1/targets"))
        active = targets["data"]["activeTargets"]
        down = [(t["labels"].get("job"), t["scrapeUrl"], t.get("lastError")) for t in active if t["health"] != "up"]
        if active and not down:
            break
        time.sleep(3)
    assert not down, down
    rules = json.loads(world.exec("xqfc-prometheus", "wget", "-qO-", "http://127.0.0.1:9090/api/v1/rules"))
    groups = rules["data"]["groups"]
    assert groups and all(r["health"] == "ok" for g in groups for r in g["rules"])
    figure(f"prometheus: {len(active)} targets up, {sum(len(g['rules']) for g in groups)} rules loaded")
    status = world.exec("xqfc-alertmanager", "wget", "-qO-", "http://127.0.0.1:9093/-/ready")
    assert "OK" in status, status


def unit_command(text: str) -> tuple[str, str]:
    """A oneshot unit's [Service] as one shell line: its user, folder, environment and ExecStart.

    Only the directives the backup units use; anything else in [Service] that changes how the
    command runs fails here rather than being ignored.
    """
    known = {"Type", "WorkingDirectory", "EnvironmentFile", "Environment", "ExecStart", "User", "TimeoutStartSec",
             "Nice", "IOSchedulingClass", "PrivateTmp", "ProtectHome", "ProtectSystem", "NoNewPrivileges", "ReadWritePaths",
             "UMask"}
    section, env, fields = "", [], {}
    for line in text.splitlines():
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            assert key in known, f"unit directive {key} is not run by this test"
            if key == "Environment":
                env += shlex.split(value)
            else:
                fields[key] = value
    exports = " ".join(shlex.quote(e) for e in env)
    umask = f"umask {fields['UMask']} && " if "UMask" in fields else ""
    return (f"{umask}cd {fields['WorkingDirectory']} && set -a && . {fields['EnvironmentFile']} && set +a && "
            f"exec env {exports} {fields['ExecStart']}"), fields.get("User", "root")


def test_backup_and_restore_drill_run_their_real_command_lines(world):
    units = Path("/etc/systemd/system")
    for unit in (f"{POSTGRES_BACKUP}.service", f"{RESTORE_DRILL}.service"):
        command, user = unit_command((units / unit).read_text())
        start = time.monotonic()
        r = world.host.ssh(f"sudo -n -u {user} sh -c {shlex.quote(command)}")
        assert r.returncode == 0, (unit, r.stdout[-2000:], r.stderr[-3000:])
        figure(f"{unit} (its ExecStart, against the running PostgreSQL and moto S3): {time.monotonic() - start:.1f} s")
    client = boto3.client("s3", endpoint_url=world.s3["endpoint"], region_name="us-east-1",
                          aws_access_key_id=world.s3["key"], aws_secret_access_key=world.s3["secret"])
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=world.s3["bucket"]).get("Contents", [])]
    assert any(k.startswith("backups/") and k.endswith(".dump.zst") for k in keys), keys


def test_a_second_apply_changes_nothing(world):
    result, seconds = world.apply()
    assert result.steps == [], result.steps
    figure(f"no-op apply: {seconds:.1f} s")


def test_refresh_then_preview_shows_no_changes(world):
    """`pulumi refresh` then `pulumi preview --expect-no-changes`, as deploy.yml (`up` with refresh)
    and drift.yml (`preview --refresh --expect-no-changes`) run them: every container, network,
    volume and image read back as pulumi-docker reads it, diffed by its rules."""
    start = time.monotonic()
    changed = refresh(world.host, world.workdir)
    took = time.monotonic() - start
    lines = preview(world.plan().resources, world.workdir)
    figure(f"refresh (containers, networks, volumes, images read back): {took:.1f} s, {len(changed)} resources "
           f"read back differently from what was created; preview after it: {len(lines)} changes")
    for line in lines:
        print("  preview:", line)
    assert not lines, "preview after refresh is not empty:\n" + "\n".join(lines)


def test_release_after_a_refresh_under_load_replaces_nothing_and_fails_no_request(world):
    """The release a deploy runs after its refresh (deploy.yml `up` with `refresh: true`), there
    and back, under load: only the release command runs, no container is replaced."""
    registry = world.registry[0]
    for image in ("v2", "v1"):
        refresh(world.host, world.workdir)
        with Load(world) as load:
            result, seconds = world.apply(appImage=f"{registry}/xqfc/app:{image}")
        ops = sorted((n, op) for n, op, _ in result.steps)
        figure(f"release to {image} after a refresh, under load: {seconds:.1f} s, {load.ok + len(load.failed)} requests, "
               f"{len(load.failed)} failed, steps {ops}")
        assert [op for n, op in ops if n.endswith("-app-release")] == ["update"], ops
        # A new image reference is a new RemoteImage (its name is ForceNew: a pull, nothing stops).
        assert not [n for n, op in ops if op == "replace" and not n.endswith("-image")], ops
        assert not load.failed, load.failed[:5]
        assert world.https("/")[1].get("x-app-version") == image


class Load:
    """HTTPS clients through nginx for the length of a release."""

    failed: list[object]  # HTTP statuses other than 200, and exceptions
    versions: dict[str | None, int]  # responses by x-app-version

    def __init__(self, world: World, clients: int = 4):
        self.world, self.stop, self.ok, self.failed, self.versions = world, threading.Event(), 0, [], {}
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(clients)]
        self.lock = threading.Lock()

    def run(self):
        # Under nginx's per-client rate limit (20 r/s, render/nginx.py RateLimit): every client
        # here shares 127.0.0.1, and a 429 would be the limit working, not the release failing.
        while not self.stop.wait(0.25):
            try:
                status, headers, _ = self.world.https("/")
                with self.lock:
                    if status == 200:
                        self.ok += 1
                        v = headers.get("x-app-version")
                        self.versions[v] = self.versions.get(v, 0) + 1
                    else:
                        self.failed.append(status)
            except Exception as e:  # noqa: BLE001 - any failure counts
                with self.lock:
                    self.failed.append(repr(e))

    def __enter__(self):
        for t in self.threads:
            t.start()
        time.sleep(1)
        return self

    def __exit__(self, *exc):
        time.sleep(1)
        self.stop.set()
        for t in self.threads:
            t.join(15)


def test_release_v2_under_load_fails_no_request(world):
    with Load(world) as load:
        result, seconds = world.apply(appImage=f"{world.registry[0]}/xqfc/app:v2")
    assert any(n.endswith("-app-release") and op == "update" for n, op, _ in result.steps), result.steps
    figure(f"release v1->v2 under load: {seconds:.1f} s, {load.ok + len(load.failed)} requests, "
           f"{len(load.failed)} failed, versions {load.versions}")
    assert not load.failed, load.failed[:5]
    assert world.https("/")[1].get("x-app-version") == "v2"


def test_a_release_that_fails_its_health_check_fails_and_leaves_v2_serving(world):
    with Load(world) as load:
        with pytest.raises(ApplyError) as info:
            world.apply(appImage=f"{world.registry[0]}/xqfc/app:v3")
    figure(f"failed release v3 under load: {load.ok + len(load.failed)} requests, {len(load.failed)} failed, "
           f"versions {load.versions}")
    assert "health" in str(info.value).lower(), str(info.value)[-500:]
    assert not load.failed, load.failed[:5]
    assert world.https("/")[1].get("x-app-version") == "v2"
    # Back to what serves, so the state matches the host.
    world.overrides["appImage"] = f"{world.registry[0]}/xqfc/app:v2"


def test_an_nginx_config_change_reloads_without_restarting_the_container(world):
    before = running(world)["xqfc-nginx"]
    result, _ = world.apply(clientMaxBodyMb=30)
    after = running(world)["xqfc-nginx"]
    assert any("edge-reload" in n for n, _, _ in result.steps), result.steps
    assert after["Id"] == before["Id"] and after["State"]["StartedAt"] == before["State"]["StartedAt"]
    conf = world.exec("xqfc-nginx", "cat", "/etc/xqfc-nginx/nginx.conf")
    assert "client_max_body_size 30m;" in conf


LOGS_AND_BRIDGE = ("xqfc-loki", "xqfc-promtail", "xqfc-dingtalk-bridge")


def test_logs_and_the_dingtalk_bridge_come_up_healthy_and_hardened_and_go_again(world):
    """staging and prod add Loki, Promtail (logsEnabled) and, with a DingTalk robot, the bridge; dev
    runs none of them. Applied here on the real engine: created from the program's inputs, each
    healthy by its declared check (Promtail and the bridge by the host's busybox, exec form) with
    its hardening, then removed again when the stack turns them off. Their images are stand-ins
    (no Debian package: tests/e2e/images/README.md): what runs for real is the engine, the binds,
    the users and the probes, not Loki's or Promtail's own code."""
    robot = {"alertDingtalkWebhook": {"secure": "https://oapi.dingtalk.com/robot/send?access_token=e2e-not-a-token"},
             "alertDingtalkSecret": {"secure": "SECe2e-not-a-secret"}}
    began = time.monotonic()
    result, seconds = world.apply(logsEnabled=True, **robot)
    declared = {r.inputs["name"]: r.inputs for r in world.plan().of_type("docker:index/container:Container")}
    assert set(LOGS_AND_BRIDGE) <= set(declared), sorted(declared)
    deadline = time.monotonic() + 150
    while True:
        live = running(world)
        states = {n: ((live.get(n) or {}).get("State") or {}).get("Health", {}).get("Status") for n in LOGS_AND_BRIDGE}
        if all(v == "healthy" for v in states.values()) or time.monotonic() > deadline:
            break
        time.sleep(2)
    for name in LOGS_AND_BRIDGE:
        assert name in live, (name, sorted(live))
        assert_hardened(name, live[name], declared[name])
    figure(f"logs and the DingTalk bridge on: apply {seconds:.1f} s ({len(result.steps)} operations), "
           f"Loki, Promtail and the bridge healthy {time.monotonic() - began:.0f} s after it began")
    for key in robot:
        world.overrides.pop(key)
    result, seconds = world.apply(logsEnabled=False)
    assert not set(LOGS_AND_BRIDGE) & set(running(world)), sorted(running(world))
    figure(f"logs and the DingTalk bridge off again: apply {seconds:.1f} s ({len(result.steps)} operations)")


# --- recovery: stops, crashes and reboots (the platform recovers by itself) -----------------


def logs(world: World, name: str, since: str | None = None) -> str:
    r = world.host.docker("logs", *(["--since", since] if since else []), name, check=False)
    return r.stdout + r.stderr


def wait_serving(world: World, timeout: float = 180) -> tuple[float, int]:
    """Seconds until the site serves the app again, and the requests that failed meanwhile."""
    start, failed = time.monotonic(), 0
    while time.monotonic() - start < timeout:
        try:
            status, headers, _ = world.https("/api/listings")
            if status == 200 and headers.get("x-app-version"):
                return time.monotonic() - start, failed
            failed += 1
        except Exception:  # noqa: BLE001 - down is what we are timing
            failed += 1
        time.sleep(0.5)
    raise AssertionError(f"the site did not serve again within {timeout} s ({failed} failed requests)")


def wait_healthy_container(world: World, name: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = running(world).get(name, {}).get("State", {})
        if state.get("Running") and (state.get("Health") or {}).get("Status", "healthy") == "healthy":
            return
        time.sleep(1)
    raise AssertionError(f"{name} is not back and healthy: {state}")


_STACK_CONTAINERS: list[str] = []


def stack_containers(world: World) -> list[str]:
    """The containers the program declares (the app colours are the release script's)."""
    if not _STACK_CONTAINERS:
        plan = world.plan()
        _STACK_CONTAINERS.extend(sorted(r.inputs["name"] for r in plan.of_type("docker:index/container:Container")))
    return _STACK_CONTAINERS


def every_container_back(world: World, scenario: str, since: float | None = None, timeout: float = 240) -> None:
    """Every container of the stack running and healthy after a fault, not only the site serving;
    prints how many seconds after `since` (the fault) each was seen so (polled about every 2 s)."""
    since = time.monotonic() if since is None else since
    names = stack_containers(world)
    back: dict[str, float] = {}
    last: dict[str, dict] = {}
    while True:
        live = running(world)
        apps = [n for n in live if n.startswith("xqfc-app-")]
        for name in [*names, *apps]:
            state = (live.get(name) or {}).get("State") or {}
            last[name] = state
            if state.get("Running") and not state.get("Restarting") and \
                    (state.get("Health") or {}).get("Status", "healthy") == "healthy":
                back.setdefault(name, time.monotonic() - since)
            else:
                back.pop(name, None)  # seen up once is not enough: it must stay up
        done = apps and all(n in back for n in [*names, *apps])
        if done or time.monotonic() - since > timeout:
            break
        time.sleep(1)
    figure(f"{scenario}: every container running and healthy; seconds after the fault: "
           + ", ".join(f"{n.removeprefix('xqfc-')} {t:.0f}" for n, t in sorted(back.items(), key=lambda x: x[1])))
    down = {n: (s.get("Status"), s.get("ExitCode"), (s.get("Health") or {}).get("Status")) for n, s in last.items()
            if n not in back}
    assert apps and not down, f"{scenario}: not running and healthy {time.monotonic() - since:.0f} s after the fault: {down}"


def test_postgres_stops_cleanly_and_starts_without_recovery(world):
    start = time.monotonic()
    world.host.docker("stop", "xqfc-postgres")
    took = time.monotonic() - start
    stopped = logs(world, "xqfc-postgres")
    since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    world.host.docker("start", "xqfc-postgres")
    wait_healthy_container(world, "xqfc-postgres")
    started = logs(world, "xqfc-postgres", since)
    figure(f"docker stop xqfc-postgres: {took:.1f} s")
    # The stop signal (SIGINT, a fast shutdown) reached the postmaster: no kill, no crash recovery.
    assert "database system is shut down" in stopped, stopped[-1500:]
    assert "not properly shut down" not in started and "automatic recovery" not in started, started[-1500:]
    seconds, failed = wait_serving(world)
    figure(f"site serving again after the PostgreSQL restart: {seconds:.1f} s, {failed} failed requests")
    every_container_back(world, "docker stop/start of PostgreSQL", start)


def test_redis_stops_with_its_final_save(world):
    start = time.monotonic()
    world.host.docker("stop", "xqfc-redis")
    took = time.monotonic() - start
    state = running(world)["xqfc-redis"]["State"]
    stopped = logs(world, "xqfc-redis")
    world.host.docker("start", "xqfc-redis")
    wait_healthy_container(world, "xqfc-redis")
    figure(f"docker stop xqfc-redis: {took:.1f} s, exit code {state['ExitCode']}")
    # SIGTERM reached redis-server through Docker's init: AOF fsynced, final RDB saved, exit 0.
    assert "DB saved on disk" in stopped and "ready to exit" in stopped, stopped[-1500:]
    assert state["ExitCode"] == 0, state
    seconds, failed = wait_serving(world)
    figure(f"site serving again after the Redis restart: {seconds:.1f} s, {failed} failed requests")
    every_container_back(world, "docker stop/start of Redis", start)


def main_pid(world: World, name: str) -> int:
    """The container's main process on this machine: PID 1's child under Docker's init, else PID 1."""
    c = running(world)[name]
    pid = c["State"]["Pid"]
    if c["HostConfig"].get("Init"):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pid = int(children[0])
    return pid


def test_a_killed_main_process_is_restarted_and_the_app_recovers_its_connections(world):
    app = next(n for n, c in running(world).items() if n.startswith("xqfc-app-") and c["State"]["Running"])
    for name in ("xqfc-postgres", "xqfc-redis", "xqfc-nginx", app):
        before = running(world)[name]["RestartCount"]
        os.kill(main_pid(world, name), 9)
        deadline = time.monotonic() + 60
        while running(world)[name]["RestartCount"] == before and time.monotonic() < deadline:
            time.sleep(0.5)
        assert running(world)[name]["RestartCount"] == before + 1, f"{name} was not restarted by its policy"
        wait_healthy_container(world, name)
        seconds, failed = wait_serving(world)
        figure(f"kill -9 of {name}'s main process: serving again after {seconds:.1f} s, {failed} failed requests")
        # The app reads the database and the cache again without a release.
        status, _, data = world.https("/api/listings/1")
        assert status == 200, (name, status, data[:300])
    every_container_back(world, "kill -9 of the PostgreSQL, Redis, nginx and app main processes")


def test_the_site_comes_back_after_each_of_three_engine_restarts(world):
    engine = ROOT / "tests" / "e2e" / "engine.sh"
    for n in range(1, 4):
        since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        with Load(world) as load:
            start = time.monotonic()
            subprocess.run(["bash", str(engine), "restart"], check=True, capture_output=True, text=True)
            stopped = time.monotonic() - start
            seconds, _ = wait_serving(world)
        figure(f"engine restart {n} under load (a reboot, for the containers): engine down and up in {stopped:.1f} s, "
               f"serving again {seconds:.1f} s later; {load.ok} requests served, {len(load.failed)} failed")
        assert load.ok > 0, "no request was served after the restart"
        # The daemon's shutdown stopped the databases as `docker stop` does: cleanly.
        pg, redis = logs(world, "xqfc-postgres", since), logs(world, "xqfc-redis", since)
        assert "database system is shut down" in pg and "not properly shut down" not in pg, pg[-1500:]
        assert "DB saved on disk" in redis, redis[-1500:]
        every_container_back(world, f"engine restart {n}", start)


def test_a_release_that_crashes_at_start_reports_why_and_the_next_release_works(world):
    registry = world.registry[0]
    with pytest.raises(ApplyError) as info:
        world.apply(appImage=f"{registry}/xqfc/app:v5")
    message = str(info.value)
    assert "deliberately broken at start" in message, message[-1500:]
    assert "still serving" in message, message[-1500:]
    assert world.https("/")[1].get("x-app-version") == "v2"
    names = world.host.docker("ps", "-a", "--format", "{{.Names}}").stdout.split()
    assert len([n for n in names if n.startswith("xqfc-app-")]) == 1, names
    # Nothing left behind blocks the next release.
    _, seconds = world.apply(appImage=f"{registry}/xqfc/app:v1")
    figure(f"release after a crashed one (v5 -> v1): {seconds:.1f} s")
    assert world.https("/")[1].get("x-app-version") == "v1"
    every_container_back(world, "crashed release, then a good one")


# --- faults of the monitoring stack itself, a power loss, and the dead man's switch ----------


def write_listing(world: World, title: str) -> int:
    body = json.dumps({"title": title, "address": "城关镇 河滨路 9 号", "price": 660000, "bedrooms": 2}).encode()
    status, _, data = world.https("/api/listings", "POST", body, headers={"Content-Type": "application/json"})
    assert status in (200, 201), data
    return json.loads(data)["id"]


def committed_rows(world: World) -> int:
    return int(world.exec("xqfc-postgres", "psql", "-U", "xqfc", "-d", "xqfc", "-tAc", "SELECT count(*) FROM listings").strip())


def rows_kept(world: World, scenario: str, before: int, listing: int) -> None:
    after = committed_rows(world)
    status, _, _ = world.https(f"/api/listings/{listing}")
    figure(f"{scenario}: {before} committed rows before, {after} after")
    assert after == before and status == 200, (before, after, status)


@dataclass
class Heartbeats:
    """What the heartbeat service (healthchecks.io and the like) receives: Alertmanager's webhook
    POSTs of the Watchdog, on the host's address on the monitoring network."""
    url: str
    path: str
    received: list[tuple[float, str, dict]] = field(default_factory=list)

    def after(self, t: float) -> list[tuple[float, str, dict]]:
        return [h for h in list(self.received) if h[0] > t]

    def wait(self, t: float, timeout: float, path: str | None = None) -> float:
        """Seconds from t to the first heartbeat after t (on `path` if given)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = [h for h in self.after(t) if path is None or h[1] == path]
            if got:
                return got[0][0] - t
            time.sleep(1)
        raise AssertionError(f"no heartbeat{' on ' + path if path else ''} within {timeout:.0f} s; "
                             f"{len(self.received)} so far")


@pytest.fixture(scope="module")
def heartbeat(world):
    from components.runtime.containers import GATEWAYS
    from tests.alert_listeners import http_listener

    state = Heartbeats("", "")

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - quiet
            pass

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.received.append((time.monotonic(), self.path, json.loads(body or b"{}")))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

    # The host's address on the monitoring bridge (what node-exporter listens on): Alertmanager's
    # container reaches it as it would reach the service outside.
    with http_listener(GATEWAYS["monitoring"], Handler) as server:
        host, port = server.server_address[:2]
        state.path = "/ping/e2e-check"
        state.url = f"http://{host}:{port}{state.path}"
        yield state


def test_a_config_reload_keeps_the_containers_and_the_heartbeat_arrives(world, heartbeat):
    reloaded = ("xqfc-prometheus", "xqfc-alertmanager", "xqfc-blackbox-exporter")
    before = {n: running(world)[n]["State"]["StartedAt"] for n in reloaded}
    applied = time.monotonic()
    result, seconds = world.apply(alertHeartbeatUrl={"secure": heartbeat.url})
    assert any(n.endswith("-monitoring-reload") for n, _, _ in result.steps), result.steps
    after = running(world)
    # Reloaded in place: the same processes, not restarted, not replaced.
    assert {n: after[n]["State"]["StartedAt"] for n in reloaded} == before
    config = json.loads(world.exec("xqfc-alertmanager", "wget", "-qO-", "http://127.0.0.1:9093/api/v2/status"))
    assert "name: heartbeat" in config["config"]["original"] and "webhook_configs" in config["config"]["original"]
    first = heartbeat.wait(applied, 150)
    second = heartbeat.wait(applied + first + 1, 150)
    _, path, body = heartbeat.received[0]
    assert path == heartbeat.path and body["receiver"] == "heartbeat" and body["status"] == "firing"
    assert [a["labels"]["alertname"] for a in body["alerts"]] == ["Watchdog"]
    figure(f"heartbeat: config applied and reloaded in {seconds:.1f} s; first Watchdog at the listener "
           f"{first:.0f} s after the apply began, the next {second:.0f} s later")


def test_reloaded_monitoring_containers_are_restarted_when_they_crash(world):
    # The reload above (and the first apply's) went through each service's own endpoint: a crash
    # now is restarted by the policy. After a `docker kill -s HUP` reload it was not.
    for name in ("xqfc-prometheus", "xqfc-alertmanager", "xqfc-blackbox-exporter"):
        listing, rows = write_listing(world, f"before the crash of {name}"), committed_rows(world)
        before = running(world)[name]["RestartCount"]
        start = time.monotonic()
        os.kill(main_pid(world, name), 9)
        deadline = time.monotonic() + 60
        while running(world)[name]["RestartCount"] == before and time.monotonic() < deadline:
            time.sleep(0.5)
        state = running(world)[name]["State"]
        assert running(world)[name]["RestartCount"] == before + 1, f"{name} was not restarted by its policy: {state}"
        every_container_back(world, f"kill -9 of {name} after a config reload", start)
        rows_kept(world, f"kill -9 of {name}", rows, listing)


def test_the_heartbeat_stops_when_prometheus_is_stopped_and_resumes(world, heartbeat):
    heartbeat.wait(time.monotonic(), 150)
    world.host.docker("stop", "xqfc-prometheus")
    stopped = time.monotonic()
    # Firing, the Watchdog arrives every 60-90 s; a gap of 100 s means it stopped.
    deadline = stopped + 400
    while time.monotonic() < deadline:
        last = max([stopped, *(h[0] for h in heartbeat.after(stopped))])
        if time.monotonic() - last > 100:
            break
        time.sleep(2)
    late = [h[0] - stopped for h in heartbeat.after(stopped)]
    world.host.docker("start", "xqfc-prometheus")
    started = time.monotonic()
    back = heartbeat.wait(started, 180)
    figure(f"heartbeat after `docker stop xqfc-prometheus`: {len(late)} more, the last {max(late, default=0):.0f} s "
           f"after the stop, then none for 100 s; back {back:.0f} s after `docker start`")
    # Alertmanager drops the Watchdog when it expires: 4 x 15 s after Prometheus's last send
    # (--rules.alert.resend-delay), then one group_interval (30 s).
    assert max(late, default=0) < 120, late
    every_container_back(world, "docker stop/start of Prometheus", stopped)


def test_a_config_change_applied_while_a_container_is_down(world, heartbeat):
    listing, rows = write_listing(world, "before a change while Alertmanager is down"), committed_rows(world)
    world.host.docker("stop", "xqfc-alertmanager")
    start = time.monotonic()
    new_path = "/ping/e2e-check-changed"
    result, seconds = world.apply(alertHeartbeatUrl={"secure": heartbeat.url.replace(heartbeat.path, new_path)})
    assert any(n.endswith("-monitoring-reload") for n, _, _ in result.steps), result.steps
    # The apply started it, and it read the new file: the heartbeat now goes to the new URL.
    arrived = heartbeat.wait(start, 150, path=new_path)
    figure(f"config change while Alertmanager was down: applied in {seconds:.1f} s, "
           f"heartbeat on the new URL {arrived:.0f} s after the apply began")
    every_container_back(world, "config change applied while Alertmanager was down", start)
    rows_kept(world, "config change while a container was down", rows, listing)


def test_a_power_loss_loses_no_committed_row_and_every_container_comes_back(world):
    listing, rows = write_listing(world, "committed just before the power loss"), committed_rows(world)
    engine = ROOT / "tests" / "e2e" / "engine.sh"
    since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    start = time.monotonic()
    crash = subprocess.run(["bash", str(engine), "crash"], capture_output=True, text=True)
    assert crash.returncode == 0, crash.stderr[-2000:]
    subprocess.run(["bash", str(engine), "start"], check=True, capture_output=True, text=True)
    engine_up = time.monotonic() - start
    seconds, failed = wait_serving(world)
    figure(f"power loss ({crash.stderr.strip().splitlines()[-1].removeprefix('engine: ')}): engine up again "
           f"{engine_up:.1f} s after the crash, site serving {seconds:.1f} s later, {failed} failed requests")
    every_container_back(world, "power loss", start)
    rows_kept(world, "power loss", rows, listing)
    # PostgreSQL came back through crash recovery, from its WAL, as after a real power loss.
    recovered = logs(world, "xqfc-postgres", since)
    assert "not properly shut down" in recovered and "automatic recovery" in recovered, recovered[-1500:]


def _prometheus(world, path: str) -> dict:
    return json.loads(world.exec("xqfc-prometheus", "wget", "-qO-", f"http://127.0.0.1:9090{path}"))


def _oom_kills(world) -> float | None:
    result = _prometheus(world, "/api/v1/query?query=node_vmstat_oom_kill")["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def test_an_oom_kill_in_a_container_fires_the_oom_alert(world):
    """Issue 22: a process in a platform container allocates past the container's memory limit,
    the kernel's OOM killer kills it, node-exporter's node_vmstat_oom_kill counts it, Prometheus
    scrapes it, and the OomKill rule (for: 0s, render/monitoring/rules.py) evaluates to firing."""
    container = "xqfc-alertmanager"
    limit = running(world)[container]["HostConfig"]["Memory"]
    deadline = time.monotonic() + 90
    while (before := _oom_kills(world)) is None and time.monotonic() < deadline:
        time.sleep(3)
    assert before is not None, "node_vmstat_oom_kill is not scraped"
    # The shell keeps a command substitution's output in memory: four times the limit. It makes
    # itself the OOM killer's first choice (raising one's own oom_score_adj needs no privilege), so
    # the kill lands on it and not on Alertmanager, which shares the limit.
    size = 4 * limit
    script = f"echo 1000 > /proc/self/oom_score_adj && x=$(head -c {size} /dev/zero | tr '\\0' a); echo ${{#x}}"
    r = world.host.docker("exec", container, "sh", "-c", script, check=False)
    assert r.returncode == 137, (r.returncode, r.stdout[-200:], r.stderr[-500:])  # SIGKILL, from the OOM killer
    # The service itself, much smaller than the allocation, is not the one killed.
    assert running(world)[container]["State"]["Running"]
    deadline = time.monotonic() + 240
    state, after = None, before
    while time.monotonic() < deadline:
        after = _oom_kills(world) or before
        groups = _prometheus(world, "/api/v1/rules?type=alert")["data"]["groups"]
        state = next((r["state"] for g in groups for r in g["rules"] if r["name"] == "OomKill"), None)
        if after > before and state == "firing":
            break
        time.sleep(5)
    assert after > before, f"node_vmstat_oom_kill stayed at {before}"
    assert state == "firing", f"OomKill is {state}"
    alerts = _prometheus(world, "/api/v1/alerts")["data"]["alerts"]
    assert any(a["labels"]["alertname"] == "OomKill" and a["state"] == "firing" for a in alerts), alerts
    figure(f"OOM kill in {container} (limit {limit // 2**20} MiB): node_vmstat_oom_kill {before:g} -> {after:g}, OomKill firing")


def test_an_interrupted_first_apply_is_recovered_and_the_site_serves(world):
    """A first `pulumi up` killed half way (networks made, some containers created, others in
    flight), then what docs/runbook-interrupted-up.md has the operator do: `pulumi refresh
    --import-pending-creates` for what exists on the host, then `pulumi up` again."""
    destroy(world.workdir, world.host)
    # A new host: nothing of ours under the config root (the gate makes it again).
    world.host.ssh(f"sudo rm -rf {CONFIG_ROOT}/* {TEXTFILE_DIR}")
    job = world.workdir / "interrupted-job.json"
    write_job(job, world.plan().resources, world.host, world.workdir, world.registry)
    start = time.monotonic()
    run = subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), "-m", "tests.e2e.applier", "apply", str(job)],
                           cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    networks = containers = []
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and run.poll() is None:
            networks = [n for n in world.host.docker("network", "ls", "--format", "{{.Name}}").stdout.split() if n.startswith("xqfc-")]
            containers = [n for n in world.host.docker("ps", "-a", "--format", "{{.Names}}").stdout.split() if n.startswith("xqfc-")]
            if len(networks) == 3 and len(containers) >= 2:
                break
            time.sleep(0.2)
        assert run.poll() is None, f"the apply ended before the kill point: {run.stdout.read()[-2000:] if run.stdout else ''}"
        # What an interrupted `pulumi up` is for the engine: the CLI and its provider plugins die.
        os.killpg(run.pid, 9)
    finally:
        run.wait(30)
    killed_at = time.monotonic() - start
    state = State(world.workdir)
    pending = [p for p in state.pending if p["operation"] == "creating"]
    figure(f"interrupted first apply: killed after {killed_at:.1f} s with {len(networks)} networks and "
           f"{len(containers)} containers on the host, {len(state.resources)} resources in state, "
           f"{len(pending)} pending creates ({', '.join(p['urn'].rsplit('::', 1)[-1] for p in pending)})")
    assert pending, "the kill left no pending create: the checkpoint must record operations in flight"

    def on_host(p: dict) -> str | None:
        kind = {CONTAINER: "container", NETWORK: "network", VOLUME: "volume"}.get(p["type"])
        if kind is None:
            return None
        r = world.host.docker(kind, "inspect", "--format", "{{.Id}}" if kind != "volume" else "{{.Name}}", p["inputs"]["name"], check=False)
        return r.stdout.strip() if r.returncode == 0 else None

    try:
        recover_from_the_kill(world, pending, on_host)
    except BaseException:
        # Pending creates the state never learnt of would make every later run's first apply
        # collide (one engine is shared): take them off the host before failing.
        for kind in ("container", "network"):
            names = [p["inputs"]["name"] for p in pending if p["type"] == {"container": CONTAINER, "network": NETWORK}[kind]]
            if names:
                world.host.docker(kind, "rm", *(["-f"] if kind == "container" else []), *names, check=False)
        raise


def recover_from_the_kill(world: World, pending: list[dict], on_host) -> None:
    user = world.host.user
    existing = {p["urn"]: on_host(p) for p in pending}
    existing = {u: i for u, i in existing.items() if i}
    if [u for u in existing if CONTAINER in u or NETWORK in u]:
        # What the engine does with a pending create: creates it again (the provider refuses).
        with pytest.raises(ApplyError) as info:
            world.apply()
        figure(f"  apply again as is: fails as pulumi up does: {str(info.value).splitlines()[0][:200]}")
        assert "already" in str(info.value), str(info.value)[-1500:]
        state = State(world.workdir)
        pending = [p for p in state.pending if p["operation"] == "creating"]
        existing = {p["urn"]: on_host(p) for p in pending}
        existing = {u: i for u, i in existing.items() if i}
    start = time.monotonic()
    # The runbook: a container whose create was cut off may be unstarted or on none of its
    # networks, which the provider's read never looks at (networks_advanced is read on import
    # only): remove it and let `up` create it again. A network or volume is whole once it
    # exists: import it.
    for urn in [u for u in existing if CONTAINER in u]:
        world.host.docker("rm", "-f", existing.pop(urn))
    refresh(world.host, world.workdir, import_pending=existing, clear_pending_creates=True)
    result, seconds = world.apply()
    figure(f"  recovery: containers of pending creates removed, {len(existing)} networks/volumes imported "
           f"(refresh --import-pending-creates, --clear-pending-creates), then apply: "
           f"{time.monotonic() - start:.1f} s, {len(result.steps)} operations")
    assert not State(world.workdir).pending
    seconds, failed = wait_serving(world)
    figure(f"  site serving after the recovered apply: {seconds:.1f} s, {failed} failed requests")
    # No folder of ours left to root by dockerd: every file write of a later run still works.
    rooted = world.host.ssh(f"find {CONFIG_ROOT} -type d ! -user {user}").stdout.split()
    assert not rooted, f"folders under {CONFIG_ROOT} not owned by {user}: {rooted}"
    assert world.apply()[0].steps == []


def test_destroy_leaves_no_container_network_or_volume(world):
    destroy(world.workdir, world.host)
    # The app colours are the release script's: its `remove` (the release's delete) takes them.
    assert running(world) == {}
    networks = world.host.docker("network", "ls", "--format", "{{.Name}}").stdout.split()
    assert not [n for n in networks if n.startswith("xqfc-")], networks
    volumes = world.host.docker("volume", "ls", "--format", "{{.Name}}").stdout.split()
    assert not [v for v in volumes if v.startswith("xqfc-")], volumes
