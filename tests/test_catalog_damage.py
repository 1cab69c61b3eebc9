"""A damaged catalog.db (issue 16): found at open with a sentence and exit 2, measured by `catalog check`, saved by
`catalog recover` (sqlite3's .recover, or the row-by-row copy), and backed up before every migration."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from vcat_core.store.integrity import recover_tool

from . import media
from .helpers import run_cli

NO_AI = ("--skip-audio", "--skip-ai")


@pytest.fixture(scope="module")
def healthy(tmp_path_factory) -> Path:
    """A catalog folder with two clips, a tag and a failure, closed cleanly (no -wal left)."""
    root = tmp_path_factory.mktemp("healthy")
    footage = root / "footage"
    footage.mkdir()
    media.make_vp9(footage), media.make_mpeg2_ts(footage)
    media.make_text(footage / "notes.mov")
    catalog = root / "catalog"
    res = run_cli(catalog, "ingest", str(footage), "--workers", "1", "--thumbnails", "2", *NO_AI)
    assert res.code == 1, res.stderr[-2000:]  # the text file failed, the two clips went in
    assert run_cli(catalog, "tag", "add", "keep", "1").code == 0
    assert not (catalog / "catalog.db-wal").exists()
    return catalog


def copy_of(healthy: Path, tmp_path: Path) -> Path:
    catalog = tmp_path / "catalog"
    shutil.copytree(healthy, catalog)
    return catalog


def names(catalog: Path) -> list[str]:
    res = run_cli(catalog, "list", "--json")
    assert res.code == 0, res.stderr
    return sorted(d["file_name"] for d in res.json())


def page_of(db: Path, index: str) -> tuple[int, int]:
    """(page size, root page number) of an index: somewhere to damage without losing a row."""
    with sqlite3.connect(db) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,)).fetchone()[0]
    return size, root


def test_a_truncated_catalog_is_refused_at_open_and_recovered(healthy, tmp_path):
    catalog = copy_of(healthy, tmp_path)
    db = catalog / "catalog.db"
    with open(db, "r+b") as f:
        f.truncate(db.stat().st_size * 2 // 3)
    res = run_cli(catalog, "list")
    assert res.code == 2 and "is damaged" in res.stderr and "cut short" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and "catalog recover" in res.stderr
    check = run_cli(catalog, "catalog", "check", "--json")
    assert check.code == 1 and not check.json()["ok"], check.stdout
    damaged_bytes = db.read_bytes()
    res = run_cli(catalog, "catalog", "recover", "--json")
    if recover_tool() is None:
        # the cut went through the schema's pages: without a working sqlite3 .recover nothing is readable; it says
        # so, points at what else there is, and leaves the file as it was
        assert res.code == 2 and "nothing can be read" in res.stderr and "ingest again" in res.stderr, res.stderr
        assert db.read_bytes() == damaged_bytes and not list(catalog.glob("*.recovering"))
        return
    report = res.json()
    assert report["method"] == "sqlite3 .recover"
    assert Path(report["kept_damaged_as"]).exists() and report["check_after"]["ok"], report
    assert run_cli(catalog, "catalog", "check").code == 0
    assert run_cli(catalog, "stats", "--json").code == 0


@pytest.mark.parametrize("use_cli", [True, False], ids=["sqlite3-recover", "row-by-row"])
def test_a_damaged_page_is_found_by_check_and_every_row_recovered(healthy, tmp_path, use_cli):
    if use_cli and not recover_tool():
        pytest.skip("no sqlite3 command-line tool whose .recover works (Debian 12's lacks sqlite_dbpage)")
    catalog = copy_of(healthy, tmp_path)
    db = catalog / "catalog.db"
    before = names(catalog)
    size, root = page_of(db, "ix_clips_name")
    with open(db, "r+b") as f:  # the index's page overwritten: opens, but the b-tree is broken
        f.seek((root - 1) * size)
        f.write(b"\xa5" * size)
    res = run_cli(catalog, "catalog", "check")
    assert res.code == 1 and "damaged" in res.stdout, res.stdout + res.stderr
    res = run_cli(catalog, "catalog", "recover", "--json", *(() if use_cli else ("--no-cli",)))
    assert res.code == 0, res.stdout + res.stderr
    report = res.json()
    assert report["method"] == ("sqlite3 .recover" if use_cli else "row-by-row copy")
    assert report["rows"]["clips"] == 2 and report["rows"]["file_failures"] == 1 and report["rows"]["clip_tags"] == 1
    assert names(catalog) == before
    assert run_cli(catalog, "catalog", "check").code == 0
    hits = run_cli(catalog, "search", "vp9", "--json")  # the word index came back too
    assert hits.code == 0 and [h["clip"]["name"] for h in hits.json()["hits"]] == ["vp9.webm"]


def test_an_overwritten_header_is_refused_at_open(healthy, tmp_path):
    catalog = copy_of(healthy, tmp_path)
    with open(catalog / "catalog.db", "r+b") as f:
        f.write(b"\x00" * 100)
    res = run_cli(catalog, "stats")
    assert res.code == 2 and "not an SQLite database" in res.stderr, res.stderr
    assert run_cli(catalog, "catalog", "check").code == 1


def test_each_migration_is_preceded_by_a_backup_and_old_backups_rotate(healthy, tmp_path):
    from alembic import command

    from vcat_core.store import migrate
    from vcat_core.store.catalog import CatalogStore

    catalog = copy_of(healthy, tmp_path)
    db = catalog / "catalog.db"
    for _ in range(4):
        store = CatalogStore(f"sqlite:///{db}")
        cfg = migrate.alembic_config()
        with store.writer.begin() as conn:  # back one revision: the next open migrates again
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "-1")
        previous = migrate.current_revision(store.engine)
        store.close()
        reopened = CatalogStore(f"sqlite:///{db}")  # this open upgrades it, after a backup
        assert migrate.current_revision(reopened.engine) == migrate.head_revision()
        reopened.close()
    assert names(catalog) == ["mpeg2.ts", "vp9.webm"]
    backups = sorted((catalog / "backups").glob("catalog-rev*.db"))
    assert len(backups) == 3 and all(f"rev{previous}-" in b.name for b in backups)
    with sqlite3.connect(backups[-1]) as conn:  # a whole catalog, at the revision it had before
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (previous,)
        assert conn.execute("SELECT count(*) FROM clips").fetchone() == (2,)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert not list((catalog / "backups").glob("*.partial"))
