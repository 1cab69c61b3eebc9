"""Engines for the catalog: SQLite (embedded default, WAL) now; Postgres comes through the same function.

SQLite detail: Python's sqlite3 driver opens transactions lazily and as DEFERRED, which lets two writers both read
"fingerprint not there yet" and then collide. Writers therefore use an engine whose transactions start with
BEGIN IMMEDIATE (the documented SQLAlchemy recipe), so check-then-insert per clip is atomic across processes;
readers keep plain deferred transactions and never wait on a writer in WAL mode.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError

WRITE_OPTION = "vcat_write"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url)
    else:
        engine = create_engine(driver_url(url), pool_pre_ping=True, pool_size=5, max_overflow=5, pool_recycle=1800)
    event.listen(engine, "handle_error", _disk_full_as_error)
    return engine


def _disk_full_as_error(context) -> None:
    """A full disk under the catalog is one clear error (CatalogDiskFull), not a driver traceback: the run stops
    and resumes once space is freed (nothing is committed half-way: the transaction is rolled back)."""
    from ..errors import CatalogDiskFull, is_disk_full

    if is_disk_full(context.original_exception):
        where = context.engine.url.database if context.engine.dialect.name == "sqlite" else "the database server"
        raise CatalogDiskFull(f"the disk holding the catalog ({where}) is full: free some space and run the same "
                              "command again (it resumes where it stopped)") from context.original_exception


def driver_url(url: str) -> str:
    """`postgresql://…` (what Supabase and libpq print) → SQLAlchemy's psycopg 3 dialect."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def write_engine(engine: Engine) -> Engine:
    """The same pool, but transactions that take the write lock up front (SQLite) - use for every write."""
    return engine.execution_options(**{WRITE_OPTION: True})


TRANSIENT_ATTEMPTS = 4


def _connection_lost(exc: DBAPIError) -> bool:
    """The server went away under us (restart, failover, a pooler dropping us), not a bad statement: SQLAlchemy
    saw a disconnect, or psycopg raised its bare OperationalError (a dead socket) or an admin shutdown. Errors
    of other classes (a query cancelled, a full disk, a limit exceeded) are answers, not lost connections."""
    if exc.connection_invalidated:
        return True
    try:
        import psycopg
        from psycopg import errors
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    orig = exc.orig
    return type(orig) is psycopg.OperationalError or isinstance(
        orig, (errors.AdminShutdown, errors.CrashShutdown, errors.CannotConnectNow, errors.ConnectionException))


def retry_transient(fn):
    """Run a store write again when the database connection was lost mid-transaction (Postgres only matters:
    SQLite has no connection to lose). Safe because every store write is one whole transaction: it either
    committed or left nothing behind. The pool's pre-ping already replaces connections that died while idle."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for attempt in range(1, TRANSIENT_ATTEMPTS + 1):
            try:
                return fn(*args, **kwargs)
            except DBAPIError as exc:
                if attempt == TRANSIENT_ATTEMPTS or not _connection_lost(exc):
                    raise
                time.sleep(0.2 * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    return wrapper


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see module docstring)
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA busy_timeout=60000")
        for attempt in range(50):  # switching a new file to WAL needs it alone for a moment: two processes
            try:                   # creating the same catalog at once can get SQLITE_BUSY with no busy wait
                cur.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.1)
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine
