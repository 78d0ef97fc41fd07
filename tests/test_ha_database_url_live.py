"""The managed database URL of `topology: ha` (components/foundation.py database_url), read by the
real client stack of the example app (SQLAlchemy, psycopg2, libpq) against a real PostgreSQL:
libpq takes every keepalive/timeout keyword we add and applies it to the connection."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from components.foundation import MANAGED_DB_CLIENT_PARAMS, database_url
from components.plan.run import ROOT
from tests.pg_cluster import TempCluster


@pytest.fixture(scope="module")
def cluster():
    try:
        pg = TempCluster().start()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    try:
        yield pg
    finally:
        pg.stop()


def test_libpq_applies_the_failover_keywords_of_the_database_url(cluster, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "examples" / "app"))
    from xqfc_app.db import make_engine

    engine = make_engine(database_url("postgres", "unused-with-trust", "127.0.0.1", cluster.port, "postgres"))
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
            dsn = conn.connection.dbapi_connection.get_dsn_parameters()
        for key, value in MANAGED_DB_CLIENT_PARAMS:
            assert dsn.get(key) == value, f"libpq did not apply {key}={value}: {dsn.get(key)!r}"
    finally:
        engine.dispose()


def test_a_misspelt_keyword_is_refused_by_libpq(cluster, monkeypatch):
    """The check above can fail: libpq refuses a keyword it does not know."""
    monkeypatch.syspath_prepend(str(ROOT / "examples" / "app"))
    from xqfc_app.db import make_engine

    url = database_url("postgres", "x", "127.0.0.1", cluster.port, "postgres", params=(("tcp_user_timeot", "10000"),))
    engine = make_engine(url)
    try:
        with pytest.raises(sa.exc.DBAPIError, match="tcp_user_timeot"):
            with engine.connect():
                pass
    finally:
        engine.dispose()
