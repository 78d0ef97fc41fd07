"""Shared by every kind of backup: local copy -> verified upload -> manifest -> retention.

Order matters: the data object is verified before the manifest is written, the manifest marks
a backup complete, and a local copy is only ever deleted once an `UPLOADED` mark says both were
verified and the object is still in the bucket.
"""
from __future__ import annotations

import logging
import os
import shutil
from datetime import datetime, timedelta

from .manifest import Manifest
from .naming import MANIFEST_NAME, backup_prefix, parse_ts, series_prefix
from .retention import Retention, expired
from .store import Store

log = logging.getLogger("xqfc.backup")
UPLOADED_MARK = "UPLOADED"


def local_backup_dir(local_root: str, kind: str, name: str, ts: str) -> str:
    return os.path.join(local_root, kind, name, ts)


def upload(store: Store, root: str, manifest: Manifest, local_dir: str) -> None:
    data_path = os.path.join(local_dir, manifest.file_name)
    log.info("uploading %s (%d bytes) to %s", data_path, manifest.size, manifest.object_key)
    store.upload_verified(data_path, manifest.object_key, manifest.sha256, manifest.size)
    prefix = backup_prefix(root, manifest.kind, manifest.name, manifest.timestamp)
    store.put_text(prefix + MANIFEST_NAME, manifest.to_json())
    with open(os.path.join(local_dir, UPLOADED_MARK), "w", encoding="utf-8") as mark:
        mark.write(manifest.object_key + "\n")
    log.info("verified %s", manifest.object_key)


def publish(store: Store, root: str, local_root: str, local_dir: str, manifest: Manifest,
            retention: Retention, now: datetime) -> Manifest:
    """Every kind's last steps: local manifest, verified upload, then retention both sides."""
    with open(os.path.join(local_dir, MANIFEST_NAME), "w", encoding="utf-8") as handle:
        handle.write(manifest.to_json())
    upload(store, root, manifest, local_dir)
    prune_remote(store, root, manifest.kind, manifest.name, now, retention.retention_days, retention.keep_newest)
    prune_local(store, local_root, manifest.kind, manifest.name, now, retention.local_days)
    return manifest


def prune_remote(store: Store, root: str, kind: str, name: str, now: datetime,
                 retention_days: int, keep_newest: int, dry_run: bool = False) -> list[str]:
    series = series_prefix(root, kind, name)
    entries = store.list_backups(series)
    doomed = set(expired([e.ts for e in entries], [e.complete for e in entries], now,
                         retention_days, keep_newest))
    for entry in entries:
        if entry.ts in doomed:
            log.info("%s remote backup %s%s", "would delete" if dry_run else "deleting",
                     series, entry.ts)
            if not dry_run:
                store.delete_backup(series, entry)
    return sorted(doomed)


def prune_local(store: Store, local_root: str, kind: str, name: str, now: datetime,
                local_days: int) -> list[str]:
    base = os.path.join(local_root, kind, name)
    if not os.path.isdir(base):
        return []
    cutoff = now - timedelta(days=local_days)
    deleted = []
    for ts in sorted(os.listdir(base)):
        path = os.path.join(base, ts)
        try:
            if parse_ts(ts) >= cutoff:
                continue
        except ValueError:
            continue
        if not _safe_to_delete(store, path):
            log.warning("keeping local %s: not proven uploaded", path)
            continue
        shutil.rmtree(path)
        deleted.append(ts)
    return deleted


def _safe_to_delete(store: Store, path: str) -> bool:
    mark = os.path.join(path, UPLOADED_MARK)
    manifest_path = os.path.join(path, MANIFEST_NAME)
    if not (os.path.isfile(mark) and os.path.isfile(manifest_path)):
        return False
    with open(manifest_path, encoding="utf-8") as handle:
        manifest = Manifest.from_json(handle.read())
    return store.exists_with_size(manifest.object_key, manifest.size)


def latest_complete(store: Store, root: str, kind: str, name: str,
                    timestamp: str | None) -> tuple[str, Manifest]:
    series = series_prefix(root, kind, name)
    entries = [e for e in store.list_backups(series) if e.complete]
    if timestamp and timestamp != "latest":
        entries = [e for e in entries if e.ts == timestamp]
    if not entries:
        wanted = timestamp or "latest"
        raise LookupError(f"no complete backup {wanted} under s3://{store.bucket}/{series}")
    ts = entries[-1].ts
    manifest = Manifest.from_json(store.get_bytes(f"{series}{ts}/{MANIFEST_NAME}"))
    return ts, manifest
