"""PostgreSQL-only behaviour: connection failures are clear and never show the password."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest

from syncd.core.errors import StoreError
from syncd.store import open_store
from syncd.store.database import redacted_url
from tests.support.postgres import PostgresServer

SECRET = "s3cr3t-Pa55"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_server_is_a_clear_error_without_the_password() -> None:
    url = f"postgresql://syncd:{SECRET}@127.0.0.1:{_closed_port()}/syncd"
    with pytest.raises(StoreError) as caught:
        open_store(url)
    message = str(caught.value)
    assert "cannot open the state database" in message
    assert "127.0.0.1" in message
    assert SECRET not in message
    assert caught.value.__cause__ is None


def test_unsupported_scheme_is_refused() -> None:
    with pytest.raises(StoreError, match="unsupported state URL scheme in mysql://"):
        open_store(f"mysql://root:{SECRET}@localhost/db")


def test_redacted_url_hides_the_password() -> None:
    shown = redacted_url(f"postgresql://syncd:{SECRET}@db:5432/syncd")
    assert SECRET not in shown
    assert shown == "postgresql://syncd:***@db:5432/syncd"


@pytest.fixture
def password_db(pg_server: PostgresServer) -> Iterator[str]:
    name = "syncd_pw"
    pg_server.create_database(name)
    try:
        yield pg_server.create_login("syncd_pw_user", SECRET, name)
    finally:
        pg_server.drop_database(name)


@pytest.mark.postgres
def test_wrong_password_is_a_clear_error_without_the_password(password_db: str) -> None:
    wrong = password_db.replace(SECRET, SECRET + "-wrong")
    with pytest.raises(StoreError) as caught:
        open_store(wrong)
    message = str(caught.value)
    assert "password authentication failed" in message
    assert SECRET not in message
    with open_store(password_db) as store:  # the right one works: auth is really checked
        assert store.schema_version() is not None


@pytest.mark.postgres
def test_missing_database_names_it(pg_server: PostgresServer) -> None:
    with pytest.raises(StoreError, match='database "no_such_db" does not exist'):
        open_store(pg_server.url("no_such_db"))


@pytest.mark.postgres
def test_pool_survives_the_server_dropping_connections(pg_server: PostgresServer) -> None:
    with pg_server.new_database() as url, open_store(url) as store:
        store.set_cursor("s", {"n": 1}, NOW)
        database = url.rsplit("/", 1)[1]
        with psycopg.connect(pg_server.url(), autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            ).fetchone()
        assert killed is not None
        assert killed[0] >= 1  # the pooled connection was there
        # pre-ping notices the dead connection and the pool opens a new one
        store.set_cursor("s", {"n": 2}, NOW)
        assert store.get_cursor("s") == {"n": 2}


@pytest.mark.postgres
def test_session_time_zone_does_not_shift_stored_moments(pg_server: PostgresServer) -> None:
    moscow = datetime(2026, 11, 23, 12, 0, tzinfo=timezone(timedelta(hours=3)))
    with pg_server.new_database() as url:
        tokyo = url + "?options=-c%20timezone%3DAsia/Tokyo"
        with open_store(tokyo) as store:
            store.record_poll("s", moscow)
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("SHOW timezone").scalar() == "Asia/Tokyo"
        for each in (url, tokyo):
            with open_store(each) as store:
                (row,) = store.source_rows()
                assert row.last_success == NOW
                assert row.last_success.tzinfo is UTC
