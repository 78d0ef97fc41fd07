"""PostgreSQL: backup, restore, restore drill."""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .fetch import fetch_verified
from .manifest import TOOL_VERSION, Manifest
from .naming import backup_prefix, check_name, format_ts
from .pg import TABLES_SQL, PgCommands, parse_stats, stats_sql
from .pipeline import Codec, check_integrity, file_to_consumer, produce_to_file
from .pipeline import codec as make_codec
from .publish import local_backup_dir, publish
from .retention import Retention
from .store import Store

log = logging.getLogger("xqfc.backup")
KIND = "postgres"
DEFAULT_SAMPLE_ROWS = 1000
MODES = ("auto", "snapshot", "live")


class RefusedError(RuntimeError):
    pass


def dump_with_stats(pg: PgCommands, database: str, codec_: Codec, out_path: str,
                    sample_rows: int) -> tuple[str, int, dict[str, tuple[int, str]]]:
    """pg_dump into `out_path` plus every table's (row count, sample md5), both from one exported
    snapshot: the statistics describe exactly the dump's content, whatever is written meanwhile.

    The stats query is sent before pg_dump starts and runs alongside it; the exporting
    transaction stays open until pg_dump has finished, since the snapshot dies with it."""
    with pg.snapshot_session(database) as session:
        stats_query = stats_sql(session.query(TABLES_SQL), sample_rows)
        if stats_query:
            session.submit(stats_query)
        sha, size = produce_to_file(pg.dump_argv(database, session.snapshot), None, codec_,
                                    out_path)
        stats = parse_stats(session.collect()) if stats_query else {}
        session.commit()
    return sha, size, stats


def backup_postgres(store: Store, root: str, pg: PgCommands, database: str, codec_: Codec,
                    local_root: str, retention: Retention, now: datetime | None = None,
                    sample_rows: int = DEFAULT_SAMPLE_ROWS) -> Manifest:
    started = time.monotonic()
    now = now or datetime.now(UTC)
    ts = format_ts(now)
    check_name(database)
    local_dir = local_backup_dir(local_root, KIND, database, ts)
    os.makedirs(local_dir, exist_ok=False)
    file_name = f"{database}.dump{codec_.suffix}"
    server_version = pg.server_version()
    log.info("dumping %s (PostgreSQL %s) to %s", database, server_version, local_dir)
    sha, size, stats = dump_with_stats(pg, database, codec_, os.path.join(local_dir, file_name),
                                       sample_rows)
    check_integrity(os.path.join(local_dir, file_name), codec_)
    manifest = Manifest(
        kind=KIND, name=database, timestamp=ts, created_at=now.isoformat(),
        object_key=backup_prefix(root, KIND, database, ts) + file_name, file_name=file_name,
        format="pg_dump-custom", compression=codec_.name, size=size, sha256=sha,
        server_version=server_version, tool_version=TOOL_VERSION,
        duration_seconds=round(time.monotonic() - started, 3),
        tables={t: {"rows": rows, "sample_md5": md5} for t, (rows, md5) in stats.items()},
        sample_rows=sample_rows)
    return publish(store, root, local_root, local_dir, manifest, retention, now)


def restore_postgres(store: Store, root: str, pg: PgCommands, source: str, target: str,
                     timestamp: str | None, force: bool, no_owner: bool, work_dir: str) -> Manifest:
    """Restore into `target` via a scratch database swapped in at the end, so a failed restore
    leaves `target` as it was. With --force a non-empty target is kept, renamed
    `<target>__pre_<timestamp>`, never dropped."""
    check_name(target)
    manifest, path = fetch_verified(store, root, KIND, source, timestamp, work_dir)
    existed = pg.database_exists(target)
    occupied = existed and pg.user_relation_count(target) > 0
    if occupied and not force:
        raise RefusedError(f"database {target} is not empty; pass --force to replace it "
                           f"(it will be kept as {target}__pre_<timestamp>)")
    scratch = f"{target}__restoring"
    pg.drop_database(scratch)
    pg.create_database(scratch)
    try:
        log.info("restoring %s into %s", manifest.object_key, target)
        file_to_consumer(path, make_codec(manifest.compression), pg.restore_argv(scratch, no_owner))
    except BaseException:
        pg.drop_database(scratch)
        raise
    keep_old = f"{target}__pre_{format_ts(datetime.now(UTC))}" if occupied else None
    pg.swap_in(scratch, target, keep_old)
    if keep_old:
        log.info("previous %s kept as %s", target, keep_old)
    return manifest


@dataclass
class DrillResult:
    manifest: Manifest
    tables: int
    mode: str  # "snapshot": against the manifest's statistics; "live": against the source now
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def drill_postgres(store: Store, root: str, pg: PgCommands, database: str,
                   timestamp: str | None, sample_rows: int, work_dir: str,
                   mode: str = "auto") -> DrillResult:
    """Restore the backup into a scratch database and compare every table's row count and an
    md5 over its first rows with what the backup recorded in its own snapshot ("snapshot" mode,
    the default when the manifest has them), or with the live source ("live": manifests from
    before schema 2, or on request, e.g. right after a restore). The scratch is always dropped."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} not in {MODES}")
    manifest, path = fetch_verified(store, root, KIND, database, timestamp, work_dir)
    recorded = manifest.tables
    if mode == "snapshot" and recorded is None:
        raise LookupError(f"{manifest.object_key}: manifest schema {manifest.schema} records no "
                          "table statistics; use --mode live or auto")
    used = "snapshot" if recorded is not None and mode != "live" else "live"
    if used == "live" and mode == "auto":
        log.warning("%s records no table statistics (manifest schema %s): comparing with the "
                    "live database instead, so writes since the backup show as mismatches",
                    manifest.object_key, manifest.schema)
    if used == "snapshot":
        sample_rows = manifest.sample_rows or DEFAULT_SAMPLE_ROWS
    scratch = f"{check_name(database)}__drill"
    pg.drop_database(scratch)
    pg.create_database(scratch)
    try:
        file_to_consumer(path, make_codec(manifest.compression), pg.restore_argv(scratch, True))
        restored = pg.table_stats(scratch, sample_rows)
        if used == "live":
            expected = pg.table_stats(database, sample_rows)
    finally:
        pg.drop_database(scratch)
    if used == "snapshot" and recorded is not None:  # always recorded when snapshot (above)
        expected = {t: (int(v["rows"]), v["sample_md5"]) for t, v in recorded.items()}
    where = "recorded at backup time" if used == "snapshot" else "in source"
    mismatches = []
    for table in sorted(set(restored) | set(expected)):
        if table not in restored:
            mismatches.append(f"{table}: missing from the restored backup ({where})")
        elif table not in expected:
            mismatches.append(f"{table}: restored, but not {where}")
        else:
            (r_count, r_md5), (e_count, e_md5) = restored[table], expected[table]
            if r_count != e_count:
                mismatches.append(f"{table}: {r_count} rows restored, {e_count} {where}")
            elif r_md5 != e_md5:
                mismatches.append(f"{table}: sample checksum differs ({where})")
    return DrillResult(manifest, len(expected), used, mismatches)
