"""The services on the VM: images and registry, the app, PostgreSQL, Redis, nginx."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from components.settings import formats
from components.settings.base import Context, Fields
from components.settings.errors import MISSING, Problem

if TYPE_CHECKING:
    from components.settings.model import Settings

IMAGE_FIELDS = ("app_image", "postgres_image", "redis_image", "nginx_image")
# PostgreSQL refuses role names starting with pg_ (CREATE ROLE: "reserved"); the image's
# entrypoint makes POSTGRES_USER the superuser and POSTGRES_DB its database, so `postgres`
# (the image's own superuser and maintenance database) and the template databases are taken.
# https://www.postgresql.org/docs/17/sql-createrole.html, https://www.postgresql.org/docs/17/manage-ag-templatedbs.html
RESERVED_DB_NAMES = ("postgres", "template0", "template1")
RESERVED_DB_USERS = ("postgres",)


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
    def _identifier(cls, v: str, info: Any) -> str:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", v):
            raise ValueError("must be a lower-case SQL identifier (a-z, 0-9, _)")
        reserved = RESERVED_DB_NAMES if info.field_name == "db_name" else RESERVED_DB_USERS
        if v in reserved or (info.field_name == "db_user" and v.startswith("pg_")):
            raise ValueError(f"{v} is reserved by PostgreSQL or its image ({', '.join(reserved)}"
                             f"{', pg_*' if info.field_name == 'db_user' else ''}); pick the application's own name, e.g. xqfc")
        return v

    @field_validator("registry_server")
    @classmethod
    def _registry_server(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if "://" in v or "/" in v:
            raise ValueError("must be the registry's host[:port] only, as in image references (e.g. ccr.ccs.tencentyun.com), no scheme or path")
        formats.host_port(v, port_required=False, example="ccr.ccs.tencentyun.com or registry.example:5000")
        return v

    @field_validator("registry_username")
    @classmethod
    def _registry_username(cls, v: str | None) -> str | None:
        # HTTP Basic (RFC 7617 section 2): the user-id cannot contain ':' and the header cannot
        # carry control characters; registries' login names never contain spaces.
        if v is not None and (not formats.control_free(v) or ":" in v or " " in v or len(v) > 255):
            raise ValueError("must be the registry login name: up to 255 characters, no spaces, ':' or control characters")
        return v

    @field_validator("app_migration_command")
    @classmethod
    def _migration(cls, v: str) -> str:
        # scripts/release.sh word-splits MIGRATE_CMD after the image name; "" skips the step. A blank
        # command would run the image's own CMD (the server) as the "migration", and a newline
        # would end the KEY=value line of release.conf.
        if v and not v.strip():
            raise ValueError("is blank: give the command (e.g. alembic upgrade head) or empty to skip migrations")
        if not formats.control_free(v):
            raise ValueError("must be one line without control characters (it runs as a word list after the image name)")
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
        if not re.fullmatch(r"/[A-Za-z0-9/_.-]*", v) or formats.climbs(v):
            raise ValueError("must be a URL path such as /health (no '..' segment: nginx and the app would resolve it elsewhere)")
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
    # The problem is on the key that is missing, not on the one the user did set.
    pair = {"registryServer": s.registry_server, "registryUsername": s.registry_username}
    if (s.registry_server is None) != (s.registry_username is None):
        return [Problem(key, MISSING, "registryServer and registryUsername are set together (password: secret registryPassword)")
                for key, value in pair.items() if value is None]
    return []


def memory_budget(s: Settings, ctx: Context) -> list[Problem]:
    if s.postgres_memory_mb + s.app_memory_mb + s.redis_maxmemory_mb > s.vm_memory_gb * 1024 * 0.8:
        return [Problem("postgresMemoryMb", s.postgres_memory_mb,
                        f"app, PostgreSQL and Redis memory exceed 80% of vmMemoryGb={s.vm_memory_gb}; lower them or raise vmMemoryGb")]
    return []


def registry_serves_an_image(s: Settings, ctx: Context) -> list[Problem]:
    if s.registry_server is None:
        return []
    used = {formats.image_registry(i) for i in s.images().values()}
    if s.registry_server not in used:
        return [Problem("registryServer", s.registry_server, f"no image of the stack comes from it (they come from {', '.join(sorted(used))}); "
                        "set it to appImage's registry, e.g. ccr.ccs.tencentyun.com for ccr.ccs.tencentyun.com/xqfc/app:1.0.0")]
    return []


CHECKS = [prod_images_by_digest, registry_pair, registry_serves_an_image, memory_budget]
