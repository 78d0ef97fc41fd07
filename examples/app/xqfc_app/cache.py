"""Redis as a read cache. A Redis outage makes /health fail but never breaks a read: a
cache error counts as a miss. redis-py reconnects by itself (retry with backoff)."""
from __future__ import annotations

import json
import logging
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

log = logging.getLogger("xqfc_app.cache")


def make_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_timeout=2,
        socket_connect_timeout=2,
        health_check_interval=15,
        retry_on_timeout=True,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
        retry_on_error=[redis.exceptions.ConnectionError],
        decode_responses=True,
    )


class Cache:
    GEN_KEY = "xqfc:listings:gen"

    def __init__(self, client: redis.Redis, ttl_s: int, on_error=None):
        self.client = client
        self.ttl_s = ttl_s
        self._on_error = on_error or (lambda op: None)

    def _fail(self, op: str, exc: Exception) -> None:
        log.warning("redis %s failed: %s", op, exc)
        self._on_error(op)

    def get_json(self, key: str) -> Any | None:
        try:
            raw = self.client.get(key)
        except redis.RedisError as exc:
            self._fail("get", exc)
            return None
        return None if raw is None else json.loads(raw)

    def set_json(self, key: str, value: Any) -> None:
        try:
            self.client.set(key, json.dumps(value), ex=self.ttl_s)
        except redis.RedisError as exc:
            self._fail("set", exc)

    def delete(self, key: str) -> None:
        try:
            self.client.delete(key)
        except redis.RedisError as exc:
            self._fail("delete", exc)

    def list_generation(self) -> str | None:
        """Version of the listing index; None when Redis is unreachable (then: no caching)."""
        try:
            return self.client.get(self.GEN_KEY) or "0"
        except redis.RedisError as exc:
            self._fail("get", exc)
            return None

    def invalidate_lists(self) -> bool:
        """New generation: every cached page of the index is stale at once."""
        try:
            self.client.incr(self.GEN_KEY)
            return True
        except redis.RedisError as exc:
            self._fail("incr", exc)
            return False
