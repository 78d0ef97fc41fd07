"""PostgreSQL and Redis configs, loaded by the real servers."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from components.render.postgres import PostgresTuning, render_postgresql_conf, tuned_settings
from components.render.redis import RedisConfig, render_redis_conf
from tests.tools import free_port, postgres_bindir, require_tool


def _as_postgres(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="module")
def pgdata():
    # pytest's tmp dirs are private to root; the postgres user needs a directory of its own.
    base = Path(tempfile.mkdtemp(prefix="xqfc-pgconf-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(base, "postgres")
        data = base / "data"
        subprocess.run(_as_postgres([f"{postgres_bindir()}/initdb", "-D", str(data), "-A", "trust", "-U", "postgres"]),
                       check=True, capture_output=True)
        yield data
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("memory_mb,connections", [(1024, 100), (6144, 200), (256, 20)])
def test_postgres_accepts_the_tuned_config(pgdata, memory_mb, connections):
    t = PostgresTuning(memory_mb, connections)
    conf = pgdata.parent / f"tuned-{memory_mb}.conf"
    conf.write_text(render_postgresql_conf(t))
    os.chmod(conf, 0o644)
    for name in ("shared_buffers", "work_mem", "max_connections"):
        out = subprocess.run(
            _as_postgres([f"{postgres_bindir()}/postgres", "-D", str(pgdata), "-c", f"config_file={conf}", "-C", name]),
            capture_output=True, text=True,
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip(), name
    shared = subprocess.run(
        _as_postgres([f"{postgres_bindir()}/postgres", "-D", str(pgdata), "-c", f"config_file={conf}", "-C", "shared_buffers"]),
        capture_output=True, text=True,
    ).stdout.strip()
    expected_mb = int(tuned_settings(t)["shared_buffers"].removesuffix("MB"))
    # `postgres -C` reports shared_buffers in 8 kB pages.
    assert int(shared) * 8 // 1024 == expected_mb


def test_postgres_rejects_a_broken_config(pgdata):
    conf = pgdata.parent / "broken.conf"
    conf.write_text("shared_buffers = lots\n")
    os.chmod(conf, 0o644)
    out = subprocess.run(
        _as_postgres([f"{postgres_bindir()}/postgres", "-D", str(pgdata), "-c", f"config_file={conf}", "-C", "shared_buffers"]),
        capture_output=True, text=True,
    )
    assert out.returncode != 0


def test_tuning_scales_with_memory_and_fits():
    small, big = tuned_settings(PostgresTuning(1024, 100)), tuned_settings(PostgresTuning(6144, 200))
    mb = lambda v: int(v.removesuffix("MB"))  # noqa: E731
    assert mb(small["shared_buffers"]) == 256 and mb(big["shared_buffers"]) == 1536
    assert mb(big["effective_cache_size"]) > mb(small["effective_cache_size"])
    # Every connection sorting twice at once still fits beside shared_buffers.
    for t in (PostgresTuning(1024, 100), PostgresTuning(6144, 200)):
        s = tuned_settings(t)
        assert mb(s["shared_buffers"]) + 2 * t.max_connections * mb(s["work_mem"]) <= t.memory_mb



def test_redis_runs_with_the_rendered_config(tmp_path):
    server, cli = require_tool("redis-server"), require_tool("redis-cli")
    port = free_port()
    conf = tmp_path / "redis.conf"
    conf.write_text(render_redis_conf(RedisConfig("s3cretpass", 64, "allkeys-lru", port=port, bind="127.0.0.1", data_dir=str(tmp_path))))
    proc = subprocess.Popen([server, str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = [cli, "-h", "127.0.0.1", "-p", str(port)]
        for _ in range(50):
            if subprocess.run([*base, "ping"], capture_output=True, text=True).stdout:
                break
            time.sleep(0.1)
        assert "NOAUTH" in subprocess.run([*base, "ping"], capture_output=True, text=True).stdout
        authed = [*base, "--no-auth-warning", "-a", "s3cretpass"]
        assert subprocess.run([*authed, "ping"], capture_output=True, text=True).stdout.strip() == "PONG"
        get = lambda k: subprocess.run([*authed, "config", "get", k], capture_output=True, text=True).stdout.split()  # noqa: E731
        assert get("appendonly") == ["appendonly", "yes"]
        assert get("maxmemory") == ["maxmemory", str(64 * 1024 * 1024)]
        assert get("maxmemory-policy") == ["maxmemory-policy", "allkeys-lru"]
        assert "ERR unknown command" in subprocess.run([*authed, "flushall"], capture_output=True, text=True).stdout
        assert (tmp_path / "appendonlydir").exists() or (tmp_path / "appendonly.aof").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
