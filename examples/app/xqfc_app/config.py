"""Settings from the environment, exactly as the platform writes them into app.env
(components/runtime/app.py) and the image bakes them (Dockerfile)."""
from __future__ import annotations

import os
from dataclasses import dataclass


class ConfigError(RuntimeError):
    pass


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def broken() -> set[str]:
    return {w.strip() for w in os.environ.get("XQFC_BROKEN", "").split(",") if w.strip()}


@dataclass(frozen=True)
class Config:
    database_url: str
    redis_url: str
    secret_key: str
    app_env: str
    public_url: str
    version: str
    s3_bucket: str
    s3_endpoint: str
    s3_region: str
    host: str
    port: int
    fail_health: bool
    metrics_allow_proxied: bool
    cache_ttl_s: int

    @classmethod
    def from_env(cls) -> Config:
        missing = [k for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY") if not os.environ.get(k)]
        if missing:
            raise ConfigError(f"missing environment: {', '.join(missing)} (the platform writes them to app.env)")
        return cls(
            database_url=os.environ["DATABASE_URL"],
            redis_url=os.environ["REDIS_URL"],
            secret_key=os.environ["SECRET_KEY"],
            app_env=os.environ.get("APP_ENV", "dev"),
            public_url=os.environ.get("PUBLIC_URL", "").rstrip("/"),
            version=os.environ.get("APP_VERSION", "dev"),
            s3_bucket=os.environ.get("S3_BUCKET", ""),
            s3_endpoint=os.environ.get("S3_ENDPOINT", ""),
            s3_region=os.environ.get("S3_REGION", ""),
            # All interfaces of the container: nginx, Prometheus and the health check come from outside.
            host=os.environ.get("HOST", "0.0.0.0"),  # nosec B104
            port=int(os.environ.get("PORT", "8000")),
            # A deliberately broken image for the failed-release drill: XQFC_FAIL_HEALTH=1, or the
            # build arg BROKEN=health (baked as XQFC_BROKEN; BROKEN=migration breaks the migration).
            fail_health=_flag("XQFC_FAIL_HEALTH") or "health" in broken(),
            metrics_allow_proxied=_flag("METRICS_ALLOW_PROXIED"),
            cache_ttl_s=int(os.environ.get("CACHE_TTL_SECONDS", "300")),
        )
