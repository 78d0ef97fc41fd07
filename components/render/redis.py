"""redis.conf: password, AOF persistence on the data volume, memory cap and eviction."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RedisConfig:
    password: str
    maxmemory_mb: int
    eviction_policy: str
    port: int = 6379
    # bandit B104 is a false positive here: binds inside the container on the internal data network; requirepass is set
    bind: str = "0.0.0.0"  # nosec B104
    data_dir: str = "/data"


def render_redis_conf(c: RedisConfig) -> str:
    settings = [
        # Reachable only on the internal data network; the password is the second lock.
        ("bind", c.bind),
        ("protected-mode", "yes"),
        ("port", str(c.port)),
        ("requirepass", c.password),
        ("dir", c.data_dir),
        ("appendonly", "yes"),
        ("appendfsync", "everysec"),
        ("aof-use-rdb-preamble", "yes"),
        # RDB snapshots too: the backup job uploads dump.rdb.
        ("save", "3600 1 300 100 60 10000"),
        ("dbfilename", "dump.rdb"),
        ("maxmemory", f"{c.maxmemory_mb}mb"),
        ("maxmemory-policy", c.eviction_policy),
        ("rename-command", "FLUSHALL \"\""),
        ("rename-command", "DEBUG \"\""),
        ("loglevel", "notice"),
    ]
    return "".join(f"{k} {v}\n" for k, v in settings)
