"""Culling: `vcat-core rate|pick|reject|unflag|label`, the `--rating/--picks/--label` filters of list and export,
ratings kept through a re-analysis, and XMP ratings read at ingest, on real SQLite catalogs (Postgres: test_rls,
and test_store's schema check runs migration 0012 there)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from vcat_core.models import ClipFilter
from vcat_core.search.query import parse_query
from vcat_core.store.ratings import RatingError, from_xmp, parse_rating

from .helpers import run_cli
from .media import exiftool_write, make_clip
from .test_labels import Cat
from .test_store import analysis


def _catalog(folder: Path, url: str | None) -> Cat:
    cat = Cat(folder, url)
    store = cat.store()
    for i, name in enumerate(["beach.mp4", "interview_a.mov", "interview_b.mov", "sunset.mov"]):
        store.save_analysis(analysis(f"/footage/{name}", f"d{i}"))
    store.close()
    return cat


@pytest.fixture()
def sqlite_catalog(tmp_path: Path) -> Cat:
    return _catalog(tmp_path / "catalog", None)


def _names(result) -> list[str]:
    return sorted(d["file_name"] for d in result.json())


def test_rate_pick_label_filter_and_export(sqlite_catalog: Cat):
    """(On Postgres, test_rls rates, picks and shows through the CLI as a project member.)"""
    catalog = sqlite_catalog
    assert catalog.cli("rate", "1", "/footage/interview_a.mov", "4").code == 0
    assert catalog.cli("rate", "3", "5").code == 0
    assert catalog.cli("pick", "1", "3").code == 0
    assert catalog.cli("reject", "4").code == 0
    assert catalog.cli("label", "1", "2", "red").code == 0
    assert catalog.cli("label", "4", "Green").code == 0

    assert _names(catalog.cli("list", "--rating", ">=4", "--json")) == ["beach.mp4", "interview_a.mov",
                                                                        "interview_b.mov"]
    assert _names(catalog.cli("list", "--rating", ">=4", "--picks", "--label", "red", "--json")) == ["beach.mp4"]
    # every other condition, asked of the same catalog in-process (one CLI start costs a second or two)
    store = catalog.store()

    def names(**f) -> list[str]:
        return sorted(c.name for c in store.list_clips(ClipFilter(**f)))

    assert names(min_rating=4, max_rating=4) == ["beach.mp4", "interview_a.mov"]
    assert names(max_rating=0) == ["sunset.mov"]  # unrated: also the clips without a ratings row
    assert names(pick="pick") == ["beach.mp4", "interview_b.mov"] and names(pick="reject") == ["sunset.mov"]
    assert names(pick="unflagged") == ["interview_a.mov"]
    assert names(label="red") == ["beach.mp4", "interview_a.mov"] and names(label="none") == ["interview_b.mov"]
    store.close()
    ranked = catalog.cli("list", "--sort", "rating", "--desc", "--json").json()
    assert [d["rating"] for d in ranked] == [5, 4, 4, 0]
    table = catalog.cli("list", "--picks").stdout
    assert "★★★★★ pick" in table and "★★★★ pick red" in table

    # unflag and clear: back to the defaults
    assert catalog.cli("unflag", "3").code == 0
    assert catalog.cli("label", "2", "none").code == 0
    shown = catalog.cli("show", "3", "--json").json()
    assert (shown["rating"], shown["pick"], shown["label"]) == (5, None, None)

    docs = {d["file_name"]: d for d in json.loads(catalog.cli("export", "--format", "json", "--rating", ">=1").stdout)}
    assert {n: (d["rating"], d["pick"], d["label"]) for n, d in docs.items()} == {
        "beach.mp4": (4, "pick", "red"), "interview_a.mov": (4, None, None), "interview_b.mov": (5, None, None)}
    rows = list(csv.DictReader(io.StringIO(catalog.cli("export", "--format", "csv", "--rejects").stdout)))
    assert [(r["file_name"], r["rating"], r["pick"], r["label"]) for r in rows] == [("sunset.mov", "0", "reject",
                                                                                     "green")]


def test_bad_ratings_are_refused(sqlite_catalog: Cat):
    catalog = sqlite_catalog
    assert catalog.cli("rate", "1", "7").code == 2
    bad = catalog.cli("label", "1", "pink")
    assert bad.code == 1 and "red, yellow, green, blue, purple" in bad.stderr
    missing = catalog.cli("pick", "99")
    assert missing.code == 1 and "99" in missing.stderr
    assert catalog.cli("list", "--rating", "six").code == 2
    assert catalog.cli("list", "--picks", "--rejects").code == 2
    assert catalog.cli("show", "1", "--json").json()["rating"] == 0  # nothing was written


def test_a_reanalysis_keeps_the_ratings(sqlite_catalog: Cat):
    catalog = sqlite_catalog
    assert catalog.cli("rate", "2", "3").code == 0 and catalog.cli("pick", "2").code == 0
    assert catalog.cli("label", "2", "blue").code == 0
    store = catalog.store()
    store.save_analysis(analysis("/footage/interview_a.mov", "d1", thumbs=5))  # the same content, analysed again
    row = store.list_clips(ClipFilter(ids=[2]))[0]
    store.close()
    assert (row.rating, row.pick, row.label) == (3, "pick", "blue")


def test_filter_phrases():
    assert parse_rating(">=4") == (4, None) and parse_rating("2-4") == (2, 4) and parse_rating("unrated") == (None, 0)
    with pytest.raises(RatingError):
        parse_rating(">5")
    q = parse_query("interview picks, rated 4 stars or more, red label")
    assert (q.min_rating, q.max_rating, q.pick, q.label) == (4, None, "pick", "red")
    assert q.semantic == "interview"
    assert parse_query("a 5 star hotel, picked up at the airport").filters() == {}
    assert parse_query("rejected takes").to_filter_kwargs() == {"pick": "reject"}


def test_xmp_values():
    assert from_xmp({"XMP-xmp:Rating": 4, "XMP-xmp:Label": "Red"}) == {"rating": 4, "label": "red"}
    assert from_xmp({"XMP-xmp:Rating": -1}) == {"flag": "reject"}
    assert from_xmp({"XMP-xmp:Label": "To Do"}) is None and from_xmp({}) is None


def test_xmp_rating_read_at_ingest_seeds_only_unrated_clips(tmp_path: Path):
    folder = tmp_path / "card"
    folder.mkdir()
    clip = make_clip(folder / "rated.mp4", seconds=0.4, width=160, height=120)
    exiftool_write(clip, "-XMP-xmp:Rating=4", "-XMP-xmp:Label=Green")
    cat = tmp_path / "catalog"
    assert run_cli(cat, "ingest", str(folder), "--focus", "metadata", "--json").code == 0
    doc = run_cli(cat, "show", str(clip), "--json").json()
    assert (doc["rating"], doc["label"]) == (4, "green")
    assert run_cli(cat, "rate", str(clip), "2").code == 0
    assert run_cli(cat, "ingest", str(folder), "--focus", "metadata", "--force", "--json").code == 0
    assert run_cli(cat, "show", str(clip), "--json").json()["rating"] == 2  # the person's rating stays
