"""Backup retention, naming and manifests: the pure parts that decide what is deleted and what a
restore trusts, at their exact boundaries (docs/testing.md, mutation benchmark)."""
from __future__ import annotations

import hashlib
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from components.backup import manifest as mf
from components.backup.naming import MANIFEST_NAME, backup_prefix, check_name, format_ts, parse_ts, series_prefix, split_key
from components.backup.retention import expired

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def ago(**delta) -> str:
    return format_ts(NOW - timedelta(**delta))


# --- retention ---------------------------------------------------------------------------------


def test_a_backup_exactly_retention_days_old_is_kept_one_second_older_is_deleted():
    at, past = ago(days=30), ago(days=30, seconds=1)
    assert expired([at, past, ago(days=1)], [True] * 3, NOW, 30, 1) == [past]
    assert expired([ago(days=29, hours=23)], [True], NOW, 30, 1) == []


def test_the_newest_k_complete_backups_survive_whatever_their_age():
    old = [ago(days=d) for d in (200, 100, 90, 80)]  # oldest first, all past retention
    assert expired(old, [True] * 4, NOW, 30, 1) == old[:3]
    assert expired(old, [True] * 4, NOW, 30, 2) == old[:2]
    assert expired(old, [True] * 4, NOW, 30, 4) == []
    assert expired(old, [True] * 4, NOW, 30, 10) == []
    # Input order does not matter: the newest are chosen by timestamp, the answer is sorted.
    assert expired(list(reversed(old)), [True] * 4, NOW, 30, 1) == old[:3]


def test_incomplete_backups_protect_nothing_and_are_not_protected():
    ts = [ago(days=d) for d in (100, 90, 80)]
    # The newest is a failed half-upload: the newest complete one (90 days) is what K=1 keeps.
    assert expired(ts, [True, True, False], NOW, 30, 1) == [ts[0], ts[2]]
    assert expired(ts, [False, False, False], NOW, 30, 3) == ts
    # Young incomplete backups are left for the next run (the upload may still be going on).
    young = ago(hours=1)
    assert expired([*ts, young], [True, True, True, False], NOW, 30, 1) == ts[:2]


@pytest.mark.parametrize("keep, days", [(0, 30), (-1, 30), (1, 0), (1, -5)])
def test_retention_refuses_to_keep_nothing(keep, days):
    with pytest.raises(ValueError, match="at least 1"):
        expired([ago(days=1)], [True], NOW, days, keep)


def test_one_day_and_one_backup_are_valid_settings():
    ts = [ago(days=2), ago(hours=23)]
    assert expired(ts, [True, True], NOW, 1, 1) == [ts[0]]


# --- naming ------------------------------------------------------------------------------------


def test_timestamps_round_trip_in_utc_and_sort_in_time_order():
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=8)))
    text = format_ts(moment)
    assert text == "20260101T190405Z"
    assert parse_ts(text) == moment
    earlier, later = format_ts(NOW - timedelta(seconds=1)), format_ts(NOW)
    assert earlier < later


@pytest.mark.parametrize("name", ["xqfc", "_a", "A1_b", "a" * 40])
def test_plain_identifiers_up_to_40_chars_are_names(name):
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "1db", "a" * 41, "x-y", "x;drop", "a b", "ü", "x\n"])
def test_anything_else_is_refused(name):
    with pytest.raises(ValueError, match="invalid name"):
        check_name(name)


def test_prefixes():
    assert series_prefix("/backups/", "postgres", "xqfc") == "backups/postgres/xqfc/"
    assert series_prefix("", "redis", "cache") == "redis/cache/"
    assert backup_prefix("backups", "postgres", "xqfc", "20261122T030000Z") == "backups/postgres/xqfc/20261122T030000Z/"


def test_split_key_takes_only_keys_we_wrote():
    series, ts = "backups/postgres/xqfc/", "20261122T030000Z"
    assert split_key(series, f"{series}{ts}/xqfc.dump.zst") == (ts, "xqfc.dump.zst")
    assert split_key(series, f"{series}{ts}/{MANIFEST_NAME}") == (ts, MANIFEST_NAME)
    for key in (f"backups/redis/xqfc/{ts}/dump.rdb", f"{series}{ts}", f"{series}{ts}/", f"{series}{ts}/a/b",
                f"{series}latest/xqfc.dump", f"{series}2026-11-22/xqfc.dump", f"x{series}{ts}/f"):
        assert split_key(series, key) is None, key


# --- manifest ----------------------------------------------------------------------------------

EXAMPLE = mf.Manifest(
    kind="postgres", name="xqfc", timestamp="20261122T030000Z", created_at="2026-11-22T03:00:00+00:00",
    object_key="backups/postgres/xqfc/20261122T030000Z/xqfc.dump.zst", file_name="xqfc.dump.zst",
    format="pg_dump-custom", compression="zstd", size=10, sha256="0" * 64, server_version="17.2",
    tool_version=mf.TOOL_VERSION, duration_seconds=1.5, tables={"public.listing": {"rows": 3, "sample_md5": "x"}},
    sample_rows=3,
)


def test_manifest_round_trips_as_sorted_json():
    text = EXAMPLE.to_json()
    assert mf.Manifest.from_json(text) == EXAMPLE
    assert mf.Manifest.from_json(text.encode()) == EXAMPLE
    data = json.loads(text)
    assert list(data) == sorted(data) and text.endswith("}\n")


def test_new_manifests_are_schema_2_the_first_with_table_statistics():
    """Schema 2 is the one that carries `tables`/`sample_rows`; a writer claiming 1 would make
    the restore drill ignore them, a writer claiming 3 would be unreadable by deployed tools."""
    assert EXAMPLE.schema == 2 and json.loads(EXAMPLE.to_json())["schema"] == 2


def test_schema_1_is_still_read_and_unknown_schemas_are_refused():
    old = {k: v for k, v in json.loads(EXAMPLE.to_json()).items() if k not in ("tables", "sample_rows")}
    assert mf.Manifest.from_json(json.dumps({**old, "schema": 1})).tables is None
    for schema in (0, 3, None, "2"):
        with pytest.raises(ValueError, match="unsupported manifest schema"):
            mf.Manifest.from_json(json.dumps({**old, "schema": schema}))
    data = json.loads(EXAMPLE.to_json())
    del data["schema"]
    with pytest.raises(ValueError):
        mf.Manifest.from_json(json.dumps(data))
    assert replace(EXAMPLE, schema=1).to_json() != EXAMPLE.to_json()


@pytest.mark.parametrize("size", [0, 1, mf.CHUNK - 1, mf.CHUNK, mf.CHUNK + 1, 2 * mf.CHUNK + 7])
def test_stream_checksum_and_size_cover_every_byte(size):
    data = bytes(i % 251 for i in range(size))
    assert mf.sha256_stream(io.BytesIO(data)) == (hashlib.sha256(data).hexdigest(), size)


def test_file_checksum(tmp_path):
    path = tmp_path / "dump"
    path.write_bytes(b"x" * (mf.CHUNK + 3))
    assert mf.sha256_file(str(path)) == (hashlib.sha256(b"x" * (mf.CHUNK + 3)).hexdigest(), mf.CHUNK + 3)
