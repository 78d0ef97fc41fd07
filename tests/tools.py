"""Access to the real tools the tests drive.

A missing tool fails the test instead of skipping it: `make test` installs every tool
(scripts/install-test-tools.sh), so a missing one means the environment is broken, and a
silent skip would let an unverified artifact pass.
"""
from __future__ import annotations

import contextlib
import glob
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run `make tools` (scripts/install-test-tools.sh)")
    return path


def postgres_bindir() -> str:
    """Directory of Debian's PostgreSQL server binaries (initdb, pg_ctl, postgres)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        pytest.fail("PostgreSQL server binaries not found: run `make tools`")
    return candidates[-1].rsplit("/", 1)[0]


def free_port() -> int:
    """A TCP port on loopback nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(cmd: list[str], ready_url: str, log_path: Path, timeout: float = 15.0, env: dict[str, str] | None = None):
    """Run a server until the block ends; wait until `ready_url` answers, fail with its log if it
    exits or never answers, and always stop it."""
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    urllib.request.urlopen(ready_url, timeout=1).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"{cmd[0]} did not start:\n" + log_path.read_text())
                    time.sleep(0.1)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
