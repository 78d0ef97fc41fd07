"""Where backups live: timestamps and object keys.

The timestamp is part of every key and is the only clock retention trusts: S3-compatible
stores (and moto) set LastModified at upload time, which a re-upload or copy would reset.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

TS_FORMAT = "%Y%m%dT%H%M%SZ"
MANIFEST_NAME = "manifest.json"
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


def format_ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TS_FORMAT)


def parse_ts(text: str) -> datetime:
    return datetime.strptime(text, TS_FORMAT).replace(tzinfo=UTC)


def check_name(name: str) -> str:
    """Database and snapshot names are interpolated into SQL and keys, so only plain identifiers
    pass (40 chars leaves room for the restore suffixes inside PostgreSQL's 63)."""
    # fullmatch: `$` would also match before a trailing newline, letting "x\n" through.
    if not _NAME_RE.fullmatch(name):
        raise ValueError(f"invalid name {name!r}: use letters, digits and _ (max 40)")
    return name


def series_prefix(root: str, kind: str, name: str) -> str:
    """`backups/postgres/xqfc/`: one series per kind and database (or Redis instance)."""
    root = root.strip("/")
    return f"{root}/{kind}/{name}/" if root else f"{kind}/{name}/"


def backup_prefix(root: str, kind: str, name: str, ts: str) -> str:
    return f"{series_prefix(root, kind, name)}{ts}/"


def split_key(series: str, key: str) -> tuple[str, str] | None:
    """(timestamp, file name) of a key under `series`, or None for a key we did not write."""
    if not key.startswith(series):
        return None
    rest = key[len(series):]
    ts, sep, filename = rest.partition("/")
    if not sep or not filename or "/" in filename:
        return None
    try:
        parse_ts(ts)
    except ValueError:
        return None
    return ts, filename
