"""PostgreSQL through SQLAlchemy Core (psycopg2). Works with SQLAlchemy 1.4 (Debian 12) and
2.x (Debian 13). The engine connects lazily: the app starts before the release script has
joined it to the database network, and survives PostgreSQL restarts (pool_pre_ping)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()

# The schema as the migration (migrations/versions/0001_listings.py) creates it.
listings = sa.Table(
    "listings",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("address", sa.String(300), nullable=False),
    sa.Column("price", sa.BigInteger, nullable=False),
    sa.Column("bedrooms", sa.Integer, nullable=False),
    sa.Column("area_m2", sa.Integer, nullable=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

COLUMNS = [c.name for c in listings.columns]


def make_engine(url: str, **overrides: Any) -> sa.engine.Engine:
    kwargs: dict[str, Any] = dict(
        pool_pre_ping=True,  # a connection killed by a PostgreSQL restart is replaced, not used
        pool_size=5,
        max_overflow=5,
        pool_timeout=5,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": 3,
            "application_name": "xqfc-app",
            "options": "-c statement_timeout=5000",
        },
    )
    if sa.__version__.startswith("1."):
        kwargs["future"] = True  # 2.0-style API on SQLAlchemy 1.4
    kwargs.update(overrides)
    return sa.create_engine(url, **kwargs)


def row_to_dict(row: Any) -> dict[str, Any]:
    d = dict(row._mapping)
    if d.get("created_at") is not None:
        d["created_at"] = d["created_at"].isoformat()
    return d
