"""The HTTP app. `create_app()` builds it from the environment (xqfc_app.config)."""
from __future__ import annotations

import html
import logging
from typing import Any

import redis
import sqlalchemy as sa
from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from redis.backoff import NoBackoff
from redis.retry import Retry
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import __version__
from .cache import Cache, make_client
from .config import Config
from .db import listings, make_engine, row_to_dict
from .metrics import Metrics, MetricsMiddleware

log = logging.getLogger("xqfc_app")


class ListingIn(BaseModel):
    title: str = Field(..., min_length=1, max_length=200)
    address: str = Field(..., min_length=1, max_length=300)
    price: int = Field(..., ge=0, le=10**12)
    bedrooms: int = Field(..., ge=0, le=100)
    area_m2: int | None = Field(None, ge=1, le=1_000_000)
    description: str = Field("", max_length=10_000)


def _dump(model: BaseModel) -> dict[str, Any]:
    # pydantic 2 (Debian 13) has model_dump; pydantic 1 (Debian 12) has dict.
    return model.model_dump() if hasattr(model, "model_dump") else model.dict()


class VersionHeader:
    """Adds X-App-Version to every response: blue/green tests tell releases apart by it."""

    def __init__(self, app: ASGIApp, version: str) -> None:
        self.app = app
        self.header = (b"x-app-version", version.encode("latin-1", "replace"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], self.header]
            await send(message)

        await self.app(scope, receive, send_wrapper)


def create_app(config: Config | None = None) -> ASGIApp:
    cfg = config or Config.from_env()
    engine = make_engine(cfg.database_url)
    metrics = Metrics()
    cache = Cache(make_client(cfg.redis_url), cfg.cache_ttl_s,
                  on_error=lambda op: metrics.cache_errors.labels(op).inc())
    # Health asks once, fast: no retries, so a dead Redis answers within curl's 3 s.
    health_redis = redis.Redis.from_url(cfg.redis_url, socket_timeout=1, socket_connect_timeout=1,
                                        retry=Retry(NoBackoff(), 0), retry_on_timeout=False)

    app = FastAPI(title="xqfc listings", version=cfg.version, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.config, app.state.engine, app.state.cache = cfg, engine, cache

    @app.exception_handler(sa.exc.DBAPIError)
    async def _db_down(request: Request, exc: sa.exc.DBAPIError) -> JSONResponse:
        log.warning("database error on %s: %s", request.url.path, exc.orig)
        return JSONResponse({"detail": "database unavailable"}, status_code=503)

    @app.exception_handler(sa.exc.TimeoutError)
    async def _pool_full(request: Request, exc: sa.exc.TimeoutError) -> JSONResponse:
        log.warning("database pool exhausted on %s", request.url.path)
        return JSONResponse({"detail": "database busy"}, status_code=503)

    @app.get("/health")
    def health() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            with engine.connect() as conn:
                migrated = conn.execute(sa.text("SELECT to_regclass('public.listings') IS NOT NULL")).scalar()
            checks["database"] = "ok" if migrated else "not migrated: run `alembic upgrade head`"
        except Exception as exc:  # noqa: BLE001 - any failure is "unhealthy"
            checks["database"] = f"error: {type(exc).__name__}"
        try:
            health_redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"error: {type(exc).__name__}"
        if cfg.fail_health:
            checks["release"] = "deliberately broken image (XQFC_FAIL_HEALTH=1 or BROKEN=health)"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "failing", "version": cfg.version, "checks": checks},
                            status_code=200 if ok else 503)

    @app.get("/version")
    def version() -> dict[str, str]:
        return {"version": cfg.version, "app": __version__, "environment": cfg.app_env}

    @app.get("/metrics")
    def metrics_endpoint(request: Request) -> Response:
        # nginx proxies every path of the public site to the app and always sets these headers;
        # Prometheus scrapes app:<port> directly. So a proxied request is a member of the public.
        if not cfg.metrics_allow_proxied and ("x-forwarded-for" in request.headers or "x-real-ip" in request.headers):
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    def fetch_page(limit: int, offset: int) -> tuple[list[dict[str, Any]], str]:
        gen = cache.list_generation()
        key = f"xqfc:listings:{gen}:{limit}:{offset}"
        if gen is not None:
            hit = cache.get_json(key)
            if hit is not None:
                metrics.cache_lookups.labels("hit").inc()
                return hit, "hit"
        metrics.cache_lookups.labels("miss").inc()
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(listings).order_by(listings.c.id.desc()).limit(limit).offset(offset)).all()
        items = [with_url(row_to_dict(r)) for r in rows]
        if gen is not None:
            cache.set_json(key, items)
        return items, "miss"

    def with_url(item: dict[str, Any]) -> dict[str, Any]:
        item["url"] = f"{cfg.public_url}/api/listings/{item['id']}"
        return item

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        # The blackbox probe of PUBLIC_URL wants a 2xx here.
        items, _ = fetch_page(20, 0)
        rows = "".join(f"<li>{html.escape(i['title'])}: {html.escape(i['address'])}, {i['price']}</li>" for i in items)
        return HTMLResponse(f"<!doctype html><title>County listings</title><h1>Listings</h1><ul>{rows}</ul>")

    @app.get("/api/listings")
    def list_listings(limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0, le=100_000)) -> JSONResponse:
        items, how = fetch_page(limit, offset)
        return JSONResponse({"items": items, "limit": limit, "offset": offset}, headers={"X-Cache": how})

    @app.post("/api/listings", status_code=201)
    def create_listing(body: ListingIn) -> JSONResponse:
        with engine.begin() as conn:
            row = conn.execute(
                listings.insert().values(**_dump(body), created_at=sa.func.now()).returning(*listings.columns)
            ).one()
        item = with_url(row_to_dict(row))
        cache.invalidate_lists()
        cache.delete(f"xqfc:listing:{item['id']}")
        return JSONResponse(item, status_code=201, headers={"Location": f"/api/listings/{item['id']}"})

    @app.get("/api/listings/{listing_id}")
    def get_listing(listing_id: int) -> JSONResponse:
        key = f"xqfc:listing:{listing_id}"
        hit = cache.get_json(key)
        if hit is not None:
            metrics.cache_lookups.labels("hit").inc()
            return JSONResponse(hit, headers={"X-Cache": "hit"})
        metrics.cache_lookups.labels("miss").inc()
        with engine.connect() as conn:
            row = conn.execute(sa.select(listings).where(listings.c.id == listing_id)).first()
        if row is None:
            return JSONResponse({"detail": "listing not found"}, status_code=404)
        item = with_url(row_to_dict(row))
        cache.set_json(key, item)
        return JSONResponse(item, headers={"X-Cache": "miss"})

    wrapped = MetricsMiddleware(VersionHeader(app, cfg.version), metrics, routes_of=app)
    # uvicorn serves `wrapped`; tests and tools reach the FastAPI object through it.
    wrapped.fastapi = app  # type: ignore[attr-defined]

    def close() -> None:
        engine.dispose()
        cache.client.close()
        health_redis.close()

    wrapped.close = close  # type: ignore[attr-defined]
    return wrapped
