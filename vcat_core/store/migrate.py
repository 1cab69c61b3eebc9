"""Bring a catalog database to the newest schema with Alembic (called on every open; cheap when current)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    if current_revision(engine) == head_revision():
        return
    cfg = alembic_config()
    from .engine import write_engine

    with write_engine(engine).begin() as conn:  # serialises two processes opening a new catalog at once
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(7364021)"))  # the same, on Postgres
        found = MigrationContext.configure(conn).get_current_revision()
        if found not in (None, head_revision()) and conn.dialect.name == "sqlite" and engine.url.database:
            backup_sqlite(Path(engine.url.database), found)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


BACKUPS_KEPT = 3


def backup_sqlite(db: Path, revision: str, keep: int = BACKUPS_KEPT) -> Path:
    """A consistent copy of the catalog (SQLite's online backup: WAL included, taken while we hold the write lock)
    in `<catalog>/backups/`, before a migration changes it; only the newest `keep` copies stay."""
    import sqlite3
    from datetime import datetime, timezone

    folder = db.parent / "backups"
    folder.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{db.stem}-rev{revision}-{stamp}.db"
    partial = target.with_suffix(".db.partial")
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as src, sqlite3.connect(partial) as dst:
        src.backup(dst)
    partial.rename(target)  # a backup interrupted half-way never looks like a backup
    for old in sorted(folder.glob(f"{db.stem}-rev*.db"))[:-keep]:
        old.unlink()
    return target
