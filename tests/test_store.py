"""The catalog store on real SQLite: one transaction per clip, idempotent re-saves, dedup, concurrent writers."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import inspect

from vcat_core.models import (
    Candidate,
    ClipAnalysis,
    ClipFilter,
    ExposureMetrics,
    FingerprintResult,
    StageOutcome,
    TechnicalMetadata,
    Thumbnail,
    ThumbnailImage,
    ThumbnailsResult,
)
from vcat_core.store import migrate
from vcat_core.store.catalog import CatalogStore
from vcat_core.store.tables import STAGES


def analysis(path: str, digest: str, *, width=1920, height=1080, codec="h264", thumbs=3,
             failed_stage: str | None = None) -> ClipAnalysis:
    cand = Candidate(path=path, size=1000, mtime_ns=1, inode=hash(path) % 10**6, device=1)
    exp = ExposureMetrics(overexposed_percentage=1, underexposed_percentage=2, mean_luma=110, exposure_stops=-0.2)
    th = ThumbnailsResult(thumbnails=[
        Thumbnail(index=i, frame_number=i * 30, timestamp_seconds=i, is_keyframe=True, exposure=exp,
                  images=[ThumbnailImage(width=w, height=w * 9 // 16, path=f"thumbnails/{digest}/{i:03d}_{w}.jpg")
                          for w in (160, 320)])
        for i in range(thumbs)])
    outcomes = [StageOutcome(stage=s, status="failed" if s == failed_stage else "succeeded",
                             error="boom" if s == failed_stage else None) for s in STAGES]
    return ClipAnalysis(
        candidate=cand, fingerprint=FingerprintResult(algorithm="xxh3_128", digest=digest, size=1000),
        metadata=TechnicalMetadata(codec=codec, width=width, height=height, duration_seconds=10.0,
                                   camera_make="Sony", camera_model="ILCE-7M4", sources={"codec": "pyav"}),
        thumbnails=th, exposure=exp, outcomes=outcomes)


def test_schema_matches_migrations(store_url: str):
    store = CatalogStore(store_url)
    assert migrate.current_revision(store.engine) == migrate.head_revision()
    names = set(inspect(store.engine).get_table_names())
    assert {"clips", "clip_locations", "technical_metadata", "thumbnails", "vision_metrics", "stage_runs",
            "file_failures", "ingest_runs", "alembic_version"} <= names
    CatalogStore(store_url)  # re-open: already current, no error
    # the migrations build exactly the schema the models describe
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    # the full-text index lives outside the models (FTS5 tables on SQLite, an expression index on Postgres)
    diffs = [d for d in diffs if "search_fts" not in str(d) and "ix_search_documents_tsv" not in str(d)]
    if store.engine.dialect.name == "sqlite":
        # clips.project_id came by ALTER TABLE ADD COLUMN … REFERENCES (0009: a table copy would cascade-delete the
        # children); SQLAlchemy does not read an inline reference's ON DELETE back, so check that through PRAGMA
        diffs = [d for d in diffs if not (d[0] in ("add_fk", "remove_fk") and d[1].table.name == "clips"
                                          and [c.name for c in d[1].columns] == ["project_id"])]
        with store.engine.connect() as conn:
            fks = conn.exec_driver_sql("PRAGMA foreign_key_list(clips)").all()
        assert [(r[2], r[3], r[4], r[6]) for r in fks] == [("projects", "project_id", "id", "SET NULL")]
    else:  # a failure is one row per (owner, path) on Postgres: each member has their own (0013)
        diffs = [d for d in diffs if not (d[0] in ("add_constraint", "remove_constraint")
                                          and d[1].table.name == "file_failures")]
    assert diffs == []


def test_save_is_idempotent_and_dedups(store_url: str):
    store = CatalogStore(store_url)
    cid, created = store.save_analysis(analysis("/m/a.mp4", "f1"))
    assert created
    cid2, created2 = store.save_analysis(analysis("/m/a.mp4", "f1", thumbs=2))
    assert (cid2, created2) == (cid, False)
    rows = store.load_clips([cid])[0]
    assert len(rows["thumbnails"]) == 4 and len(rows["locations"]) == 1  # replaced, not appended
    assert {s.stage: s.attempts for s in rows["stages"]}["metadata"] == 2
    dup = Candidate(path="/other/a copy.mp4", size=1000, mtime_ns=1, inode=5, device=1)
    assert store.add_location("f1", dup) == cid
    assert store.count_clips() == 1
    assert store.list_clips()[0].locations == 2


def test_filters_and_failures(store_url: str):
    store = CatalogStore(store_url)
    store.save_analysis(analysis("/m/hd.mp4", "a", width=1280, height=720))
    store.save_analysis(analysis("/m/fhd.mov", "b", codec="prores"))
    store.save_analysis(analysis("/m/vertical.mp4", "c", width=1080, height=1920))
    store.save_analysis(analysis("/m/uhd.mp4", "d", width=3840, height=2160, codec="hevc", failed_stage="exposure"))
    names = lambda f: sorted(c.name for c in store.list_clips(f))  # noqa: E731
    assert names(ClipFilter(resolution="720p")) == ["hd.mp4"]
    assert names(ClipFilter(resolution="1080p")) == ["fhd.mov", "vertical.mp4"]
    assert names(ClipFilter(resolution="4k")) == ["uhd.mp4"]
    assert names(ClipFilter(resolution="1080x1920")) == ["vertical.mp4"]
    assert names(ClipFilter(codec="PRORES")) == ["fhd.mov"]
    assert len(names(ClipFilter(camera="ilce"))) == 4
    store.save_analysis(analysis("/m/dnx.mxf", "e", codec="DNxHD"))  # stored lower case: the index answers
    assert names(ClipFilter(codec="dnxhd")) == names(ClipFilter(codec="DNXHD")) == ["dnx.mxf"]
    assert store.list_clips(ClipFilter(codec="dnxhd"))[0].codec == "dnxhd"
    store.record_failure("/m/bad.mp4", "metadata", "not a video", "NotAVideoError")
    fails = store.failures()
    assert [(f.path, f.stage) for f in fails] == [("/m/bad.mp4", "metadata"), ("/m/uhd.mp4", "exposure")]
    assert store.list_clips(ClipFilter(resolution="4k"))[0].status == "partial"
    stats = store.stats()
    assert stats["clips"] == 5 and stats["failures"] == 1
    assert {g["name"]: g["clips"] for g in stats["by_codec"]} == {"h264": 2, "prores": 1, "hevc": 1, "dnxhd": 1}


@pytest.mark.parametrize("sort", ["name", "duration", "sharpness"])
def test_pages_read_from_the_end_match_pages_read_from_the_start(store_url: str, sort: str):
    """`from_end` (the TUI's `end` on a million clips) gives the same rows as OFFSET paging, ties and missing
    values included, in both directions."""
    from sqlalchemy import update

    from vcat_core.store.tables import Clip, VisionMetrics

    store = CatalogStore(store_url)
    for i in range(9):
        store.save_analysis(analysis(f"/e/{'ab'[i % 2]}{i % 3}.mov", f"end{i}"))
    with store.writer.begin() as conn:  # durations with ties and one missing; sharpness on some clips only
        for i, cid in enumerate(store.clip_ids(sort="id")):
            conn.execute(update(Clip).where(Clip.id == cid).values(duration_seconds=None if i == 4 else i % 3))
            if i % 2:
                conn.execute(update(VisionMetrics).where(VisionMetrics.clip_id == cid).values(sharpness=i % 4))
    for descending in (False, True):
        every = [c.id for c in store.list_clips(sort=sort, descending=descending)]
        assert len(every) == 9
        for back in range(0, 10):
            page = store.list_clips(sort=sort, descending=descending, limit=4, offset=back, from_end=True)
            assert [c.id for c in page] == every[max(len(every) - back - 4, 0):len(every) - back], (descending, back)
    store.close()


def _writer(url: str, worker: int, n: int) -> None:
    store = CatalogStore(url)
    for i in range(n):
        # both processes save the same content under their own paths, interleaved
        store.save_analysis(analysis(f"/w{worker}/clip{i}.mp4", f"digest{i}"))
    store.close()


def test_two_processes_write_at_once(store_url: str):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(store_url, w, 25)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    store = CatalogStore(store_url)
    assert store.count_clips() == 25  # no duplicate clips
    assert sum(c.locations for c in store.list_clips()) == 50  # every path kept


def test_planner_statistics_are_gathered_when_missing_and_never_wait_on_a_writer(tmp_path, monkeypatch):
    """A catalog filled by ingest has no SQLite statistics, and without them a page of `list` sorted every clip
    (bench/catalog_scale.py): opening one gathers them, again once it has doubled, and skips them while another
    process holds the write lock instead of waiting for it."""
    import sqlite3
    import time

    from vcat_core.store import planner_stats

    monkeypatch.setattr(planner_stats, "MIN_CLIPS", 4)
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    store = CatalogStore(url)
    for i in range(5):
        store.save_analysis(analysis(f"/p/{i}.mov", f"stat{i}"))
    store.close()

    def stats() -> dict:
        with sqlite3.connect(tmp_path / "catalog.db") as conn:
            return dict(conn.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'clips'").fetchall())

    CatalogStore(url).close()
    assert stats()["ix_clips_name"].split()[0] == "5"
    for i in range(5, 8):  # not doubled yet: left as they are
        store.save_analysis(analysis(f"/p/{i}.mov", f"stat{i}"))
    assert planner_stats.refresh_if_stale(store.engine) is False
    for i in range(8, 11):
        store.save_analysis(analysis(f"/p/{i}.mov", f"stat{i}"))
    blocker = sqlite3.connect(tmp_path / "catalog.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # an ingest writing
    started = time.monotonic()
    assert planner_stats.refresh_if_stale(store.engine) is False
    assert time.monotonic() - started < 5
    blocker.execute("ROLLBACK")
    blocker.close()
    assert planner_stats.refresh_if_stale(store.engine) is True
    assert stats()["ix_clips_name"].split()[0] == "11"
    store.close()


def test_a_page_found_in_the_head_of_the_order_is_the_page(tmp_path, monkeypatch):
    """`list` looks for a filtered page among the first clips of the sort order first (an index walk that stops),
    then among more, then everywhere: the rows are the same whichever answers."""
    monkeypatch.setattr(CatalogStore, "HEAD_ROWS", (40, 50))
    store = CatalogStore(f"sqlite:///{tmp_path / 'catalog.db'}")
    for i in range(60):  # prores only on the last ten names: missed by both heads
        store.save_analysis(analysis(f"/h/{i:03d}.mov", f"head{i}", codec="prores" if i >= 50 else "h264"))
    for codec, want in (("h264", [f"{i:03d}.mov" for i in range(4)]), ("prores", [f"{i:03d}.mov" for i in
                                                                                range(50, 54)])):
        assert [c.name for c in store.list_clips(ClipFilter(codec=codec), limit=4)] == want
        assert [c.name for c in store.list_clips(ClipFilter(codec=codec), limit=4, descending=True)] == \
            [n for n in sorted((c.name for c in store.list_clips(ClipFilter(codec=codec))), reverse=True)][:4]
    store.close()
