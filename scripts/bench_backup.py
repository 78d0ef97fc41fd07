"""Benchmark (not a test): backup and restore of a >= 1e6-row database, three ways.

  ours      pg_dump -Fc -Z0 | zstd -3 -T0   (components.backup)
  seeds     pg_dump | gzip                  (plain SQL, as the design notes did it)
  floor     pg_dump -Fc -Z0                 (no compression: the cost of dumping alone)

Runs its own throwaway PostgreSQL on 127.0.0.1. Usage: make bench-backup [ROWS=2000000]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from components.backup.pg import PgCommands
from components.backup.pipeline import codec, file_to_consumer, produce_to_file
from tests.pg_cluster import TempCluster


def timed(fn):
    start = time.monotonic()
    result = fn()
    return time.monotonic() - start, result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=int(os.environ.get("ROWS", "1000000")))
    args = parser.parse_args()
    cluster = TempCluster().start()
    work = tempfile.mkdtemp(prefix="xqfc-bench-")
    try:
        pg = PgCommands(cluster.tool("pg_dump"), cluster.tool("pg_restore"), cluster.tool("psql"))
        cluster.psql("CREATE DATABASE bench")
        seconds, _ = timed(lambda: cluster.psql(
            "CREATE TABLE listing (id bigserial PRIMARY KEY, title text, description text,"
            " price numeric(12,2), area real, district int, created timestamptz);"
            "INSERT INTO listing (title, description, price, area, district, created)"
            " SELECT 'house ' || g, repeat(md5(g::text), 2), (g % 5000) * 1000.5, g % 300 / 1.7,"
            f" g % 17, now() - (g || ' minutes')::interval FROM generate_series(1, {args.rows}) g;"
            "CREATE INDEX ON listing (district, price); ANALYZE listing;", database="bench"))
        table_bytes = int(cluster.psql("SELECT pg_total_relation_size('listing')", database="bench"))
        print(f"PostgreSQL {pg.server_version()}, {args.rows:,} rows, table+indexes "
              f"{table_bytes / 1e6:.1f} MB (loaded in {seconds:.1f} s), {os.cpu_count()} cores\n")

        dump = pg.dump_argv("bench")
        results = {}
        for label, producer, codec_name, out in [
            ("ours  pg_dump -Fc -Z0 | zstd -3", dump, "zstd", "ours.dump.zst"),
            ("seeds pg_dump | gzip", [*cluster.tool("pg_dump").split(), "-d", "bench"], "gzip",
             "seeds.sql.gz"),
            ("floor pg_dump -Fc -Z0", dump, "none", "floor.dump"),
        ]:
            path = os.path.join(work, out)
            seconds, (_, size) = timed(lambda p=producer, c=codec_name, o=path:
                                       produce_to_file(p, None, codec(c), o))
            results[label] = (seconds, size, path)
            print(f"backup  {label:34s} {seconds:6.2f} s  {size / 1e6:8.1f} MB")

        print()
        restore = {}
        cluster.psql("CREATE DATABASE r_ours")
        restore["ours  zstd -d | pg_restore"], _ = timed(lambda: file_to_consumer(
            results["ours  pg_dump -Fc -Z0 | zstd -3"][2], codec("zstd"),
            pg.restore_argv("r_ours", no_owner=True)))
        cluster.psql("CREATE DATABASE r_seeds")
        restore["seeds gzip -d | psql"], _ = timed(lambda: file_to_consumer(
            results["seeds pg_dump | gzip"][2], codec("gzip"),
            [*cluster.tool("psql").split(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "r_seeds"]))
        for label, seconds in restore.items():
            print(f"restore {label:34s} {seconds:6.2f} s")
        for db in ("r_ours", "r_seeds"):
            count = cluster.psql("SELECT count(*) FROM listing", database=db)
            assert int(count) == args.rows, (db, count)

        ours, seeds, floor = results.values()
        restore_ours = restore["ours  zstd -d | pg_restore"]
        print("\nratios (ours / seeds' pg_dump|gzip):"
              f" time {ours[0] / seeds[0]:.2f}, size {ours[1] / seeds[1]:.2f}")
        print(f"ours vs floor: time {ours[0] / floor[0]:.2f}x, size {ours[1] / floor[1]:.3f}x")
        print(f"restore rate (ours): {table_bytes / 1e6 / restore_ours:.0f} MB/s of table+index, "
              f"{args.rows / restore_ours:,.0f} rows/s, {ours[1] / 1e6 / restore_ours:.1f} MB/s "
              "of compressed dump")
        return 0
    finally:
        subprocess.run(["rm", "-rf", work], check=False)
        cluster.stop()


if __name__ == "__main__":
    raise SystemExit(main())
