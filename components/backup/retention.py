"""Which backups to delete. Pure: decided from the timestamps in the names, never from mtimes."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .naming import parse_ts


@dataclass(frozen=True)
class Retention:
    retention_days: int  # remote copies older than this are deleted...
    keep_newest: int  # ...except the newest K complete ones, whatever their age
    local_days: int  # local copies older than this are deleted once proven uploaded


def expired(timestamps: Sequence[str], complete: Sequence[bool], now: datetime,
            retention_days: int, keep_newest: int) -> list[str]:
    """Timestamps older than `retention_days`, except the newest `keep_newest` complete ones.

    Keeping the newest K complete backups whatever their age means a backup job that has been
    failing for weeks never prunes the last good copies away.
    """
    if keep_newest < 1:
        raise ValueError("keep_newest must be at least 1")
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    pairs = list(zip(timestamps, complete))
    # The timestamp format sorts as text in time order, so the newest are the largest.
    protected = set(sorted({ts for ts, ok in pairs if ok}, reverse=True)[:keep_newest])
    cutoff = now - timedelta(days=retention_days)
    return sorted(ts for ts, _ in pairs if ts not in protected and parse_ts(ts) < cutoff)
