"""`python3 -m components.backup <command>`: backup | restore | drill | redis-snapshot | prune | list.

Every option can come from the environment (XQFC_BACKUP_*), so the systemd unit keeps the
credentials in an EnvironmentFile and the command line stays free of secrets. S3 credentials
are boto3's own: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.

Exit codes: 0 ok, 1 failure, 2 usage, 3 refused (non-empty target without --force),
4 verification failed (checksum/size/integrity), 5 drill mismatch.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import overload

from . import metrics
from .naming import series_prefix
from .manifest import Manifest
from .pg import PgCommands
from .pipeline import codec
from .postgres_jobs import (
    MODES,
    RefusedError,
    backup_postgres,
    drill_postgres,
    restore_postgres,
)
from .publish import prune_remote
from .redis_job import redis_snapshot
from .retention import Retention
from .store import Store, StoreSettings, VerifyError

log = logging.getLogger("xqfc.backup")
EXIT_FAIL, EXIT_REFUSED, EXIT_VERIFY, EXIT_MISMATCH = 1, 3, 4, 5


@overload
def _env(name: str, default: str) -> str: ...
@overload
def _env(name: str, default: str | None = None) -> str | None: ...
def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"XQFC_BACKUP_{name}", default)


def _store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bucket", default=_env("BUCKET"), required=_env("BUCKET") is None)
    p.add_argument("--endpoint-url", default=_env("ENDPOINT_URL", os.environ.get("AWS_ENDPOINT_URL")))
    p.add_argument("--region", default=_env("REGION", os.environ.get("AWS_REGION")))
    p.add_argument("--prefix", default=_env("PREFIX", "backups/"), help="root of all backup keys")
    p.add_argument("--addressing-style", choices=["virtual", "path", "auto"],
                   default=_env("ADDRESSING_STYLE", "virtual"))
    p.add_argument("--multipart-threshold-mb", type=int, default=int(_env("MULTIPART_MB", "64")))
    p.add_argument("--no-readback", action="store_true",
                   help="verify uploads by size + sha256 metadata only, without re-reading them")
    p.add_argument("--textfile-dir", default=_env("TEXTFILE_DIR"),
                   help="node-exporter textfile collector directory for metrics")
    p.add_argument("-v", "--verbose", action="store_true")


def _pg_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pg-dump-cmd", default=_env("PG_DUMP_CMD", "pg_dump"),
                   help='e.g. "docker exec -i xqfc-postgres pg_dump -U postgres"')
    p.add_argument("--pg-restore-cmd", default=_env("PG_RESTORE_CMD", "pg_restore"))
    p.add_argument("--psql-cmd", default=_env("PSQL_CMD", "psql"))
    p.add_argument("--maintenance-db", default=_env("MAINTENANCE_DB", "postgres"))


def _retention_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--retention-days", type=int, default=int(_env("RETENTION_DAYS", "30")))
    p.add_argument("--keep-newest", type=int, default=int(_env("KEEP_NEWEST", "3")))
    p.add_argument("--local-days", type=int, default=int(_env("LOCAL_DAYS", "3")))
    p.add_argument("--local-dir", default=_env("LOCAL_DIR", "/var/backups/xqfc"))
    p.add_argument("--compression", choices=["zstd", "gzip", "none"],
                   default=_env("COMPRESSION", "zstd"))
    p.add_argument("--level", type=int, default=int(_env("LEVEL", "3")))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python3 -m components.backup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("backup", help="dump PostgreSQL, upload, verify, prune")
    _store_args(p)
    _pg_args(p)
    _retention_args(p)
    p.add_argument("--database", default=_env("DATABASE"), required=_env("DATABASE") is None)
    p.add_argument("--sample-rows", type=int, default=int(_env("SAMPLE_ROWS", "1000")),
                   help="rows per table covered by the checksum recorded for the drill")

    p = sub.add_parser("restore", help="download, verify, restore into a database")
    _store_args(p)
    _pg_args(p)
    p.add_argument("--database", default=_env("DATABASE"), required=_env("DATABASE") is None,
                   help="target database")
    p.add_argument("--source-database", help="backup series to read (default: --database)")
    p.add_argument("--timestamp", default="latest", help="YYYYmmddTHHMMSSZ or latest")
    p.add_argument("--force", action="store_true", help="replace a non-empty target (kept renamed)")
    p.add_argument("--no-owner", action="store_true", help="pg_restore --no-owner --no-acl")
    p.add_argument("--work-dir", default=_env("WORK_DIR"))

    p = sub.add_parser("drill", help="restore into a scratch database and compare it with the "
                                     "table statistics the backup recorded")
    _store_args(p)
    _pg_args(p)
    p.add_argument("--database", default=_env("DATABASE"), required=_env("DATABASE") is None)
    p.add_argument("--timestamp", default="latest")
    p.add_argument("--mode", choices=MODES, default=_env("DRILL_MODE", "auto"),
                   help="snapshot: against the statistics in the manifest; live: against the "
                        "source database now (e.g. right after a restore); auto: snapshot when "
                        "the manifest has them")
    p.add_argument("--sample-rows", type=int, default=1000,
                   help="live mode only; snapshot mode uses the backup's own")
    p.add_argument("--work-dir", default=_env("WORK_DIR"))

    p = sub.add_parser("redis-snapshot", help="upload an RDB file (optionally after BGSAVE)")
    _store_args(p)
    _retention_args(p)
    p.add_argument("--rdb", required=True, help="path of dump.rdb")
    p.add_argument("--name", default="redis")
    p.add_argument("--redis-cli-cmd", default=_env("REDIS_CLI_CMD"),
                   help='BGSAVE first through this, e.g. "docker exec xqfc-redis redis-cli"')
    p.add_argument("--bgsave-timeout", type=float, default=300.0)

    p = sub.add_parser("prune", help="apply remote retention now")
    _store_args(p)
    _retention_args(p)
    p.add_argument("--kind", choices=["postgres", "redis"], default="postgres")
    p.add_argument("--name", required=True)
    p.add_argument("--dry-run", action="store_true")

    p = sub.add_parser("list", help="list backups in the bucket")
    _store_args(p)
    p.add_argument("--kind", choices=["postgres", "redis"], default="postgres")
    p.add_argument("--name", required=True)
    return parser


def _store(args: argparse.Namespace) -> Store:
    return Store(StoreSettings(bucket=args.bucket, endpoint_url=args.endpoint_url or None,
                               region=args.region or None, addressing_style=args.addressing_style,
                               multipart_threshold_mb=args.multipart_threshold_mb,
                               readback=not args.no_readback))


def _pg(args: argparse.Namespace) -> PgCommands:
    return PgCommands(args.pg_dump_cmd, args.pg_restore_cmd, args.psql_cmd, args.maintenance_db)


def _retention(args: argparse.Namespace) -> Retention:
    return Retention(args.retention_days, args.keep_newest, args.local_days)


def _run_backup(args: argparse.Namespace, kind: str, job: Callable[[], Manifest]) -> int:
    started = time.monotonic()
    ok, size = False, None
    try:
        manifest = job()
        ok, size = True, manifest.size
        print(f"ok {manifest.object_key} {manifest.size} bytes sha256={manifest.sha256}")
        return 0
    finally:
        metrics.record_backup(args.textfile_dir, kind, ok, time.time(),
                              time.monotonic() - started, size)


def run(args: argparse.Namespace) -> int:
    store = _store(args)
    if args.command == "backup":
        return _run_backup(args, "postgres", lambda: backup_postgres(
            store, args.prefix, _pg(args), args.database, codec(args.compression, args.level),
            args.local_dir, _retention(args), sample_rows=args.sample_rows))
    if args.command == "redis-snapshot":
        return _run_backup(args, "redis", lambda: redis_snapshot(
            store, args.prefix, args.name, args.rdb, codec(args.compression, args.level),
            args.local_dir, _retention(args), args.redis_cli_cmd, args.bgsave_timeout))
    if args.command == "restore":
        with tempfile.TemporaryDirectory(dir=args.work_dir, prefix="xqfc-restore-") as work:
            manifest = restore_postgres(store, args.prefix, _pg(args),
                                        args.source_database or args.database, args.database,
                                        args.timestamp, args.force, args.no_owner, work)
        print(f"restored {manifest.object_key} into {args.database}")
        return 0
    if args.command == "drill":
        started = time.monotonic()
        ok, tables, mode = False, 0, "unknown" if args.mode == "auto" else args.mode
        try:
            with tempfile.TemporaryDirectory(dir=args.work_dir, prefix="xqfc-drill-") as work:
                result = drill_postgres(store, args.prefix, _pg(args), args.database,
                                        args.timestamp, args.sample_rows, work, args.mode)
            ok, tables, mode = result.ok, result.tables, result.mode
            for line in result.mismatches:
                print(f"MISMATCH {line}")
            against = ("the statistics recorded in the backup's snapshot" if mode == "snapshot"
                       else "the LIVE database (writes since the backup count as mismatches)")
            print(f"drill {'passed' if ok else 'FAILED'} (mode={mode}): "
                  f"{result.manifest.object_key}, {tables} tables compared with {against}")
            return 0 if ok else EXIT_MISMATCH
        finally:
            metrics.record_drill(args.textfile_dir, "postgres", ok, time.time(),
                                 time.monotonic() - started, tables, mode)
    if args.command == "prune":
        doomed = prune_remote(store, args.prefix, args.kind, args.name, datetime.now(UTC),
                              args.retention_days, args.keep_newest, dry_run=args.dry_run)
        print("\n".join(doomed) if doomed else "nothing to prune")
        return 0
    if args.command == "list":
        series = series_prefix(args.prefix, args.kind, args.name)
        for entry in store.list_backups(series):
            print(f"{entry.ts} {'complete' if entry.complete else 'INCOMPLETE'} "
                  f"{' '.join(sorted(entry.files))}")
        return 0
    raise AssertionError(args.command)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    try:
        return run(args)
    except RefusedError as exc:
        log.error("refused: %s", exc)
        return EXIT_REFUSED
    except VerifyError as exc:
        log.error("verification failed: %s", exc)
        return EXIT_VERIFY
    except Exception as exc:  # a scheduled job reports one line and exits 1, no traceback
        log.error("%s failed: %s: %s", args.command, type(exc).__name__, exc)
        if args.verbose:
            log.exception("details")
        return EXIT_FAIL
