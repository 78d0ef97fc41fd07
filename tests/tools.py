"""Access to the real tools the tests drive.

A missing tool fails the test instead of skipping it: `make test` installs every tool
(scripts/install-test-tools.sh), so a missing one means the environment is broken, and a
silent skip would let an unverified artifact pass.
"""
from __future__ import annotations

import glob
import shutil

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
