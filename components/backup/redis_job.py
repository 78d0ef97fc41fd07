"""Redis: ship an RDB snapshot to the bucket.

Redis holds sessions and cache, which the app rebuilds; AOF on the data disk is the primary
durability. The snapshot is a cheap extra for the case where the disk itself is lost.
"""
from __future__ import annotations

import logging
import os
import shlex
import subprocess
import time
from datetime import UTC, datetime

from .manifest import TOOL_VERSION, Manifest
from .naming import backup_prefix, check_name, format_ts
from .pipeline import Codec, check_integrity, produce_to_file
from .publish import local_backup_dir, publish
from .retention import Retention
from .store import Store

log = logging.getLogger("xqfc.backup")
KIND = "redis"


class RedisError(RuntimeError):
    pass


def _info(redis_cli: str, section: str) -> dict[str, str]:
    result = subprocess.run([*shlex.split(redis_cli), "INFO", section],
                            check=False, capture_output=True, text=True)
    if result.returncode != 0 or not result.stdout.strip():
        raise RedisError(f"redis-cli INFO failed: {result.stderr.strip() or result.stdout.strip()}")
    pairs = (line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def bgsave_and_wait(redis_cli: str, timeout: float) -> str:
    """BGSAVE, then wait until a save newer than our request has finished and succeeded.
    Returns the server version."""
    before = _info(redis_cli, "persistence")
    saves_before = int(before.get("rdb_saves", "-1"))
    if saves_before < 0:
        raise RedisError("INFO persistence has no rdb_saves (Redis < 7?)")
    result = subprocess.run([*shlex.split(redis_cli), "BGSAVE"], check=False, capture_output=True, text=True)
    # A save already running is fine: we wait for the count to move past it.
    if result.returncode != 0 or ("Background saving" not in result.stdout
                                  and "already in progress" not in result.stdout):
        raise RedisError(f"BGSAVE failed: {result.stdout.strip()} {result.stderr.strip()}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = _info(redis_cli, "persistence")
        if info.get("rdb_bgsave_in_progress") == "0" and int(info.get("rdb_saves", "0")) > saves_before:
            if info.get("rdb_last_bgsave_status") != "ok":
                raise RedisError(f"BGSAVE finished with status {info.get('rdb_last_bgsave_status')}")
            return _info(redis_cli, "server").get("redis_version", "unknown")
        time.sleep(0.1)
    raise RedisError(f"BGSAVE did not finish within {timeout:.0f} s")


def redis_snapshot(store: Store, root: str, name: str, rdb_path: str, codec_: Codec,
                   local_root: str, retention: Retention, redis_cli: str | None = None,
                   bgsave_timeout: float = 300.0, now: datetime | None = None) -> Manifest:
    started = time.monotonic()
    check_name(name)
    server_version = bgsave_and_wait(redis_cli, bgsave_timeout) if redis_cli else "unknown"
    with open(rdb_path, "rb") as handle:
        if handle.read(5) != b"REDIS":
            raise RedisError(f"{rdb_path} is not an RDB file")
    now = now or datetime.now(UTC)
    ts = format_ts(now)
    local_dir = local_backup_dir(local_root, KIND, name, ts)
    os.makedirs(local_dir, exist_ok=False)
    file_name = f"dump.rdb{codec_.suffix}"
    # Redis replaces dump.rdb by rename, so reading it while a later save runs is safe.
    sha, size = produce_to_file(None, rdb_path, codec_, os.path.join(local_dir, file_name))
    check_integrity(os.path.join(local_dir, file_name), codec_)
    manifest = Manifest(
        kind=KIND, name=name, timestamp=ts, created_at=now.isoformat(),
        object_key=backup_prefix(root, KIND, name, ts) + file_name, file_name=file_name,
        format="redis-rdb", compression=codec_.name, size=size, sha256=sha,
        server_version=server_version, tool_version=TOOL_VERSION,
        duration_seconds=round(time.monotonic() - started, 3))
    return publish(store, root, local_root, local_dir, manifest, retention, now)
