"""Alembic environment: the database is DATABASE_URL, as in the app (never in alembic.ini,
so the password stays out of files and argv)."""
from __future__ import annotations

import os
import sys
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from sqlalchemy.pool import NullPool

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

# The failed-migration drill: an image built with BROKEN=migration (Dockerfile).
if "migration" in os.environ.get("XQFC_BROKEN", "").split(","):
    sys.exit("XQFC_BROKEN=migration: this image's migration fails on purpose")

url = os.environ.get("DATABASE_URL")
if not url:
    sys.exit("DATABASE_URL is not set (the platform passes app.env with --env-file)")


def run_migrations_offline() -> None:
    context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    kwargs = {"poolclass": NullPool, "connect_args": {"connect_timeout": 10, "application_name": "xqfc-migrate"}}
    if sa.__version__.startswith("1."):
        kwargs["future"] = True
    engine = sa.create_engine(url, **kwargs)
    with engine.connect() as connection:
        # One migration at a time even if two releases raced past the release lock.
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(727172)"))
        context.configure(connection=connection, transaction_per_migration=False)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
