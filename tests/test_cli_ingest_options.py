"""`ingest` options: --dry-run, --limit, --skip-visual / --focus (and the backfill after), --priority."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import media
from .helpers import run_cli

NO_AI = ("--skip-audio", "--skip-ai")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for i in range(4):
        media.make_clip(src / f"clip{i}.mp4", codec="libx264", width=128 + 16 * i, height=72, fps=25, seconds=0.4)
    (src / "notes.txt").write_text("not footage")
    return src


def test_dry_run_writes_nothing(folder: Path, tmp_path: Path):
    cat = tmp_path / "cat"
    plan = run_cli(cat, "ingest", str(folder), "--dry-run", "--json")
    assert plan.code == 0, plan.stderr
    data = plan.json()
    assert data["count"] == 4 and data["passed_over"] == 1 and data["known"] == 0
    assert {Path(f["path"]).name for f in data["files"]} == {f"clip{i}.mp4" for i in range(4)}
    assert all(f["reason"] == "new" for f in data["files"])
    assert data["bytes"] == sum((folder / f"clip{i}.mp4").stat().st_size for i in range(4))
    assert data["estimated_seconds"] > 0
    assert run_cli(cat, "stats", "--json").json()["clips"] == 0  # nothing was catalogued
    text = run_cli(cat, "ingest", str(folder), "--dry-run").stdout
    assert "4 to ingest" in text and "estimated time" in text


def test_limit_then_the_rest(folder: Path, tmp_path: Path):
    cat = tmp_path / "cat"
    s = run_cli(cat, "ingest", str(folder), "--limit", "3", "--thumbnails", "2", "--json", *NO_AI).events()[-1][
        "summary"]
    assert (s["new"], s["deferred"]) == (3, 1)
    plan = run_cli(cat, "ingest", str(folder), "--dry-run", "--json", *NO_AI).json()
    assert (plan["count"], plan["known"]) == (1, 3)
    s = run_cli(cat, "ingest", str(folder), "--thumbnails", "2", "--json", *NO_AI).events()[-1]["summary"]
    assert (s["new"], s["known"], s["deferred"]) == (1, 3, 0)


def test_skip_visual_then_backfill(folder: Path, tmp_path: Path):
    cat = tmp_path / "cat"
    r = run_cli(cat, "ingest", str(folder), "--skip-visual", "--json", "--priority", "batch")
    assert r.code == 0, r.stderr
    stages = {e["stage"] for e in r.events() if e["kind"] == "stage_started"}
    assert stages == {"fingerprint", "metadata", "transcribe", "analyze", "embed"}  # no image work
    docs = run_cli(cat, "export").json()
    assert len(docs) == 4 and all(d["thumbnail_paths"] == [] and d["status"] == "ready" for d in docs)
    assert all(d["technical_metadata"]["codec"] == "h264" for d in docs)
    again = run_cli(cat, "ingest", str(folder), "--focus", "metadata", "--json").events()
    assert again[-1]["summary"]["known"] == 4 and not [e for e in again if e["kind"] == "stage_started"]
    full = run_cli(cat, "ingest", str(folder), "--thumbnails", "2", "--json").events()
    started = [e["stage"] for e in full if e["kind"] == "stage_started"]
    assert sorted(set(started)) == ["exposure", "faces", "thumbnails", "vision"]  # only what was missing, no re-hash
    assert full[-1]["summary"]["updated"] == 4
    assert all(d["thumbnail_paths"] for d in run_cli(cat, "export").json())


def test_bad_options(folder: Path, tmp_path: Path):
    r = run_cli(tmp_path / "cat", "ingest", str(folder), "--focus", "smell")
    assert r.code == 2 and "unknown focus" in r.stderr
    r = run_cli(tmp_path / "cat", "ingest", str(folder), "--priority", "urgent")
    assert r.code == 2 and "unknown priority" in r.stderr


def test_md5_fingerprints_and_the_catalog_keeps_its_hash(folder: Path, tmp_path: Path):
    import hashlib

    cat = tmp_path / "cat"
    r = run_cli(cat, "ingest", str(folder), "--hash", "md5", "--skip-visual", *NO_AI)
    assert r.code == 0, r.stderr
    for doc in run_cli(cat, "export").json():
        assert doc["checksum_algorithm"] == "md5"
        assert doc["file_checksum"] == hashlib.md5(Path(doc["file_path"]).read_bytes()).hexdigest()
    mixed = run_cli(cat, "ingest", str(folder))  # default xxh3_128 would never match these clips
    assert mixed.code == 2 and "fingerprints files with md5" in mixed.stderr


def test_analysis_depth_quick(folder: Path, tmp_path: Path):
    r = run_cli(tmp_path / "cat", "ingest", str(folder), "--thumbnails", "2", "--json", VCAT_ANALYSIS_DEPTH="quick")
    assert r.code == 0, r.stderr
    started = {e["stage"] for e in r.events() if e["kind"] == "stage_started"}
    assert started == {"fingerprint", "metadata", "thumbnails", "exposure"}
