"""postgresql.conf tuned to the memory the container is given.

Ratios follow the usual guidance for a dedicated container: shared_buffers a quarter of
memory, effective_cache_size three quarters (it is a planner hint, not an allocation),
work_mem so that every connection sorting at once still fits.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PostgresTuning:
    memory_mb: int
    max_connections: int
    ssd: bool = True


def tuned_settings(t: PostgresTuning) -> dict[str, str]:
    shared = max(128, t.memory_mb // 4)
    cache = max(256, t.memory_mb * 3 // 4)
    maintenance = min(1024, max(64, t.memory_mb // 16))
    # Leave shared_buffers aside, then spread the rest over connections, two sorts each.
    work = max(1, (t.memory_mb - shared) // (t.max_connections * 2))
    return {
        "listen_addresses": "'*'",
        "max_connections": str(t.max_connections),
        "password_encryption": "'scram-sha-256'",
        "shared_buffers": f"{shared}MB",
        "effective_cache_size": f"{cache}MB",
        "maintenance_work_mem": f"{maintenance}MB",
        "work_mem": f"{work}MB",
        "wal_buffers": "16MB",
        "min_wal_size": "256MB",
        "max_wal_size": "2GB",
        "checkpoint_completion_target": "0.9",
        "random_page_cost": "1.1" if t.ssd else "4.0",
        "effective_io_concurrency": "200" if t.ssd else "2",
        "log_min_duration_statement": "500",
        "log_checkpoints": "on",
        "log_lock_waits": "on",
        "log_line_prefix": "'%m [%p] %q%u@%d '",
        "idle_in_transaction_session_timeout": "'5min'",
        "shared_preload_libraries": "'pg_stat_statements'",
        "pg_stat_statements.track": "all",
    }


def render_postgresql_conf(t: PostgresTuning) -> str:
    lines = [f"# rendered for {t.memory_mb} MB, {t.max_connections} connections"]
    lines += [f"{k} = {v}" for k, v in tuned_settings(t).items()]
    return "\n".join(lines) + "\n"
