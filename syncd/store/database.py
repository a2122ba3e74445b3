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

A SQLite file that cannot be used — a data directory that cannot be created, a read-only
file or volume, a full disk, an I/O error, a file that is not a database — is a
``StoreError`` naming the file and the cause, on opening and on any later statement (an
engine ``handle_error`` hook), so commands exit 2 with one line and the daemon reports the
reason instead of a driver traceback.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, ExceptionContext, make_url

from syncd.core.errors import StoreError
from syncd.core.logs import get_logger

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


# SQLite's primary result codes (the low byte of ``sqlite_errorcode``) that mean the file
# or the disk cannot be used, with what to tell the operator.
_SQLITE_CAUSES = {
    3: "permission denied",  # SQLITE_PERM
    8: "the file or its volume is read-only (check owner, permissions and mounts)",
    10: "disk I/O error",  # SQLITE_IOERR
    11: "the file is damaged",  # SQLITE_CORRUPT
    13: "the disk is full",  # SQLITE_FULL
    14: "cannot open the file (does its directory exist and is it writable?)",
    26: "the file is not a SQLite database",  # SQLITE_NOTADB
}


def _sqlite_failure(path: str) -> Any:
    def handle_error(context: ExceptionContext) -> None:
        code = getattr(context.original_exception, "sqlite_errorcode", None)
        cause = _SQLITE_CAUSES.get(code & 0xFF) if isinstance(code, int) else None
        if cause is not None:
            raise StoreError(
                f"state database {path} cannot be used: {cause} ({context.original_exception})"
            ) from None

    return handle_error


def _make_data_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the data directory {path}: {exc.strerror or exc} "
            "(set SYNCD_DATA_DIR or SYNCD_STATE_URL to a writable place)"
        ) from None


def _warn_if_emptied(path: Path) -> None:
    """SQLite takes an empty file for a new database and would start over in silence; a
    state file cut to 0 bytes (a restore gone wrong, a full disk, a careless ``>``) means
    the ledgers are gone, which the operator must hear about."""
    try:
        emptied = path.is_file() and path.stat().st_size == 0
    except OSError:
        return  # opening it will report the problem
    if emptied:
        get_logger("syncd.store").warning(
            "store.ledger_lost",
            path=str(path),
            message=f"the state file {path} is empty (0 bytes): if syncd ran with it before, "
            "its ledger of posted reminders and sent digests is lost and a new one starts "
            "now. Reminders already on the tracker carry syncd's marker and are not posted "
            "again; a digest of the current period may be sent again.",
        )


def _sqlite_begin(conn: sa.Connection) -> None:
    immediate = conn.get_execution_options().get(WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_store_engine(url: str) -> Engine:
    """An engine for ``sqlite:///path`` or ``postgresql://…``; StoreError for anything else."""
    sa_url = _sqlalchemy_url(url)
    if sa_url.startswith("sqlite:///"):
        path = sa_url.removeprefix("sqlite:///")
        # A URI filename (``sqlite:///file:/data/x.db?mode=ro&uri=true``) names a file too.
        path = path.split("?", 1)[0].removeprefix("file:")
        if path not in ("", ":memory:"):
            _make_data_dir(Path(path).parent)
            _warn_if_emptied(Path(path))
        engine = sa.create_engine(sa_url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "handle_error", _sqlite_failure(path))
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
