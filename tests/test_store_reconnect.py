"""A Postgres catalog survives its connections being cut (a server restart, a pooler dropping clients): idle ones
are replaced on checkout, and a write whose connection dies mid-transaction is run again, once, whole."""

from __future__ import annotations

import psycopg
from sqlalchemy import event

from vcat_core.store.catalog import CatalogStore

from .test_store import analysis


def _admin(postgres_url: str) -> psycopg.Connection:
    return psycopg.connect(postgres_url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True)


def test_idle_connections_cut(postgres_url: str):
    store = CatalogStore(postgres_url)
    store.save_analysis(analysis("/footage/a.mov", "a" * 32))
    with _admin(postgres_url) as admin:  # every other session of this database goes
        cut = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()[0]
    assert cut >= 1
    clip_id, created = store.save_analysis(analysis("/footage/b.mov", "b" * 32))
    assert created and store.count_clips() == 2


def test_connection_lost_mid_write(postgres_url: str):
    store = CatalogStore(postgres_url)
    cut: list[int] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def kill_once(conn, cursor, statement, parameters, context, executemany):
        # the first INSERT of the clip row: its connection is terminated from outside, mid-transaction
        if not cut and statement.lstrip().upper().startswith("INSERT INTO CLIPS"):
            pid = conn.connection.dbapi_connection.info.backend_pid
            with _admin(postgres_url) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            cut.append(pid)

    clip_id, created = store.save_analysis(analysis("/footage/c.mov", "c" * 32, thumbs=2))
    assert cut and created
    docs = store.load_clips([clip_id])
    assert len(docs) == 1 and len(docs[0]["thumbnails"]) == 4 and len(docs[0]["locations"]) == 1
    assert store.count_clips() == 1  # the cut transaction left nothing half-written
