"""The sample app (examples/app) out of Docker, against a real PostgreSQL and Redis on loopback:
the same migration command, environment and endpoints the platform relies on (examples/app/README.md).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.pg_cluster import TempCluster
from tests.tools import free_port, postgres_bindir, require_tool

APP_DIR = Path(__file__).resolve().parents[1] / "examples" / "app"
RULES = Path(__file__).resolve().parents[1] / "components" / "render" / "monitoring"
REDIS_PASSWORD = "redis-Pw-0123456789"


class RedisServer:
    """redis-server on loopback with a password, like the stack's (requirepass)."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://:{REDIS_PASSWORD}@127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [require_tool("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--requirepass", REDIS_PASSWORD, "--dir", str(self.workdir), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(self.port), "--no-auth-warning", "-a", REDIS_PASSWORD, "PING"],
                             capture_output=True, text=True).stdout.strip() != "PONG":
            assert time.monotonic() < deadline and self.proc.poll() is None, "redis-server did not start"
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture(scope="module")
def pg():
    cluster = TempCluster(postgres_bindir()).start()
    cluster.psql("CREATE ROLE xqfc LOGIN PASSWORD 'db-Pw-0123456789'")
    cluster.psql("CREATE DATABASE xqfc OWNER xqfc")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()


def app_env(pg: TempCluster, redis_url: str, **extra: str) -> dict[str, str]:
    """What app.env holds on the VM (components/runtime/app.py), plus where to listen."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "XQFC_"))}
    env.update({
        "DATABASE_URL": f"postgresql://xqfc:db-Pw-0123456789@127.0.0.1:{pg.port}/xqfc",
        "REDIS_URL": redis_url,
        "SECRET_KEY": "s" * 48,
        "APP_ENV": "dev",
        "PUBLIC_URL": "https://dev.example.test",
        "S3_BUCKET": "xqfc-dev-backups",
        "S3_ENDPOINT": "https://cos.example.test",
        "S3_REGION": "ap-guangzhou",
        "APP_VERSION": "test-v1",
        "PYTHONPATH": str(APP_DIR),
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update(extra)
    return env


def alembic(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    # The image runs `alembic upgrade head` in /app; the venv's alembic is the same CLI.
    return subprocess.run([str(Path(sys.executable).with_name("alembic")), *args], cwd=APP_DIR, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def migrated(pg, redis_server):
    env = app_env(pg, redis_server.url)
    result = alembic(env, "upgrade", "head")
    assert result.returncode == 0, result.stderr
    return env


@pytest.fixture(scope="module")
def app(migrated, tmp_path_factory):
    port = free_port()
    env = {**migrated, "HOST": "127.0.0.1", "PORT": str(port)}
    log = tmp_path_factory.mktemp("app") / "app.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "xqfc_app"], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
                deadline = time.monotonic() + 20
                while True:
                    try:
                        client.get("/version")
                        break
                    except httpx.TransportError:
                        if proc.poll() is not None or time.monotonic() > deadline:
                            pytest.fail("the app did not start:\n" + log.read_text())
                        time.sleep(0.1)
                yield client
        finally:
            proc.terminate()  # SIGTERM, as `docker stop` sends: uvicorn shuts down gracefully
            # uvicorn >= 0.29 re-raises the signal after its graceful shutdown.
            assert proc.wait(15) in (0, -15), log.read_text()
            assert "Application shutdown complete" in log.read_text()


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.1)


def test_the_one_migration_creates_listings_and_is_idempotent(pg, migrated):
    assert pg.psql("SELECT version_num FROM alembic_version", database="xqfc") == "0001"
    columns = pg.psql("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns "
                      "WHERE table_name = 'listings'", database="xqfc")
    assert columns == "id,title,address,price,bedrooms,area_m2,description,created_at"
    again = alembic(migrated, "upgrade", "head")
    assert again.returncode == 0, again.stderr
    assert [p.name for p in (APP_DIR / "migrations" / "versions").glob("*.py")] == ["0001_listings.py"]


def test_migration_without_database_url_fails_loudly(migrated):
    env = {k: v for k, v in migrated.items() if k != "DATABASE_URL"}
    result = alembic(env, "upgrade", "head")
    assert result.returncode != 0 and "DATABASE_URL" in result.stderr
    # The failed-migration drill image (Dockerfile: --build-arg BROKEN=migration).
    broken = alembic({**migrated, "XQFC_BROKEN": "migration"}, "upgrade", "head")
    assert broken.returncode != 0 and "on purpose" in broken.stderr


def test_health_is_200_with_database_and_redis_up(app):
    r = app.get("/health")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok", "version": "test-v1", "checks": {"database": "ok", "redis": "ok"}}
    assert r.headers["x-app-version"] == "test-v1"
    assert app.get("/version").json()["version"] == "test-v1"
    assert app.get("/").status_code == 200  # the blackbox probe of PUBLIC_URL


def test_create_and_read_a_listing_through_the_cache(app):
    body = {"title": "Three-bedroom flat", "address": "1 School Lane", "price": 250000, "bedrooms": 3, "area_m2": 92}
    before = app.get("/api/listings")
    assert before.status_code == 200
    created = app.post("/api/listings", json=body)
    assert created.status_code == 201, created.text
    item = created.json()
    assert {k: item[k] for k in body} == body
    assert item["url"] == f"https://dev.example.test/api/listings/{item['id']}"
    assert created.headers["location"] == f"/api/listings/{item['id']}"

    first = app.get(f"/api/listings/{item['id']}")
    second = app.get(f"/api/listings/{item['id']}")
    assert first.json() == second.json() == item
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")

    page = app.get("/api/listings")
    assert page.headers["x-cache"] == "miss"  # the POST invalidated the cached index
    assert page.json()["items"][0] == item
    assert app.get("/api/listings").headers["x-cache"] == "hit"
    app.post("/api/listings", json={**body, "title": "Cottage"})
    fresh = app.get("/api/listings")
    assert fresh.headers["x-cache"] == "miss" and fresh.json()["items"][0]["title"] == "Cottage"

    assert app.get("/api/listings/999999").status_code == 404
    assert app.post("/api/listings", json={**body, "price": -1}).status_code == 422


def _metrics_names() -> set[str]:
    text = "".join(p.read_text() for p in (RULES / "rules.py", RULES / "grafana.py"))
    return set(re.findall(r"\bhttp_[a-z_]+", text))


def test_metrics_have_the_names_the_alert_rules_and_dashboards_query(app):
    app.get("/api/listings/1")
    r = app.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    wanted = _metrics_names()
    assert wanted == {"http_requests_total", "http_request_duration_seconds_bucket"}
    for name in wanted:
        assert re.search(rf"^{name}\{{", text, re.M), name
    # Labels the rules group by: handler is the route template, status matches =~"5..".
    assert re.search(r'^http_requests_total\{handler="/api/listings/\{listing_id\}",method="GET",status="2xx"\} ',
                     text, re.M)
    assert re.search(r'^http_request_duration_seconds_bucket\{handler="/health",le="0.5",method="GET"\} ', text, re.M)
    # The public site proxies every path to the app; nginx always adds X-Forwarded-For.
    assert app.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404


def test_health_is_503_while_redis_is_down_and_recovers(app, redis_server):
    item_id = app.post("/api/listings", json={"title": "Barn", "address": "Farm Rd", "price": 1, "bedrooms": 0}).json()["id"]
    redis_server.stop()
    try:
        r = app.get("/health")
        assert r.status_code == 503
        assert r.json()["status"] == "failing" and r.json()["checks"]["redis"].startswith("error")
        assert r.json()["checks"]["database"] == "ok"
        # Reads still work: a cache error is a miss.
        assert app.get(f"/api/listings/{item_id}").status_code == 200
    finally:
        redis_server.start()
    wait_for(lambda: app.get("/health").status_code == 200)
    assert app.get(f"/api/listings/{item_id}").headers["x-cache"] == "miss"


def test_survives_a_postgresql_restart(app, pg):
    assert app.get("/health").status_code == 200
    pg._run(f"{pg.bindir}/pg_ctl", "-D", pg.data, "-m", "fast", "-w", "-l", os.path.join(pg.base, "log"), "restart")
    # pool_pre_ping drops the dead connections: the first request after the restart succeeds.
    assert app.get("/api/listings").status_code == 200
    assert app.get("/health").status_code == 200


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # starlette.testclient on newer anyio
def test_a_deliberately_broken_image_fails_health(migrated):
    from starlette.testclient import TestClient

    sys.path.insert(0, str(APP_DIR))
    try:
        from xqfc_app.config import Config, ConfigError
        from xqfc_app.main import create_app

        with pytest.MonkeyPatch.context() as mp:
            for k, v in migrated.items():
                mp.setenv(k, v)
            assert not Config.from_env().fail_health
            mp.setenv("XQFC_BROKEN", "health")  # Dockerfile: --build-arg BROKEN=health
            assert Config.from_env().fail_health
            mp.delenv("XQFC_BROKEN")
            mp.setenv("XQFC_FAIL_HEALTH", "1")
            cfg = Config.from_env()
            mp.delenv("SECRET_KEY")
            with pytest.raises(ConfigError, match="SECRET_KEY"):
                Config.from_env()
        with TestClient(create_app(cfg)) as client:
            r = client.get("/health")
            assert r.status_code == 503 and "XQFC_FAIL_HEALTH" in r.json()["checks"]["release"]
            assert client.get("/version").json()["version"] == "test-v1"
    finally:
        sys.path.remove(str(APP_DIR))
