"""SQLite's query-planner statistics (ANALYZE) for the tables `list` filters and sorts, gathered when missing.

Without them SQLite takes every indexed equality for a selective one: `status IN ('ready', 'partial')` — nearly
every clip — was read through the status index and the whole catalog sorted for one page of 100 (300 ms at 10⁶
clips, instead of walking the name index: ~10 ms). A catalog filled by ingest never had statistics, so opening one
gathers them when they are missing or the catalog has doubled since, from a sample of each index (`analysis_limit`:
~0.1 s a table at 10⁶ clips). Small catalogs are left alone: every plan is quick there.
"""

from __future__ import annotations

import logging
import sqlite3

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

TABLES = ("clips", "technical_metadata", "vision_metrics", "clip_tags", "clip_ratings", "clip_locations")
SAMPLE = 100_000  # index entries read per index
MIN_CLIPS = 20_000  # below this, no statistics are needed


def refresh_if_stale(engine: Engine) -> bool:
    """Gather statistics when the catalog has none or has doubled since; True when it did. Never waits on another
    writer (it tries again at the next open) and never fails the open."""
    if engine.dialect.name != "sqlite":
        return False  # Postgres keeps its own (autovacuum analyses)
    try:
        with engine.connect() as conn:
            have = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first()
            stat = conn.exec_driver_sql("SELECT stat FROM sqlite_stat1 WHERE tbl = 'clips' AND idx IS NOT NULL "
                                        "LIMIT 1").scalar() if have else None
            clips = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM clips").scalar() or 0
        known = int(stat.split()[0]) if stat else 0
        if clips < MIN_CLIPS or clips < 2 * known:
            return False
    except DBAPIError as exc:
        log.info("planner statistics not checked: %s", str(exc.orig).splitlines()[0])
        return False
    raw = engine.raw_connection()  # the driver's own: a short busy wait, and our BEGIN (see store/engine.py)
    cur = raw.cursor()
    try:
        cur.execute("PRAGMA busy_timeout = 100")
        cur.execute(f"PRAGMA analysis_limit = {SAMPLE}")
        cur.execute("BEGIN IMMEDIATE")
        for table in TABLES:
            cur.execute(f"ANALYZE {table}")
        cur.execute("COMMIT")
        return True
    except sqlite3.Error as exc:  # busy (an ingest is writing) or read-only: the planner does without
        log.info("planner statistics not gathered: %s", exc)
        if raw.in_transaction:
            cur.execute("ROLLBACK")
        return False
    finally:
        cur.execute("PRAGMA busy_timeout = 60000")
        cur.execute("PRAGMA analysis_limit = 0")
        cur.close()
        raw.close()
