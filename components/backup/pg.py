"""PostgreSQL through its own client tools, called through configurable command prefixes
(`docker exec -i xqfc-postgres pg_dump -U postgres` on the VM, plain `pg_dump -h ...` in tests),
so the dump is always made by the server's own major version."""
from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass

from .naming import check_name


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

    def dump_argv(self, database: str) -> list[str]:
        # -Z0: the custom format's own zlib is slow; the tool compresses the stream instead.
        return [*shlex.split(self.pg_dump), "-Fc", "-Z0", "--no-password", "-d", check_name(database)]

    def restore_argv(self, database: str, no_owner: bool) -> list[str]:
        argv = [*shlex.split(self.pg_restore), "--exit-on-error", "--no-password",
                "-d", check_name(database)]
        if no_owner:
            argv += ["--no-owner", "--no-acl"]
        return argv

    def query(self, sql: str, database: str | None = None) -> list[list[str]]:
        """Rows of a query as lists of text fields (unit separator keeps commas and pipes safe)."""
        argv = [*shlex.split(self.psql), "-X", "-A", "-t", "-q", "--no-password",
                "-v", "ON_ERROR_STOP=1", "-F", "\x1f", "-d", database or self.maintenance_db,
                "-c", sql]
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
        return self.scalar(f"SELECT count(*) FROM pg_database WHERE datname = '{name}'") == "1"  # nosec B608: identifiers are checked by check_name/quote_ident or the settings' SQL-identifier rule

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
            self.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "  # nosec B608: identifiers are checked by check_name/quote_ident or the settings' SQL-identifier rule
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
        tables = self.query(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), "
            "coalesce((SELECT string_agg(quote_ident(a.attname), ',' ORDER BY k.ord) "
            "  FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
            "  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
            "  WHERE i.indrelid = c.oid AND i.indisprimary), '') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema') "
            "AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY 1",
            database=check_name(database))
        if not tables:
            return {}
        parts = []
        for qualified, pk in tables:
            order = ", ".join(f"s.{col}" for col in pk.split(",")) if pk else "s::text"
            literal = "'" + qualified.replace("'", "''") + "'"
            parts.append(
                f"SELECT {literal}, (SELECT count(*) FROM {qualified}), "  # nosec B608: identifiers are checked by check_name/quote_ident or the settings' SQL-identifier rule
                f"(SELECT md5(coalesce(string_agg(s::text, E'\\n' ORDER BY {order}), '')) "
                f"FROM (SELECT * FROM {qualified} s ORDER BY {order} LIMIT {int(sample_rows)}) s)")
        rows = self.query(" UNION ALL ".join(parts), database=database)
        return {name: (int(count), digest) for name, count, digest in rows}
