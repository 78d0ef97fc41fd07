"""Drives scripts/release.sh against a real loopback nginx, with the fake docker starting
app stand-ins, and generates HTTPS load across a release."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from components.render.nginx import NginxSpec, UpstreamTarget
from tests.edge_harness import (
    DOMAIN,
    EdgeLayout,
    Tls,
    free_port,
    https_get,
    loopback_spec,
    make_tls,
    running_nginx,
    write_config,
)
from tests.tools import require_tool

REPO = Path(__file__).resolve().parent.parent
RELEASE_SH = REPO / "scripts" / "release.sh"
FAKE_DOCKER = Path(__file__).resolve().parent / "release_fakes" / "fake_docker.py"
APP_NAME = "xqfc-app"
EDGE_NETWORK = "xqfc-edge"
BACKEND_NETWORK = "xqfc-backend"
MIGRATE_CMD = "alembic upgrade head"


@dataclass
class ReleaseEnv:
    root: Path
    layout: EdgeLayout
    spec: NginxSpec
    tls: Tls
    env: dict = field(default_factory=dict)

    @property
    def docker_dir(self) -> Path:
        return Path(self.env["FAKE_DOCKER_DIR"])

    @property
    def state_dir(self) -> Path:
        return Path(self.env["STATE_DIR"])

    def release(self, *args: str, timeout: float = 60, **extra_env: str) -> subprocess.CompletedProcess:
        return subprocess.run([require_tool("dash"), str(RELEASE_SH), *args],
                              env={**self.env, **extra_env}, capture_output=True, text=True,
                              timeout=timeout, check=False)

    def containers(self) -> dict[str, dict]:
        folder = self.docker_dir / "containers"
        if not folder.exists():
            return {}
        return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}

    def calls(self) -> list[list[str]]:
        path = self.docker_dir / "calls.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def migrations(self) -> list[dict]:
        path = self.docker_dir / "migrations.log"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def state(self) -> dict[str, str]:
        path = self.state_dir / "state"
        if not path.exists():
            return {}
        return dict(line.split("=", 1) for line in path.read_text().splitlines())

    def serving_version(self) -> str | None:
        resp = https_get(self.spec.https_port, "/", self.tls.client_context())
        return json.loads(resp.body)["version"] if resp.status == 200 else None

    def target_of(self, name: str) -> UpstreamTarget:
        return UpstreamTarget("127.0.0.1", self.containers()[name]["port"])


def _kill_standins(env: ReleaseEnv) -> None:
    for rec in env.containers().values():
        with contextlib.suppress(ProcessLookupError):
            os.kill(rec["pid"], signal.SIGKILL)


@contextlib.contextmanager
def release_env(root: Path, **env_overrides: str):
    """nginx on loopback with v1 already released (as blue) by the release script itself."""
    tls = make_tls(root / "tls", [DOMAIN, f"www.{DOMAIN}"])
    layout = EdgeLayout(root)
    # The load is all from 127.0.0.1: no rate limit here (tested in test_nginx_live).
    spec = loopback_spec(layout, tls, rate_limit=None, worker_shutdown_timeout_s=1)
    # Before the first release the upstream points at a closed port, as on a fresh VM
    # where nginx would answer 502 until the app exists.
    write_config(layout, spec, [UpstreamTarget("127.0.0.1", free_port())])
    bindir = root / "bin"
    bindir.mkdir()
    docker = bindir / "docker"
    docker.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_DOCKER}" "$@"\n')
    docker.chmod(0o755)
    (root / "docker").mkdir()
    nginx = f"{require_tool('nginx')} -p {layout.prefix}/ -c {layout.conf}"
    env = {
        "PATH": os.environ["PATH"],
        "RELEASE_CONFIG": str(root / "absent-release.conf"),
        "FAKE_DOCKER_DIR": str(root / "docker"),
        "DOCKER": str(docker),
        "CURL": require_tool("curl"),
        "FLOCK": require_tool("flock"),
        "APP_NAME": APP_NAME,
        "EDGE_NETWORK": EDGE_NETWORK,
        "APP_NETWORKS": BACKEND_NETWORK,
        "APP_ENV_FILE": str(root / "app.env"),
        "MIGRATE_CMD": MIGRATE_CMD,
        "NGINX_STATUS_CMD": "echo true",
        "NGINX_TEST_CMD": f"{nginx} -t -q",
        "NGINX_RELOAD_CMD": f"{nginx} -s reload",
        "UPSTREAM_FILE": str(layout.upstream),
        "STATE_DIR": str(root / "state"),
        "HEALTH_INTERVAL": "0.1",
        "HEALTH_TIMEOUT": "3",
        "HEALTH_SUCCESSES": "2",
        "DRAIN_SECONDS": "1",
        "STOP_TIMEOUT": "5",
        **env_overrides,
    }
    renv = ReleaseEnv(root, layout, spec, tls, env)
    try:
        with running_nginx(layout, spec):
            first = renv.release("deploy", "registry.local/xqfc-app:v1")
            assert first.returncode == 0, first.stderr
            # `nginx -s reload` only signals the master: for a moment its old workers still
            # accept connections (here: proxying to nothing). Settle on 20 v1 answers in a row.
            deadline = time.monotonic() + 5
            streak = 0
            while streak < 20 and time.monotonic() < deadline:
                streak = streak + 1 if renv.serving_version() == "v1" else 0
            resp = https_get(spec.https_port, "/", tls.client_context())
            assert resp.status == 200, (resp.status, first.stderr, layout.error_log.read_text(),
                                        layout.upstream.read_text(), renv.containers())
            yield renv
    finally:
        _kill_standins(renv)


@dataclass
class Sample:
    path: str
    start: float
    end: float
    version: str | None
    error: str | None


class Load:
    """A few client threads issuing HTTPS GETs (a new connection each, like distinct users)
    until stopped; one thread asks for slow requests so some are in flight at the switch."""

    def __init__(self, env: ReleaseEnv, threads: int = 4, max_seconds: float = 60):
        self.env = env
        self.samples: list[Sample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._deadline = time.monotonic() + max_seconds
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                         for i in range(threads)]

    def _run(self, index: int) -> None:
        ctx = self.env.tls.client_context()
        path = "/slow?ms=300" if index == 0 else "/"
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            start = time.monotonic()
            version = error = None
            try:
                resp = https_get(self.env.spec.https_port, path, ctx, timeout=10)
                if resp.status == 200:
                    version = json.loads(resp.body)["version"]
                else:
                    error = f"HTTP {resp.status}"
            except Exception as exc:  # noqa: BLE001 - every failure counts, whatever its kind
                error = repr(exc)
            with self._lock:
                self.samples.append(Sample(path, start, time.monotonic(), version, error))

    def __enter__(self) -> Self:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(15)

    def count(self) -> int:
        with self._lock:
            return len(self.samples)

    def wait_for(self, n: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.count() < n and time.monotonic() < deadline:
            time.sleep(0.02)

    @property
    def failures(self) -> list[Sample]:
        return [s for s in self.samples if s.error is not None]
