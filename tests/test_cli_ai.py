"""Issue 5 through the CLI: speech clips get a transcript, an analysis and vectors; analyze / reembed / --skip-ai."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from vcat_core.ai.local_whisper import word_error_rate

from . import ai_media
from .helpers import run_cli


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    src = tmp_path_factory.mktemp("speech")
    ai_media.write_video(src / "visit.mp4", ai_media.speak(ai_media.SENTENCES["visit"]))
    ai_media.write_video(src / "weather.mp4", ai_media.speak(ai_media.SENTENCES["weather"]))
    cat = tmp_path_factory.mktemp("ai_cat") / "catalog"
    r = run_cli(cat, "ingest", str(src), "--thumbnails", "2", "--json")
    assert r.code == 0, r.stderr
    return cat, src


def _doc(cat: Path, name: str) -> dict:
    return next(d for d in run_cli(cat, "export").json() if d["file_name"] == name)


def test_transcript_analysis_and_vectors(catalog):
    cat, _ = catalog
    visit = _doc(cat, "visit.mp4")
    assert visit["transcript"]["language"] == "en"
    assert word_error_rate(ai_media.SENTENCES["visit"], visit["transcript"]["text"]) <= 0.25
    seg = visit["transcript"]["segments"][0]
    assert seg["start_seconds"] >= 0 and seg["end_seconds"] > seg["start_seconds"]
    an = visit["analysis"]
    assert an["complete"] and 3 <= an["summary"].count(".") + 1 and an["keywords"]
    names = {(e["text"], e["type"]) for e in an["entities"]}
    assert ("Paris", "LOCATION") in names and any(t == "PERSON" and "Maria" in x for x, t in names)
    weather = _doc(cat, "weather.mp4")["analysis"]
    assert {"rain", "weather", "storm", "farmers", "forecast"} & {k.lower() for k in weather["keywords"]}
    with sqlite3.connect(cat / "catalog.db") as conn:
        rows = conn.execute("select kind, dim, model from embeddings where clip_id = ?", (visit["id"],)).fetchall()
    assert ("clip", 384) in {(k, d) for k, d, _ in rows} and any(k == "segment" for k, _, _ in rows)
    shown = run_cli(cat, "show", str(visit["id"])).stdout
    assert "summary" in shown and "0:00:0" in shown and "Paris" in shown


def test_analyze_and_reembed(catalog):
    cat, src = catalog
    r = run_cli(cat, "analyze", str(src / "visit.mp4"), "--force", "--json")
    assert r.code == 0, r.stderr
    started = {e["stage"] for e in r.events() if e["kind"] == "stage_started"}
    assert started == {"transcribe", "analyze", "embed"}  # no re-hash, no new thumbnails
    assert r.events()[-1]["summary"]["updated"] == 1
    re = run_cli(cat, "reembed", "--json")
    assert re.code == 0 and re.json()["clips"] == 2 and re.json()["model"].startswith("all-MiniLM-L6-v2")
    assert run_cli(cat, "analyze").code == 2


def test_skip_ai(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    ai_media.write_video(src / "bike.mp4", ai_media.speak(ai_media.SENTENCES["bicycle"]))
    r = run_cli(tmp_path / "cat", "ingest", str(src), "--skip-ai", "--skip-audio", "--thumbnails", "2", "--json")
    assert r.code == 0, r.stderr
    started = {e["stage"] for e in r.events() if e["kind"] == "stage_started"}
    assert not started & {"transcribe", "analyze", "embed"}
    doc = run_cli(tmp_path / "cat", "export").json()[0]
    assert doc["transcript"] is None and doc["analysis"] is None and doc["status"] == "ready"
