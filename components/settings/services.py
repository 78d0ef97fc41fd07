"""The services on the VM: images and registry, the app, PostgreSQL, Redis, nginx."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from components.settings import formats
from components.settings.base import Context, Fields
from components.settings.errors import Problem

if TYPE_CHECKING:
    from components.settings.model import Settings

IMAGE_FIELDS = ("app_image", "postgres_image", "redis_image", "nginx_image")


class ServicesFields(Fields):
    app_image: str
    postgres_image: str = "postgres:17-alpine"
    redis_image: str = "redis:7-alpine"
    nginx_image: str = "nginx:1.28-alpine"
    registry_server: str | None = None
    registry_username: str | None = None
    app_port: int = Field(8000, ge=1024, le=65535)
    app_health_path: str = "/health"
    app_migration_command: str = "alembic upgrade head"
    app_user: str | None = "10001:10001"
    app_memory_mb: int = Field(512, ge=128, le=65536)
    app_cpus: float = Field(1.0, gt=0, le=64)
    db_name: str = "xqfc"
    db_user: str = "xqfc"
    postgres_memory_mb: int = Field(1024, ge=256, le=262144)
    postgres_max_connections: int = Field(100, ge=20, le=5000)
    redis_maxmemory_mb: int = Field(256, ge=32, le=65536)
    redis_eviction_policy: Literal[
        "noeviction", "allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu", "allkeys-random", "volatile-random", "volatile-ttl"
    ] = "allkeys-lru"
    client_max_body_mb: int = Field(20, ge=1, le=1024)

    @field_validator(*IMAGE_FIELDS)
    @classmethod
    def _service_image(cls, v: str) -> str:
        return formats.image(v)

    @field_validator("db_name", "db_user")
    @classmethod
    def _identifier(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", v):
            raise ValueError("must be a lower-case SQL identifier (a-z, 0-9, _)")
        return v

    @field_validator("app_user")
    @classmethod
    def _uid(cls, v: str | None) -> str | None:
        if v == "":
            # Pulumi.yaml documents "" as "the image's own USER".
            return None
        if v is not None and not re.fullmatch(r"[1-9][0-9]{0,9}(:[0-9]{1,10})?", v):
            raise ValueError("must be a numeric non-root uid[:gid] such as 10001:10001, or empty for the image's own user")
        return v

    @field_validator("app_health_path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not re.fullmatch(r"/[A-Za-z0-9/_.-]*", v):
            raise ValueError("must be a URL path such as /health")
        return v


# --- cross-field checks -------------------------------------------------------------------


def prod_images_by_digest(s: Settings, ctx: Context) -> list[Problem]:
    if not s.is_prod:
        return []
    return [
        Problem(key, image, "prod runs images pinned by digest: <repo>:<tag>@sha256:<64 hex>")
        for key, image in s.images().items()
        if not formats.DIGEST_RE.search(image)
    ]


def registry_pair(s: Settings, ctx: Context) -> list[Problem]:
    if (s.registry_server is None) != (s.registry_username is None):
        return [Problem("registryUsername", s.registry_username, "registryServer and registryUsername are set together (password: secret registryPassword)")]
    return []


def memory_budget(s: Settings, ctx: Context) -> list[Problem]:
    if s.postgres_memory_mb + s.app_memory_mb + s.redis_maxmemory_mb > s.vm_memory_gb * 1024 * 0.8:
        return [Problem("postgresMemoryMb", s.postgres_memory_mb,
                        f"app, PostgreSQL and Redis memory exceed 80% of vmMemoryGb={s.vm_memory_gb}; lower them or raise vmMemoryGb")]
    return []


CHECKS = [prod_images_by_digest, registry_pair, memory_budget]
