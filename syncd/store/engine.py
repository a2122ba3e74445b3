"""Engines for the two backends, and turning connection failures into clear StoreErrors.

SQLite (the embedded default): WAL mode and a busy timeout so two processes can share the
file; transactions are begun by us, not by the sqlite3 module, because the module's own
transaction handling commits before DDL (no atomic migrations) and starts writes lazily
(a read-then-write transaction can fail with "database is locked" instead of waiting).
Writes use ``BEGIN IMMEDIATE`` (take the write lock up front, wait ``busy_timeout`` for
it); reads use a plain ``BEGIN`` so they never block writers.

PostgreSQL (several replicas): psycopg 3 under SQLAlchemy's own QueuePool. We keep the
engine's pool rather than psycopg_pool because every query already goes through the
engine: SQLAlchemy's pool gives pre-ping (a replica survives a database restart),
recycling and overflow with no second layer of pooling to size and close. The pool is
small on purpose: each replica runs a few sources at a time, and N replicas share the
server's ``max_connections``.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url

from syncd.errors import StoreError

__all__ = ["WRITE", "create_store_engine", "describe_failure", "dialect_insert", "redacted_url"]

# Execution option marking a write transaction (SQLite: BEGIN IMMEDIATE).
WRITE = "syncd_write"

_PG_POOL = {"pool_size": 4, "max_overflow": 4, "pool_pre_ping": True, "pool_recycle": 1800}


def dialect_insert(conn: sa.Connection, table: sa.Table) -> Any:
    """An INSERT with ``on_conflict_do_update/nothing`` for the connection's backend (both
    SQLite and PostgreSQL speak ``INSERT … ON CONFLICT``, spelled by separate constructs)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _sqlalchemy_url(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def redacted_url(url: str) -> str:
    """The URL with its password replaced by ``***``, safe for logs and errors."""
    try:
        shown = make_url(_sqlalchemy_url(url)).render_as_string(hide_password=True)
        return shown.replace("postgresql+psycopg://", "postgresql://", 1)
    except sa.exc.ArgumentError:
        return url.split("://", 1)[0] + "://…"


def describe_failure(url: str, exc: BaseException) -> str:
    """The driver's reason for a failure, with the URL's password scrubbed out of it."""
    reason = str(getattr(exc, "orig", None) or exc).strip()
    try:
        password = make_url(_sqlalchemy_url(url)).password
    except sa.exc.ArgumentError:
        password = None
    if password:
        reason = reason.replace(str(password), "***")
    return " ".join(reason.split())  # libpq's messages span lines


def _sqlite_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    # Stop the sqlite3 module from issuing BEGIN/COMMIT itself; see _sqlite_begin.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    # Switching a new file to WAL needs an exclusive lock and reports "locked" at once,
    # without the busy handler, when several processes open it for the first time.
    deadline = time.monotonic() + 30
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    immediate = conn.get_execution_options().get(WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_store_engine(url: str) -> Engine:
    """An engine for ``sqlite:///path`` or ``postgresql://…``; StoreError for anything else."""
    sa_url = _sqlalchemy_url(url)
    if sa_url.startswith("sqlite:///"):
        path = sa_url.removeprefix("sqlite:///")
        if path not in ("", ":memory:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(sa_url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if sa_url.startswith("postgresql+psycopg://"):
        connect_args: dict[str, Any] = {"connect_timeout": 10, "application_name": "syncd"}
        try:
            return sa.create_engine(sa_url, connect_args=connect_args, **_PG_POOL)
        except sa.exc.ArgumentError as exc:
            raise StoreError(f"invalid state URL {redacted_url(url)}: {exc}") from None
    raise StoreError(
        f"unsupported state URL scheme in {url.split('://', maxsplit=1)[0]}://…; "
        "use sqlite:///path or postgresql://user@host:port/database"
    )
