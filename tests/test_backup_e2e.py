"""The backup tool against real servers on loopback: Debian's PostgreSQL and moto's S3 server.

The CLI runs as a subprocess, as the systemd unit runs it. Each test uses its own database, so
its backup series (keyed by database name) is its own.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from components.backup.naming import format_ts
from components.backup.publish import UPLOADED_MARK, prune_remote
from components.backup.store import Store, StoreSettings
from tests.pg_cluster import TempCluster, free_port
from tests.tools import postgres_bindir, require_tool

# slow: a real PostgreSQL, Redis and moto S3, backups of thousands of rows (make test-slow).
pytestmark = pytest.mark.slow

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUCKET = "xqfc-backups-test"


@pytest.fixture(scope="session")
def pg():
    require_tool("pg_dump"), require_tool("zstd")
    cluster = TempCluster(postgres_bindir()).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def s3():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    try:
        yield endpoint, client
    finally:
        server.stop()


@pytest.fixture(scope="session", autouse=True)
def default_local_dir(tmp_path_factory):
    """Local copies go to a temp dir, never to the tool's default /var/backups/xqfc."""
    global DEFAULT_LOCAL
    DEFAULT_LOCAL = str(tmp_path_factory.mktemp("local-backups"))
    yield DEFAULT_LOCAL


DEFAULT_LOCAL = ""


def seed(pg: TempCluster, db: str, rows: int = 3000) -> None:
    pg.psql(f"CREATE DATABASE {db}")
    pg.psql(
        "CREATE TABLE listing (id bigserial PRIMARY KEY, title text NOT NULL, price numeric(12,2),"
        " area real, created timestamptz DEFAULT now(), tags text[]);"
        f"INSERT INTO listing (title, price, area, tags) SELECT 'house ' || g, g * 1234.5,"
        f" g / 7.0, ARRAY['a' || g % 5] FROM generate_series(1, {rows}) g;"
        "CREATE TABLE audit (who text, what jsonb);"  # no primary key
        "INSERT INTO audit SELECT 'u' || g, jsonb_build_object('n', g) FROM generate_series(1, 200) g;"
        "CREATE SCHEMA crm; CREATE TABLE crm.contact (id int PRIMARY KEY, phone text);"
        "INSERT INTO crm.contact SELECT g, '138' || g FROM generate_series(1, 50) g;",
        database=db)


def fingerprint(pg: TempCluster, db: str) -> dict[str, tuple[str, str]]:
    """Row count and md5 of the full ordered content of every table, computed independently of
    the tool's own drill queries."""
    out = {}
    for table in ("listing", "audit", "crm.contact"):
        count = pg.psql(f"SELECT count(*) FROM {table}", database=db)
        digest = pg.psql(f"SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {table} t",
                         database=db)
        out[table] = (count, digest)
    return out


def databases(pg: TempCluster) -> set[str]:
    return set(pg.psql("SELECT datname FROM pg_database").split())


def cli(pg: TempCluster, endpoint: str, *args: str, bucket: str = BUCKET,
        textfile_dir: str | None = None, local_dir: str | None = None) -> subprocess.CompletedProcess:
    command, rest = args[0], list(args[1:])
    argv = [sys.executable, "-m", "components.backup", command, "--bucket", bucket,
            "--endpoint-url", endpoint, "--region", "us-east-1", "--addressing-style", "path"]
    if command in ("backup", "restore", "drill"):
        argv += ["--pg-dump-cmd", pg.tool("pg_dump"), "--pg-restore-cmd", pg.tool("pg_restore"),
                 "--psql-cmd", pg.tool("psql")]
    if textfile_dir:
        argv += ["--textfile-dir", textfile_dir]
    if command in ("backup", "redis-snapshot"):
        assert DEFAULT_LOCAL
        argv += ["--local-dir", local_dir or DEFAULT_LOCAL]
    env = {k: v for k, v in os.environ.items() if not k.startswith("XQFC_")}
    return subprocess.run(argv + rest, cwd=REPO, env=env, check=False, capture_output=True, text=True,
                          timeout=120)


def read_metrics(path: str) -> dict[str, float]:
    values = {}
    with open(path) as handle:
        for line in handle:
            if line.startswith("#") or not line.strip():
                continue
            name_labels, value = line.rsplit(" ", 1)
            values[name_labels] = float(value)
    return values


def latest_manifest(client, db: str) -> dict:
    keys = [o["Key"] for o in client.list_objects_v2(
        Bucket=BUCKET, Prefix=f"backups/postgres/{db}/").get("Contents", [])]
    manifests = sorted(k for k in keys if k.endswith("/manifest.json"))
    assert manifests, keys
    return json.loads(client.get_object(Bucket=BUCKET, Key=manifests[-1])["Body"].read())


def test_backup_then_restore_gives_identical_data_and_metrics(pg, s3, tmp_path):
    endpoint, client = s3
    seed(pg, "app")
    textfiles = tmp_path / "textfile"
    before = time.time()
    result = cli(pg, endpoint, "backup", "--database", "app", textfile_dir=str(textfiles),
                 local_dir=str(tmp_path / "local"))
    assert result.returncode == 0, result.stderr

    manifest = latest_manifest(client, "app")
    body = client.get_object(Bucket=BUCKET, Key=manifest["object_key"])["Body"].read()
    assert hashlib.sha256(body).hexdigest() == manifest["sha256"]
    assert len(body) == manifest["size"]
    assert body[:4] == b"\x28\xb5\x2f\xfd", "stored object is not zstd"
    assert manifest["format"] == "pg_dump-custom" and manifest["compression"] == "zstd"
    assert manifest["server_version"] == pg.psql("SHOW server_version")
    assert manifest["object_key"].startswith("backups/postgres/app/")

    result = cli(pg, endpoint, "restore", "--database", "app_copy", "--source-database", "app")
    assert result.returncode == 0, result.stderr
    assert fingerprint(pg, "app_copy") == fingerprint(pg, "app")
    assert "app_copy__restoring" not in databases(pg)

    # Metrics: node-exporter's format, accepted by promtool, with the values of this run.
    prom = textfiles / "xqfc_backup_postgres.prom"
    lint = subprocess.run([require_tool("promtool"), "check", "metrics"], input=prom.read_text(),
                          check=False, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    values = read_metrics(str(prom))
    assert values['xqfc_backup_last_run_success{kind="postgres"}'] == 1
    assert before <= values['xqfc_backup_last_success_timestamp_seconds{kind="postgres"}'] <= time.time()
    assert values['xqfc_backup_size_bytes{kind="postgres"}'] == manifest["size"]
    assert 0 < values['xqfc_backup_duration_seconds{kind="postgres"}'] < 60
    assert not [p for p in os.listdir(textfiles) if p.startswith(".")], "temp file left behind"


def test_restore_refuses_non_empty_target_without_force(pg, s3):
    endpoint, _ = s3
    seed(pg, "forcesrc", rows=100)
    assert cli(pg, endpoint, "backup", "--database", "forcesrc").returncode == 0
    pg.psql("CREATE DATABASE occupied")
    pg.psql("CREATE TABLE precious (x int); INSERT INTO precious VALUES (42)", database="occupied")

    refused = cli(pg, endpoint, "restore", "--database", "occupied", "--source-database", "forcesrc")
    assert refused.returncode == 3, refused.stderr
    assert pg.psql("SELECT x FROM precious", database="occupied") == "42"

    forced = cli(pg, endpoint, "restore", "--database", "occupied", "--source-database",
                 "forcesrc", "--force")
    assert forced.returncode == 0, forced.stderr
    assert fingerprint(pg, "occupied") == fingerprint(pg, "forcesrc")
    kept = [d for d in databases(pg) if d.startswith("occupied__pre_")]
    assert len(kept) == 1, "the replaced database must be kept, not dropped"
    assert pg.psql("SELECT x FROM precious", database=kept[0]) == "42"


@pytest.mark.parametrize("damage", ["corrupt", "truncate"])
def test_damaged_object_is_refused_before_the_database_is_touched(pg, s3, damage):
    endpoint, client = s3
    db = f"dmg_{damage}"
    seed(pg, db, rows=500)
    assert cli(pg, endpoint, "backup", "--database", db).returncode == 0
    manifest = latest_manifest(client, db)
    key = manifest["object_key"]
    data = bytearray(client.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    if damage == "corrupt":
        data[len(data) // 2] ^= 0xFF  # same size: only the checksum can tell
    else:
        data = data[: len(data) // 2]
    # Keep the sha256 metadata: the restore must check the bytes, not trust the label.
    client.put_object(Bucket=BUCKET, Key=key, Body=bytes(data),
                      Metadata={"sha256": manifest["sha256"]})
    before = databases(pg)

    result = cli(pg, endpoint, "restore", "--database", f"{db}_target", "--source-database", db)
    assert result.returncode == 4, result.stderr
    assert ("corrupted" if damage == "corrupt" else "truncated") in result.stderr
    assert databases(pg) == before


def test_failed_upload_keeps_local_dump_and_fails(pg, s3, tmp_path):
    endpoint, _ = s3
    seed(pg, "upfail", rows=100)
    local, textfiles = tmp_path / "local", tmp_path / "textfile"
    ok = cli(pg, endpoint, "backup", "--database", "upfail", textfile_dir=str(textfiles),
             local_dir=str(local))
    assert ok.returncode == 0, ok.stderr
    first_success = read_metrics(str(textfiles / "xqfc_backup_postgres.prom"))[
        'xqfc_backup_last_success_timestamp_seconds{kind="postgres"}']
    time.sleep(1.1)  # a new timestamp, so a new local directory

    failed = cli(pg, endpoint, "backup", "--database", "upfail", "--local-days", "0",
                 bucket="no-such-bucket", textfile_dir=str(textfiles), local_dir=str(local))
    assert failed.returncode == 1
    runs = sorted(glob.glob(str(local / "postgres" / "upfail" / "*")))
    assert len(runs) == 2
    failed_run = runs[-1]
    dump = os.path.join(failed_run, "upfail.dump.zst")
    assert os.path.getsize(dump) > 0
    assert not os.path.exists(os.path.join(failed_run, UPLOADED_MARK))
    values = read_metrics(str(textfiles / "xqfc_backup_postgres.prom"))
    assert values['xqfc_backup_last_run_success{kind="postgres"}'] == 0
    assert values['xqfc_backup_last_success_timestamp_seconds{kind="postgres"}'] == first_success

    # The next good run prunes local copies past --local-days=0, but only proven-uploaded ones.
    time.sleep(1.1)
    again = cli(pg, endpoint, "backup", "--database", "upfail", "--local-days", "0",
                local_dir=str(local))
    assert again.returncode == 0, again.stderr
    left = sorted(glob.glob(str(local / "postgres" / "upfail" / "*")))
    assert failed_run in left and runs[0] not in left
    assert os.path.exists(dump)


def _put_backup(client, series: str, ts: str, complete: bool) -> None:
    client.put_object(Bucket=BUCKET, Key=f"{series}{ts}/x.dump.zst", Body=b"data")
    if complete:
        client.put_object(Bucket=BUCKET, Key=f"{series}{ts}/manifest.json", Body=b"{}")


@pytest.mark.parametrize("ages,incomplete,expect_deleted", [
    # 30-day retention, keep 3: old complete ones go, and an old half-upload too; a recent
    # half-upload (maybe still running) stays.
    ([1, 5, 29, 31, 40, 60], [2, 45], [31, 40, 45, 60]),
    # Everything is old (the job has been failing): the newest 3 complete ones survive, and an
    # incomplete one newer than them does not count towards the 3.
    ([40, 50, 60, 70, 80], [35], [35, 70, 80]),
])
def test_remote_retention_by_key_timestamp(s3, ages, incomplete, expect_deleted):
    endpoint, client = s3
    series = f"backups/postgres/ret{len(ages)}/"
    now = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    ts_of = {age: format_ts(now - timedelta(days=age, minutes=1)) for age in ages + incomplete}
    for age in ages:
        _put_backup(client, series, ts_of[age], complete=True)
    for age in incomplete:
        _put_backup(client, series, ts_of[age], complete=False)
    store = Store(StoreSettings(BUCKET, endpoint, "us-east-1", addressing_style="path"))

    dry = prune_remote(store, "backups/", "postgres", f"ret{len(ages)}", now, 30, 3, dry_run=True)
    assert dry == sorted(ts_of[a] for a in expect_deleted)
    prune_remote(store, "backups/", "postgres", f"ret{len(ages)}", now, 30, 3)

    left = {o["Key"].split("/")[3] for o in
            client.list_objects_v2(Bucket=BUCKET, Prefix=series).get("Contents", [])}
    assert left == {ts_of[a] for a in ages + incomplete if a not in expect_deleted}


def put_manifest(client, db: str, manifest: dict) -> None:
    """Replace the latest manifest of `db` (the dump object and its sha256 stay as they are)."""
    key = manifest["object_key"].rsplit("/", 1)[0] + "/manifest.json"
    client.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(manifest).encode())


def test_drill_detects_a_restore_that_differs_from_the_recorded_statistics(pg, s3, tmp_path):
    endpoint, client = s3
    seed(pg, "drilltamper", rows=2000)
    textfiles = str(tmp_path / "textfile")
    assert cli(pg, endpoint, "backup", "--database", "drilltamper").returncode == 0
    manifest = latest_manifest(client, "drilltamper")
    assert manifest["schema"] == 2 and manifest["sample_rows"] == 1000
    # The recorded counts are the source's, computed here independently of the tool.
    assert {t: v["rows"] for t, v in manifest["tables"].items()} == {
        t: int(pg.psql(f"SELECT count(*) FROM {t}", database="drilltamper"))
        for t in ("crm.contact", "public.audit", "public.listing")}

    good = cli(pg, endpoint, "drill", "--database", "drilltamper", textfile_dir=textfiles)
    assert good.returncode == 0, good.stdout + good.stderr
    prom = os.path.join(textfiles, "xqfc_restore_drill_postgres.prom")
    passed_at = read_metrics(prom)[
        'xqfc_restore_drill_last_success_timestamp_seconds{kind="postgres",mode="snapshot"}']

    # What a restore that lost or altered rows looks like to the drill: restored stats that are
    # not the recorded ones. The dump and its sha256 are untouched, so it still downloads.
    manifest["tables"]["public.listing"]["rows"] += 1
    manifest["tables"]["crm.contact"]["sample_md5"] = hashlib.md5(b"other").hexdigest()
    put_manifest(client, "drilltamper", manifest)
    bad = cli(pg, endpoint, "drill", "--database", "drilltamper", textfile_dir=textfiles)
    assert bad.returncode == 5, bad.stdout + bad.stderr
    assert "public.listing: 2000 rows restored, 2001 recorded at backup time" in bad.stdout
    assert "crm.contact: sample checksum differs" in bad.stdout
    assert "public.audit" not in bad.stdout
    values = read_metrics(prom)
    assert values['xqfc_restore_drill_last_run_success{kind="postgres",mode="snapshot"}'] == 0
    assert values['xqfc_restore_drill_last_success_timestamp_seconds{kind="postgres",mode="snapshot"}'] == passed_at
    assert "drilltamper__drill" not in databases(pg)


def test_old_manifest_without_statistics_falls_back_to_the_live_database(pg, s3, tmp_path):
    endpoint, client = s3
    seed(pg, "drillold", rows=2000)
    textfiles = str(tmp_path / "textfile")
    assert cli(pg, endpoint, "backup", "--database", "drillold").returncode == 0
    manifest = latest_manifest(client, "drillold")
    for key in ("tables", "sample_rows"):
        del manifest[key]
    manifest.update(schema=1, tool_version="1")
    put_manifest(client, "drillold", manifest)

    strict = cli(pg, endpoint, "drill", "--database", "drillold", "--mode", "snapshot")
    assert strict.returncode == 1 and "records no table statistics" in strict.stderr

    good = cli(pg, endpoint, "drill", "--database", "drillold", textfile_dir=textfiles)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "mode=live" in good.stdout and "3 tables compared" in good.stdout
    assert "comparing with the live database" in good.stderr
    prom = os.path.join(textfiles, "xqfc_restore_drill_postgres.prom")
    assert read_metrics(prom)['xqfc_restore_drill_last_run_success{kind="postgres",mode="live"}'] == 1

    # Live mode still sees changed content inside the sample and lost rows.
    pg.psql("UPDATE listing SET title = 'changed' WHERE id = 7;"
            "DELETE FROM crm.contact WHERE id = 3", database="drillold")
    changed = cli(pg, endpoint, "drill", "--database", "drillold", textfile_dir=textfiles)
    assert changed.returncode == 5
    assert "listing: sample checksum differs (in source)" in changed.stdout
    assert "crm.contact: 50 rows restored, 49 in source" in changed.stdout
    assert read_metrics(prom)['xqfc_restore_drill_last_run_success{kind="postgres",mode="live"}'] == 0
    assert "drillold__drill" not in databases(pg)


class Writer:
    """Commits small changes to `big` as fast as one psql session can, until stopped: inserts
    at the end, deletes at the start (inside the checksum sample)."""

    def __init__(self, pg: TempCluster, db: str):
        self.proc = subprocess.Popen(
            ["psql", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-X", "-q",
             "-v", "ON_ERROR_STOP=1", "-d", db],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self.stop.is_set():
            self.proc.stdin.write(
                "INSERT INTO big (v) SELECT md5(random()::text) FROM generate_series(1, 2);"
                "DELETE FROM big WHERE id = (SELECT min(id) FROM big);\n" * 20)
            self.proc.stdin.flush()

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self.proc.stdin.close()
        assert self.proc.wait(60) == 0, self.proc.stderr.read()


def test_statistics_match_the_dump_while_writes_go_on_during_it(pg, s3, tmp_path):
    endpoint, client = s3
    db = "drillbusy"
    pg.psql(f"CREATE DATABASE {db}")
    # Big enough that the dump takes a while: writes land during it, not only before.
    pg.psql("CREATE TABLE big (id bigserial PRIMARY KEY, v text NOT NULL, pad text);"
            "INSERT INTO big (v, pad) SELECT md5(g::text), repeat('x', 100)"
            " FROM generate_series(1, 100000) g", database=db)
    count = "SELECT count(*) FROM big"
    with Writer(pg, db):
        time.sleep(0.2)
        before = int(pg.psql(count, database=db))
        result = cli(pg, endpoint, "backup", "--database", db, "--compression", "none")
        after = int(pg.psql(count, database=db))
    assert result.returncode == 0, result.stderr
    recorded = latest_manifest(client, db)["tables"]["public.big"]["rows"]
    assert before < recorded < after, (before, recorded, after)  # writes before and during it

    restored = cli(pg, endpoint, "restore", "--database", f"{db}_copy", "--source-database", db)
    assert restored.returncode == 0, restored.stderr
    assert int(pg.psql(count, database=f"{db}_copy")) == recorded
    drill = cli(pg, endpoint, "drill", "--database", db)
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "mode=snapshot" in drill.stdout


def test_drill_passes_after_the_source_changed_since_the_backup(pg, s3, tmp_path):
    """The case the live comparison got wrong: the app keeps writing after the backup (prod
    backs up every 6 h, the drill runs days later), and the backup is still perfectly good."""
    endpoint, _ = s3
    seed(pg, "drillmoved", rows=2000)
    textfiles = str(tmp_path / "textfile")
    assert cli(pg, endpoint, "backup", "--database", "drillmoved").returncode == 0
    pg.psql("INSERT INTO listing (title) SELECT 'new ' || g FROM generate_series(1, 25) g;"
            "DELETE FROM crm.contact WHERE id <= 3;"
            "UPDATE listing SET title = 'changed' WHERE id = 7;"  # inside the checksum sample
            "DELETE FROM audit WHERE who = 'u1'", database="drillmoved")

    result = cli(pg, endpoint, "drill", "--database", "drillmoved", textfile_dir=textfiles)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 tables compared" in result.stdout and "MISMATCH" not in result.stdout
    assert "mode=snapshot" in result.stdout
    values = read_metrics(os.path.join(textfiles, "xqfc_restore_drill_postgres.prom"))
    assert values['xqfc_restore_drill_last_run_success{kind="postgres",mode="snapshot"}'] == 1
    assert values['xqfc_restore_drill_tables_checked{kind="postgres",mode="snapshot"}'] == 3
    assert "drillmoved__drill" not in databases(pg)


@pytest.fixture
def redis_server(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [require_tool("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
         "--dir", str(tmp_path), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cli_cmd = f"redis-cli -h 127.0.0.1 -p {port}"
    try:
        for _ in range(100):
            if subprocess.run([*cli_cmd.split(), "PING"], check=False, capture_output=True, text=True).stdout.strip() == "PONG":
                break
            time.sleep(0.05)
        yield cli_cmd, tmp_path
    finally:
        proc.terminate()
        proc.wait(10)


def test_redis_snapshot_round_trips_through_a_real_redis(s3, redis_server, tmp_path_factory):
    endpoint, client = s3
    cli_cmd, data_dir = redis_server
    subprocess.run([*cli_cmd.split(), "SET", "session:1", "alice"], check=True, capture_output=True)
    subprocess.run([*cli_cmd.split(), "HSET", "cache:home", "n", "42"], check=True, capture_output=True)
    result = cli(None, endpoint, "redis-snapshot", "--rdb", str(data_dir / "dump.rdb"),
                 "--name", "cache", "--redis-cli-cmd", cli_cmd,
                 local_dir=str(tmp_path_factory.mktemp("local")))
    assert result.returncode == 0, result.stderr

    keys = [o["Key"] for o in client.list_objects_v2(
        Bucket=BUCKET, Prefix="backups/redis/cache/")["Contents"]]
    manifest_key = next(k for k in keys if k.endswith("manifest.json"))
    manifest = json.loads(client.get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())
    body = client.get_object(Bucket=BUCKET, Key=manifest["object_key"])["Body"].read()
    assert hashlib.sha256(body).hexdigest() == manifest["sha256"]
    assert manifest["format"] == "redis-rdb" and manifest["server_version"] != "unknown"

    # Load the stored snapshot into a fresh Redis: the keys must be there.
    restore_dir = tmp_path_factory.mktemp("redis-restore")
    rdb = subprocess.run(["zstd", "-d", "-c"], input=body, capture_output=True, check=True).stdout
    (restore_dir / "dump.rdb").write_bytes(rdb)
    port = free_port()
    proc = subprocess.Popen([require_tool("redis-server"), "--port", str(port), "--bind",
                             "127.0.0.1", "--dir", str(restore_dir), "--save", ""],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        got = ""
        for _ in range(100):
            got = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "GET",
                                  "session:1"], check=False, capture_output=True, text=True).stdout.strip()
            if got:
                break
            time.sleep(0.05)
        assert got == "alice"
    finally:
        proc.terminate()
        proc.wait(10)


def test_multipart_upload_is_verified_by_content(s3, tmp_path):
    endpoint, client = s3
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(11 * 1024 * 1024))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    store = Store(StoreSettings(BUCKET, endpoint, "us-east-1", addressing_style="path",
                                multipart_threshold_mb=5, multipart_chunk_mb=5))
    store.upload_verified(str(path), "backups/test/big.bin", sha, path.stat().st_size)
    head = client.head_object(Bucket=BUCKET, Key="backups/test/big.bin")
    assert "-" in head["ETag"], "expected a multipart upload"

    from components.backup.store import VerifyError
    with pytest.raises(VerifyError):
        store.verify("backups/test/big.bin", "0" * 64, path.stat().st_size, readback=True)


def test_the_tool_uploads_with_the_hosts_own_apt_boto3(s3, tmp_path):
    """The tool runs on the host with the distribution's python3-boto3 (cloud-init installs it;
    an existing host is asked for it), not with our venv's. Debian 12 ships botocore 1.29 and
    Ubuntu 24.04 1.34, older than the checksum options of botocore 1.36: found by `make e2e`,
    where every backup failed with "unexpected keyword argument 'request_checksum_calculation'"."""
    system = "/usr/bin/python3"
    probe = subprocess.run([system, "-c", "import boto3, botocore; print(botocore.__version__)"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("no python3-boto3 from apt on this machine (scripts/install-test-tools.sh installs it)")
    endpoint, client = s3
    data = tmp_path / "object.bin"
    data.write_bytes(os.urandom(70_000))
    sha = hashlib.sha256(data.read_bytes()).hexdigest()
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from components.backup.store import Store, StoreSettings;"
        "s = Store(StoreSettings(bucket=sys.argv[2], endpoint_url=sys.argv[3], region='us-east-1', addressing_style='path'));"
        "s.upload_verified(sys.argv[4], 'backups/apt-boto3/object.bin', sys.argv[5], int(sys.argv[6]))"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    r = subprocess.run([system, "-c", code, root, BUCKET, endpoint, str(data), sha, str(data.stat().st_size)],
                       capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    assert r.returncode == 0, f"botocore {probe.stdout.strip()}: {r.stderr[-1500:]}"
    assert client.head_object(Bucket=BUCKET, Key="backups/apt-boto3/object.bin")["ContentLength"] == data.stat().st_size
