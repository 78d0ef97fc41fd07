"""PostgreSQL through its own client tools, called through configurable command prefixes
(`docker exec -i xqfc-postgres pg_dump -U postgres` on the VM, plain `pg_dump -h ...` in tests),
so the dump is always made by the server's own major version."""
from __future__ import annotations

import re
import secrets
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from typing import IO

from .naming import check_name


_SNAPSHOT_RE = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?\Z")


class PgError(RuntimeError):
    pass


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class PgCommands:
    pg_dump: str = "pg_dump"
    pg_restore: str = "pg_restore"
    psql: str = "psql"
    maintenance_db: str = "postgres"

    def dump_argv(self, database: str, snapshot: str | None = None) -> list[str]:
        # -Z0: the custom format's own zlib is slow; the tool compresses the stream instead.
        argv = [*shlex.split(self.pg_dump), "-Fc", "-Z0", "--no-password", "-d", check_name(database)]
        if snapshot:
            if not _SNAPSHOT_RE.match(snapshot):
                raise PgError(f"unexpected snapshot id {snapshot!r}")
            argv.append(f"--snapshot={snapshot}")
        return argv

    def restore_argv(self, database: str, no_owner: bool) -> list[str]:
        argv = [*shlex.split(self.pg_restore), "--exit-on-error", "--no-password",
                "-d", check_name(database)]
        if no_owner:
            argv += ["--no-owner", "--no-acl"]
        return argv

    def _psql_argv(self, database: str | None) -> list[str]:
        return [*shlex.split(self.psql), "-X", "-A", "-t", "-q", "--no-password",
                "-v", "ON_ERROR_STOP=1", "-F", "\x1f", "-d", database or self.maintenance_db]

    def query(self, sql: str, database: str | None = None,
              setup: tuple[str, ...] = ()) -> list[list[str]]:
        """Rows of a query as lists of text fields (unit separator keeps commas and pipes safe).
        `setup` statements (SET ...) run first in the same session and print nothing."""
        argv = self._psql_argv(database)
        for statement in (*setup, sql):
            argv += ["-c", statement]
        result = subprocess.run(argv, check=False, capture_output=True, text=True)
        if result.returncode != 0:
            raise PgError(f"psql failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
        return [line.split("\x1f") for line in result.stdout.splitlines() if line != ""]

    def scalar(self, sql: str, database: str | None = None) -> str:
        rows = self.query(sql, database)
        if len(rows) != 1 or len(rows[0]) != 1:
            raise PgError(f"expected one value from {sql!r}, got {rows!r}")
        return rows[0][0]

    def server_version(self) -> str:
        return self.scalar("SHOW server_version")

    def database_exists(self, name: str) -> bool:
        check_name(name)
        # bandit B608 is a false positive here: identifiers are checked by check_name/quote_ident or the settings' SQL-identifier rule
        return self.scalar(f"SELECT count(*) FROM pg_database WHERE datname = '{name}'") == "1"  # nosec B608

    def user_relation_count(self, name: str) -> int:
        """Tables, views, sequences... outside the system schemas: 0 means safe to replace."""
        return int(self.scalar(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r','p','v','m','S','f') "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'",
            database=check_name(name)))

    def create_database(self, name: str) -> None:
        self.query(f"CREATE DATABASE {quote_ident(check_name(name))}")

    def drop_database(self, name: str) -> None:
        self.query(f"DROP DATABASE IF EXISTS {quote_ident(check_name(name))} WITH (FORCE)")

    def swap_in(self, new: str, target: str, keep_old_as: str | None) -> None:
        """Put `new` in place of `target`. The old database is renamed (kept) or dropped; clients
        are cut off first, and connections are refused meanwhile so none sneaks in."""
        t, n = quote_ident(check_name(target)), quote_ident(check_name(new))
        if self.database_exists(target):
            self.query(f"ALTER DATABASE {t} WITH ALLOW_CONNECTIONS false")
            # bandit B608 is a false positive here: identifiers are checked by check_name/quote_ident or the settings' SQL-identifier rule
            self.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "  # nosec B608
                       f"WHERE datname = '{target}' AND pid <> pg_backend_pid()")
            if keep_old_as:
                old = quote_ident(check_name(keep_old_as))
                self.query(f"ALTER DATABASE {t} RENAME TO {old}")
                self.query(f"ALTER DATABASE {old} WITH ALLOW_CONNECTIONS true")
            else:
                self.query(f"DROP DATABASE {t} WITH (FORCE)")
        self.query(f"ALTER DATABASE {n} RENAME TO {t}")

    def table_stats(self, database: str, sample_rows: int) -> dict[str, tuple[int, str]]:
        """Per user table: (row count, md5 of the first `sample_rows` rows in primary-key order,
        or in row-text order for a table without a primary key)."""
        check_name(database)
        tables = self.query(TABLES_SQL, database=database)
        sql = stats_sql(tables, sample_rows)
        return parse_stats(self.query(sql, database=database, setup=STATS_SETUP)) if sql else {}

    def snapshot_session(self, database: str) -> SnapshotSession:
        return SnapshotSession(self._psql_argv(check_name(database)))


# The sample checksum hashes rows as text, and some types' text depends on session settings: pin
# them, so the backup-time stats and the drill's agree whatever the client's environment.
STATS_SETUP = ("SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, MDY'",
               "SET IntervalStyle = 'postgres'", "SET extra_float_digits = 1",
               "SET bytea_output = 'hex'")

TABLES_SQL = (
    "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), "
    "coalesce((SELECT string_agg(quote_ident(a.attname), ',' ORDER BY k.ord) "
    "  FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
    "  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
    "  WHERE i.indrelid = c.oid AND i.indisprimary), '') "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema') "
    "AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY 1")


def stats_sql(tables: list[list[str]], sample_rows: int) -> str | None:
    """One query giving (table, row count, sample md5) per row of TABLES_SQL; None if no tables."""
    parts = []
    for qualified, pk in tables:
        # Without a key, row text in byte order: the same whatever the database's collation.
        order = ", ".join(f"s.{col}" for col in pk.split(",")) if pk else 's::text COLLATE "C"'
        literal = "'" + qualified.replace("'", "''") + "'"
        parts.append(
            # bandit B608 is a false positive here: identifiers are checked by check_name/quote_ident or the settings' SQL-identifier rule
            f"SELECT {literal}, (SELECT count(*) FROM {qualified}), "  # nosec B608
            f"(SELECT md5(coalesce(string_agg(s::text, E'\\n' ORDER BY {order}), '')) "
            f"FROM (SELECT * FROM {qualified} s ORDER BY {order} LIMIT {int(sample_rows)}) s)")
    return " UNION ALL ".join(parts) if parts else None


def parse_stats(rows: list[list[str]]) -> dict[str, tuple[int, str]]:
    return {name: (int(count), digest) for name, count, digest in rows}


class SnapshotSession:
    """One psql process kept open as a coprocess, holding a REPEATABLE READ transaction whose
    snapshot is exported, so that `pg_dump --snapshot` and our own queries see the very same
    data. The transaction must stay open until pg_dump is done (an exported snapshot dies with
    it); leaving the block without commit() ends psql, which rolls it back."""

    def __init__(self, argv: list[str]):
        self.argv = argv
        self.snapshot = ""
        self._proc: subprocess.Popen[str] | None = None
        self._err: IO[bytes] | None = None
        self._marker = f"__xqfc_end_{secrets.token_hex(8)}__"
        self._pending = 0

    def __enter__(self) -> SnapshotSession:
        self._err = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__
        self._proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=self._err, text=True, bufsize=1)
        # The app role may carry timeouts meant for web requests; a dump may legitimately sit
        # in (or idle in) this transaction for minutes.
        for sql in ("SET statement_timeout = 0", "SET idle_in_transaction_session_timeout = 0",
                    "SET lock_timeout = 0", *STATS_SETUP,
                    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"):
            self._send(sql + ";\n")
        self.snapshot = self.query("SELECT pg_export_snapshot()")[0][0]
        return self

    def _pipes(self) -> tuple[subprocess.Popen[str], IO[str], IO[str]]:
        # Only __enter__ starts psql, always with both pipes.
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdout is None:
            raise PgError("psql session not started (SnapshotSession is a context manager)")
        return proc, proc.stdin, proc.stdout

    def _send(self, text: str) -> None:
        _, stdin, _ = self._pipes()
        try:
            stdin.write(text)
            stdin.flush()
        except BrokenPipeError:
            raise PgError(f"psql session ended: {self._stderr()}") from None

    def submit(self, sql: str) -> None:
        """Send a query without waiting: psql and the server work on it while we do other
        things (run pg_dump); collect() reads its rows afterwards. The echoed marker ends them."""
        self._send(sql.rstrip().rstrip(";") + f";\n\\echo {self._marker}\n")
        self._pending += 1

    def collect(self) -> list[list[str]]:
        if not self._pending:
            raise PgError("collect() without a submitted query")
        proc, _, stdout = self._pipes()
        rows: list[list[str]] = []
        while True:
            line = stdout.readline()
            if line == "":
                raise PgError(f"psql session ended ({proc.wait()}): {self._stderr()}")
            line = line.rstrip("\n")
            if line == self._marker:
                self._pending -= 1
                return rows
            if line:
                rows.append(line.split("\x1f"))

    def query(self, sql: str) -> list[list[str]]:
        self.submit(sql)
        return self.collect()

    def commit(self) -> None:
        self.query("COMMIT")
        proc, stdin, _ = self._pipes()
        stdin.close()
        if proc.wait(timeout=60) != 0:
            raise PgError(f"psql session failed ({proc.returncode}): {self._stderr()}")

    def _stderr(self) -> str:
        if self._err is None:
            return ""
        self._err.seek(0)
        return self._err.read().decode(errors="replace").strip()[-2000:]

    def __exit__(self, *exc: object) -> None:
        # Closing both pipes, not killing, is what reaches a psql inside `docker exec`: killing
        # the docker client would leave psql (and the open transaction) running in the container.
        # End of input makes psql quit; the server then rolls back an uncommitted transaction.
        proc, stdin, stdout = self._pipes()
        for pipe in (stdin, stdout):
            try:
                pipe.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if self._err is not None:
            self._err.close()
