"""On-screen text: burned-in text (ffmpeg drawtext, several fonts and sizes) read offline at ingest, stored as timed
spans, found by words and by meaning as moments; a clip without text gets none; the setting off reads none."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.text_media import Caption, render
from vcat_core.ai.screen_text import TextLine
from vcat_core.pipeline.vision.text_spans import blocks, spans

from .helpers import run_cli

# name: (captions, seconds, background); each caption's font and size differ
CLIPS = {
    "slate": ([Caption("SCENE 42\nTAKE 3", font="liberation-mono", size=64, layout="slate", start=2.0, end=4.0)],
              4.0, "grey"),
    "sign": ([Caption("EXIT 14", font="dejavu-sans-bold", size=80, layout="center")], 3.0, "bars"),
    "interview": ([Caption("Jane Okafor, Head of Research", font="free-serif", size=36, layout="lower_third")],
                  3.0, "gradient"),
    "plain": ([], 2.0, "fractal"),
}


def _make(dest: Path, names: tuple[str, ...]) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        captions, seconds, background = CLIPS[name]
        render(dest / f"{name}.mp4", captions, seconds=seconds, background=background)
    return dest


@pytest.fixture(scope="module")
def footage(tmp_path_factory) -> Path:
    return _make(tmp_path_factory.mktemp("screen_text_media"), tuple(CLIPS))


@pytest.fixture(scope="module")
def catalog(footage, tmp_path_factory) -> Path:
    cat = tmp_path_factory.mktemp("screen_text_cat") / "catalog"
    r = run_cli(cat, "ingest", str(footage), "--json")  # the default depth (full): text read, words and vectors
    assert r.code == 0, r.stderr
    return cat


def _search(cat: Path, query: str, **env: str) -> list[dict]:
    r = run_cli(cat, "search", query, "--json", **env)
    assert r.code == 0, r.stderr
    return r.json()["hits"]


def _show(cat: Path, name: str, **env: str) -> dict:
    r = run_cli(cat, "show", name, "--json", **env)
    assert r.code == 0, r.stderr
    return r.json()


FOUND = [  # query, clip, when the text is on screen, what the moment shows
    ("take 3", "slate", 2.0, 4.0, "TAKE 3"),  # the slate shows only from 2 s: the moment is when it is on screen
    ("exit 14", "sign", 0.0, 3.0, "EXIT 14"),
    ("Jane Okafor", "interview", 0.0, 3.0, "Jane Okafor"),
]


def test_burned_in_text_is_found_by_words_and_meaning_at_its_moment(catalog):
    for query, clip, start, end, words in FOUND:
        hits = _search(catalog, query)
        assert hits and Path(hits[0]["clip"]["name"]).stem == clip, (query, [h["clip"]["name"] for h in hits])
        moment = hits[0]["moment"]
        assert moment["kind"] == "screen_text", query
        assert start <= moment["start_seconds"] <= moment["end_seconds"] <= end, (query, moment)
        assert words.lower() in moment["snippet"].lower(), (query, moment)
        assert hits[0]["parts"]["vector"]["matched"] == "screen_text"  # its own vector, not only the clip's words


def test_cli_marks_on_screen_moments_and_show_lists_the_text(catalog, footage):
    r = run_cli(catalog, "search", "take 3")
    assert r.code == 0, r.stderr
    assert "on screen “SCENE 42 TAKE 3”" in r.stdout
    r = run_cli(catalog, "show", str(footage / "slate.mp4"))
    assert r.code == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if "on screen" in ln)
    assert "SCENE 42 TAKE 3" in line and "0:00:0" in line
    r = run_cli(catalog, "reindex")  # rebuilding the word index keeps the on-screen text (it is not re-derived)
    assert r.code == 0, r.stderr
    assert _search(catalog, "take 3")[0]["moment"]["kind"] == "screen_text"
    spans_ = _show(catalog, str(footage / "slate.mp4"))["screen_text"]
    assert [s["text"] for s in spans_] == ["SCENE 42 TAKE 3"]
    assert 2.0 <= spans_[0]["start_seconds"] <= spans_[0]["end_seconds"] < 4.0


def test_exports_carry_the_text(catalog):
    import csv
    import io

    r = run_cli(catalog, "export", "--format", "csv")
    assert r.code == 0, r.stderr
    rows = {row["file_name"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
    assert rows["slate.mp4"]["screen_text"] == "SCENE 42 TAKE 3" and rows["plain.mp4"]["screen_text"] == ""


def test_clip_without_text_gets_no_text(catalog, footage):
    assert _show(catalog, str(footage / "plain.mp4"))["screen_text"] == []


def test_setting_off_reads_no_text(tmp_path):
    src = _make(tmp_path / "media", ("sign",))
    cat = tmp_path / "catalog"
    r = run_cli(cat, "ingest", str(src), "--json", VCAT_SCREEN_TEXT="0", VCAT_ANALYSIS_DEPTH="standard")
    assert r.code == 0, r.stderr
    assert _show(cat, str(src / "sign.mp4"))["screen_text"] == []


def test_postgres_catalog_stores_and_finds_text(footage, postgres_url, tmp_path):
    src = tmp_path / "media"
    src.mkdir()
    shutil.copy(footage / "slate.mp4", src / "slate.mp4")
    cat = tmp_path / "catalog"
    r = run_cli(cat, "ingest", str(src), "--json", VCAT_DATABASE_URL=postgres_url)
    assert r.code == 0, r.stderr
    hits = _search(cat, "take 3", VCAT_DATABASE_URL=postgres_url)
    assert hits and hits[0]["moment"]["kind"] == "screen_text"
    assert 2.0 <= hits[0]["moment"]["start_seconds"] < 4.0
    assert hits[0]["parts"]["vector"]["matched"] == "screen_text"
    assert [s["text"] for s in _show(cat, str(src / "slate.mp4"), VCAT_DATABASE_URL=postgres_url)["screen_text"]] == \
        ["SCENE 42 TAKE 3"]


def test_gemini_on_screen_text_is_stored_the_same_way(tmp_path):
    """The cloud path: Gemini's analysis lists the text it saw with times; stored and found like the OCR's."""
    from .ai_fake_api import GOOD_ANALYSIS, FakeAPI

    src = _make(tmp_path / "media", ("plain",))  # no text in the picture: what is found came from the answer
    cat = tmp_path / "catalog"
    with FakeAPI() as api:
        api.analysis = dict(GOOD_ANALYSIS, on_screen_text=[
            {"text": "NEXT STOP Harbour Bridge", "start_seconds": 0.5, "end_seconds": 1.5}])
        r = run_cli(cat, "ingest", str(src), "--json", VCAT_SCREEN_TEXT="0", VCAT_AI_PROVIDER="gemini",
                    GEMINI_API_KEY=api.gemini_key, VCAT_GEMINI_BASE_URL=api.url)
        assert r.code == 0, r.stderr + r.stdout[-2000:]
        assert api.calls(":generateContent")
    assert _show(cat, str(src / "plain.mp4"))["screen_text"] == [
        {"start_seconds": 0.5, "end_seconds": 1.5, "text": "NEXT STOP Harbour Bridge"}]
    hits = _search(cat, "harbour bridge")
    assert hits[0]["moment"]["kind"] == "screen_text" and hits[0]["moment"]["start_seconds"] == 0.5
    assert hits[0]["parts"]["vector"]["matched"] == "screen_text"


# ---- the pure parts: lines into blocks, frames into spans --------------------------------------------------------

def _line(text: str, y: float, x: float = 100.0, h: float = 30.0) -> TextLine:
    return TextLine(text, 0.95, (x, y, x + 20.0 * len(text), y + h))


def test_lines_close_together_are_one_block_apart_are_two_and_a_lone_glyph_is_none():
    lines = [_line("SCENE 42", 100), _line("TAKE 3", 140), _line("Main Street", 400), _line("0", 600)]
    assert [t for t, _ in blocks(lines)] == ["SCENE 42 TAKE 3", "Main Street"]


def test_text_on_consecutive_frames_is_one_span_and_a_return_is_another():
    frames = [(0.0, []), (2.0, [_line("EXIT 14", 50)]), (4.0, [_line("EXlT 14", 50)]), (6.0, []),
              (8.0, [_line("EXIT 14", 50)])]
    got = [(s.text, s.start_seconds, s.end_seconds, s.frames) for s in spans(frames)]
    assert got == [("EXIT 14", 2.0, 4.0, 2), ("EXIT 14", 8.0, 8.0, 1)]


def test_tui_search_opens_the_clip_at_its_text(catalog):
    """The app: search "take 3", open the hit: the playhead is at the slate and says what is on screen there; the
    detail's metadata has an "On screen" section."""
    from textual.widgets import Static

    from vcat_tui.screens.detail_screen import DetailScreen
    from vcat_tui.widgets.metadata_view import MetadataView
    from vcat_tui.widgets.timeline import Timeline

    from .test_tui_app import make_app, run, table_of, type_text
    from .test_tui_catalogs import open_catalog, wait_for

    cat = open_catalog(catalog)

    async def go():
        app = make_app(cat)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("2")
            await type_text(pilot, "take 3")
            results = table_of(app)
            await wait_for(pilot, lambda: results.loaded and results.total >= 1, what="search results")
            await pilot.press("down", "enter")
            assert isinstance(app.screen, DetailScreen)
            await wait_for(pilot, lambda: app.screen.doc is not None, what="the clip's detail")
            assert app.screen.doc["file_name"] == "slate.mp4"
            timeline = app.screen.query_one(Timeline)
            await wait_for(pilot, lambda: "on screen “SCENE 42 TAKE 3”" in timeline.render().plain,
                           what="the on-screen text at the playhead")
            titles = [str(w.render()) for w in app.screen.query_one(MetadataView).query(Static)]
            assert "On screen" in titles

    try:
        run(go())
    finally:
        cat.close()
